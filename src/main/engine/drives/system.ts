/**
 * Which whole disks hold the running system, and why.
 *
 * A disk is the system's own when a partition on it — or anything stacked on it:
 * an md array, an LVM volume, a loop file — is mounted at `/`, `/boot`, `/boot/efi`,
 * another system directory, is active swap, or is the live medium the session
 * booted from. Everything is matched by device number (maj:min) rather than by
 * name, because mountinfo says `/dev/root` or a btrfs subvolume where lsblk says
 * `sda2`, and there is no udev here to give stable names.
 */
import { readFileSync, statSync } from 'node:fs';
import type { SystemReason } from '../../../shared/drive';
import type { FlatNode } from './lsblk';

/** Mountpoints whose device the session cannot lose. */
const MOUNT_REASONS: Record<string, SystemReason> = {
  '/': 'root',
  '/boot': 'boot',
  '/boot/efi': 'efi',
  '/efi': 'efi',
  '/usr': 'mounted-system',
  '/var': 'mounted-system',
  '/home': 'mounted-system',
  '/opt': 'mounted-system',
  '/srv': 'mounted-system',
  '/nix': 'mounted-system',
};

/**
 * Where live systems mount the medium they started from (Debian live-boot old and new,
 * Ubuntu casper, dracut dmsquash-live, archiso, and Ubuntu's iso-scan for ISOs booted
 * from a file on another disk).
 */
export const LIVE_MEDIUM_MOUNTS = [
  '/run/live/medium',
  '/lib/live/mount/medium',
  '/cdrom',
  '/run/initramfs/live',
  '/run/archiso/bootmnt',
  '/run/initramfs/isoscan',
  '/isodevice',
];

export interface MountEntry {
  majmin: string;
  mountpoint: string;
  source: string;
  fstype: string;
}

/** A device number that the system depends on, and why. */
export interface SystemRoot {
  majmin: string | null;
  /** the mount source, for filesystems (btrfs) whose maj:min is anonymous */
  source: string | null;
  reason: SystemReason;
}

/** Undoes the octal escapes (`\040` for a space) the kernel uses in mountinfo and swaps. */
export function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/self/mountinfo. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 10 || dash < 6) continue;
    out.push({
      majmin: f[2]!,
      mountpoint: unescapeOctal(f[4]!),
      fstype: f[dash + 1] ?? '',
      source: unescapeOctal(f[dash + 2] ?? ''),
    });
  }
  return out;
}

/** The filenames in /proc/swaps with their type (partition or file). */
export function parseSwaps(text: string): { file: string; type: string }[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[0])
    .map((f) => ({ file: unescapeOctal(f[0]!), type: f[1]! }));
}

/** The system roots found in the mount table (system directories and live media). */
export function mountRoots(mounts: MountEntry[]): SystemRoot[] {
  const roots: SystemRoot[] = [];
  for (const m of mounts) {
    const reason = MOUNT_REASONS[m.mountpoint] ?? (LIVE_MEDIUM_MOUNTS.includes(m.mountpoint) ? 'live-medium' : null);
    if (reason) roots.push({ majmin: m.majmin, source: m.source.startsWith('/dev/') ? m.source : null, reason });
  }
  return roots;
}

/**
 * Maps each top-level device to the reasons it is a system disk.
 *
 * `loopBacking` gives, for a loop device, the maj:min of the filesystem holding its
 * backing file: a root filesystem in a loop file (or a live ISO looped from a data
 * disk) makes the disk under that file a system disk too.
 */
export function systemReasonsByDisk(
  flat: Map<string, FlatNode>,
  roots: SystemRoot[],
  loopBacking: Record<string, string>,
): Map<string, SystemReason[]> {
  const byMajmin = new Map<string, FlatNode>();
  const byName = new Map<string, FlatNode>();
  for (const f of flat.values()) {
    if (f.majmin) byMajmin.set(f.majmin, f);
    byName.set(f.path, f);
    byName.set(`/dev/${f.kname}`, f);
  }
  const result = new Map<string, SystemReason[]>();
  const mark = (node: FlatNode, reason: SystemReason, seen: Set<string>) => {
    for (const disk of node.disks) {
      const list = result.get(disk) ?? [];
      if (!list.includes(reason)) list.push(reason);
      result.set(disk, list);
      // Follow a loop device to the disk holding its backing file, once per chain.
      const backing = loopBacking[disk];
      if (backing && !seen.has(disk)) {
        seen.add(disk);
        const under = byMajmin.get(backing);
        if (under) mark(under, reason, seen);
      }
    }
  };
  for (const r of roots) {
    const node = (r.majmin ? byMajmin.get(r.majmin) : undefined) ?? (r.source ? byName.get(r.source) : undefined);
    if (node) mark(node, r.reason, new Set());
  }
  return result;
}

/** maj:min of a device number as Linux encodes it in st_dev / st_rdev. */
export function majminOf(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** The device a path lives on: the node itself for a block device, else its filesystem. */
export function deviceOfPath(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return majminOf(st.isBlockDevice() ? st.rdev : st.dev);
  } catch {
    return null;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Reads the live system facts: mounts, swaps and loop backing files. */
export function readSystemFacts(flat: Map<string, FlatNode>): {
  mounts: MountEntry[];
  roots: SystemRoot[];
  loopBacking: Record<string, string>;
} {
  const mounts = parseMountinfo(readText('/proc/self/mountinfo'));
  const roots = mountRoots(mounts);
  for (const s of parseSwaps(readText('/proc/swaps'))) {
    const majmin = deviceOfPath(s.file);
    if (majmin) roots.push({ majmin, source: s.type === 'partition' ? s.file : null, reason: 'swap' });
  }
  const loopBacking: Record<string, string> = {};
  for (const f of flat.values()) {
    if (f.node.type !== 'loop') continue;
    const file = loopBackingFile(f.kname);
    const majmin = file ? deviceOfPath(file) : null;
    if (majmin) loopBacking[f.path] = majmin;
  }
  return { mounts, roots, loopBacking };
}

/** The file behind a loop device, from sysfs (lsblk 2.38's -O has no BACK-FILE column). */
export function loopBackingFile(kname: string): string | null {
  const raw = readText(`/sys/block/${kname}/loop/backing_file`).replace(/\n$/, '');
  if (!raw) return null;
  // The kernel appends " (deleted)" when the file was unlinked while attached.
  return raw.replace(/ \(deleted\)$/, '');
}

