/**
 * A backup set on two CDs (issue #4): a real disk is backed up with parts of 20 MiB,
 * `lifeboat media --split-media 64M` makes rescue-1.iso (boots; rescue system, the set's
 * description, the first part) and rescue-2.iso (the further parts). Disc 1 boots under
 * BIOS as a CD with an unattended restore onto a blank disk; when the plan reaches a part
 * on disc 2 the rescue system asks for it (LIFEBOAT-INSERT-DISC 2 <label>), the test
 * swaps the disc in the same drive through the QEMU monitor (`change ide1-cd0`), and the
 * restore goes on to LIFEBOAT-RESTORE-OK. The host then reads the restored disk back:
 * every file must be the source's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cleanupScratch, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { runCli as cli } from '../util/cli';
import { runBackup } from '../../src/main/engine/backup/backup';
import { snapshotTree, type Entry } from '../../src/main/engine/backup/tree-snapshot';
import { createJobContext } from '../../src/main/engine/job';
import { readManifest } from '../../src/main/engine/set/read';
import { discTag } from '../../src/main/engine/media/split';
import { resources } from '../../src/shared/i18n';
import { hostKernel, loopQemuSkipReason, stopAll, Vm } from './vm';

const MiB = 1024 * 1024;
const SIZE = 160 * MiB;
const ROOT_UUID = '5e7f0000-2222-4222-8333-444455556666';
const kernel = hostKernel;
const why = loopQemuSkipReason();

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const skipLostFound = (rel: string) => rel === 'lost+found' || rel.startsWith('lost+found/');

let work = '';
const loops: LoopDevice[] = [];
let setDir = '';
let want: Map<string, Entry>;
let discs: Array<{ index: number; label: string; path: string; bytes: number; parts: number }> = [];

describe.skipIf(why !== null)(`a backup set on two CDs, restored in qemu${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-split-media-');
    const src = makeLoop(SIZE, { dir: work });
    loops.push(src);
    sh('printf "label: gpt\\n,,L\\n" | sfdisk --quiet "$1"', src.device);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', src.device);
    sh('mkfs.ext4 -q -U "$2" -L rootfs "$1"', `${src.device}p1`, ROOT_UUID);
    const root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${src.device}p1`, root);
    try {
      mkdirSync(join(root, 'etc'));
      writeFileSync(join(root, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 defaults 0 1\n`);
      writeFileSync(join(root, 'etc/hostname'), 'two-discs\n');
      mkdirSync(join(root, 'home/anna'), { recursive: true });
      // Random bytes do not compress: ~40 MiB of archive, so three parts of 20 MiB at most.
      writeFileSync(join(root, 'home/anna/photos.bin'), randomBytes(24 * MiB));
      writeFileSync(join(root, 'home/anna/video.bin'), randomBytes(16 * MiB));
      setDir = join(work, 'set');
      await runBackup({ dest: setDir, root, compress: 'zstd', split: 20 * MiB }, createJobContext('backup'));
      want = snapshotTree(root, skipLostFound);
    } finally {
      sh('umount "$1"', root);
    }
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    for (const l of loops) l.detach();
    cleanupScratch();
  });

  it('refuses discs too small for a part (exit 2, suggesting a smaller --split), and --split-media without --embed', async () => {
    const iso = join(work, 'small.iso');
    const r = await cli(['media', '--set', setDir, '--iso', iso, '--embed', '--split-media', '15M', '--kernel', kernel, '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'media-part-too-big', params: { disc: '15M' } });
    const noEmbed = await cli(['media', '--set', setDir, '--iso', iso, '--split-media', 'cd', '--kernel', kernel]);
    expect(noEmbed.code).toBe(2);
    expect(noEmbed.out).toContain('--split-media needs --iso and --embed');
    expect(readdirSync(work).filter((f) => f.startsWith('small'))).toEqual([]);
  });

  it('makes rescue-1.iso and rescue-2.iso, each labelled and within the size', async () => {
    const iso = join(work, 'rescue.iso');
    const t0 = Date.now();
    const r = await cli([
      'media', '--set', setDir, '--iso', iso, '--embed', '--split-media', '64M', '--kernel', kernel, '--lang', 'en', '--timeout', '0',
      '--append', 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1', '--json',
    ]);
    expect(r.code, r.out).toBe(0);
    discs = (r.last as { discs: typeof discs }).discs;
    console.log(`disc set built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${discs.map((d) => `${d.label} ${(d.bytes / MiB).toFixed(1)} MiB, ${d.parts} parts`).join('; ')}`);
    expect(discs.map((d) => d.path)).toEqual([join(work, 'rescue-1.iso'), join(work, 'rescue-2.iso')]);
    const tag = discTag(readManifest(setDir).id);
    expect(discs.map((d) => d.label)).toEqual([`LIFEBOAT_${tag}_1`, `LIFEBOAT_${tag}_2`]);
    const allParts = readManifest(setDir).archives.flatMap((a) => a.parts);
    expect(discs[0].parts + discs[1].parts).toBe(allParts.length);
    for (const d of discs) {
      expect(statSync(d.path).size).toBeLessThanOrEqual(64 * MiB);
      expect(sh('blkid -p -o value -s LABEL "$1"', d.path).trim()).toBe(d.label);
    }
    expect(existsSync(iso)).toBe(false);
    // Disc 2 does not boot and holds no set description: only parts and its marker.
    const listing = sh('xorriso -indev "$1" -find /lifeboat -type f 2>/dev/null', discs[1].path);
    expect(listing).toContain('lifeboat-disc.txt');
    expect(listing).not.toContain('lifeboat.json');
    expect(listing).not.toContain('vmlinuz');
  }, 300_000);

  it('boots disc 1, asks for disc 2 by its label, reads it from the same drive after a swap, and restores every file', async () => {
    expect(discs).toHaveLength(2);
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({ cdrom: discs[0].path, targetDisk: disk, memoryMiB: 1024, monitor: true });
    const asked = await vm.waitFor(`LIFEBOAT-INSERT-DISC 2 ${discs[1].label}`, 300_000);
    // The disc-1 parts were checked before the disk was touched; the plan is past its first steps.
    await vm.waitFor(`Insert disc 2 of 2 (${discs[1].label})`, 10_000);
    expect(vm.output).toMatch(/root\.tar\.zst\.000: OK[\s\S]*LIFEBOAT-STEP \d+\/\d+ wipe/);
    expect(vm.output).not.toContain('LIFEBOAT-RESTORE-');
    // The rescue system keeps waiting for the right disc: nothing goes on without it.
    const before = vm.output.length;
    await new Promise((r) => setTimeout(r, 5000));
    expect(vm.output.slice(before)).not.toContain('LIFEBOAT-RESTORE-');
    console.log(`disc 2 asked for after ${asked.toFixed(1)} s`);
    expect(await vm.monitor(`change ide1-cd0 ${discs[1].path}`)).not.toMatch(/error|could not|not found/i);
    const seconds = await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 300_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toContain(`Disc 2 (${discs[1].label}) is in`);
    console.log(`two-disc restore in qemu: RESTORE-OK after ${seconds.toFixed(1)} s`);
    expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 60_000))])).toBe('exited');

    expectRestored(disk);
  }, 600_000);

  it('in the French menu: asks for disc 2 and for Enter, says when the disc is not there yet, then goes on', async () => {
    expect(discs).toHaveLength(2);
    const fr = resources.fr.rescue;
    const initrd = join(work, 'initrd.img');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', discs[0].path, '-extract', '/boot/initrd.img', initrd], { stdio: 'ignore' });
    const disk = join(work, 'blank-menu.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    // The boot disc's initramfs booted directly, without the disc's unattended arguments.
    const vm = new Vm({ kernel, initrd, cdrom: discs[0].path, targetDisk: disk, memoryMiB: 1024, monitor: true, append: 'console=ttyS0,115200 quiet lifeboat.lang=fr' });
    await vm.waitFor(fr.menu.prompt, 120_000);
    vm.send('1\n');
    await vm.waitFor(fr.restoreAskTarget, 20_000);
    vm.send('/dev/vda\n');
    await vm.waitFor(fr.restoreConfirm.replace('{{disks}}', '/dev/vda').replace('{{yes}}', fr.restoreYes), 20_000);
    vm.send(`${fr.restoreYes}\n`);
    const label = discs[1].label;
    await vm.waitFor(fr.disc.insert.replace('{{n}}', '2').replace('{{count}}', '2').replace('{{label}}', label), 300_000);
    // Enter with disc 1 still in the drive: the rescue system looks, says so, and asks again.
    let from = vm.output.length;
    vm.send('\n');
    await vm.waitFor(fr.disc.notFound.replace('{{label}}', label), 60_000, from);
    from = vm.output.length;
    expect(await vm.monitor(`change ide1-cd0 ${discs[1].path}`)).not.toMatch(/error|could not|not found/i);
    vm.send('\n');
    await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 300_000, from);
    expect(vm.output.slice(from), vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toContain(fr.disc.found.replace('{{n}}', '2').replace('{{label}}', label));
    await vm.stop();
    expectRestored(disk);
  }, 600_000);

  it('three discs, the first holding no part at all: asks for disc 2, then disc 3, and restores every file', async () => {
    expect(discs).toHaveLength(2);
    // Disc 1 of the two-disc set is the rescue system, the description and one 20 MiB part:
    // a size 3 MiB above the rest holds no part on disc 1 and one part per later disc.
    const rescueMiB = Math.ceil((discs[0].bytes - 20 * MiB) / MiB);
    const size = `${rescueMiB + 3}M`;
    const iso = join(work, 'three.iso');
    const r = await cli(['media', '--set', setDir, '--iso', iso, '--embed', '--split-media', size, '--kernel', kernel, '--timeout', '0', '--append', 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1', '--json']);
    expect(r.code, r.out).toBe(0);
    const three = (r.last as { discs: typeof discs }).discs;
    expect(three.map((d) => d.parts), `--split-media ${size}`).toEqual([0, 1, 2]);
    const disk = join(work, 'blank-three.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({ cdrom: three[0].path, targetDisk: disk, memoryMiB: 1024, monitor: true });
    for (const d of three.slice(1)) {
      const from = vm.output.length;
      await vm.waitFor(`LIFEBOAT-INSERT-DISC ${d.index} ${d.label}`, 300_000, from);
      expect(await vm.monitor(`change ide1-cd0 ${d.path}`)).not.toMatch(/error|could not|not found/i);
    }
    await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 300_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toContain(`Disc 3 (${three[2].label}) is in`);
    await vm.stop();
    expectRestored(disk);
  }, 600_000);

  it('refuses a damaged disc 2: the part is checked against SHA256SUMS before a byte of it is used', async () => {
    expect(discs).toHaveLength(2);
    // The same label and files as disc 2, with one byte changed in its first part.
    const tree = join(work, 'disc2-tree');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', discs[1].path, '-extract', '/lifeboat', join(tree, 'lifeboat')], { stdio: 'ignore' });
    sh('chmod -R u+w "$1"', tree);
    const part = sh('ls "$1"/lifeboat/archives | head -1', tree).trim();
    const file = join(tree, 'lifeboat/archives', part);
    const bytes = readFileSync(file);
    bytes[1000] ^= 0xff;
    writeFileSync(file, bytes);
    const bad = join(work, 'damaged-2.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', bad, '-rational-rock', '-joliet', '-volid', discs[1].label, tree], { stdio: 'ignore' });
    const disk = join(work, 'blank-damaged.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({ cdrom: discs[0].path, targetDisk: disk, memoryMiB: 1024, monitor: true });
    await vm.waitFor(`LIFEBOAT-INSERT-DISC 2 ${discs[1].label}`, 300_000);
    const from = vm.output.length;
    expect(await vm.monitor(`change ide1-cd0 ${bad}`)).not.toMatch(/error|could not|not found/i);
    // to the end of the line: the reason follows the marker
    await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED[^\n]*\n)/, 300_000, from);
    expect(vm.output.slice(from), vm.tail()).toMatch(/LIFEBOAT-RESTORE-FAILED: step \d+ \(extract\.root\)/);
    expect(vm.output).toContain(`archives/${part} on disc 2 does not match SHA256SUMS`);
    await vm.stop();
  }, 600_000);
});

/** Reads the restored disk on the host: the root filesystem's UUID and every file. */
function expectRestored(disk: string): void {
  const target = makeLoop(SIZE, { file: disk });
  loops.push(target);
  sh('partx -d "$1" 2>/dev/null; partx -a "$1"', target.device);
  expect(sh('blkid -p -s UUID -o value "$1"', `${target.device}p1`).trim()).toBe(ROOT_UUID);
  const mnt = join(work, `restored-${loops.length}`);
  mkdirSync(mnt);
  sh('mount -o ro "$1" "$2"', `${target.device}p1`, mnt);
  try {
    const got = snapshotTree(mnt, skipLostFound);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, v] of want) expect(got.get(k), k).toEqual(v);
    expect(readFileSync(join(mnt, 'etc/hostname'), 'utf8')).toBe('two-discs\n');
  } finally {
    sh('umount "$1"', mnt);
  }
}
