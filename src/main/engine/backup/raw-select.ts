/**
 * Which partitions of the recorded disks are kept as raw images: those that hold no
 * filesystem the backup archives as files — an unmounted ESP, the Windows and recovery
 * partitions of a dual-boot machine, a filesystem Linux cannot mount, a BIOS boot
 * partition. Left to the other parts of the backup: swap (recreated by mkswap), LVM PVs,
 * RAID members and LUKS containers (their contents are archived through their mounts,
 * or warned about by the inventory), and the dos extended-partition container (it holds
 * only the logical partitions' table, which sfdisk recreates).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Filesystem, Layout, Partition } from '../../../shared/layout';
import { EXTENDED_TYPES } from '../restore/sizing';

/** blkid types whose contents are handled elsewhere, never imaged */
const HANDLED_TYPES = new Set(['swap', 'LVM2_member', 'linux_raid_member', 'crypto_LUKS', 'zfs_member']);
const SWAP_PART_TYPES = new Set(['0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', '82']);

export interface RawCandidate {
  disk: string;
  partition: Partition;
  sizeBytes: number;
  filesystem?: Filesystem;
}

export interface RawSelection {
  images: RawCandidate[];
  /** partitions that would be imaged but are in use by the running system: an image of them would be torn */
  inUse: RawCandidate[];
}

/** Block devices the running system uses right now: mounted anywhere, active swap, or held by dm/md. */
function busyDevices(): Set<string> {
  const busy = new Set<string>();
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ');
    const dash = f.indexOf('-');
    if (dash > 0 && f[dash + 2]?.startsWith('/dev/')) busy.add(f[dash + 2]);
  }
  for (const l of readFileSync('/proc/swaps', 'utf8').split('\n').slice(1)) if (l) busy.add(l.split(/\s+/)[0]);
  return busy;
}

function heldByOthers(node: string): boolean {
  const holders = `/sys/class/block/${basename(node)}/holders`;
  return existsSync(holders) && readdirSync(holders).length > 0;
}

/**
 * @param archived the devices whose filesystems are archived as files (mounted in the root)
 */
export function selectRawPartitions(layout: Layout, archived: Set<string>): RawSelection {
  const fsByDevice = new Map(layout.filesystems.map((f) => [f.device, f]));
  const handled = new Set<string>([
    ...layout.swap.map((s) => s.device),
    ...(layout.lvm?.pvs.map((p) => p.name) ?? []),
    ...layout.md.flatMap((m) => m.members),
    ...layout.crypt.flatMap((c) => c.backing),
  ]);
  const busy = busyDevices();
  const out: RawSelection = { images: [], inUse: [] };
  for (const disk of layout.disks) {
    const table = disk.table;
    if (!table) continue;
    for (const p of table.partitions) {
      if (archived.has(p.node) || handled.has(p.node)) continue;
      if (SWAP_PART_TYPES.has(p.type.toUpperCase())) continue;
      if (table.label === 'dos' && EXTENDED_TYPES.has(p.type.toUpperCase())) continue;
      const fs = fsByDevice.get(p.node);
      if (fs && HANDLED_TYPES.has(fs.type)) continue;
      const c: RawCandidate = { disk: disk.device, partition: p, sizeBytes: p.size * table.sectorsize, filesystem: fs };
      if (c.sizeBytes === 0) continue;
      if (busy.has(p.node) || heldByOthers(p.node)) out.inUse.push(c);
      else out.images.push(c);
    }
  }
  return out;
}
