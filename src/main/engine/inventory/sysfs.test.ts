import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devNumber, kernelName } from './sysfs';

/** glibc's makedev, to check devNumber against. */
const makedev = (major: number, minor: number): bigint => {
  const M = BigInt(major);
  const m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & ~0xfffn) << 32n) | (m & 0xffn) | ((m & ~0xffn) << 12n);
};

describe('devNumber', () => {
  it('splits a dev_t as Linux packs it, large numbers included', () => {
    expect(devNumber(makedev(7, 0))).toBe('7:0');
    expect(devNumber(makedev(254, 3))).toBe('254:3');
    expect(devNumber(makedev(259, 300))).toBe('259:300');
    expect(devNumber(makedev(4095, 1048575))).toBe('4095:1048575');
    expect(devNumber(Number(makedev(8, 17)))).toBe('8:17');
  });
});

// A block device node under another name, as device-mapper makes /dev/mapper/vg-lv when
// no udev runs (the rescue system): the kernel name must come from the device number.
const sample = existsSync('/sys/class/block') ? readdirSync('/sys/class/block').find((n) => /^loop\d+$/.test(n)) : undefined;
const isRoot = process.getuid?.() === 0;
const why = !sample ? 'no loop block device in /sys/class/block' : !isRoot ? 'mknod needs root' : null;

describe.skipIf(why !== null)(`kernelName${why ? ` (${why})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sysfs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the kernel name of a node that is no symlink to it (udev-less /dev/mapper)', () => {
    const [major, minor] = readFileSync(`/sys/class/block/${sample}/dev`, 'utf8').trim().split(':');
    const node = join(dir, 'vgdata-home');
    execFileSync('mknod', [node, 'b', major, minor]);
    expect(kernelName(node)).toBe(sample);
    // and through a symlink to it (/dev/vgdata/home → ../mapper/vgdata-home)
    symlinkSync(node, join(dir, 'home'));
    expect(kernelName(join(dir, 'home'))).toBe(sample);
  });

  it('keeps the file name for what is not a block device, and null for what does not exist', () => {
    expect(kernelName(join(dir, 'missing'))).toBeNull();
    expect(kernelName(dir)).toBe(dir.split('/').pop());
  });
});
