/**
 * The unprivileged half of the Restore journey: find backup sets and describe one.
 *
 * It runs as the user (Electron main or browser host), so it finds what the user can
 * read — a rescue session's user can read the attached disks. A set is a folder with
 * a `lifeboat.json` that passes the manifest schema; anything else is skipped quietly
 * while scanning and reported with its reason when the user names it.
 */
import { readFileSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BackupSet } from '../../shared/backup-set';
import type { FoundSet, SetSummary } from '../../shared/restore-sets';
import { readManifest } from '../engine/set/read';
import { holdsData, neededBytesByDisk } from '../engine/restore/prepare';
import { sourceDeviceOf } from '../engine/restore/targets';

/** How deep below a root a set may sit (root/a/b/c): deep enough for media/user/disk/set. */
export const FIND_DEPTH = 3;
/** A scan of a big disk stops here rather than keep the user waiting. */
const MAX_DIRS = 20_000;
/** Kernel and runtime trees: never hold sets, and walking them is slow or endless. */
const SKIP = new Set(['/proc', '/sys', '/dev', '/run/user', '/var/lib/docker', '/snap']);

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of filesystems on block devices (what a backup can sit on), read from the kernel. */
export function blockMountRoots(mountinfo = '/proc/self/mountinfo'): string[] {
  let text = '';
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0) continue;
    const source = f[dash + 2] ?? '';
    if (source.startsWith('/dev/')) out.push(unescapeMount(f[4]!));
  }
  return out;
}

/** Where the scan looks when the user named no folder. */
export function defaultFindRoots(home: string | undefined): string[] {
  return [...new Set([...blockMountRoots(), '/media', '/mnt', '/run/media', ...(home ? [home] : [])])];
}

function summaryOf(dir: string, set: BackupSet): FoundSet {
  return {
    dir,
    id: set.id,
    host: set.host,
    created: set.created,
    kind: set.kind.type,
    bytes: set.archives.reduce((sum, a) => sum + a.parts.reduce((s, p) => s + p.size, 0), 0),
    archives: set.archives.length,
  };
}

/** Sets at most FIND_DEPTH folders below each root, newest first, each listed once. */
export async function findSets(roots: string[]): Promise<FoundSet[]> {
  const found = new Map<string, FoundSet>();
  /** folder → the shallowest depth it was read at: reached again higher up, it is read again to look deeper */
  const seen = new Map<string, number>();
  let visited = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (visited >= MAX_DIRS || SKIP.has(dir)) return;
    const real = await realpath(dir).catch(() => null);
    if (!real || (seen.get(real) ?? Infinity) <= depth) return;
    seen.set(real, depth);
    visited++;
    let entries;
    try {
      entries = await readdir(real, { withFileTypes: true });
    } catch {
      return; // unreadable for this user, or gone
    }
    if (entries.some((e) => e.name === 'lifeboat.json' && e.isFile())) {
      try {
        found.set(real, summaryOf(real, readManifest(real)));
      } catch {
        /* not a valid set: a scan does not stop on it */
      }
      return; // a set's own folders hold archives, not other sets
    }
    if (depth >= FIND_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(real, e.name), depth + 1);
    }
  };
  for (const root of roots) {
    const st = await stat(root).catch(() => null);
    if (st?.isDirectory()) await walk(resolve(root), 0);
  }
  return [...found.values()].sort((a, b) => b.created.localeCompare(a.created) || a.dir.localeCompare(b.dir));
}

/** One set, as the journey shows it; `set-invalid` with the reason when it is not one. */
export async function inspectSet(setDir: string): Promise<SetSummary> {
  const dir = resolve(setDir);
  const set = readManifest(dir);
  const needed = neededBytesByDisk(set);
  const fsOf = new Map(set.layout.filesystems.map((f) => [f.device, f]));
  return {
    ...summaryOf(dir, set),
    base: set.kind.type === 'incremental' ? set.kind.base : null,
    sourceRoot: set.sourceRoot,
    compression: set.compression.tool,
    firmware: set.layout.boot.firmware,
    disks: set.layout.disks.map((d) => ({
      device: d.device,
      sizeBytes: d.sizeBytes,
      model: d.model ?? null,
      table: d.table?.label ?? null,
      holdsData: holdsData(set, d),
      neededBytes: needed[d.device] ?? null,
      partitions: (d.table?.partitions ?? []).map((p) => {
        const fs = fsOf.get(p.node);
        const swap = set.layout.swap.find((s) => s.device === p.node);
        return {
          node: p.node,
          number: p.number,
          sizeBytes: p.size * (d.table?.sectorsize ?? 512),
          type: p.type,
          name: p.name ?? null,
          fsType: fs?.type ?? (swap ? 'swap' : null),
          mountpoint: fs?.mountpoint ?? null,
          label: fs?.label ?? swap?.label ?? null,
        };
      }),
    })),
    archiveList: set.archives.map((a) => ({
      id: a.id,
      mountpoint: a.mountpoint,
      device: a.device,
      fsType: a.fsType,
      bytesIn: a.bytesIn,
      files: a.files,
      parts: a.parts.length,
    })),
    warnings: set.layout.warnings,
    sourceDevice: await sourceDeviceOf(dir),
  };
}
