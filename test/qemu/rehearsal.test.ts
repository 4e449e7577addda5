/**
 * Rehearsal, the proof DESIGN.md asks for: an installed system that boots (GRUB, kernel,
 * initramfs, init, a login prompt) is backed up; its rescue ISO with the set inside boots
 * in qemu with a blank disk and restores unattended; then the blank disk boots on its own
 * to the same login prompt. Only the restore (partition table, filesystem with its UUID,
 * files, GRUB's boot code written again) can make that last boot work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { runBackup } from '../../src/main/engine/backup/backup';
import { buildMedia } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { hostKernel, loopQemuSkipReason, stopAll, Vm } from './vm';
import { bootableSystemMissing, buildBootableSystem, LOGIN_PROMPT } from './bootable-system';
import { runCli as cli } from '../util/cli';

const MiB = 1024 * 1024;
const SIZE = 192 * MiB;
const BOOT_MS = 240_000;
const kernel = hostKernel;
const why = loopQemuSkipReason() ?? bootableSystemMissing(kernel);

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const exitsWithin = (vm: Vm, ms: number) => Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), ms))]);

let work = '';
let source: LoopDevice | null = null;
let sourceImage = '';
let iso = '';
let rescueOnly = '';


describe.skipIf(why !== null)(`rehearsal: back up, restore from the rescue media, boot the restored disk${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-rehearsal-');
    source = makeLoop(SIZE, { dir: work });
    sourceImage = source.file;
    const root = join(work, 'root');
    buildBootableSystem(source.device, root, kernel);
    try {
      writeFileSync(join(root, 'root/precious.txt'), 'the data this whole exercise is for\n');
      await runBackup({ dest: join(work, 'set'), root, compress: 'zstd' }, createJobContext('backup'));
    } finally {
      sh('umount "$1"', root);
      sh('partx -d "$1" 2>/dev/null || true', source.device);
    }
    iso = join(work, 'rescue.iso');
    await buildMedia({ iso, set: join(work, 'set'), embed: true, kernel, lang: 'en', timeout: 0, append: 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1' }, createJobContext('media'));
    rescueOnly = join(work, 'rescue-only.iso');
    await buildMedia({ iso: rescueOnly, kernel, lang: 'en', timeout: 0 }, createJobContext('media'));
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    source?.detach();
    cleanupScratch();
  });

  it('the source system boots to its login prompt (the fixture is real)', async () => {
    const vm = new Vm({ disk: sourceImage, memoryMiB: 512 });
    const s = await vm.waitFor(LOGIN_PROMPT, BOOT_MS);
    console.log(`source system: login prompt after ${s.toFixed(1)} s`);
    await vm.stop();
  }, BOOT_MS + 30_000);

  it('restores unattended from the ISO onto a blank disk, which then boots to the login prompt', async () => {
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const t0 = Date.now();
    // Booted from the ISO through its own boot loader, with the unattended arguments it was built with.
    const rescue = new Vm({ cdrom: iso, targetDisk: disk, memoryMiB: 1024 });
    await rescue.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, BOOT_MS);
    expect(rescue.output, rescue.tail()).toContain('LIFEBOAT-RESTORE-OK');
    // GRUB's boot code was written again (the restored system has no grub-install of its own).
    expect(rescue.output).toMatch(/LIFEBOAT-STEP \d+\/\d+ boot\.grub-install/);
    expect(rescue.output).not.toContain('LIFEBOAT-SKIP grub-install');
    expect(await exitsWithin(rescue, 60_000)).toBe('exited');
    const restoreSeconds = (Date.now() - t0) / 1000;

    const restored = new Vm({ disk, memoryMiB: 512 });
    const bootSeconds = await restored.waitFor(LOGIN_PROMPT, BOOT_MS);
    console.log(`rehearsal: rescue boot + restore ${restoreSeconds.toFixed(1)} s, restored system at its login prompt after ${bootSeconds.toFixed(1)} s more`);
    await restored.stop();
  }, 2 * BOOT_MS + 120_000);

  it('lifeboat rehearse: restores the embedded set in a VM and boots the result (exit 0)', async () => {
    const r = await cli(['rehearse', '--set', join(work, 'set'), '--media', iso, '--timeout', '240', '--json']);
    const result = r.lines.find((l) => l.type === 'result');
    expect(r.code, JSON.stringify(r.lines.slice(-3))).toBe(0);
    expect(result).toMatchObject({ ok: true, disks: 1, setEmbedded: true });
    expect(r.lines.some((l) => l.type === 'progress' && String(l.phase).includes('restore'))).toBe(true);
    console.log(`lifeboat rehearse (set in the ISO): restore ${Number(result!.restoreSeconds).toFixed(1)} s, boot ${Number(result!.bootSeconds).toFixed(1)} s`);
  }, 2 * BOOT_MS + 120_000);

  it('lifeboat rehearse: rescue-only media with the set on a second virtual disk (exit 0)', async () => {
    const r = await cli(['rehearse', '--set', join(work, 'set'), '--media', rescueOnly, '--timeout', '240', '--json']);
    const result = r.lines.find((l) => l.type === 'result');
    expect(r.code, JSON.stringify(r.lines.slice(-3))).toBe(0);
    expect(result).toMatchObject({ ok: true, setEmbedded: false });
  }, 2 * BOOT_MS + 120_000);

  it('lifeboat rehearse: a system whose boot entries name no serial console (like a desktop) still proves itself (exit 0)', async () => {
    // The same system made desktop-like: GRUB starts the kernel without console=ttyS0, and
    // the serial getty starts only when the kernel names that console, as systemd's
    // getty generator does. Booted as it is, nothing would ever reach the serial line.
    const root = join(work, 'root-desktop');
    mkdirSync(root, { recursive: true });
    sh('partx -a "$1" 2>/dev/null || true; mount "$1"p2 "$2"', source!.device, root);
    const cfg = join(root, 'boot/grub/grub.cfg');
    const inittab = join(root, 'etc/inittab');
    const [cfgBefore, inittabBefore] = [readFileSync(cfg, 'utf8'), readFileSync(inittab, 'utf8')];
    try {
      writeFileSync(cfg, cfgBefore.replace(' console=ttyS0,115200', ''));
      writeFileSync(
        inittab,
        inittabBefore.replace(/^ttyS0::respawn:.*$/m, "ttyS0::respawn:/bin/sh -c '/bin/busybox grep -q console=ttyS0 /proc/cmdline && exec /bin/getty -L 115200 ttyS0 vt100; exec /bin/busybox sleep 100000'"),
      );
      expect(readFileSync(cfg, 'utf8')).not.toContain('console=ttyS0');
      await runBackup({ dest: join(work, 'set-desktop'), root, compress: 'zstd' }, createJobContext('backup'));
    } finally {
      writeFileSync(cfg, cfgBefore);
      writeFileSync(inittab, inittabBefore);
      sh('umount "$1"; partx -d "$2" 2>/dev/null || true', root, source!.device);
    }
    const r = await cli(['rehearse', '--set', join(work, 'set-desktop'), '--media', rescueOnly, '--timeout', '180', '--json']);
    expect(r.code, JSON.stringify(r.lines.slice(-3))).toBe(0);
    expect(r.lines.find((l) => l.type === 'result')).toMatchObject({ ok: true, setEmbedded: false });
  }, 2 * BOOT_MS + 180_000);

  it('lifeboat rehearse refuses missing media (exit 2) and a folder that is not a set', async () => {
    expect((await cli(['rehearse', '--set', join(work, 'set'), '--media', join(work, 'nope.iso'), '--json'])).code).toBe(2);
    expect((await cli(['rehearse', '--set', work, '--media', iso, '--json'])).code).toBe(2);
  });

  it('lifeboat rehearse: a set damaged after it was made is refused inside the VM before the blank disk is touched (exit 1)', async () => {
    const bad = join(work, 'set-damaged');
    cpSync(join(work, 'set'), bad, { recursive: true });
    const part = join(bad, readdirSync(join(bad, 'archives')).filter((f) => /\.\d{3}$/.test(f)).sort()[0]!.replace(/^/, 'archives/'));
    const fd = openSync(part, 'r+');
    writeSync(fd, Buffer.from('DAMAGED!'), 0, 8, 1000);
    closeSync(fd);
    const r = await cli(['rehearse', '--set', bad, '--media', rescueOnly, '--timeout', '120', '--json']);
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toMatchObject({ type: 'error', code: 'rehearse-restore-failed', params: { reason: 'step 1 (verify-parts) failed with status 1' } });
  }, BOOT_MS + 60_000);

  for (const [name, factor] of [['1.5× larger', 1.5], ['a quarter smaller', 0.75]] as const) {
    it(`lifeboat restore onto a disk ${name} (partitions scaled, GRUB written again): it boots to the login prompt`, async () => {
      const bytes = Math.floor((SIZE * factor) / MiB) * MiB;
      const target = makeLoop(bytes, { dir: work });
      try {
        const r = await cli(['restore', '--set', join(work, 'set'), '--target', target.device, '--include-loop', '--yes', '--json']);
        expect(r.code, JSON.stringify(r.lines.slice(-2))).toBe(0);
        expect(r.lines.some((l) => l.type === 'progress' && l.phase === 'boot.grub-install')).toBe(true);
        const table = JSON.parse(sh('sfdisk --json "$1"', target.device)).partitiontable as { partitions: { size: number }[] };
        const root = table.partitions[1]!.size * 512;
        // the root partition took the difference; the BIOS boot partition kept its 1 MiB
        expect(table.partitions[0]!.size * 512).toBe(MiB);
        if (factor > 1) expect(root).toBeGreaterThan(SIZE - 4 * MiB);
        else expect(root).toBeLessThan(SIZE * factor);
      } finally {
        sh('partx -d "$1" 2>/dev/null || true', target.device);
        target.detach();
      }
      const vm = new Vm({ disk: target.file, memoryMiB: 512 });
      const s = await vm.waitFor(LOGIN_PROMPT, BOOT_MS);
      console.log(`restored onto a disk ${name}: login prompt after ${s.toFixed(1)} s`);
      await vm.stop();
    }, BOOT_MS + 120_000);
  }
});
