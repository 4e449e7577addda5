import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlkidExport, parseSfdisk } from './block';
import { parseBtrfsSubvolumes, parseTune2fs, parseXfsInfo } from './fs';
import { parseFindmnt, parseFstab, parseProcSwaps, splitSource } from './mounts';
import { parseLvm, parseMdadmExport } from './volumes';
import { relativeMountpoint } from '../collect';

const fx = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');

describe('sfdisk --json (recorded from loop disks)', () => {
  it('reads a GPT with ids, names and attributes', () => {
    const t = parseSfdisk(fx('sfdisk-gpt.json'));
    expect(t).toMatchObject({ label: 'gpt', id: '5B1F2C3D-0000-4000-8000-00000000A001', firstlba: 2048, lastlba: 614366, sectorsize: 512 });
    expect(t.partitions.map((p) => p.number)).toEqual([1, 2, 3, 4]);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: 65536, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', name: 'EFI system' });
    expect(t.partitions[1]).toMatchObject({ attrs: 'LegacyBIOSBootable', uuid: '5B1F2C3D-0000-4000-8000-0000000000E2' });
  });

  it('reads an MBR with the boot flag and logical partitions numbered from 5', () => {
    const t = parseSfdisk(fx('sfdisk-mbr.json'));
    expect(t).toMatchObject({ label: 'dos', id: '0x0badcafe', sectorsize: 512 });
    expect(t.partitions.map((p) => [p.number, p.type])).toEqual([[1, '83'], [2, '5'], [5, '83'], [6, '83']]);
    expect(t.partitions[0].bootable).toBe(true);
    expect(t.firstlba).toBeUndefined();
  });

  it('refuses a label it cannot recreate', () => {
    expect(() => parseSfdisk('{"partitiontable":{"label":"sun","id":"x","partitions":[]}}')).toThrow();
  });
});

describe('blkid -p -o export', () => {
  it('unescapes names and reads vfat, ext4, swap, xfs, btrfs, LVM', () => {
    expect(parseBlkidExport(fx('blkid-gpt-p1.txt'))).toMatchObject({ TYPE: 'vfat', VERSION: 'FAT32', UUID: '1234-ABCD', LABEL: 'LBESP', PART_ENTRY_NAME: 'EFI system' });
    expect(parseBlkidExport(fx('blkid-gpt-p2.txt'))).toMatchObject({ TYPE: 'ext4', UUID: '11111111-2222-4333-8444-555555555555', PART_ENTRY_UUID: '5b1f2c3d-0000-4000-8000-0000000000e2' });
    expect(parseBlkidExport(fx('blkid-gpt-p4.txt'))).toMatchObject({ TYPE: 'swap', LABEL: 'lbswap' });
    expect(parseBlkidExport(fx('blkid-xfs.txt'))).toMatchObject({ TYPE: 'xfs', LABEL: 'lbxfs', PART_ENTRY_UUID: '0badcafe-05' });
    expect(parseBlkidExport(fx('blkid-btrfs.txt'))).toMatchObject({ TYPE: 'btrfs', LABEL: 'lbbtrfs' });
    expect(parseBlkidExport(fx('blkid-lvm-pv.txt'))).toMatchObject({ TYPE: 'LVM2_member', VERSION: 'LVM2 001' });
  });
});

describe('filesystem parameters', () => {
  it('tune2fs: the custom mkfs.ext4 parameters come back', () => {
    const p = parseTune2fs(fx('tune2fs-ext4.txt'));
    expect(p).toMatchObject({ blockSize: 1024, inodeSize: 256, inodeCount: 20480, blockCount: 163840, bytesPerInode: 8192, reservedBlockCount: 3276 });
    expect(p.features).toContain('has_journal');
    expect(p.features).not.toContain('metadata_csum');
  });

  it('xfs_info: geometry and features', () => {
    expect(parseXfsInfo(fx('xfs_info.txt'))).toMatchObject({
      blockSize: 4096, inodeSize: 512, sectorSize: 512, agCount: 4, dataBlocks: 81920, logBlocks: 16384,
      features: { crc: 1, reflink: 1, ftype: 1, rmapbt: 0 },
    });
  });

  it('btrfs subvolume list', () => {
    expect(parseBtrfsSubvolumes(fx('btrfs-subvolume-list.txt'))).toEqual([
      { id: 256, topLevel: 5, path: '@data' },
      { id: 257, topLevel: 5, path: '@snap' },
    ]);
  });
});

