import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { deviceBytes, deviceSectorSize } from './size';

const skip = !canUseLoop();
if (skip) console.warn(`size.test.ts skipped: ${loopSkipReason}`);
const blockdev = (flag: string, dev: string) => Number(execFileSync('blockdev', [flag, dev], { encoding: 'utf8' }).trim());

describe.skipIf(skip)('a block device measured from sysfs, without opening it', () => {
  const loops: LoopDevice[] = [];
  afterAll(() => {
    for (const l of loops) l.detach();
    cleanupScratch();
  });

  it('gives blockdev’s answers for sizes and sector sizes', async () => {
    const dir = scratchDir('lifeboat-size-');
    for (const size of [1 << 20, 37 * 1024 * 1024 + 512 * 3, 64 << 20]) {
      const l = makeLoop(size, { dir });
      loops.push(l);
      expect(await deviceBytes(l.device)).toBe(blockdev('--getsize64', l.device));
      expect(await deviceBytes(l.device)).toBe(size);
      expect(await deviceSectorSize(l.device)).toBe(blockdev('--getss', l.device));
    }
    // a disk of 4 KiB sectors: sysfs still counts 512-byte units
    const big = makeLoop(8 << 20, { dir });
    loops.push(big);
    execFileSync('losetup', ['--sector-size', '4096', big.device]);
    expect(await deviceSectorSize(big.device)).toBe(4096);
    expect(await deviceBytes(big.device)).toBe(blockdev('--getsize64', big.device));
  });
});
