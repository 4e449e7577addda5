/**
 * The last check before a drive is written: one fresh scan, the shared policy.
 *
 * The UI already greyed out system, small and read-only drives, but the list it
 * showed may be minutes old and a request can come from anywhere; so the helper
 * re-scans here, at the moment of writing, and applies the very same
 * `driveStatuses` predicates. Etcher's child-writer skipped this re-check.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { run } from '../run';
import { LifeboatError } from '../../../shared/errors';
import type { Drive } from '../../../shared/drive';
import { driveStatuses } from '../../../shared/drive-policy';
import { listDrives, readLsblk } from './scan';
import { flattenLsblk } from './lsblk';
import { parseMountinfo } from './system';

export interface WritableTargetOptions {
  /** bytes the image writes, null while unknown */
  imageSize: number | null;
  /** the block device holding the image file */
  imageSourceDevice: string | null;
  /** whether loop devices may be targets (tests, power users) */
  includeLoop: boolean;
}

/** Resolves symlinks (/dev/disk/by-id/…) so the policy compares kernel names. */
function resolveBlockDevice(device: string): string {
  let real: string;
  try {
    real = realpathSync(device);
  } catch {
    throw new LifeboatError('target-missing', { device });
  }
  let isBlock = false;
  try {
    isBlock = statSync(real).isBlockDevice();
  } catch {
    throw new LifeboatError('target-missing', { device });
  }
  if (!isBlock) throw new LifeboatError('target-not-block-device', { device });
  return real;
}

/**
 * The whole disks under a device (the image's mount may be a partition, an md array
 * or an LV spanning disks): each of them counts as the source.
 */
async function sourceDisks(source: string | null): Promise<string[]> {
  if (!source) return [];
  let real = source;
  try {
    real = realpathSync(source);
  } catch {
    /* keep the name given; the policy still compares it */
  }
  const flat = flattenLsblk(await readLsblk());
  return [real, ...(flat.get(real)?.disks ?? [])];
}

/** Refuses any target the shared policy blocks; returns the freshly scanned drive. */
export async function assertWritableTarget(device: string, opts: WritableTargetOptions): Promise<Drive> {
  const real = resolveBlockDevice(device);
  // Loop devices are listed here even when not allowed, so the refusal can say what they are.
  const drives = await listDrives({ includeLoop: true, all: true });
  const drive = drives.find((d) => d.device === real);
  if (!drive) {
    const owner = drives.find((d) => d.partitions.some((p) => p.device === real));
    if (owner) throw new LifeboatError('target-is-partition', { device, disk: owner.device });
    throw new LifeboatError('target-not-block-device', { device });
  }
  if (drive.isLoop && !opts.includeLoop) throw new LifeboatError('target-loop-not-allowed', { device });

  const sources = await sourceDisks(opts.imageSourceDevice);
  const imageSourceDevice = sources.includes(drive.device) ? drive.device : opts.imageSourceDevice;
  const blocking = driveStatuses(drive, { imageSize: opts.imageSize, imageSourceDevice }).filter((s) => s.blocking);
  for (const status of blocking) {
    switch (status.code) {
      case 'system':
        throw new LifeboatError('target-system', { device, reason: drive.systemReasons.join(', ') });
      case 'source':
        throw new LifeboatError('target-is-source', { device });
      case 'read-only':
        throw new LifeboatError('target-read-only', { device });
      case 'too-small':
        throw new LifeboatError('target-too-small', {
          device,
          needed: opts.imageSize ?? 0,
          available: drive.size,
          size: drive.size,
        });
      default:
        // A blocking status this guard does not know yet must still block.
        throw new LifeboatError('target-system', { device, reason: status.code });
    }
  }
  return drive;
}

/** Mountpoints of the drive and its partitions, read now from the kernel's table. */
function currentMounts(drive: Drive): string[] {
  const devices = new Set([drive.device, ...drive.partitions.map((p) => p.device)]);
  const table = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const fromTable = table.filter((m) => devices.has(m.source)).map((m) => m.mountpoint);
  return [...new Set([...fromTable, ...drive.mountpoints])];
}

/**
 * Unmounts every filesystem of a (non-system) drive before it is overwritten, as
 * Etcher does: writing under a mounted filesystem corrupts both.
 */
export async function unmountDrive(drive: Drive): Promise<void> {
  if (drive.systemReasons.length > 0) {
    throw new LifeboatError('target-system', { device: drive.device, reason: drive.systemReasons.join(', ') });
  }
  // Deepest first, so a mount nested in another one is gone before its parent.
  const mounts = currentMounts(drive).sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      await run('umount', ['--', m], { timeoutMs: 60_000 });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      // It may have gone away meanwhile (another unmount, the user); only a mount that remains is an error.
      if (currentMounts({ ...drive, mountpoints: [] }).includes(m)) {
        throw new LifeboatError('target-mounted', { device: drive.device, detail }, undefined, { cause: err });
      }
    }
  }
  const left = currentMounts({ ...drive, mountpoints: [] });
  if (left.length) throw new LifeboatError('target-mounted', { device: drive.device, detail: left.join(', ') });
}

/**
 * The write-time check every writer runs last, right before it opens a target: the drive
 * rules again on a fresh scan (the device may have changed since it was chosen), then its
 * filesystems unmounted. Answers the drive as checked.
 */
export async function claimTarget(device: string, opts: WritableTargetOptions): Promise<Drive> {
  const drive = await assertWritableTarget(device, opts);
  await unmountDrive(drive);
  return drive;
}
