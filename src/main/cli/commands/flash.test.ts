import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { compress, fillPattern, makeDiskImage, MiB, sha256Of } from '../../../../test/flash/fixtures';
import { runCli as cli } from '../../../../test/util/cli';
import { systemDiskOrSkip } from '../../../../test/util/system-disk';

const loopOk = canUseLoop();
const loops: LoopDevice[] = [];
let image = '';
let raw = '';


beforeAll(() => {
  if (!loopOk) return;
  const dir = scratchDir('lifeboat-flash-cli-');
  raw = makeDiskImage(dir, 'cli.img');
  image = compress(raw, 'zst');
});
afterAll(() => {
  for (const l of loops.splice(0)) l.detach();
  cleanupScratch();
});

describe.skipIf(!loopOk)(`lifeboat flash (skipped: ${loopSkipReason})`, () => {
  it('flashes two loop devices with --yes --include-loop --json: exit 0, progress and result lines', async () => {
    const a = makeLoop(48 * MiB);
    const b = makeLoop(48 * MiB);
    loops.push(a, b);
    const r = await cli(['flash', image, a.device, b.device, '--yes', '--include-loop', '--json']);
    expect(r.code, r.out).toBe(0);
    const phases = r.lines.filter((l) => l.type === 'progress').map((l) => l.phase);
    expect(phases).toEqual(expect.arrayContaining(['flash.writing', 'flash.verifying', 'flash.done']));
    const result = r.lines.find((l) => l.type === 'result') as { sha256: string; targets: { ok: boolean; verified: boolean }[] };
    expect(result.sha256).toBe(sha256Of(raw));
    expect(result.targets).toMatchObject([
      { ok: true, verified: true },
      { ok: true, verified: true },
    ]);
    const size = statSync(raw).size;
    expect(sha256Of(a.device, size)).toBe(result.sha256);
    expect(sha256Of(b.device, size)).toBe(result.sha256);
  });

  // measured through sysfs, without opening it: this VM refuses blockdev on its system disk,
  // which ended the flash as tool-failed (exit 1) before the guard could say why
  it('refuses the running system\'s disk as such (target-system, exit 2)', async (t) => {
    const disk = systemDiskOrSkip(t);
    if (!disk) return;
    const r = await cli(['flash', raw, disk, '--yes', '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'target-system', params: { device: disk } });
  });

  it('refuses with exit 2 and writes nothing: no --yes without a terminal, a loop device without --include-loop', async () => {
    const l = makeLoop(48 * MiB);
    loops.push(l);
    fillPattern(l.device, 48 * MiB, 0x42);
    const before = sha256Of(l.device);
    const noYes = await cli(['flash', image, l.device, '--include-loop', '--json']);
    expect(noYes.code).toBe(2);
    expect(noYes.lines.at(-1)).toMatchObject({ type: 'error', code: 'not-confirmed' });
    const noLoop = await cli(['flash', image, l.device, '--yes', '--json']);
    expect(noLoop.code).toBe(2);
    expect(noLoop.lines.at(-1)).toMatchObject({ type: 'error', code: 'target-loop-not-allowed' });
    const missing = await cli(['flash', image + '.nope', l.device, '--yes']);
    expect(missing.code).toBe(2);
    expect(sha256Of(l.device)).toBe(before);
  });
});
