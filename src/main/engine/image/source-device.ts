/**
 * The block device an image file lives on, so the drive policy can refuse to
 * overwrite the very stick the image is read from.
 */
import { stat, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { run } from '../run';

/** `findmnt` first (it knows btrfs subvolumes and bind mounts); the file's st_dev through sysfs otherwise. */
export async function sourceDeviceOf(path: string): Promise<string | null> {
  try {
    const { stdout } = await run('findmnt', ['-n', '-o', 'SOURCE', '--target', path]);
    const source = stdout.trim().split('\n')[0]?.replace(/\[.*\]$/, '');
    if (source?.startsWith('/dev/')) return source;
  } catch {
    /* findmnt missing or the path is not under a mount it knows: fall through */
  }
  try {
    const st = await stat(path);
    const major = Math.floor(st.dev / 256) & 0xfff; // Linux new_encode_dev: major in bits 8-19
    const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
    const link = await readlink(`/sys/dev/block/${major}:${minor}`);
    return `/dev/${basename(link)}`;
  } catch {
    return null; // tmpfs, overlay, network filesystems: no local block device to protect
  }
}
