/**
 * The whole disk holding this machine's `/`, for tests that the drive guard refuses it
 * as such; null (with the reason) where `/` is on no disk (a container's overlay, a RAM root).
 */
import { execFileSync } from 'node:child_process';

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8' });

export function systemDisk(): { disk: string } | { disk: null; reason: string } {
  const source = sh('findmnt -n -o SOURCE /').trim();
  const parent = source.startsWith('/dev/') ? sh('lsblk -no PKNAME "$1"', source).trim().split('\n')[0] : '';
  const disk = parent ? `/dev/${parent}` : source;
  if (!disk.startsWith('/dev/') || sh('lsblk -dno TYPE "$1"', disk).trim() !== 'disk') return { disk: null, reason: `/ is on ${source || 'no block device'}, not a disk` };
  return { disk };
}

/** The system disk, or null after marking the test skipped and printing why. */
export function systemDiskOrSkip(t: { skip: () => void }): string | null {
  const sys = systemDisk();
  if (sys.disk !== null) return sys.disk;
  console.warn(`system-disk refusal not tested: ${sys.reason}`);
  t.skip();
  return null;
}