describe('mounts and swap', () => {
  it('findmnt tree flattened, with byte sizes', () => {
    const m = parseFindmnt(fx('findmnt-root.json'));
    expect(m.map((e) => [e.target, e.source, e.fstype])).toEqual([
      ['/SCRATCH/root', '/dev/loop0p2', 'ext4'],
      ['/SCRATCH/root/home', '/dev/loop0p3', 'ext4'],
    ]);
    expect(m[0].size).toBe(156701696);
    expect(m.map((e) => relativeMountpoint('/SCRATCH/root', e.target))).toEqual(['/', '/home']);
    expect(relativeMountpoint('/SCRATCH/root', '/SCRATCH/rootless')).toBeNull();
    expect(relativeMountpoint('/', '/boot/efi')).toBe('/boot/efi');
  });

  it('bind mount sources', () => {
    expect(splitSource('/dev/vda[/srv/data]')).toEqual({ device: '/dev/vda', subtree: '/srv/data' });
    expect(splitSource('/dev/vda')).toEqual({ device: '/dev/vda', subtree: null });
  });

  it('/proc/swaps in KiB, fstab swap and escapes', () => {
    expect(parseProcSwaps(fx('proc-swaps.txt'))).toEqual([{ filename: '/dev/loopGp4', type: 'partition', sizeBytes: 43004 * 1024 }]);
    expect(parseFstab('# c\nUUID=x / ext4 defaults 0 1\n/swap\\040file none swap sw 0 0\n')).toEqual([
      { spec: 'UUID=x', file: '/', vfstype: 'ext4', options: 'defaults' },
      { spec: '/swap file', file: 'none', vfstype: 'swap', options: 'sw' },
    ]);
  });
});

describe('volume managers', () => {
  it('LVM reports (metadata written with --driverloaded n)', () => {
    const l = parseLvm(fx('pvs.json'), fx('vgs.json'), fx('lvs.json'));
    expect(l.pvs).toEqual([{ name: '/dev/loopPV', vg: 'lbvg', sizeBytes: 205520896, freeBytes: 100663296, uuid: 'ga6eUI-0w34-24fT-OOIE-D5oS-pZn1-jqxkCy' }]);
    expect(l.vgs[0]).toMatchObject({ name: 'lbvg', extentBytes: 4194304 });
    expect(l.lvs.map((v) => [v.name, v.sizeBytes, v.devices])).toEqual([
      ['home', 41943040, ['/dev/loopPV']],
      ['root', 62914560, ['/dev/loopPV']],
    ]);
  });

  it('LVM reports of active LVs (recorded inside qemu by test/qemu/lvm.test.ts: device-mapper, 8 MiB extents)', () => {
    const l = parseLvm(fx('qemu-lvm-pvs.json'), fx('qemu-lvm-vgs.json'), fx('qemu-lvm-lvs.json'));
    expect(l.pvs).toEqual([{ name: '/dev/vdb3', vg: 'vgdata', sizeBytes: 327155712, freeBytes: 134217728, uuid: 'KAYsON-vc42-q6tg-Ma3l-q4i3-uKhg-OhnV4d' }]);
    expect(l.vgs).toEqual([{ name: 'vgdata', uuid: 'i3kZ2g-rbx8-hjvE-HzUA-fpNl-tx5f-0qXX0O', sizeBytes: 327155712, freeBytes: 134217728, extentBytes: 8388608 }]);
    expect(l.lvs).toEqual([
      { name: 'home', vg: 'vgdata', uuid: 'q7gVhU-EKE4-bsuP-zFZb-qvQr-UY8c-OKMN18', sizeBytes: 125829120, segtype: 'linear', devices: ['/dev/vdb3'] },
      { name: 'srv', vg: 'vgdata', uuid: 'fvgdd5-iVAI-nHht-S34D-qQC7-4Mxm-STkzdS', sizeBytes: 67108864, segtype: 'linear', devices: ['/dev/vdb3'] },
    ]);
  });

  it('mdadm --detail --export (hand-written sample: no md driver here, see fixtures/README.md)', () => {
    expect(parseMdadmExport('/dev/md0', fx('mdadm-detail-export.txt'))).toEqual({
      device: '/dev/md0', level: 'raid1', metadata: '1.2', uuid: '3aa0c7a5:7e1f2a44:9c1b2d3e:4f5a6b7c', name: 'lifeboat:0', raidDevices: 2,
      members: ['/dev/vdb1', '/dev/vdc1'],
      superName: 'lifeboat:0',
    });
  });

  it('mdadm --detail --export recorded in qemu (mdadm 4.2, md driver of the rescue kernel): members in role order, the superblock name', () => {
    // mdadm lists the members in no particular order (here slot 1 first)
    expect(parseMdadmExport('/dev/md127', fx('qemu-mdadm-detail-export.txt'))).toEqual({
      device: '/dev/md127', level: 'raid1', metadata: '1.2', uuid: '1b0a7000:00004000:80000000:0000d001', name: 'root', superName: 'mdguest:root', raidDevices: 2,
      members: ['/dev/vdb1', '/dev/vdc1'],
    });
    const spare = fx('qemu-mdadm-detail-export.txt').replace('MD_DEVICE_dev_vdb1_ROLE=0', 'MD_DEVICE_dev_vdb1_ROLE=spare') + 'MD_DEVICE_dev_vdd1_ROLE=0\nMD_DEVICE_dev_vdd1_DEV=/dev/vdd1\n';
    expect(parseMdadmExport('/dev/md127', spare)).toMatchObject({ members: ['/dev/vdd1', '/dev/vdc1', '/dev/vdb1'], spares: ['/dev/vdb1'] });
  });
});
