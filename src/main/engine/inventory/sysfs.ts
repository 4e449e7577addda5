/**
 * Walks /sys/class/block to find what a device sits on: partitions → whole disk,
 * device-mapper and MD → their slaves. /sys is read directly because there is no udev
 * here (nor in the rescue system).
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const SYS = '/sys/class/block';

export type DeviceKind = 'disk' | 'partition' | 'lvm' | 'crypt' | 'dm' | 'md';

export interface DeviceNode {
  name: string;
  kind: DeviceKind;
  /** the whole disk (partitions), or the slaves (dm, md) */
  parents: string[];
  sizeBytes: number;
}

function read(p: string): string | null {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Linux dev_t → "major:minor" (glibc's gnu_dev_major/minor layout). */
export function devNumber(rdev: number | bigint): string {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * /dev/loop0p2, /dev/mapper/vg-root, /dev/vg/root → the kernel name (loop0p2, dm-0).
 *
 * By device number through /sys/dev/block, not by resolving symlinks: without udev
 * (a busybox rescue system, a minimal container) device-mapper creates
 * /dev/mapper/vg-root as a node of its own, not as a link to ../dm-0, and its file
 * name is then no kernel name at all: LVM went unrecorded (found in qemu, test/qemu/lvm.test.ts).
 */
export function kernelName(device: string): string | null {
  try {
    const st = statSync(device, { bigint: true });
    if (st.isBlockDevice()) {
      const sys = `/sys/dev/block/${devNumber(st.rdev)}`;
      if (existsSync(sys)) return basename(realpathSync(sys));
    }
    return basename(realpathSync(device));
  } catch {
    return null;
  }
}

export function describe(name: string): DeviceNode | null {
  const dir = join(SYS, name);
  if (!existsSync(dir)) return null;
  const sizeBytes = Number(read(join(dir, 'size')) ?? 0) * 512;
  if (existsSync(join(dir, 'partition'))) {
    return { name, kind: 'partition', parents: [basename(dirname(realpathSync(dir)))], sizeBytes };
  }
  const slavesDir = join(dir, 'slaves');
  const slaves = existsSync(slavesDir) ? readdirSync(slavesDir) : [];
  if (name.startsWith('dm-')) {
    const uuid = read(join(dir, 'dm', 'uuid')) ?? '';
    const kind: DeviceKind = uuid.startsWith('LVM-') ? 'lvm' : uuid.startsWith('CRYPT-') ? 'crypt' : 'dm';
    return { name, kind, parents: slaves, sizeBytes };
  }
  if (name.startsWith('md')) return { name, kind: 'md', parents: slaves, sizeBytes };
  return { name, kind: 'disk', parents: [], sizeBytes };
}

/** The chain from a device down to its whole disks, device first. */
export function stack(name: string): DeviceNode[] {
  const out: DeviceNode[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    const d = describe(n);
    if (!d) return;
    out.push(d);
    d.parents.forEach(visit);
  };
  visit(name);
  return out;
}

/** The partitions of a whole disk, by kernel name. */
export function partitionsOf(disk: string): string[] {
  const dir = join('/sys/block', disk);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((e) => e.startsWith(disk) && existsSync(join(dir, e, 'partition')));
}

export function dmName(name: string): string | undefined {
  return read(join(SYS, name, 'dm', 'name')) ?? undefined;
}

/** An md array's chunk size in bytes (0 for RAID1 and linear), or undefined when sysfs does not say. */
export function mdChunkBytes(name: string): number | undefined {
  const v = Number(read(join(SYS, name, 'md', 'chunk_size')) ?? NaN);
  return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function uefiFirmware(): boolean {
  return existsSync('/sys/firmware/efi');
}
