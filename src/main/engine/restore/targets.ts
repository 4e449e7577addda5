/**
 * What the plan compiler needs to know about the chosen targets, measured now (the
 * compiler itself does no I/O), and the device the backup set is read from (a target
 * must never be the disk holding the set).
 */
import { statSync } from 'node:fs';
import { LifeboatError } from '../../../shared/errors';
import type { TargetSpec } from './compile';
import { deviceBytes, deviceSectorSize } from '../drives/size';

export async function measureTarget(device: string): Promise<TargetSpec> {
  try {
    if (!statSync(device).isBlockDevice()) throw new LifeboatError('target-not-block-device', { device });
  } catch (err) {
    if (err instanceof LifeboatError) throw err;
    throw new LifeboatError('target-missing', { device });
  }
  const [sizeBytes, sectorSize] = await Promise.all([deviceBytes(device), deviceSectorSize(device)]);
  return { device, sizeBytes, sectorSize };
}

/** The block device holding a folder: the same answer the flash policy uses for an image. */
export { sourceDeviceOf } from '../image/source-device';

/**
 * Pairs recorded disks with targets: explicit SRC=DST maps first, then the --target
 * list in the order of the recorded disks that are still free.
 */
export function assignTargets(recorded: string[], list: string[], maps: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [s, d] of maps) out[s] = d;
  const free = recorded.filter((d) => !(d in out));
  if (list.length > free.length) throw new LifeboatError('invalid-request', { field: '--target', reason: `${list.length} > ${free.length}` });
  list.forEach((d, i) => (out[free[i]] = d));
  return out;
}
