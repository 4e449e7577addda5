/**
 * What every front end does before a restore runs: order the recorded disks, pair them
 * with targets, measure the targets and pick where the restored filesystems are
 * mounted. The CLI (`lifeboat restore`) and the helper's restore job both use it, so
 * a plan made from the same inputs is the same plan whichever door it came through.
 */
import { rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { BackupSet } from '../../../shared/backup-set';
import type { Disk } from '../../../shared/layout';
import { compilePlan, type TargetSpec } from './compile';
import { measureTarget } from './targets';

/** Whether a backed-up filesystem lives on the disk (such a disk must get a target). */
export function holdsData(set: BackupSet, disk: Disk): boolean {
  return set.archives.some((a) => a.device === disk.device || disk.table?.partitions.some((p) => p.node === a.device));
}

/** The recorded disks, those holding backed-up data first: a plain --target list fills them first. */
export function recordedOrder(set: BackupSet): string[] {
  return [...set.layout.disks].sort((a, b) => Number(holdsData(set, b)) - Number(holdsData(set, a))).map((d) => d.device);
}

/** Measures every chosen target now (the compiler itself does no I/O). */
export async function measureTargets(pairs: Record<string, string>): Promise<Record<string, TargetSpec>> {
  const targets: Record<string, TargetSpec> = {};
  for (const [src, dev] of Object.entries(pairs)) targets[src] = await measureTarget(dev);
  return targets;
}

/**
 * One fixed place per set of targets: running again after a killed run finds (and
 * removes) the mounts it left there.
 */
export function defaultMountRoot(devices: string[]): string {
  return resolve(join(tmpdir(), 'lifeboat-restore', devices.map((d) => basename(d)).join('+')));
}

/** Removes the mount root a run made once it is empty; a folder still in use stays. */
export function removeMountRoot(mountRoot: string): void {
  try {
    rmdirSync(mountRoot);
    rmdirSync(dirname(mountRoot));
  } catch {
    /* not made (failed early), not empty, or shared with another run */
  }
}

/**
 * The smallest target each recorded disk fits on, before any target is chosen.
 *
 * The compiler is pure, so it can plan onto imaginary disks far larger than needed:
 * the sizes it reports as needed do not depend on the target's size. A disk it cannot
 * plan (a layout this version cannot recreate) gets null and the real plan says why.
 */
export function neededBytesByDisk(set: BackupSet): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const targets: Record<string, TargetSpec> = {};
  set.layout.disks.forEach((d, i) => {
    out[d.device] = null;
    targets[d.device] = { device: `/dev/lifeboat-probe${i}`, sizeBytes: Math.max(d.sizeBytes, 2 ** 40) * 4, sectorSize: d.table?.sectorsize ?? 512 };
  });
  try {
    // the sizes come from the layout's used bytes (the whole filesystem, for an incremental set
    // too): the bases' archives change nothing here
    const plan = compilePlan(set, { setDir: '/probe', targets, mountRoot: '/probe/mnt', bases: [] });
    for (const t of plan.targets) out[t.source] = t.neededBytes;
  } catch {
    /* left null: restore.plan reports the real reason once targets are chosen */
  }
  return out;
}
