/**
 * The full disaster-recovery time for the rehearsal fixture (issue #5), under whatever
 * qemu accelerates here (TCG without KVM). Run by bench/dr-time.sh, which bundles this
 * file with esbuild; the fixture and the machines are the ones test/qemu uses.
 *
 * The fixture (test/qemu/bootable-system.ts): a 192 MiB GPT disk with a BIOS boot
 * partition and an ext4 root holding a kernel, initramfs, busybox init and a getty; it
 * is backed up (zstd) and two rescue ISOs are made from the set, embedded: one as a
 * person gets it (boots to the menu), one with the unattended arguments
 * (lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1). Per round:
 *   1. the plain ISO boots from its CD: seconds to LIFEBOAT-RESCUE-READY (the menu);
 *   2. the unattended ISO boots with a blank virtual disk: seconds to LIFEBOAT-SET-FOUND,
 *      to the first and last plan step, to LIFEBOAT-RESTORE-OK and to its power-off;
 *   3. the restored disk boots alone: seconds to the login prompt.
 * DR total = 2 (rescue boot + restore + power-off) + 3 (restored boot to login).
 * Then `lifeboat rehearse` on the same set and ISO, which does 2 and 3 itself.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLoop, scratchDir, cleanupScratch, type LoopDevice } from '../test/util/loop';
import { hostKernel, loopQemuSkipReason, stopAll, Vm } from '../test/qemu/vm';
import { bootableSystemMissing, buildBootableSystem, LOGIN_PROMPT } from '../test/qemu/bootable-system';
import { runBackup } from '../src/main/engine/backup/backup';
import { buildMedia } from '../src/main/engine/media/build';
import { createJobContext } from '../src/main/engine/job';
import { rehearse } from '../src/main/engine/rehearse/rehearse';

const MiB = 1024 * 1024;
const SIZE = 192 * MiB;
const LIMIT = 600_000;
const runs = Number(process.argv[2] ?? 2);
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const f1 = (n: number) => n.toFixed(1).padStart(7);

/** Seconds since the machine started at which `pattern` first appeared (polled with the console). */
async function at(vm: Vm, pattern: RegExp): Promise<number> {
  return vm.waitFor(pattern, LIMIT);
}

async function main(): Promise<void> {
  const why = loopQemuSkipReason() ?? bootableSystemMissing(hostKernel);
  if (why) {
    console.error(`cannot run: ${why}`);
    process.exit(2);
  }
  const work = scratchDir('lifeboat-bench-dr-');
  let source: LoopDevice | null = null;
  const set = join(work, 'set');
  const root = join(work, 'root');
  try {
    source = makeLoop(SIZE, { dir: work });
    buildBootableSystem(source.device, root, hostKernel);
    try {
      await runBackup({ dest: set, root, compress: 'zstd' }, createJobContext('backup'));
    } finally {
      sh('umount "$1"', root);
      sh('partx -d "$1" 2>/dev/null || true', source.device);
    }
    const plainIso = join(work, 'rescue.iso');
    const autoIso = join(work, 'rescue-auto.iso');
    await buildMedia({ iso: plainIso, set, embed: true, kernel: hostKernel, lang: 'en', timeout: 0 }, createJobContext('media'));
    await buildMedia({ iso: autoIso, set, embed: true, kernel: hostKernel, lang: 'en', timeout: 0, append: 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1' }, createJobContext('media'));
    const load = () => sh('cut -d" " -f1-3 /proc/loadavg').trim();
    console.log(`fixture: ${SIZE / MiB} MiB disk (GPT, BIOS boot + ext4 root, busybox system with a getty); qemu TCG (software emulation: the harness never enables KVM, see vm.ts); ${sh('nproc').trim()} cores; load average ${load()}`);
    console.log(`${'round'.padEnd(6)} ${'READY'.padStart(7)} | ${'set'.padStart(7)} ${'1st step'.padStart(8)} ${'extract'.padStart(7)} ${'RESTORE-OK'.padStart(10)} ${'off'.padStart(7)} | ${'login'.padStart(7)} | ${'DR total'.padStart(8)}`);
    const totals: number[] = [];
    for (let r = 1; r <= runs; r++) {
      // 1. the rescue system as a person boots it: to its menu
      const menu = new Vm({ cdrom: plainIso, memoryMiB: 1024 });
      const ready = await at(menu, /LIFEBOAT-RESCUE-READY/);
      await menu.stop();

      // 2. unattended restore onto a blank disk
      const disk = join(work, `blank-${r}.img`);
      writeFileSync(disk, '');
      truncateSync(disk, SIZE);
      const rescue = new Vm({ cdrom: autoIso, targetDisk: disk, memoryMiB: 1024 });
      const found = await at(rescue, /LIFEBOAT-SET-FOUND/);
      const first = await at(rescue, /LIFEBOAT-STEP 1\//);
      const extract = await at(rescue, /LIFEBOAT-STEP \d+\/\d+ extract\./);
      const ok = await at(rescue, /LIFEBOAT-RESTORE-(OK|FAILED[^\r\n]*)/);
      if (!rescue.output.includes('LIFEBOAT-RESTORE-OK')) throw new Error(`restore failed:\n${rescue.tail()}`);
      const exited = await Promise.race([rescue.exited.then(() => (Date.now() - rescue.started) / 1000), new Promise<number>((res) => setTimeout(() => res(NaN), 60_000))]);
      await rescue.stop();

      // 3. the restored disk on its own, to its login prompt
      const restored = new Vm({ disk, memoryMiB: 512 });
      const login = await at(restored, new RegExp(LOGIN_PROMPT));
      await restored.stop();
      rmSync(disk, { force: true });
      const total = exited + login;
      totals.push(total);
      console.log(`${String(r).padEnd(6)} ${f1(ready)} | ${f1(found)} ${f1(first).padStart(8)} ${f1(extract)} ${f1(ok).padStart(10)} ${f1(exited)} | ${f1(login)} | ${f1(total).padStart(8)}`);
    }
    console.log(`seconds from each machine's start; DR total = rescue boot + restore + power-off + restored boot to login: best ${Math.min(...totals).toFixed(1)} s, runs ${totals.map((t) => t.toFixed(1)).join(', ')}`);

    const t0 = Date.now();
    const rh = await rehearse(createJobContext('rehearse'), { setDir: set, media: plainIso, timeoutSeconds: LIMIT / 1000 });
    console.log(
      `lifeboat rehearse (same set and plain ISO, kernel booted directly): restore ${rh.restoreSeconds.toFixed(1)} s, boot ${rh.bootSeconds.toFixed(1)} s, total ${rh.totalSeconds.toFixed(1)} s (wall ${((Date.now() - t0) / 1000).toFixed(1)} s); load average ${load()}`,
    );
  } finally {
    await stopAll();
    source?.detach();
    cleanupScratch();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
