import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendantsOf, flattenLsblk, nodeMountpoints, type LsblkOutput } from './lsblk';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as LsblkOutput;

describe('flattenLsblk on recorded lsblk -J -b -O', () => {
  const flat = flattenLsblk(fixture('lsblk-loop-gpt.json'));

  it('keys every node by path with its maj:min and top-level disk', () => {
    expect([...flat.keys()].sort()).toEqual(['/dev/loop0', '/dev/loop0p1', '/dev/loop0p2', '/dev/vda', '/dev/zram0']);
    expect(flat.get('/dev/loop0p2')).toMatchObject({ majmin: '259:3', disks: ['/dev/loop0'], parents: ['/dev/loop0'] });
    expect(flat.get('/dev/vda')).toMatchObject({ majmin: '254:0', disks: ['/dev/vda'], parents: [] });
  });

  it('lists descendants and drops lsblk [null] mountpoints', () => {
    expect(descendantsOf(flat, '/dev/loop0').map((f) => f.path)).toEqual(['/dev/loop0p1', '/dev/loop0p2']);
    expect(nodeMountpoints(flat.get('/dev/loop0p1')!.node)).toEqual([]);
    expect(nodeMountpoints(flat.get('/dev/loop0p2')!.node)).toEqual(['/tmp/fx/mnt']);
    expect(nodeMountpoints(flat.get('/dev/vda')!.node)).toEqual(['/']);
  });

  it('merges a device stacked on two disks (md RAID1 as lsblk nests it)', () => {
    // Hand-written in lsblk's shape: this VM's kernel has no md or device-mapper to record from.
    const md = { name: 'md0', kname: 'md0', path: '/dev/md0', 'maj:min': '9:0', type: 'raid1', size: 100, mountpoints: ['/'] };
    const lv = { name: 'vg-root', kname: 'dm-0', path: '/dev/mapper/vg-root', 'maj:min': '253:1', type: 'lvm', size: 90, mountpoints: ['/srv'] };
    const tree: LsblkOutput = {
      blockdevices: [
        { name: 'sda', path: '/dev/sda', type: 'disk', size: 200, children: [{ name: 'sda1', path: '/dev/sda1', type: 'part', size: 100, children: [{ ...md, children: [lv] }] }] },
        { name: 'sdb', path: '/dev/sdb', type: 'disk', size: 200, children: [{ name: 'sdb1', path: '/dev/sdb1', type: 'part', size: 100, children: [{ ...md, children: [lv] }] }] },
      ],
    };
    const f = flattenLsblk(tree);
    expect(f.get('/dev/md0')).toMatchObject({ disks: ['/dev/sda', '/dev/sdb'], parents: ['/dev/sda1', '/dev/sdb1'] });
    expect(f.get('/dev/mapper/vg-root')!.disks).toEqual(['/dev/sda', '/dev/sdb']);
  });

  it('survives a cyclic or absurdly deep tree', () => {
    const a: Record<string, unknown> = { name: 'x', type: 'disk', size: 1 };
    a.children = [a];
    expect(() => flattenLsblk({ blockdevices: [a as never] })).not.toThrow();
  });
});
