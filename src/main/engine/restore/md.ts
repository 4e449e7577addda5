/**
 * MD (Linux software RAID) arrays in a restore plan: which recorded arrays can be made
 * again, how much room their members need, and the `mdadm --create` that recreates one
 * with its recorded level, member count and order, metadata version, chunk size, UUID and
 * superblock name — so the restored system's mdadm.conf, initramfs and fstab find it.
 */
import type { MdArray } from '../../../shared/layout';
import { MiB } from './sizing';

/** Levels mdadm --create makes from plain block devices (no firmware container). */
export const MD_LEVELS = new Set(['linear', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10']);
/** Native md metadata; imsm, ddf and external:… belong to firmware RAID containers. */
const MD_METADATA = /^(0\.90|1\.[012])$/;

export function mdSupported(a: MdArray): boolean {
  return MD_LEVELS.has(a.level) && (a.metadata === undefined || MD_METADATA.test(a.metadata));
}

/** How many members' worth of space the array offers (RAID10: the default two copies). */
export function dataDisks(level: string, slots: number): number {
  switch (level) {
    case 'linear':
    case 'raid0':
      return slots;
    case 'raid1':
      return 1;
    case 'raid4':
    case 'raid5':
      return Math.max(1, slots - 1);
    case 'raid6':
      return Math.max(1, slots - 2);
    case 'raid10':
      return Math.max(1, slots / 2);
    default:
      return 1;
  }
}

/**
 * What a member gives up to md: the superblock, bad-block log and headroom before the data
 * (1.x metadata reserves at most 128 MiB, about 1/1024 of the device on small ones: a
 * 100 MiB member had its data at 1 MiB in qemu), and an internal bitmap. An upper bound.
 */
export function mdOverhead(memberBytes: number): number {
  return Math.min(130 * MiB, Math.ceil(memberBytes / 512)) + 4 * MiB;
}

/**
 * How many members are spares (they come last). A layout recorded before roles were kept
 * has no `spares`: members beyond the slot count are spares then.
 */
export function mdSpareCount(a: MdArray): number {
  return Math.max(a.spares?.length ?? 0, a.raidDevices !== undefined ? a.members.length - a.raidDevices : 0, 0);
}

/** Slots of the array (raid-devices), never fewer than its active members. */
export function mdSlots(a: MdArray): number {
  const active = a.members.length - mdSpareCount(a);
  return Math.max(a.raidDevices ?? active, active, 1);
}

/** Bytes each member needs so that the array holds `arrayBytes`. */
export function memberNeed(a: MdArray, arrayBytes: number): number {
  if (arrayBytes <= 0) return 0;
  const share = Math.ceil(arrayBytes / dataDisks(a.level, mdSlots(a)));
  return share + mdOverhead(share);
}

/** The array's size on members of these sizes (the smallest member sets it). An estimate that errs low. */
export function arrayBytes(a: MdArray, memberBytes: number[]): number {
  const smallest = Math.min(...memberBytes);
  if (!Number.isFinite(smallest) || smallest <= 0) return 0;
  return Math.max(0, Math.floor(dataDisks(a.level, mdSlots(a)) * (smallest - mdOverhead(smallest))));
}

/**
 * The node the restore makes and then formats: /dev/md/NAME as recorded (mdadm makes the
 * link itself when there is no udev, as in the rescue system), else the name in the
 * superblock, else the kernel node the array had.
 */
export function mdNode(a: MdArray): string {
  const name = a.name ?? a.superName?.split(':').pop();
  return name ? `/dev/md/${name}` : a.device;
}

/** Every name a recorded layout may use for the array (mounts and PVs name either). */
export function mdAliases(a: MdArray): string[] {
  const names = new Set([a.device, mdNode(a)]);
  if (a.name) names.add(`/dev/md/${a.name}`);
  return [...names];
}

/** A fresh identity in mdadm's form from a UUID: 32 hex digits in four groups of 8. */
export function mdUuidFrom(uuid: string): string {
  const hex = uuid.replace(/-/g, '').toLowerCase().padEnd(32, '0').slice(0, 32);
  return [0, 8, 16, 24].map((i) => hex.slice(i, i + 8)).join(':');
}

export interface MdCreate {
  node: string;
  /** the target members, in the recorded role order (spares last); null: a slot left empty */
  members: Array<string | null>;
  uuid?: string;
}

export function mdCreateArgv(a: MdArray, c: MdCreate): string[] {
  const slots = mdSlots(a);
  const spares = mdSpareCount(a);
  const active = c.members.slice(0, c.members.length - spares);
  const argv = ['mdadm', '--create', c.node, '--run'];
  if (a.metadata) argv.push(`--metadata=${a.metadata}`);
  argv.push(`--level=${a.level}`, `--raid-devices=${slots}`);
  if (spares) argv.push(`--spare-devices=${spares}`);
  // the chunk decides where data lands on striped levels; RAID1 has none, linear ignores it
  if (a.chunkBytes && !['raid1', 'linear'].includes(a.level)) argv.push(`--chunk=${Math.round(a.chunkBytes / 1024)}K`);
  if (c.uuid) argv.push(`--uuid=${c.uuid}`);
  // the superblock's "host:name" as it was, not the rescue system's host name: mdadm.conf may match on it
  const name = a.superName ?? a.name;
  if (name && a.metadata !== '0.90') argv.push(`--name=${name}`);
  // No initial resync for a RAID1 made on freshly wiped disks: every block the restored
  // filesystem will ever read is written through the array first, which writes all
  // copies alike, so the mirrors agree wherever it matters (md's "check" may count
  // mismatches in never-written blocks). RAID4/5/6 are not safe: a write computes
  // parity from what is on the disks, and unsynced parity would rebuild garbage after a
  // disk failure. RAID0 and linear have nothing to sync. A degraded array syncs nothing.
  if (a.level === 'raid1' && active.every(Boolean) && active.length === slots) argv.push('--assume-clean');
  argv.push(...c.members.map((m) => m ?? 'missing'));
  return argv;
}
