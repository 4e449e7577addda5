/**
 * Restores chosen files or folders from a set: into an empty folder (keeping the full
 * path, so /home/anna/doc.txt lands in TO/home/anna/doc.txt), or in place onto a
 * mounted system whose root is `to`.
 *
 * Every path is checked and found in the set's listing before anything is written;
 * the parts of each archive used are proven whole first; tar then extracts exactly the
 * listed members (--no-recursion over the expanded list), each from the newest archive
 * of an incremental chain that holds it, with the metadata options it was made with.
 */
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { Minimatch } from 'minimatch';
import { LifeboatError } from '../../../shared/errors';
import { throwIfCancelled, type JobContext } from '../job';
import { runPipeline } from '../restore/extract';
import { tarExtractArgv } from '../restore/extract-args';
import { checkParts } from './parts';
import { resolveChain } from './chain';
import { checkSystemPath, decompressStage, locate, memberName, setListing, type MountListing, type SetListing } from './listing';

export interface RestoreFilesOptions {
  setDir: string;
  /** absolute paths of the backed-up system, or glob patterns (`*.conf`, `/home/NAME/Doc*`); none = everything */
  paths: string[];
  to: string;
  /** `to` is the root of a mounted system and files are overwritten */
  inPlace?: boolean;
}

export interface RestoreFilesResult {
  entries: number;
  archives: number;
}

/** A glob pattern rather than a path (glob characters are rare in real file names; a path holding one can be escaped with []). */
export const isPattern = (p: string): boolean => /[*?[\]{}]/.test(p);

/**
 * The paths chosen: exact paths as given, glob patterns expanded against the set's
 * listing (a pattern without "/" matches names anywhere, like find -name), no pattern at
 * all = every filesystem of the set. A pattern that matches nothing is refused rather
 * than silently restoring less than asked.
 */
export function selectPaths(listing: SetListing, patterns: string[]): string[] {
  if (!patterns.length) return listing.mounts.map((m) => m.mountpoint);
  const out = new Set<string>();
  for (const p of patterns) {
    if (!isPattern(p)) {
      out.add(checkSystemPath(p));
      continue;
    }
    const anywhere = !p.includes('/');
    if (!anywhere) checkSystemPath(p);
    const mm = new Minimatch(p, { dot: true, matchBase: anywhere });
    let hit = false;
    for (const m of listing.mounts) {
      for (const rel of m.entries.keys()) {
        const abs = rel ? posix.join(m.mountpoint, rel) : m.mountpoint;
        if (mm.match(abs)) {
          out.add(abs);
          hit = true;
        }
      }
    }
    if (!hit) throw new LifeboatError('set-path-missing', { path: p });
  }
  return [...out];
}

/**
 * A member of a crafted archive must not land outside the destination: tar stores
 * plain relative names and never stores anything *under* a symlink, so a name with a
 * "." or ".." segment, an absolute one, or one below a symlink member is hostile.
 */
function assertInside(mount: MountListing, rel: string): void {
  const segs = rel.split('/');
  let bad = rel.startsWith('/') || segs.includes('..') || segs.includes('.');
  for (let i = 1; !bad && i < segs.length; i++) bad = mount.entries.get(segs.slice(0, i).join('/'))?.type === 'symlink';
  if (bad) throw new LifeboatError('path-escape', { entry: posix.join(mount.mountpoint, rel) });
}

/**
 * Refuses a destination on a read-only mount (or one the user may not write) before the
 * listing, rather than failing at the first mkdir with an internal error; the folder may
 * not exist yet, so its nearest existing parent is asked.
 */
