import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenLsblk, type LsblkOutput } from './lsblk';
import { majminOf, mountRoots, parseMountinfo, parseSwaps, systemReasonsByDisk, unescapeOctal } from './system';

const fixtureText = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const lsblk = JSON.parse(fixtureText('lsblk-loop-gpt.json')) as LsblkOutput;

describe('system disk detection', () => {
  it('finds / on /dev/vda from recorded mountinfo and lsblk', () => {
    const mounts = parseMountinfo(fixtureText('mountinfo-vda-root.txt'));
    expect(mounts.find((m) => m.mountpoint === '/')).toMatchObject({ majmin: '254:0', source: '/dev/vda', fstype: 'ext4' });
    const reasons = systemReasonsByDisk(flattenLsblk(lsblk), mountRoots(mounts), {});
    expect(reasons.get('/dev/vda')).toEqual(['root']);
    expect(reasons.has('/dev/loop0')).toBe(false);
  });

  it('marks each member disk of an md array holding /boot, and a live medium', () => {
    const md = { name: 'md0', path: '/dev/md0', 'maj:min': '9:0', type: 'raid1', size: 1 };
    const tree: LsblkOutput = {
      blockdevices: [
        { name: 'sda', path: '/dev/sda', 'maj:min': '8:0', type: 'disk', size: 2, children: [{ name: 'sda1', path: '/dev/sda1', 'maj:min': '8:1', type: 'part', size: 1, children: [md] }] },
        { name: 'sdb', path: '/dev/sdb', 'maj:min': '8:16', type: 'disk', size: 2, children: [{ name: 'sdb1', path: '/dev/sdb1', 'maj:min': '8:17', type: 'part', size: 1, children: [md] }] },
        { name: 'sdc', path: '/dev/sdc', 'maj:min': '8:32', type: 'disk', size: 2, children: [{ name: 'sdc1', path: '/dev/sdc1', 'maj:min': '8:33', type: 'part', size: 1 }] },
        { name: 'sdd', path: '/dev/sdd', 'maj:min': '8:48', type: 'disk', size: 2 },
      ],
    };
    const mounts = parseMountinfo(
      [
        '30 1 9:0 / /boot rw - ext4 /dev/md0 rw',
        '31 1 8:33 / /run/live/medium ro - iso9660 /dev/sdc1 ro',
        // btrfs reports an anonymous maj:min: the source names the device instead.
        '32 1 0:44 /@ / rw - btrfs /dev/sdb1 rw',
      ].join('\n'),
    );
    const reasons = systemReasonsByDisk(flattenLsblk(tree), mountRoots(mounts), {});
    expect(reasons.get('/dev/sda')).toEqual(['boot']);
    expect(reasons.get('/dev/sdb')).toEqual(['boot', 'root']);
    expect(reasons.get('/dev/sdc')).toEqual(['live-medium']);
    expect(reasons.has('/dev/sdd')).toBe(false);
  });

  it('follows a loop device to the disk holding its backing file', () => {
    const flat = flattenLsblk(lsblk);
    // Pretend / is inside the loop's file and the file lives on vda (254:0).
    const reasons = systemReasonsByDisk(flat, [{ majmin: '259:3', source: null, reason: 'root' }], { '/dev/loop0': '254:0' });
    expect(reasons.get('/dev/loop0')).toEqual(['root']);
    expect(reasons.get('/dev/vda')).toEqual(['root']);
  });

  it('parses swaps and escapes', () => {
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/dev/sda2 partition 100 0 -2\n/swap\\040file file 10 0 -3\n')).toEqual([
      { file: '/dev/sda2', type: 'partition' },
      { file: '/swap file', type: 'file' },
    ]);
    expect(unescapeOctal('/mnt/a\\040b')).toBe('/mnt/a b');
    expect(majminOf(0xfe00n)).toBe('254:0');
    expect(majminOf(BigInt((259 << 8) | 3))).toBe('259:3');
  });
});
