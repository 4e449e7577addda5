import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { listDrives } from './scan';
import { deviceOfPath } from './system';

/**
 * Everything set up, undone in reverse: a loop whose file lives on a mounted loop
 * must be unmounted and detached before the filesystem under it can be unmounted.
 */
const undo: (() => void)[] = [];
const loops = { push: (l: LoopDevice) => undo.push(() => l.detach()) };
afterAll(() => {
  for (const u of undo.reverse()) {
    try {
      u();
    } catch (err) {
      process.stderr.write(`scan.test cleanup: ${(err as Error).message}\n`);
    }
  }
  cleanupScratch();
});

describe.skipIf(!canUseLoop())(`listDrives on this machine (${loopSkipReason})`, () => {
  it('lists a GPT loop device only with includeLoop, with its table and partitions', async () => {
    const loop = makeLoop(40 * 1024 * 1024);
    loops.push(loop);
    execFileSync('sfdisk', ['-q', loop.device], { input: 'label: gpt\n,8M\n,\n' });
    execFileSync('partx', ['-u', loop.device]);

    const without = await listDrives();
    expect(without.map((d) => d.device)).not.toContain(loop.device);

    const withLoop = await listDrives({ includeLoop: true });
    const d = withLoop.find((x) => x.device === loop.device);
    expect(d).toBeDefined();
    expect(d).toMatchObject({ size: 40 * 1024 * 1024, isLoop: true, partitionTable: 'gpt', description: loop.file, systemReasons: [] });
    expect(d!.partitions.map((p) => p.device)).toEqual([`${loop.device}p1`, `${loop.device}p2`]);
  });

  it('marks the disk holding / as system and hides it unless all', async () => {
    const rootDev = deviceOfPath('/');
    const all = await listDrives({ all: true });
    const root = all.find((d) => d.systemReasons.includes('root'));
    if (rootDev?.startsWith('0:')) {
      // An overlay or tmpfs root (containers) has no block device to mark.
      expect(root).toBeUndefined();
      return;
    }
    expect(root, `the disk holding / (${rootDev}) should be marked`).toBeDefined();
    expect((await listDrives()).map((d) => d.device)).not.toContain(root!.device);
  });

  it('marks a loop device used as active swap', async () => {
    const l = makeLoop(16 * 1024 * 1024);
    loops.push(l);
    execFileSync('mkswap', ['-q', l.device]);
    execFileSync('swapon', [l.device]);
    undo.push(() => execFileSync('swapoff', [l.device]));
    const d = (await listDrives({ includeLoop: true, all: true })).find((x) => x.device === l.device);
    expect(d?.systemReasons).toEqual(['swap']);
    expect((await listDrives({ includeLoop: true })).map((x) => x.device)).not.toContain(l.device);
    execFileSync('swapoff', [l.device]);
    // Swap is off again: its cleanup entry (the last one pushed) goes.
    undo.splice(undo.length - 1, 1);
  });

  it('follows a live medium looped from a file to the disk holding that file', async (ctx) => {
    // The live-boot mountpoint is created for the test only; a machine that has one is a live session, left alone.
    const medium = '/run/live/medium';
    if (existsSync('/run/live')) {
      ctx.skip('/run/live exists (a live session): not mounting over it');
      return;
    }
    const outer = makeLoop(48 * 1024 * 1024);
    loops.push(outer);
    execFileSync('mkfs.ext4', ['-q', outer.device]);
    const outerDir = join(scratchDir(), 'data');
    mkdirSync(outerDir);
    execFileSync('mount', [outer.device, outerDir]);
    undo.push(() => execFileSync('umount', [outerDir]));
    // A live ISO kept as a file on a data disk (Ventoy, iso-scan), attached as a loop device.
    const inner = makeLoop(16 * 1024 * 1024, { dir: outerDir });
    loops.push(inner);
    execFileSync('mkfs.ext4', ['-q', inner.device]);
    mkdirSync(medium, { recursive: true });
    undo.push(() => {
      rmdirSync(medium);
      rmdirSync('/run/live');
    });
    execFileSync('mount', ['-o', 'ro', inner.device, medium]);
    undo.push(() => execFileSync('umount', [medium]));

    const all = await listDrives({ includeLoop: true, all: true });
    expect(all.find((d) => d.device === inner.device)?.systemReasons).toEqual(['live-medium']);
    expect(all.find((d) => d.device === outer.device)?.systemReasons).toEqual(['live-medium']);
  });
});
