/**
 * The drive model: what a scan reports about one whole block device.
 */

export interface DrivePartition {
  device: string;
  size: number;
  fstype: string | null;
  label: string | null;
  mountpoints: string[];
}

/** Why a drive counts as the system's own (any one makes it unwritable). */
export type SystemReason = 'root' | 'boot' | 'efi' | 'swap' | 'live-medium' | 'mounted-system';

export interface Drive {
  /** the device path; also the id the UI selects by */
  device: string;
  /** a human description: vendor + model, or drivelist's description */
  description: string;
  model: string | null;
  vendor: string | null;
  serial: string | null;
  size: number;
  logicalBlockSize: number;
  removable: boolean;
  usb: boolean;
  /** lsblk's transport: usb, sata, nvme, … or null */
  transport: string | null;
  partitionTable: 'gpt' | 'dos' | null;
  /** mountpoints of the drive and all its partitions */
  mountpoints: string[];
  readOnly: boolean;
  isVirtual: boolean;
  isLoop: boolean;
  /** non-empty when the drive holds the running system or the live medium */
  systemReasons: SystemReason[];
  partitions: DrivePartition[];
}

/** What a drive is for a given image: each status is shown; blocking ones disable the choice. */
export type DriveStatusCode = 'system' | 'too-small' | 'source' | 'read-only' | 'large' | 'mounted';

export interface DriveStatus {
  code: DriveStatusCode;
  /** true when the drive cannot be chosen as a target */
  blocking: boolean;
}

/**
 * Device paths in natural order (loop2 before loop10), runs of digits compared as numbers.
 * Not localeCompare(…, { numeric: true }): in Node that loads ICU's collation data, 2.7 MiB of
 * the flash command's 64 MiB memory goal, to sort ASCII paths. One order for the engine's
 * drive list and the screens that sort drives.
 */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (x === y) continue;
    const nx = /^\d/.test(x) && /^\d/.test(y);
    if (nx && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
