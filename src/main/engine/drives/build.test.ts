import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenLsblk, descendantsOf, type LsblkOutput } from './lsblk';
import { naturalCompare } from '../../../shared/drive';
import { compareDrives, isCandidate, toDrive } from './build';

const lsblk = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'lsblk-loop-gpt.json'), 'utf8')) as LsblkOutput;
const flat = flattenLsblk(lsblk);

describe('toDrive on recorded lsblk output', () => {
  it('maps the loop "stick" with partitions, pttype from blkid and mountpoints', () => {
    const top = flat.get('/dev/loop0')!;
    const d = toDrive({
      top,
      descendants: descendantsOf(flat, top.path),
      drivelist: null,
      reasons: [],
      mounts: [],
      // recorded `blkid -p -o export /dev/loop0` and its ext4 partition
      blkid: { '/dev/loop0': { PTTYPE: 'gpt' }, '/dev/loop0p2': { TYPE: 'ext4' } },
      backingFile: '/tmp/fx/stick.img',
    });
    expect(d).toMatchObject({
      device: '/dev/loop0',
      description: '/tmp/fx/stick.img',
      size: 64 * 1024 * 1024,
      logicalBlockSize: 512,
      partitionTable: 'gpt',
      mountpoints: ['/tmp/fx/mnt'],
      isLoop: true,
      isVirtual: true,
      usb: false,
      readOnly: false,
      systemReasons: [],
    });
    expect(d.partitions.map((p) => [p.device, p.size, p.fstype])).toEqual([
      ['/dev/loop0p1', 16 * 1024 * 1024, null],
      // 64 MiB minus 16 MiB, minus the GPT's 1 MiB alignment gap and its 17 KiB backup at the end, rounded to 1 MiB
      ['/dev/loop0p2', 48234496, 'ext4'],
    ]);
  });

  it('does not show a PCI vendor id as a name', () => {
    const top = flat.get('/dev/vda')!;
    // lsblk (and drivelist, recorded: description "0x1af4") report the PCI vendor id as the vendor of virtio disks.
    const d = toDrive({ top, descendants: [], drivelist: { device: '/dev/vda', description: '0x1af4', isUSB: false }, reasons: ['root'], mounts: [], blkid: {}, backingFile: null });
    expect(d).toMatchObject({ device: '/dev/vda', vendor: '0x1af4', description: 'vda', size: 274877906944, systemReasons: ['root'], mountpoints: ['/'] });
    const named = toDrive({ top, descendants: [], drivelist: { device: '/dev/vda', description: 'Virtio Block Device' }, reasons: [], mounts: [], blkid: {}, backingFile: null });
    expect(named.description).toBe('Virtio Block Device');
  });

  it('offers disks and attached loops only', () => {
    const byName = (p: string) => flat.get(p)!.node;
    expect(isCandidate(byName('/dev/vda'), false, false)).toBe(true);
    expect(isCandidate(byName('/dev/zram0'), true, false)).toBe(false);
    expect(isCandidate(byName('/dev/loop0'), false, true)).toBe(false);
    expect(isCandidate(byName('/dev/loop0'), true, false)).toBe(false);
    expect(isCandidate(byName('/dev/loop0'), true, true)).toBe(true);
    expect(isCandidate(byName('/dev/loop0p1'), true, true)).toBe(false);
  });

  it('sorts USB, then removable, before fixed disks', () => {
    const base = toDrive({ top: flat.get('/dev/vda')!, descendants: [], drivelist: null, reasons: [], mounts: [], blkid: {}, backingFile: null });
    const list = [
      { ...base, device: '/dev/sda' },
      { ...base, device: '/dev/sdc', removable: true },
      { ...base, device: '/dev/sdb', usb: true, removable: true },
    ].sort(compareDrives);
    expect(list.map((d) => d.device)).toEqual(['/dev/sdb', '/dev/sdc', '/dev/sda']);
  });

  it('orders device paths naturally, as localeCompare with numeric did', () => {
    const paths = ['/dev/loop10', '/dev/sdb', '/dev/loop2', '/dev/nvme1n1', '/dev/nvme0n10', '/dev/nvme0n2', '/dev/sda', '/dev/loop1', '/dev/sdaa', '/dev/mmcblk0'];
    const want = [...paths].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    expect([...paths].sort(naturalCompare)).toEqual(want);
    expect(want.slice(0, 3)).toEqual(['/dev/loop1', '/dev/loop2', '/dev/loop10']);
  });
});
