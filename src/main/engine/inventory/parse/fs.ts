/**
 * Parsers for filesystem tool output: `tune2fs -l`, `xfs_info`, `btrfs subvolume list`.
 *
 * The values are the ones mkfs needs to recreate a like-for-like filesystem.
 */
import type { Ext4Params, XfsParams } from '../../../../shared/layout';

/** `tune2fs -l DEV` → mkfs.ext4 parameters (bytes-per-inode is derived, as mkfs -i takes it). */
export function parseTune2fs(text: string): Ext4Params {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) kv[m[1].trim()] = m[2].trim();
  }
  const num = (k: string): number => {
    const v = Number(kv[k]);
    if (!Number.isFinite(v)) throw new Error(`tune2fs output lacks “${k}”`);
    return v;
  };
  const blockSize = num('Block size');
  const blockCount = num('Block count');
  const inodeCount = num('Inode count');
  return {
    blockSize,
    // ext2 revision 0 has no "Inode size" line: those inodes are 128 bytes
    inodeSize: kv['Inode size'] ? Number(kv['Inode size']) : 128,
    inodeCount,
    blockCount,
    bytesPerInode: Math.round((blockCount * blockSize) / inodeCount),
    reservedBlockCount: num('Reserved block count'),
    features: (kv['Filesystem features'] ?? '').split(/\s+/).filter(Boolean),
    revision: kv['Filesystem revision #'],
  };
}

/** `xfs_info MOUNTPOINT|DEV` → geometry and feature flags. */
export function parseXfsInfo(text: string): XfsParams {
  const section: Record<string, Record<string, number>> = {};
  let current = '';
  for (const line of text.split('\n')) {
    const head = /^([a-z-]+)\s*=/.exec(line);
    if (head) current = head[1];
    const bucket = (section[current] ??= {});
    for (const m of line.matchAll(/([a-z0-9_-]+)=(\d+)/g)) if (!(m[1] in bucket)) bucket[m[1]] = Number(m[2]);
  }
  const md = section['meta-data'] ?? {};
  const data = section.data ?? {};
  const log = section.log ?? {};
  if (!data.bsize || !md.isize) throw new Error('xfs_info output lacks bsize or isize');
  const features: Record<string, number> = {};
  for (const k of ['crc', 'finobt', 'sparse', 'rmapbt', 'reflink', 'bigtime', 'inobtcount', 'nrext64']) if (k in md) features[k] = md[k];
  if ('ftype' in (section.naming ?? {})) features.ftype = section.naming.ftype;
  return {
    blockSize: data.bsize,
    inodeSize: md.isize,
    sectorSize: md.sectsz ?? 512,
    agCount: md.agcount ?? 0,
    dataBlocks: data.blocks ?? 0,
    logBlocks: log.blocks ?? 0,
    features,
  };
}

/** `btrfs subvolume list MOUNTPOINT` → subvolumes (paths may contain spaces). */
export function parseBtrfsSubvolumes(text: string): Array<{ id: number; topLevel: number; path: string }> {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^ID (\d+) gen \d+ top level (\d+) path (.+)$/.exec(line);
    if (m) out.push({ id: Number(m[1]), topLevel: Number(m[2]), path: m[3] });
  }
  return out;
}