function assertWritable(to: string): void {
  let at = to;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  // a file where a folder of the path should be
  if (!statSync(at).isDirectory()) throw new LifeboatError('dest-not-empty', { path: at });
  try {
    accessSync(at, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new LifeboatError('dest-read-only', { path: to, detail: code }, undefined, { cause: err });
  }
}

export async function restoreFiles(ctx: JobContext, opts: RestoreFilesOptions): Promise<RestoreFilesResult> {
  // exact paths are refused before the (slow) listing; patterns once it is known
  for (const p of opts.paths) if (!isPattern(p)) checkSystemPath(p);
  if (opts.inPlace) {
    if (!existsSync(opts.to) || !statSync(opts.to).isDirectory()) throw new LifeboatError('root-invalid', { path: opts.to });
  } else if (existsSync(opts.to) && (!statSync(opts.to).isDirectory() || readdirSync(opts.to).length)) {
    throw new LifeboatError('dest-not-empty', { path: opts.to });
  }
  // files restored into the set (or a base of it) would change it under its own checksums
  const to = resolve(opts.to);
  for (const link of resolveChain(opts.setDir)) {
    if (to === link.dir || to.startsWith(link.dir + '/')) throw new LifeboatError('dest-inside-set', { path: opts.to, set: link.dir });
  }
  assertWritable(to);
  const listing = await setListing(opts.setDir, ctx);
  const paths = selectPaths(listing, opts.paths);

  // mount → archive index → member names, with each chosen folder expanded
  const plan = new Map<MountListing, Map<number, Set<string>>>();
  for (const path of paths) {
    const at = locate(listing, path);
    const self = at?.mount.entries.get(at.rel);
    // a mount point is a folder even in an archive that lacks its "./" entry
    const folder = at?.rel === '' || self?.type === 'dir';
    if (!at || (!self && !folder)) throw new LifeboatError('set-path-missing', { path });
    const byArchive = plan.get(at.mount) ?? new Map<number, Set<string>>();
    plan.set(at.mount, byArchive);
    const prefix = at.rel ? at.rel + '/' : '';
    for (const [rel, e] of at.mount.entries) {
      if (rel !== at.rel && !(folder && rel.startsWith(prefix))) continue;
      assertInside(at.mount, rel);
      if (!byArchive.has(e.from)) byArchive.set(e.from, new Set());
      byArchive.get(e.from)!.add(rel);
      // tar stores a second hard link as "link to <first>": into a new folder the first
      // must come too or tar cannot make the link (in place, it links to the live file)
      const first = e.type === 'hardlink' && e.target !== undefined ? at.mount.entries.get(e.target) : undefined;
      if (e.type === 'hardlink' && e.target !== undefined) assertInside(at.mount, e.target);
      if (!opts.inPlace && first && first.from === e.from) byArchive.get(e.from)!.add(e.target!);
    }
  }
  for (const [mount, byArchive] of plan) for (const i of byArchive.keys()) await checkParts(mount.archives[i].link.dir, mount.archives[i].archive.parts, ctx);

  const tmp = mkdtempSync(join(tmpdir(), 'lifeboat-files-'));
  let entries = 0;
  let archives = 0;
  try {
    for (const [mount, byArchive] of plan) {
      const dir = join(opts.to, mount.mountpoint);
      if (opts.inPlace && !existsSync(dir)) throw new LifeboatError('root-invalid', { path: dir });
      mkdirSync(dir, { recursive: true });
      // base first, so a newer version of a file overwrites the older one
      for (const i of [...byArchive.keys()].sort((a, b) => a - b)) {
        throwIfCancelled(ctx.signal);
        const { link, archive, transform = [] } = mount.archives[i];
        // In the archive's own order, given to tar with --same-order: tar then holds one
        // name at a time and moves to the next once it is found. Without it GNU tar looks
        // every member up in the whole list, quadratic in the number of files: restoring
        // /usr/share (58,000 names) took 20 CPU s more than extracting it, a million
        // files would take hours. A name out of order is not missed quietly: tar reports it
        // "Not found in archive" and fails (exit 2).
        const order = (rel: string) => mount.entries.get(rel)!.order;
        const names = [...byArchive.get(i)!].sort((a, b) => order(a) - order(b));
        const list = join(tmp, `${archive.id}-${i}.names`);
        // tar matches the names the archive holds; --transform then gives renamed folders their new name
        writeFileSync(list, names.map((n) => memberName(mount.entries.get(n)!.member ?? n) + '\0').join(''));
        const tar = [...tarExtractArgv(archive.tarFeatures, dir), '--no-recursion', '--same-order', '--null', '--verbatim-files-from', '-T', list, ...transform];
        ctx.progress({ phase: 'files.restore', bytes: 0, total: null, speed: null, eta: null, detail: mount.mountpoint });
        await runPipeline(archive.parts.map((p) => join(link.dir, p.name)), [...(await decompressStage(link)), tar], ctx.signal, () => {});
        entries += names.length;
        archives++;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { entries, archives };
}
