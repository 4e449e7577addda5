/**
 * A block device's size without opening it: the kernel publishes it in sysfs (in 512-byte
 * units, whatever the device's sector size). `blockdev --getsize64` opens the device, which
 * a machine may refuse for its own system disk (this VM does): measuring a target before the
 * drive guard has looked at it then failed as a tool error instead of the guard's refusal.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { run } from '../run';

function sysfs(device: string, file: string): number | null {
  try {
    const value = Number(readFileSync(`/sys/class/block/${basename(realpathSync(device))}/${file}`, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** Bytes the device holds: sysfs, or blockdev where sysfs has no answer (another kernel layout). */
export async function deviceBytes(device: string): Promise<number> {
  const sectors = sysfs(device, 'size');
  if (sectors !== null) return sectors * 512;
  return Number((await run('blockdev', ['--getsize64', device])).stdout.trim());
}

/** The device's logical sector size (a whole disk's queue), or blockdev's answer. */
export async function deviceSectorSize(device: string): Promise<number> {
  const size = sysfs(device, 'queue/logical_block_size');
  if (size !== null && size > 0) return size;
  return Number((await run('blockdev', ['--getss', device])).stdout.trim());
}
