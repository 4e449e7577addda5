/**
 * The mkfs / mkswap command that recreates a recorded filesystem with its identity
 * (UUID, label) and the parameters that matter for its data (block and inode sizes,
 * inode density, features), so the restored system finds what its fstab, initramfs
 * and boot loader expect.
 */
import type { Filesystem } from '../../../shared/layout';

/**
 * Features mke2fs accepts with -O. Recorded features outside this list are runtime
 * state (needs_recovery, orphan_present) or need extra devices (journal_dev) and
 * would make mkfs refuse the whole command.
 */
const MKE2FS_FEATURES = new Set([
  'has_journal', 'ext_attr', 'resize_inode', 'dir_index', 'filetype', 'sparse_super', 'sparse_super2', 'large_file',
  'huge_file', 'uninit_bg', 'gdt_csum', 'dir_nlink', 'extra_isize', '64bit', 'meta_bg', 'flex_bg', 'ea_inode', 'mmp',
  'bigalloc', 'quota', 'inline_data', 'metadata_csum', 'metadata_csum_seed', 'encrypt', 'casefold', 'project', 'verity',
  'stable_inodes', 'extent', 'extents', 'large_dir', 'orphan_file', 'fast_commit',
]);

export function ext4Features(recorded: string[]): string[] {
  return recorded.filter((f) => MKE2FS_FEATURES.has(f));
}

export interface MkfsTarget {
  device: string;
  sizeBytes: number;
  uuid?: string;
  label?: string;
  /** files the archive holds: enough inodes must exist on a smaller filesystem */
  files?: number;
}

/** The argv that makes the filesystem, or null when Lifeboat cannot make this type. */
export function mkfsArgv(fs: Filesystem, t: MkfsTarget): string[] | null {
  const type = fs.type;
  if (/^ext[234]$/.test(type)) {
    const argv = [`mkfs.${type}`, '-F', '-q'];
    if (t.uuid) argv.push('-U', t.uuid);
    if (t.label) argv.push('-L', t.label);
    const e = fs.ext;
    if (e) {
      argv.push('-b', String(e.blockSize), '-I', String(e.inodeSize));
      // the recorded inode density, unless a smaller filesystem would run out of inodes
      const inodes = Math.floor(t.sizeBytes / Math.max(1, e.bytesPerInode));
      const wanted = t.files !== undefined ? Math.ceil(t.files * 1.2) + 1024 : 0;
      if (wanted > inodes) argv.push('-N', String(wanted));
      else argv.push('-i', String(e.bytesPerInode));
      if (e.blockCount > 0) argv.push('-m', String(Math.round((e.reservedBlockCount / e.blockCount) * 10000) / 100));
      // "none," first: exactly the recorded set, not the recorded set added to this mke2fs's defaults
      const features = ext4Features(e.features);
      if (features.length) argv.push('-O', ['none', ...features].join(','));
    }
    argv.push(t.device);
    return argv;
  }
  if (type === 'xfs') {
    const argv = ['mkfs.xfs', '-f', '-q'];
    const meta = [`uuid=${t.uuid ?? 'generate'}`];
    const x = fs.xfs;
    if (x) {
      const f = x.features;
      if ('crc' in f) meta.push(`crc=${f.crc}`);
      // without crc, v4 filesystems have none of the v5 features, and mkfs.xfs refuses them
      if (f.crc !== 0) for (const k of ['finobt', 'rmapbt', 'reflink', 'bigtime', 'inobtcount']) if (k in f) meta.push(`${k}=${f[k]}`);
      argv.push('-b', `size=${x.blockSize}`, '-s', `size=${x.sectorSize}`);
      const inode = [`size=${x.inodeSize}`];
      if (f.crc !== 0 && 'sparse' in f) inode.push(`sparse=${f.sparse}`);
      if (f.crc !== 0 && 'nrext64' in f) inode.push(`nrext64=${f.nrext64}`);
      argv.push('-i', inode.join(','));
      if ('ftype' in f && f.crc === 0) argv.push('-n', `ftype=${f.ftype}`);
    }
    if (!t.uuid) meta.shift();
    if (meta.length) argv.push('-m', meta.join(','));
    if (t.label) argv.push('-L', t.label);
    argv.push(t.device);
    return argv;
  }
  if (type === 'btrfs') {
    const argv = ['mkfs.btrfs', '-f', '-q'];
    if (t.uuid) argv.push('-U', t.uuid);
    if (t.label) argv.push('-L', t.label);
    argv.push(t.device);
    return argv;
  }
  if (type === 'vfat') {
    const argv = ['mkfs.vfat'];
    const bits = /FAT(12|16|32)/.exec(fs.vfat?.fatSize ?? '')?.[1];
    if (bits) argv.push('-F', bits);
    // blkid shows the volume id as 1234-ABCD; mkfs.vfat -i takes the 8 hex digits
    if (t.uuid) argv.push('-i', t.uuid.replace('-', ''));
    if (t.label && t.label !== 'NO NAME') argv.push('-n', t.label);
    argv.push(t.device);
    return argv;
  }
  return null;
}

export function mkswapArgv(t: MkfsTarget): string[] {
  const argv = ['mkswap', '-f'];
  if (t.uuid) argv.push('-U', t.uuid);
  if (t.label) argv.push('-L', t.label);
  argv.push(t.device);
  return argv;
}

/** The smallest filesystem each mkfs accepts, so a shrunk partition is never refused by mkfs itself. */
export const FS_FLOOR: Record<string, number> = {
  xfs: 300 * 1024 * 1024,
  btrfs: 128 * 1024 * 1024,
  vfat: 33 * 1024 * 1024,
  ext2: 2 * 1024 * 1024,
  ext3: 8 * 1024 * 1024,
  ext4: 8 * 1024 * 1024,
};
