/**
 * What the planner tells the wizard's sizes panel (compileWithSizing), and the sizes an
 * expert chooses: exactly those sizes in the sfdisk script, the rest shared as before,
 * and refusals for sizes that cannot be (unknown partition, a size firmware relies on,
 * below the data, over the disk). Where loop devices can be made, the edited table is
 * written to a real disk and read back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileWithSizing, type CompileOptions } from './compile';
import { recordedLayout, readTable, runArgvStep, setAround } from './test-util';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop } from '../../../../test/util/loop';
import { LifeboatError } from '../../../shared/errors';
import { sizeProblems } from '../../../shared/restore-sizes';

const MiB = 1024 * 1024;
const gpt = setAround(recordedLayout('gpt'));
const GPT_SIZE = gpt.layout.disks[0].sizeBytes;

const compile = (size: number, sizes?: Record<string, number>, device = '/dev/loop9') =>
  compileWithSizing(gpt, {
    setDir: '/media/backup/set',
    mountRoot: '/mnt/lifeboat',
    targets: { [gpt.layout.disks[0].device]: { device, sizeBytes: size } },
    sizes,
  } satisfies CompileOptions);

function refusal(fn: () => unknown): LifeboatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LifeboatError) return e;
    throw e;
  }
  throw new Error('not refused');
}

afterAll(() => cleanupScratch());

describe('compileWithSizing: the figures behind each partition', () => {
  it('on a disk twice as large says which sizes are kept and why, the minimum, and who takes the rest', () => {
    const { plan, sizing } = compile(2 * GPT_SIZE);
    expect(sizing).toHaveLength(1);
    const disk = sizing[0]!;
    expect(disk).toMatchObject({ source: '/dev/loopG', device: '/dev/loop9', sizeBytes: 2 * GPT_SIZE });
    const by = Object.fromEntries(disk.partitions.map((p) => [p.node, p]));
    expect(by['/dev/loopGp1']).toMatchObject({ target: '/dev/loop9p1', fixed: 'esp', recordedBytes: 32 * MiB, plannedBytes: 32 * MiB, fsType: 'vfat' });
    expect(by['/dev/loopGp4']).toMatchObject({ fixed: 'swap', plannedBytes: 78 * MiB, fsType: 'swap', label: 'lbswap' });
    expect(by['/dev/loopGp2']).toMatchObject({ fixed: null, mountpoint: '/', recordedBytes: 240 * MiB, takesRest: false });
    expect(by['/dev/loopGp3']).toMatchObject({ fixed: null, mountpoint: '/home', takesRest: true });
    // the minimum is the data plus the planner's margin (10 % + 8 MiB), in whole MiB, never under ext4's floor
    expect(by['/dev/loopGp2']!.minBytes % MiB).toBe(0);
    expect(by['/dev/loopGp2']!.minBytes).toBeGreaterThanOrEqual(Math.ceil(3163136 * 1.1) + 8 * MiB);
    // planned sizes are the plan's own
    for (const p of disk.partitions) expect(plan.mapping.find((m) => m.source === p.node)!.targetBytes).toBe(p.plannedBytes);
    // the bar: partitions in order, the free rest under 2 MiB (rounding only)
    const ends = disk.partitions.map((p) => p.startBytes + p.plannedBytes);
    disk.partitions.slice(1).forEach((p, i) => expect(p.startBytes).toBeGreaterThanOrEqual(ends[i]!));
    expect(disk.freeBytes).toBeLessThan(2 * MiB);
    // what sizeProblems uses: ESP + swap + the minimums fit in the space
    expect(sizeProblems(disk, {})).toEqual({});
  });

  it('gives a partition exactly the size asked; the other scaled one takes the rest', () => {
    const { plan, sizing } = compile(2 * GPT_SIZE, { '/dev/loopGp2': 300 * MiB });
    const by = Object.fromEntries(sizing[0]!.partitions.map((p) => [p.node, p]));
    expect(by['/dev/loopGp2']).toMatchObject({ fixed: 'user', plannedBytes: 300 * MiB, takesRest: false });
    expect(by['/dev/loopGp3']).toMatchObject({ fixed: null, takesRest: true });
    // home grew into everything root did not take
    expect(sizing[0]!.freeBytes).toBeLessThan(2 * MiB);
    expect(plan.steps.find((s) => s.id === 'partition.1')!.stdin).toMatch(new RegExp(`p2 : start=\\d+, size=${(300 * MiB) / 512},`));
  });

  it('leaves the rest of the disk free when every scaled partition has a size', () => {
    const { sizing } = compile(2 * GPT_SIZE, { '/dev/loopGp2': 200 * MiB, '/dev/loopGp3': 100 * MiB });
    expect(sizing[0]!.partitions.some((p) => p.takesRest)).toBe(false);
    // 1024 MiB disk: 1 MiB lead, ESP 32, root 200, home 100, swap 78 → about 613 MiB free at the end
    expect(Math.round(sizing[0]!.freeBytes / MiB)).toBe(1024 - 1 - 32 - 200 - 100 - 78);
  });

  it('lets swap take another size when asked (it keeps its size only by default)', () => {
    const { sizing } = compile(2 * GPT_SIZE, { '/dev/loopGp4': 256 * MiB });
    expect(sizing[0]!.partitions.find((p) => p.node === '/dev/loopGp4')).toMatchObject({ fixed: 'user', plannedBytes: 256 * MiB });
  });

  it.each([
    ['a partition the set does not have', { '/dev/sdz9': 100 * MiB }, 'restore-size-unknown'],
    ['the whole disk', { '/dev/loopG': 100 * MiB }, 'restore-size-unknown'],
    ['the EFI system partition', { '/dev/loopGp1': 100 * MiB }, 'restore-size-locked'],
    ['a size under the data', { '/dev/loopGp2': 2 * MiB }, 'restore-size-too-small'],
    ['sizes over the disk', { '/dev/loopGp2': 900 * MiB, '/dev/loopGp3': 100 * MiB }, 'target-too-small'],
  ])('refuses %s with its own code', (_name, sizes, code) => {
    const e = refusal(() => compile(2 * GPT_SIZE, sizes));
    expect(e.code).toBe(code);
    expect(e.kind).toBe('refused');
  });

  it.skipIf(!canUseLoop())(`writes the edited table to a real disk: sfdisk reads back the exact size${canUseLoop() ? '' : ` (skipped: ${loopSkipReason})`}`, () => {
    const loop = makeLoop(2 * GPT_SIZE);
    try {
      const { plan } = compile(2 * GPT_SIZE, { '/dev/loopGp2': 300 * MiB }, loop.device);
      for (const s of plan.steps.filter((s) => s.phase === 'wipe' || s.phase === 'partition')) runArgvStep(s);
      const table = readTable(loop.device);
      expect(table.partitions.find((p) => p.node === `${loop.device}p2`)!.size * 512).toBe(300 * MiB);
      const home = table.partitions.find((p) => p.node === `${loop.device}p3`)!;
      expect(home.size * 512).toBe(plan.mapping.find((m) => m.source === '/dev/loopGp3')!.targetBytes);
    } finally {
      try {
        runArgvStep({ id: 'x', phase: 'finish', title: { key: 'x', params: {} }, argv: ['partx', '-d', loop.device], okExitCodes: [0, 1], destructive: false, weight: 1 });
      } finally {
        loop.detach();
      }
    }
  });
});
