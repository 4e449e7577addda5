/**
 * mkfs commands built from parameters the inventory parsed off real tools (fixtures of
 * the inventory), run on real loop devices: each mkfs accepts them, and blkid -p reads
 * back the identity and tune2fs / xfs_info the recorded parameters.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop } from '../../../../test/util/loop';
import type { Filesystem } from '../../../shared/layout';
import { parseTune2fs, parseXfsInfo } from '../inventory/parse/fs';
import { mkfsArgv, mkswapArgv, ext4Features } from './mkfs';

const fx = (f: string) => readFileSync(join(__dirname, '../inventory/fixtures', f), 'utf8');
const MiB = 1024 * 1024;
afterAll(() => cleanupScratch());

function onLoop(size: number, argv: (dev: string) => string[]): { blkid: string; dev: string; detach: () => void } {
  const loop = makeLoop(size);
  try {
    const a = argv(loop.device);
    execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    return { blkid: execFileSync('blkid', ['-p', '-o', 'export', loop.device], { encoding: 'utf8' }), dev: loop.device, detach: () => loop.detach() };
  } catch (err) {
    loop.detach();
    throw err;
  }
}

it('keeps only the ext4 features mke2fs can set', () => {
  expect(ext4Features(['has_journal', 'needs_recovery', 'orphan_present', 'metadata_csum', 'journal_dev'])).toEqual(['has_journal', 'metadata_csum']);
});

describe.skipIf(!canUseLoop())(`mkfs with recorded parameters on loop devices (${loopSkipReason})`, () => {
  it('ext4: recorded block and inode size, inode density, reserved blocks and exact feature set', () => {
    const ext = parseTune2fs(fx('tune2fs-ext4.txt'));
    const fs: Filesystem = { device: '/dev/x', type: 'ext4', ext };
    const r = onLoop(160 * MiB, (dev) => mkfsArgv(fs, { device: dev, sizeBytes: 160 * MiB, uuid: '11111111-2222-4333-8444-555555555555', label: 'lbroot' })!);
    try {
      expect(r.blkid).toContain('UUID=11111111-2222-4333-8444-555555555555');
      expect(r.blkid).toContain('LABEL=lbroot');
      const got = parseTune2fs(execFileSync('tune2fs', ['-l', r.dev], { encoding: 'utf8' }));
      expect(got).toMatchObject({ blockSize: ext.blockSize, inodeSize: ext.inodeSize, bytesPerInode: ext.bytesPerInode, inodeCount: ext.inodeCount, blockCount: ext.blockCount });
      expect(Math.abs(got.reservedBlockCount - ext.reservedBlockCount)).toBeLessThanOrEqual(1);
      expect([...got.features].sort()).toEqual([...ext.features].sort());
    } finally {
      r.detach();
    }
  });

  it('xfs: recorded uuid, label, block/inode/sector sizes and v5 features', () => {
    const xfs = parseXfsInfo(fx('xfs_info.txt'));
    const fs: Filesystem = { device: '/dev/x', type: 'xfs', xfs };
    const r = onLoop(320 * MiB, (dev) => mkfsArgv(fs, { device: dev, sizeBytes: 320 * MiB, uuid: '3a3a3a3a-1111-4222-8333-444444444444', label: 'lbxfs' })!);
    try {
      expect(r.blkid).toContain('TYPE=xfs');
      expect(r.blkid).toContain('UUID=3a3a3a3a-1111-4222-8333-444444444444');
      expect(r.blkid).toContain('LABEL=lbxfs');
      const info = parseXfsInfo(execFileSync('xfs_db', ['-r', '-c', 'info', r.dev], { encoding: 'utf8' }));
      expect(info).toMatchObject({ blockSize: xfs.blockSize, inodeSize: xfs.inodeSize, sectorSize: xfs.sectorSize });
      for (const k of ['crc', 'finobt', 'reflink', 'rmapbt', 'sparse']) expect(info.features[k], k).toBe(xfs.features[k]);
    } finally {
      r.detach();
    }
  });

  it('btrfs, vfat and swap: recorded identities', () => {
    const cases: Array<[number, (dev: string) => string[], string[]]> = [
      [160 * MiB, (dev) => mkfsArgv({ device: '/dev/x', type: 'btrfs' }, { device: dev, sizeBytes: 160 * MiB, uuid: '4b4b4b4b-1111-4222-8333-444444444444', label: 'lbbtrfs' })!, ['TYPE=btrfs', 'UUID=4b4b4b4b-1111-4222-8333-444444444444', 'LABEL=lbbtrfs']],
      [40 * MiB, (dev) => mkfsArgv({ device: '/dev/x', type: 'vfat', vfat: { fatSize: 'FAT32' } }, { device: dev, sizeBytes: 40 * MiB, uuid: '1234-ABCD', label: 'LBESP' })!, ['TYPE=vfat', 'UUID=1234-ABCD', 'LABEL=LBESP', 'VERSION=FAT32']],
      [16 * MiB, (dev) => mkswapArgv({ device: dev, sizeBytes: 16 * MiB, uuid: '0f0f0f0f-1111-4222-8333-444444444444', label: 'lbswap' }), ['TYPE=swap', 'UUID=0f0f0f0f-1111-4222-8333-444444444444', 'LABEL=lbswap']],
    ];
    for (const [size, argv, want] of cases) {
      const r = onLoop(size, argv);
      try {
        for (const w of want) expect(r.blkid.split('\n')).toContain(w);
      } finally {
        r.detach();
      }
    }
  });
});
