/**
 * What a set holds, entry by entry, from GNU tar's own listing (`tar -tv`), so browsing,
 * compare and file restore agree with what `tar -x` would produce.
 *
 * For an incremental chain the effective tree is the newest archive's view: its
 * `--listed-incremental` snapshot records every directory's contents at backup time
 * (NUL-separated, so any file name survives), and each name comes from the newest
 * archive of the chain that holds it. Files deleted between two sets thus vanish, as
 * they do after a real incremental restore.
 *
 * One listing per set is cached in memory: a UI browser asks folder after folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Archive } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { chooseDecompressor } from '../backup/compressors';
import { runPipeline } from '../restore/extract';
import { createJobContext, type JobContext } from '../job';
import { archiveChain, resolveChain, type ChainLink } from './chain';
import { checkParts } from './parts';
import { parseSums } from './sums';
import { unescapeTar } from '../tar-quoting';
import { applyRenames, minimalRenames, renamesBetween, snapshotRecords, transformArgs, type Renames, type SnapshotRecord } from './renames';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface SetEntry {
  type: EntryType;
  /** permission bits as tar lists them, e.g. "rwxr-xr-x" */
  perms: string;
  uid: number;
  gid: number;
  size: number;
  /** ISO 8601, UTC */
  mtime: string;
  /** symlink or hard link target */
  target?: string;
  /** index into MountListing.archives of the archive that holds this entry */
  from: number;
  /** the member's place in that archive (0 for the first): a file restore names its
   *  members to tar in this order (extract-files.ts) */
  order: number;
  /** the member's name in that archive when a later set of the chain renamed a folder above it (renames.ts) */
  member?: string;
}

export interface MountListing {
  mountpoint: string;
  /** base first */
  archives: Array<{ link: ChainLink; archive: Archive; transform?: string[] }>;
  /** keyed by path relative to the mountpoint, "" for the mountpoint itself */
  entries: Map<string, SetEntry>;
}

export interface SetListing {
  chain: ChainLink[];
  mounts: MountListing[];
}

/** "./a/b/" → "a/b", "./" → "" */
export function relName(member: string): string {
  return member.replace(/^\.\/?/, '').replace(/\/+$/, '');
}

/** The archive member name tar matches for a relative path. */
export function memberName(rel: string): string {
  return rel ? `./${rel}` : './';
}

// tar pads the date column to align names; every member name starts with "." (-C mount .)
const LINE = /^(\S)(\S{9})\S* (\d+)\/(\d+) +(\d+|\d+, *\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? +(\..*)$/;
const TYPES: Record<string, EntryType> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink' };

/** Parses one `tar -tv --utc --full-time --numeric-owner --quoting-style=escape` line. */
export function parseListLine(line: string): { rel: string; entry: Omit<SetEntry, 'from' | 'order'> } | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const type = TYPES[m[1]] ?? 'other';
  let name = m[7];
  let target: string | undefined;
  const sep = type === 'symlink' ? ' -> ' : type === 'hardlink' ? ' link to ' : null;
  if (sep && name.includes(sep)) {
    const at = name.indexOf(sep);
    target = unescapeTar(name.slice(at + sep.length));
    name = name.slice(0, at);
  }
  // a hard link names another member: keep it relative to the mountpoint like every key
  if (type === 'hardlink' && target) target = relName(target);
  return {
    rel: relName(unescapeTar(name)),
    entry: { type, perms: m[2], uid: Number(m[3]), gid: Number(m[4]), size: m[5].includes(',') ? 0 : Number(m[5]), mtime: m[6].replace(' ', 'T') + 'Z', target },
  };
}

export async function decompressStage(link: ChainLink): Promise<string[][]> {
  const d = await chooseDecompressor(link.manifest.compression.tool);
  return d ? [[d.program, ...d.args]] : [];
}

/** Every member of one archive, after its parts are proven whole. */
async function listArchive(link: ChainLink, archive: Archive, ctx: JobContext): Promise<Map<string, Omit<SetEntry, 'from'>>> {
  await checkParts(link.dir, archive.parts, ctx);
  const out = new Map<string, Omit<SetEntry, 'from'>>();
  let rest = '';
  const take = (line: string) => {
    const p = parseListLine(line);
    if (p) out.set(p.rel, { ...p.entry, order: out.size });
    else if (line) ctx.log(`unparsed tar listing line: ${line}`);
  };
  const tar = ['tar', '-t', '-v', '-f', '-', '--utc', '--full-time', '--numeric-owner', '--quoting-style=escape'];
  await runPipeline(archive.parts.map((p) => join(link.dir, p.name)), [...(await decompressStage(link)), tar], ctx.signal, () => {}, {
    onStdout: (d) => {
      const lines = (rest + d.toString('latin1')).split('\n');
      rest = lines.pop()!;
      // escaped output is ASCII; latin1 keeps any stray byte intact until unescaping
      for (const l of lines) take(l);
    },
  });
  take(rest);
  return out;
}

/** The paths a `--listed-incremental` snapshot (format 2) says existed, relative. */
export function snapshotNames(body: Buffer): Set<string> {
  return recordedNames(snapshotRecords(body));
}

function recordedNames(records: SnapshotRecord[]): Set<string> {
  const names = new Set<string>();
  for (const { name, entries } of records) {
    names.add(name);
    for (const e of entries) names.add(name ? `${name}/${e.slice(1)}` : e.slice(1));
  }
  return names;
}

