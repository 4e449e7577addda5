/**
 * The data partition of a Lifeboat stick — the one holding the kernel, the initramfs and
 * the backup sets — in either of its two filesystems: ext4 (the default: any Linux mounts
 * it) or exFAT (Windows and macOS read it too, so the sets can be copied off anywhere).
 *
 * One place decides how it is made, recognised and mounted, for buildUsb and for
 * "backup again" alike. Many kernels (this build machine's among them) have no exfat
 * driver while the exfat-fuse package works, so an exFAT mount falls back to FUSE.
 */
import { closeSync, copyFileSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { run } from '../run';

/** The same choice as mediaMakeRequest's `dataFs` (src/shared/api.ts). */
export type DataFs = 'ext4' | 'exfat';

/** The data partition's filesystem label, whichever the filesystem. */
export const DATA_LABEL = 'LIFEBOAT';

/**
 * GPT type of the data partition. Windows mounts only "Microsoft basic data" partitions,
 * so exFAT gets that type; ext4 keeps "Linux filesystem", which Windows leaves alone.
 */
export const DATA_TYPE_GUID: Record<DataFs, string> = {
  ext4: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  exfat: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
};

/** The GRUB module that reads the data partition (i386-pc core image, EFI loader). */
export const GRUB_FS_MODULE: Record<DataFs, string> = { ext4: 'ext2', exfat: 'exfat' };

export const isDataFs = (v: string): v is DataFs => v === 'ext4' || v === 'exfat';

/** Makes the data filesystem on `partition` (erasing it). */
export async function makeDataFs(fs: DataFs, partition: string): Promise<void> {
  if (fs === 'exfat') await run('mkfs.exfat', ['-L', DATA_LABEL, partition]);
  // -m 0: ext4 keeps 5 % for root to protect a running system from a full disk; a stick
  // of backup sets runs no system, and that 5 % is a whole set on a small stick
  else await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', DATA_LABEL, partition]);
}

export interface DataMount {
  /** `kernel` or `fuse` (exfat-fuse, when the kernel has no exfat driver) */
  via: 'kernel' | 'fuse';
  unmount: () => Promise<void>;
}

/**
 * Mounts a stick's data partition on `mnt`. Read-only looks must not write: an ext4
 * journal is not replayed (noload). Returns how it was mounted and the way to undo it.
 */
export async function mountData(partition: string, fs: DataFs, mnt: string, opts: { readOnly: boolean }): Promise<DataMount> {
  const unmount = async () => {
    // For a FUSE block mount the kernel waits for the daemon to write everything back
    // and close the device before umount returns, as it does for a kernel filesystem.
    await run('umount', [mnt], { okExitCodes: [0, 1, 32] });
  };
  if (fs === 'ext4') {
    await run('mount', ['-t', 'ext4', '-o', opts.readOnly ? 'ro,noload' : 'rw', partition, mnt]);
    return { via: 'kernel', unmount };
  }
  const mode = opts.readOnly ? 'ro' : 'rw';
  let kernelError: unknown;
  try {
    await run('mount', ['-t', 'exfat', '-o', mode, partition, mnt]);
    return { via: 'kernel', unmount };
  } catch (err) {
    kernelError = err;
  }
  try {
    await run('mount.exfat-fuse', ['-o', mode, partition, mnt]);
  } catch (err) {
    // Neither way works: say both, the kernel's reason first (it is usually the real one).
    const k = kernelError instanceof Error ? kernelError.message : String(kernelError);
    const f = err instanceof Error ? err.message : String(err);
    if (err instanceof LifeboatError && err.code === 'tool-missing') {
      throw new LifeboatError('tool-missing', { tool: 'mount.exfat-fuse (exfat-fuse)' }, `cannot mount exFAT ${partition}: the kernel refused (${k}) and exfat-fuse is not installed`);
    }
    throw new Error(`cannot mount exFAT ${partition}: kernel: ${k}; exfat-fuse: ${f}`, { cause: err });
  }
  return { via: 'fuse', unmount };
}

/**
 * Copies a backup set onto the stick as plain folders and files. A set is nothing else
 * (tar parts, manifest, sums, restore.sh), and exFAT stores nothing else: no owners,
 * permissions, symbolic or hard links. Rather than let a generic copy chmod or link its
 * way into a half-copied set, anything that is not a folder or a regular file is refused
 * before it is written, with the path that is in the way.
 */
export function copyPlainTree(src: string, dest: string): void {
  const walk = (rel: string) => {
    const st = lstatSync(join(src, rel));
    if (st.isDirectory()) return readdirSync(join(src, rel)).forEach((n) => walk(rel ? join(rel, n) : n));
    if (!st.isFile()) {
      const what = st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
      const detail = `${rel}: ${what}; a backup set on a stick holds only folders and files`;
      throw new LifeboatError('set-invalid', { path: src, detail }, `${src}: ${detail}`);
    }
  };
  walk('');
  const copy = (rel: string) => {
    const from = join(src, rel);
    const to = join(dest, rel);
    if (lstatSync(from).isDirectory()) {
      mkdirSync(to, { recursive: true });
      for (const n of readdirSync(from)) copy(rel ? join(rel, n) : n);
    } else copyFile(from, to);
  };
  copy('');
}

/**
 * copyFileSync gives the copy its source's mode with fchmod, and fails when that fails.
 * The kernel's exfat driver refuses (EPERM) a mode it cannot store, such as setuid; the
 * bytes matter, not the mode, so such a file is copied again with plain reads and writes.
 */
function copyFile(from: string, to: string): void {
  try {
    copyFileSync(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  const src = openSync(from, 'r');
  try {
    const dst = openSync(to, 'w');
    try {
      for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0; ) for (let off = 0; off < n; ) off += writeSync(dst, buf, off, n - off);
    } finally {
      closeSync(dst);
    }
  } finally {
    closeSync(src);
  }
}
