/** Which mounted sources belong to a target disk (the in-use check before a restore writes). */
import { describe, expect, it } from 'vitest';
import { onDisk } from './execute';

describe('onDisk', () => {
  it('takes the disk and its partitions, named as the kernel names them', () => {
    expect(onDisk('/dev/sda', '/dev/sda')).toBe(true);
    expect(onDisk('/dev/sda1', '/dev/sda')).toBe(true);
    expect(onDisk('/dev/sda12', '/dev/sda')).toBe(true);
    expect(onDisk('/dev/loop1p2', '/dev/loop1')).toBe(true);
    expect(onDisk('/dev/nvme0n1p3', '/dev/nvme0n1')).toBe(true);
    expect(onDisk('/dev/mmcblk0p1', '/dev/mmcblk0')).toBe(true);
  });

  it('never another disk whose name starts the same (loop11 is not a partition of loop1)', () => {
    expect(onDisk('/dev/loop11', '/dev/loop1')).toBe(false);
    expect(onDisk('/dev/loop11p1', '/dev/loop1')).toBe(false);
    expect(onDisk('/dev/nvme0n11', '/dev/nvme0n1')).toBe(false);
    expect(onDisk('/dev/sdaa1', '/dev/sda')).toBe(false);
    expect(onDisk('/dev/sdb1', '/dev/sda')).toBe(false);
    expect(onDisk('/dev/sdap1', '/dev/sda')).toBe(false);
  });
});
