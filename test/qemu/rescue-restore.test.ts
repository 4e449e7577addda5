/**
 * The rescue media put a system back: a real disk (GPT, ext4 root, swap) is backed up
 * with the real backup engine, the set is embedded in a rescue ISO, and the ISO boots
 * in qemu with a blank virtual disk and `lifeboat.restore=auto`. The rescue system runs
 * the set's restore.sh (the compiled plan rendered as sh) with dash; afterwards the host
 * reads the virtual disk back: the partition table, the filesystem UUIDs and every file
 * must be the source's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, scratchDir, type LoopDevice } from '../util/loop';
import { buildMedia } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { hostKernel, loopQemuSkipReason, stopAll, Vm } from './vm';
import { expectRestored, makeSmallSystem, type SmallSystem } from './small-system';

const MiB = 1024 * 1024;
const SIZE = 160 * MiB;
const kernel = hostKernel;
const why = loopQemuSkipReason();

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let work = '';
const loops: LoopDevice[] = [];
let setDir = '';
let iso = '';
let initrd = '';
let sys: SmallSystem;

describe.skipIf(why !== null)(`restore from the rescue media in qemu${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-rescue-restore-');
    setDir = join(work, 'set');
    sys = await makeSmallSystem({
      work,
      sizeBytes: SIZE,
      rootMiB: 100,
      rootUuid: '5e7f0000-1111-4222-8333-444455556666',
      swapUuid: '5e7f0000-aaaa-4bbb-8ccc-dddddddddddd',
      hostname: 'restored-by-lifeboat',
      setDir,
      split: 2 * MiB,
      extra: (root) => {
        writeFileSync(join(root, 'sparse.img'), '');
        truncateSync(join(root, 'sparse.img'), 20 * MiB);
      },
    });
    loops.push(sys.source);
    iso = join(work, 'rescue.iso');
    await buildMedia({ iso, set: setDir, embed: true, kernel, lang: 'en', timeout: 0 }, createJobContext('media'));
    initrd = join(work, 'initrd.img');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/initrd.img', initrd], { stdio: 'ignore' });
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    for (const l of loops) l.detach();
    cleanupScratch();
  });

  it('restores unattended onto a blank disk: same table, same UUIDs, same files; then powers off', async () => {
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({
      kernel,
      initrd,
      cdrom: iso,
      targetDisk: disk,
      memoryMiB: 1024,
      append: 'console=ttyS0,115200 quiet lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1',
    });
    // how long the rescue's sh spends proving the parts (its verify-parts step), for the record
    const checkStart = await vm.waitFor(/LIFEBOAT-STEP \d+\/\d+ verify-parts/, 300_000);
    const n = Number(/LIFEBOAT-STEP (\d+)\/\d+ verify-parts/.exec(vm.output)![1]);
    const checkEnd = await vm.waitFor(new RegExp(`LIFEBOAT-STEP ${n + 1}/\\d+ |LIFEBOAT-RESTORE-FAILED`), 300_000);
    const seconds = await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 300_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toMatch(/LIFEBOAT-STEP \d+\/\d+/);
    expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 60_000))])).toBe('exited');
    const parts = (JSON.parse(readFileSync(join(setDir, 'lifeboat.json'), 'utf8')) as { archives: Array<{ parts: Array<{ size: number }> }> }).archives.flatMap((a) => a.parts);
    const partMiB = parts.reduce((sum, p) => sum + p.size, 0) / MiB;
    console.log(`rescue restore in qemu: RESTORE-OK after ${seconds.toFixed(1)} s; verify-parts (sh, in the guest) ${(checkEnd - checkStart).toFixed(2)} s for ${parts.length} parts, ${partMiB.toFixed(1)} MiB`);

    expectRestored(sys, disk, loops);
  }, 420_000);
});
