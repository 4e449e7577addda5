/**
 * Turns lsblk nodes (plus drivelist's view and probe results) into `Drive`s.
 *
 * `isCandidate` and `toDrive` are pure so they are tested on recorded real output;
 * `buildDrives` only adds the probes (blkid, sysfs) that lsblk cannot answer
 * without udev.
 */
import { naturalCompare, type Drive, type DrivePartition, type SystemReason } from '../../../shared/drive';
import { bool, descendantsOf, nodeMountpoints, nodePath, num, text, type FlatNode, type LsblkNode, type LsblkOutput } from './lsblk';
import type { MountEntry } from './system';

/** The drivelist fields used (drivelist 12). */
export interface DrivelistEntry {
  device: string;
  description?: string | null;
  size?: number | null;
  isUSB?: boolean | null;
  isRemovable?: boolean | null;
  isVirtual?: boolean | null;
  isReadOnly?: boolean | null;
  isCard?: boolean | null;
  logicalBlockSize?: number | null;
  partitionTableType?: string | null;
  mountpoints?: { path: string }[];
}

export interface Probe {
  blkid(device: string): Promise<Record<string, string>>;
  loopBackingFile(kname: string): string | null;
}

/**
 * Whether a top-level lsblk node can be offered as a target at all.
 *
 * zram and ram disks are memory, CD/DVD drives (`rom`) cannot be flashed, and an
 * unattached loop device or empty card reader has size 0. Loop devices need the
 * caller's explicit option and a backing file.
 */
export function isCandidate(n: LsblkNode, includeLoop: boolean, hasBackingFile: boolean): boolean {
  const size = num(n.size) ?? 0;
  if (size <= 0) return false;
  const kname = n.kname ?? n.name;
  if (n.type === 'loop') return includeLoop && hasBackingFile;
  if (n.type !== 'disk') return false;
  return !/^(zram|ram)\d+$/.test(kname);
}

function pttypeOf(value: string | null | undefined): 'gpt' | 'dos' | null {
  return value === 'gpt' || value === 'dos' ? value : null;
}

export interface ToDriveInput {
  top: FlatNode;
  descendants: FlatNode[];
  drivelist: DrivelistEntry | null;
  reasons: SystemReason[];
  /** mounts of the disk and its descendants from mountinfo (lsblk may miss bind mounts) */
  mounts: string[];
  /** blkid -p of the disk and of each partition, keyed by path */
  blkid: Record<string, Record<string, string>>;
  /** the backing file of a loop device */
  backingFile: string | null;
}

export function toDrive(input: ToDriveInput): Drive {
  const { top, drivelist: dl } = input;
  const n = top.node;
  const isLoop = n.type === 'loop';
  const vendor = text(n.vendor);
  const model = text(n.model);
  const transport = text(n.tran);
  const usb = transport === 'usb' || Boolean(dl?.isUSB);
  const partitions: DrivePartition[] = input.descendants
    .filter((d) => d.node.type === 'part' && d.parents.includes(top.path))
    .map((d) => {
      const probed = input.blkid[d.path] ?? {};
      return {
        device: d.path,
        size: num(d.node.size) ?? 0,
        fstype: text(d.node.fstype) ?? text(probed.TYPE),
        label: text(d.node.label) ?? text(probed.LABEL),
        mountpoints: nodeMountpoints(d.node),
      };
    });
  const mountpoints = new Set<string>([...nodeMountpoints(n), ...input.mounts]);
  for (const d of input.descendants) for (const m of nodeMountpoints(d.node)) mountpoints.add(m);
  // virtio disks report the PCI vendor id ("0x1af4") as vendor, and drivelist repeats it: not a name.
  const named = (v: string | null) => (v && !/^0x[0-9a-f]+$/i.test(v) ? v : null);
  const description =
    [named(vendor), model].filter(Boolean).join(' ') ||
    named(text(dl?.description)) ||
    (isLoop && input.backingFile ? input.backingFile : top.kname);
  return {
    device: top.path,
    description,
    model,
    vendor,
    serial: text(n.serial),
    size: num(n.size) ?? dl?.size ?? 0,
    logicalBlockSize: num(n['log-sec']) ?? dl?.logicalBlockSize ?? 512,
    // drivelist calls virtual disks "removable"; only trust it for physical ones.
    removable: bool(n.rm) || bool(n.hotplug) || usb || Boolean(dl?.isRemovable && !dl?.isVirtual && !isLoop),
    usb,
    transport,
    partitionTable: pttypeOf(text(n.pttype)) ?? pttypeOf(dl?.partitionTableType) ?? pttypeOf(input.blkid[top.path]?.PTTYPE),
    mountpoints: [...mountpoints].sort(),
    readOnly: bool(n.ro) || Boolean(dl?.isReadOnly),
    isVirtual: isLoop || Boolean(dl?.isVirtual),
    isLoop,
    systemReasons: input.reasons,
    partitions,
  };
}

/** Removable and USB drives first (what users came to flash), then by device path. */
export function compareDrives(a: Drive, b: Drive): number {
  const rank = (d: Drive) => (d.usb ? 0 : d.removable ? 1 : d.isLoop ? 2 : 3);
  return rank(a) - rank(b) || naturalCompare(a.device, b.device);
}

export async function buildDrives(args: {
  lsblk: LsblkOutput;
  flat: Map<string, FlatNode>;
  drivelist: DrivelistEntry[];
  reasons: Map<string, SystemReason[]>;
  mounts: MountEntry[];
  probe: Probe;
  includeLoop: boolean;
}): Promise<Drive[]> {
  const out: Drive[] = [];
  await Promise.all(
    args.lsblk.blockdevices.map(async (n) => {
      const top = args.flat.get(nodePath(n));
      if (!top) return;
      const backingFile = n.type === 'loop' ? args.probe.loopBackingFile(top.kname) : null;
      if (!isCandidate(n, args.includeLoop, backingFile !== null)) return;
      const descendants = descendantsOf(args.flat, top.path);
      const ids = new Set([top.majmin, ...descendants.map((d) => d.majmin)].filter(Boolean));
      const mounts = args.mounts.filter((m) => ids.has(m.majmin)).map((m) => m.mountpoint);
      const blkid: Record<string, Record<string, string>> = {};
      const toProbe = [
        ...(text(n.pttype) ? [] : [top.path]),
        ...descendants.filter((d) => d.node.type === 'part' && !text(d.node.fstype)).map((d) => d.path),
      ];
      await Promise.all(toProbe.map(async (p) => (blkid[p] = await args.probe.blkid(p))));
      out.push(
        toDrive({
          top,
          descendants,
          drivelist: args.drivelist.find((d) => d.device === top.path) ?? null,
          reasons: args.reasons.get(top.path) ?? [],
          mounts,
          blkid,
          backingFile,
        }),
      );
    }),
  );
  return out.sort(compareDrives);
}