function readCheckedSnapshot(link: ChainLink, snapshot: string): Buffer {
  const body = readFileSync(join(link.dir, snapshot));
  const sums = new Map(parseSums(readFileSync(join(link.dir, 'SHA256SUMS'), 'utf8'), link.dir).map((e) => [e.name, e.sha256]));
  const digest = createHash('sha256').update(body).digest('hex');
  if (sums.get(snapshot) !== digest) throw new LifeboatError('set-part-corrupt', { part: snapshot });
  return body;
}

async function buildListing(chain: ChainLink[], ctx: JobContext): Promise<SetListing> {
  const last = chain[chain.length - 1];
  const mounts: MountListing[] = [];
  // raw partition images hold no files to list, compare or pick: they are left out, and said so
  const raw = last.manifest.archives.filter((a) => a.kind === 'raw');
  if (raw.length) ctx.log(`raw partition images have no file list and are skipped: ${raw.map((a) => `${a.id} (${a.device})`).join(', ')}`);
  for (const head of last.manifest.archives.filter((a) => a.kind !== 'raw')) {
    // the same archives a whole-system restore replays (a filesystem made anew starts its own chain)
    const archives: MountListing['archives'] = archiveChain(
      chain.map((l) => l.manifest),
      head,
    ).map(({ index, archive }) => ({ link: chain[index], archive }));
    const entries = new Map<string, SetEntry>();
    // only an incremental chain needs the snapshots (each read and checked once): a lone
    // archive is its own truth
    const records = archives.length > 1 ? archives.map((a) => (a.archive.snapshot ? snapshotRecords(readCheckedSnapshot(a.link, a.archive.snapshot)) : null)) : [];
    // folders renamed by a later set: an older archive's members take their final names
    const steps: Renames[] = records.map((d, k) => (k && d && records[k - 1] ? renamesBetween(records[k - 1]!, d) : new Map()));
    for (let i = 0; i < archives.length; i++) {
      const final = (path: string) => steps.slice(i + 1).reduce((p, r) => applyRenames(r, p), path);
      const renamed = steps.slice(i + 1).some((r) => r.size);
      if (renamed) archives[i] = { ...archives[i], transform: transformArgs(minimalRenames((records[i] ?? []).map((d) => d.name), final)) };
      for (const [rel, e] of await listArchive(archives[i].link, archives[i].archive, ctx)) {
        if (!renamed) entries.set(rel, { ...e, from: i });
        else entries.set(final(rel), { ...e, from: i, member: rel, target: e.type === 'hardlink' && e.target !== undefined ? final(e.target) : e.target });
      }
    }
    // what the newest snapshot says exists (the chain's last archive is `head`)
    const newest = records.at(-1);
    const alive = newest ? recordedNames(newest) : null;
    if (alive) for (const rel of entries.keys()) if (!alive.has(rel)) entries.delete(rel);
    mounts.push({ mountpoint: head.mountpoint, archives, entries });
  }
  return { chain, mounts };
}

const cache = new Map<string, Promise<SetListing>>();

/** The set's effective tree, listed once per process. */
export function setListing(setDir: string, ctx: JobContext = createJobContext('verify')): Promise<SetListing> {
  const chain = resolveChain(setDir);
  const key = chain.map((l) => `${l.dir}\0${l.manifest.id}\0${l.manifest.created}`).join('\n');
  let p = cache.get(key);
  if (!p) {
    p = buildListing(chain, ctx);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** The mount holding an absolute system path (longest mountpoint prefix) and the path inside it. */
export function locate(listing: SetListing, path: string): { mount: MountListing; rel: string } | null {
  let best: MountListing | null = null;
  for (const m of listing.mounts) {
    const inside = m.mountpoint === '/' || path === m.mountpoint || path.startsWith(m.mountpoint + '/');
    if (inside && (!best || m.mountpoint.length > best.mountpoint.length)) best = m;
  }
  if (!best) return null;
  return { mount: best, rel: best.mountpoint === '/' ? path.slice(1) : path.slice(best.mountpoint.length + 1) };
}

/** Refuses what could point outside the tree: relative paths, `..`, NUL. */
export function checkSystemPath(path: string): string {
  if (!path.startsWith('/') || path.includes('\0') || path.split('/').includes('..')) throw new LifeboatError('path-escape', { entry: path });
  return path === '/' ? '/' : posix.normalize(path).replace(/\/+$/, '');
}

export interface BrowseEntry {
  name: string;
  type: EntryType;
  size: number;
  mtime: string;
}

/** The entries directly under a folder of the backed-up system (for a browser UI). */
export async function listSet(setDir: string, dir: string, ctx?: JobContext): Promise<BrowseEntry[]> {
  const path = checkSystemPath(dir);
  const listing = await setListing(setDir, ctx);
  const at = locate(listing, path);
  const self = at?.mount.entries.get(at.rel);
  if (!at || !self || self.type !== 'dir') throw new LifeboatError('set-path-missing', { path });
  const prefix = at.rel ? at.rel + '/' : '';
  const out: BrowseEntry[] = [];
  for (const [rel, e] of at.mount.entries) {
    if (rel && rel.startsWith(prefix) && !rel.slice(prefix.length).includes('/')) out.push({ name: rel.slice(prefix.length), type: e.type, size: e.size, mtime: e.mtime });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
