/**
 * Restore steps for raw partition images: the image's parts, decompressed, written
 * byte for byte onto the target partition with dd.
 *
 * Every byte is written, zeros included: the target partition is not known to be zero
 * (a reused disk keeps its old contents under a new table), so skipping zero blocks
 * (`conv=sparse`) would leave stale data where the source had zeros. By hand:
 *   cat archives/<id>.img.zst.* | zstd -dc | dd of=/dev/sdXN bs=4M conv=fsync
 */
import { posix } from 'node:path';
import type { Archive, BackupSet } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import type { RestoreStep } from '../../../shared/restore-plan';
import { decompressArgv } from './extract-args';

/** dd, as GNU coreutils and busybox both take it; fsync: the step ends when the bytes are on the disk */
export function rawWriteArgv(device: string): string[] {
  return ['dd', `of=${device}`, 'bs=4M', 'conv=fsync'];
}

/**
 * Appends one step per raw image whose partition has a target. Refuses (plan time, with
 * the numbers) a target partition smaller than its image: a truncated partition image
 * is a broken filesystem.
 */
export function rawSteps(set: BackupSet, rawOf: Map<string, Archive>, devMap: Map<string, string>, devBytes: Map<string, number>, setDir: string, steps: RestoreStep[]): void {
  for (const a of rawOf.values()) {
    const dev = devMap.get(a.device);
    if (!dev) continue;
    const available = devBytes.get(a.device) ?? 0;
    const needed = a.raw!.sizeBytes;
    if (available < needed) throw new LifeboatError('target-too-small', { device: dev, needed, available, size: available });
    const decompress = decompressArgv(set.compression.tool);
    const bytes = a.parts.reduce((s, p) => s + p.size, 0);
    steps.push({
      id: `raw.${a.id}`,
      phase: 'format',
      title: { key: 'steps.rawImage', params: { archive: a.id, device: dev, bytes: needed } },
      argv: { pipeline: [...(decompress ? [decompress] : []), rawWriteArgv(dev)], input: a.parts.map((p) => posix.join(setDir, p.name)) },
      destructive: true,
      weight: Math.max(1, bytes),
      native: 'extract',
      archive: a.id,
      device: dev,
    });
  }
}
