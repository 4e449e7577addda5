/**
 * Lists the drives a user could write to, as the UI, the CLI and the helper see them.
 *
 * drivelist gives Etcher's view (description, USB, removable); `lsblk -J -b -O`
 * gives the topology and kernel attributes and is the source of truth for which
 * devices exist; `blkid -p` fills the partition table and filesystem types that
 * lsblk leaves empty without udev. System disks are dropped unless asked for.
 */
import { runJson, run } from '../run';
import type { Drive } from '../../../shared/drive';
import { flattenLsblk, type LsblkOutput } from './lsblk';
import { buildDrives, type DrivelistEntry, type Probe } from './build';
import { readSystemFacts, systemReasonsByDisk, loopBackingFile } from './system';

export interface ListDrivesOptions {
  /** include attached loop devices (tests, power users); real drives are unaffected */
  includeLoop?: boolean;
  /** include system drives (marked with their reasons) */
  all?: boolean;
}

/** drivelist is a native module: a machine where it fails to load still gets lsblk's view. */
async function drivelistEntries(): Promise<DrivelistEntry[]> {
  try {
    const mod = (await import('drivelist')) as unknown as { list: () => Promise<DrivelistEntry[]>; default?: { list: () => Promise<DrivelistEntry[]> } };
    const list = mod.list ?? mod.default?.list;
    return list ? await list() : [];
  } catch (err) {
    process.stderr.write(`lifeboat: drivelist unavailable, using lsblk only: ${(err as Error).message}\n`);
    return [];
  }
}

/** `blkid -p`: probes the device itself, no cache, no udev. Exit 2 means "nothing found". */
async function blkidProbe(device: string): Promise<Record<string, string>> {
  try {
    const { stdout } = await run('blkid', ['-p', '-o', 'export', device], { okExitCodes: [0, 2], timeoutMs: 10_000 });
    const out: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } catch {
    // A drive that cannot be probed (no medium, I/O error) still gets listed, without these details.
    return {};
  }
}

export async function readLsblk(device?: string): Promise<LsblkOutput> {
  return runJson<LsblkOutput>('lsblk', ['-J', '-b', '-O', ...(device ? ['--', device] : [])]);
}

export async function listDrives(opts: ListDrivesOptions = {}): Promise<Drive[]> {
  const [lsblk, dl] = await Promise.all([readLsblk(), drivelistEntries()]);
  const flat = flattenLsblk(lsblk);
  const facts = readSystemFacts(flat);
  const reasons = systemReasonsByDisk(flat, facts.roots, facts.loopBacking);
  const probe: Probe = { blkid: blkidProbe, loopBackingFile };
  const drives = await buildDrives({ lsblk, flat, drivelist: dl, reasons, mounts: facts.mounts, probe, includeLoop: Boolean(opts.includeLoop) });
  return drives.filter((d) => opts.all || d.systemReasons.length === 0);
}
