/**
 * `lifeboat compare` (Mondo's compare mode): what changed on a mounted system since a
 * set was made, without writing anything to it.
 *
 * - changed: GNU tar's own `--compare` against the live tree, so "differs" means what
 *   tar -x would change; its messages are mapped to reasons.
 * - missing / added: the set's listing against the tree as backup would see it now,
 *   which is `tar -c -f /dev/null` with the set's own excludes and --one-file-system
 *   (GNU tar reads no file data when the archive is /dev/null).
 *
 * - xattrs: tar --compare ignores extended attributes, so a changed ACL, SELinux label,
 *   file capability or user.* value would pass for identical. The archive's records
 *   (tar-xattrs.ts) are compared with what getfattr reads now (live-xattrs.ts).
 *
 * Directories report only mode, owner and xattrs: their mtime and contents change with
 * every file added or removed, which already shows up as added or missing.
 */
import { existsSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Archive } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { SpeedMeter } from '../../../shared/progress';
import { tarExcludeArgs } from '../backup/excludes';
import { throwIfCancelled, type JobContext } from '../job';
import { runPipeline } from '../restore/extract';
import { run } from '../run';
import { checkParts } from './parts';
import { unescapeTar } from '../tar-quoting';
import { decompressStage, relName, setListing, type MountListing } from './listing';
import { liveXattrs, sameXattrs } from './live-xattrs';
import { TarXattrScanner } from './tar-xattrs';

export type DiffReason = 'contents' | 'mode' | 'owner' | 'mtime' | 'size' | 'link' | 'type' | 'device' | 'xattrs';

export interface CompareEntry {
  path: string;
  reasons: DiffReason[];
}

export interface CompareResult {
  changed: CompareEntry[];
  missing: string[];
  added: string[];
  archives: number;
}

const MESSAGES: Array<[RegExp, DiffReason]> = [
  [/: Contents differ$/, 'contents'],
  [/: Mode differs$/, 'mode'],
  [/: Uid differs$/, 'owner'],
  [/: Gid differs$/, 'owner'],
  [/: Mod time differs$/, 'mtime'],
  [/: Size differs$/, 'size'],
  [/: Symlink differs$/, 'link'],
  [/: Not linked to .*$/, 'link'],
  [/: File type differs$/, 'type'],
  [/: Device number differs$/, 'device'],
];

/** One `tar --compare` output line → (relative name, reason), or null for anything else. */
export function parseDiffLine(line: string): { rel: string; reason: DiffReason } | null {
  for (const [re, reason] of MESSAGES) {
    const m = re.exec(line);
    if (m) return { rel: relName(unescapeTar(line.slice(0, m.index))), reason };
  }
  return null;
}

/** What is under `dir` now, as the backup would have archived it. */
async function presentNames(dir: string, mount: MountListing, excludes: string[], ctx: JobContext): Promise<Set<string>> {
  const args = ['-c', '-v', '-f', '/dev/null', '--one-file-system', '--quoting-style=escape', ...tarExcludeArgs(excludes, mount.mountpoint), '-C', dir, '.'];
  // exit 1: a file changed while being read, which is not a reason to stop a compare
  const { stdout } = await run('tar', args, { signal: ctx.signal, okExitCodes: [0, 1] });
  return new Set(stdout.split('\n').filter(Boolean).map((l) => relName(unescapeTar(l))));
}

/**
 * tar --compare over the whole archive; only the differences of `names` are kept. The names
 * are not given to tar (-T): GNU tar looks each member up in its name list one by one, so a
 * list of every member made the comparison quadratic — 17 CPU s for 71,000 members instead
 * of 0.1, and hours for a system of a million files. Members left out (a newer version in a
 * later archive of the chain, gone from the disk, a mount point of another filesystem) are
 * compared all the same and their lines dropped here; one gone from the disk is a warning on
 * tar's stderr, and exit 1, like any difference.
 */
async function diffArchive(dir: string, mount: MountListing, index: number, names: string[], ctx: JobContext, onBytes: (n: number) => void): Promise<Map<string, Set<DiffReason>>> {
  const out = new Map<string, Set<DiffReason>>();
  if (!names.length) return out;
  const wanted = new Set(names);
  const { link, archive } = mount.archives[index];
  // members of folders a later set renamed are compared under their new names (renames.ts)
  const tar = ['tar', '--compare', '-f', '-', '--numeric-owner', '--quoting-style=escape', '-C', dir, ...(mount.archives[index].transform ?? [])];
  let rest = '';
  const take = (line: string) => {
    const d = parseDiffLine(line);
    if (d) {
      if (wanted.has(d.rel)) out.set(d.rel, (out.get(d.rel) ?? new Set()).add(d.reason));
    } else if (line) ctx.log(`tar --compare: ${line}`);
  };
  await runPipeline(archive.parts.map((p) => join(link.dir, p.name)), [...(await decompressStage(link)), tar], ctx.signal, onBytes, {
    okExitCodes: [0, 1],
    onStdout: (d) => {
      const lines = (rest + d.toString('latin1')).split('\n');
      rest = lines.pop()!;
      for (const l of lines) take(l);
    },
  });
  take(rest);
  return out;
}

/**
 * The names whose extended attributes differ from what archive `index` recorded.
 *
 * A second pass over the archive rather than a tee of tar --compare's input: that pipeline
 * joins its stages with kernel pipes and passes no byte through Node (extract.ts), and
 * keeps doing so; this pass costs one more decompression, only for archives made with
 * --xattrs (the others recorded nothing to compare), and compare is no hot path.
 * Hard links are left out: tar records the inode's xattrs on the member that holds the data.
 */
async function diffXattrs(dir: string, mount: MountListing, index: number, names: string[], ctx: JobContext, onBytes: (n: number) => void): Promise<string[]> {
  const { link, archive } = mount.archives[index];
  if (!archive.tarFeatures.includes('--xattrs')) return [];
  const wanted = new Set(names.filter((rel) => mount.entries.get(rel)?.type !== 'hardlink'));
  if (!wanted.size) return [];
  const live = await liveXattrs(dir, [...wanted], ctx.signal, (l) => ctx.log(`getfattr: ${l}`));
  // the scanner reads the names the archive holds; the listing knows renamed ones by their new name
  const renamedMembers = new Map<string, string>();
  for (const rel of wanted) {
    const member = mount.entries.get(rel)?.member;
    if (member !== undefined) renamedMembers.set(member, rel);
  }
  const differs = new Map<string, boolean>();
  const scanner = new TarXattrScanner((m) => {
    const member = relName(m.name);
    const rel = renamedMembers.get(member) ?? member;
    if (m.type !== '1' && wanted.has(rel)) differs.set(rel, !sameXattrs(m.xattrs, live.get(rel)));
  });
  let failure: unknown = null;
  const stages = await decompressStage(link);
  await runPipeline(archive.parts.map((p) => join(link.dir, p.name)), stages.length ? stages : [['cat']], ctx.signal, onBytes, {
    onStdout: (d) => {
      // thrown inside a stream callback it would escape the pipeline: kept for after it
      if (failure || scanner.done) return;
      try {
        scanner.write(d);
      } catch (err) {
        failure = err;
      }
    },
  });
  if (!failure) {
    try {
      scanner.end();
    } catch (err) {
      failure = err;
    }
  }
  // the parts matched their checksums: a stream tar -x would choke on too was written so
  if (failure) throw new LifeboatError('set-invalid', { path: link.dir, detail: `archive ${archive.id}: unreadable tar headers: ${(failure as Error).message}` });
  return [...differs].filter(([, d]) => d).map(([rel]) => rel);
}

/**
 * Both passes over one archive at the same time: tar --compare mostly waits for the disk
 * (it reads every file back), the xattr pass mostly decompresses, so side by side they
 * take little more than the longer one. A pass that fails stops the other, and this
 * returns only once both have ended, so no pipeline is left running; the failure that
 * came first is the one passed on (not the other pass's abort).
 */
async function diffBothPasses(dir: string, mount: MountListing, index: number, names: string[], ctx: JobContext, onBytes: (n: number) => void): Promise<Map<string, Set<DiffReason>>> {
  if (!names.length) return new Map();
  // the listing may be cached from earlier: the parts are proven again (free when unchanged),
  // before either pass reads them, so damage is reported as such and not as what a
  // decompressor made of it
  const { link, archive } = mount.archives[index];
  await checkParts(link.dir, archive.parts, ctx);
  const both = new AbortController();
  const forward = () => both.abort();
  ctx.signal.addEventListener('abort', forward, { once: true });
  const sub: JobContext = { ...ctx, signal: both.signal };
  /** the failure that stopped the other pass (which then ends with an abort of its own) */
  let first: { err: unknown } | null = null;
  const stopOther = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      first ??= { err };
      both.abort();
      throw err;
    });
  try {
    const [diffs, xattrs] = await Promise.allSettled([stopOther(diffArchive(dir, mount, index, names, sub, onBytes)), stopOther(diffXattrs(dir, mount, index, names, sub, onBytes))]);
    if (diffs.status === 'rejected' || xattrs.status === 'rejected') {
      if (ctx.signal.aborted) throw new LifeboatError('cancelled');
      throw (first as { err: unknown } | null)?.err ?? (diffs.status === 'rejected' ? diffs.reason : (xattrs as PromiseRejectedResult).reason);
    }
    for (const rel of xattrs.value) diffs.value.set(rel, (diffs.value.get(rel) ?? new Set()).add('xattrs'));
    return diffs.value;
  } finally {
    ctx.signal.removeEventListener('abort', forward);
  }
}

/** How many times an archive's parts are read: by tar --compare, and again for its xattrs. */
const passes = (a: Archive) => (a.tarFeatures.includes('--xattrs') ? 2 : 1);
const partBytes = (a: Archive) => a.parts.reduce((s, p) => s + p.size, 0);

/**
 * Bytes of parts read against all the reading the comparison will do: a big system takes
 * minutes per pass, which without a figure looked like a stall.
 */
function compareProgress(ctx: JobContext, archives: Archive[]) {
  const total = archives.reduce((s, a) => s + partBytes(a) * passes(a), 0);
  const meter = new SpeedMeter();
  let done = 0;
  /** the byte count once each archive compared so far was read in full */
  let settled = 0;
  const emit = (detail: string) => {
    const { speed } = meter.update(done);
    ctx.progress({ phase: 'compare.archive', bytes: done, total, speed, eta: meter.eta(done, total), detail });
  };
  return {
    report(n: number, detail: string) {
      done = Math.min(total, done + n);
      emit(detail);
    },
    reach(a: Archive, detail: string) {
      settled += partBytes(a) * passes(a);
      done = Math.min(total, Math.max(done, settled));
      emit(detail);
    },
  };
}

export async function compareSet(ctx: JobContext, opts: { setDir: string; root: string }): Promise<CompareResult> {
  if (!existsSync(opts.root) || !statSync(opts.root).isDirectory()) throw new LifeboatError('root-invalid', { path: opts.root });
  const listing = await setListing(opts.setDir, ctx);
  const excludes = listing.chain[listing.chain.length - 1].manifest.excludes;
  const nested = (m: MountListing) => new Set(listing.mounts.filter((o) => o !== m && (m.mountpoint === '/' ? o.mountpoint !== '/' : o.mountpoint.startsWith(m.mountpoint + '/'))).map((o) => (m.mountpoint === '/' ? o.mountpoint.slice(1) : o.mountpoint.slice(m.mountpoint.length + 1))));
  const result: CompareResult = { changed: [], missing: [], added: [], archives: 0 };
  const progress = compareProgress(ctx, listing.mounts.filter((m) => existsSync(join(opts.root, m.mountpoint))).flatMap((m) => m.archives.map((a) => a.archive)));
  for (const mount of listing.mounts) {
    throwIfCancelled(ctx.signal);
    const dir = join(opts.root, mount.mountpoint);
    const abs = (rel: string) => (rel ? posix.join(mount.mountpoint, rel) : mount.mountpoint);
    if (!existsSync(dir)) {
      result.missing.push(...[...mount.entries.keys()].map(abs));
      continue;
    }
    progress.report(0, mount.mountpoint);
    const present = await presentNames(dir, mount, excludes, ctx);
    for (const rel of mount.entries.keys()) if (!present.has(rel)) result.missing.push(abs(rel));
    for (const rel of present) if (!mount.entries.has(rel)) result.added.push(abs(rel));
    // another filesystem's mountpoint: the directory under it is hidden by the mount
    const skip = nested(mount);
    for (let i = 0; i < mount.archives.length; i++) {
      const names = [...mount.entries].filter(([rel, e]) => e.from === i && present.has(rel) && !skip.has(rel)).map(([rel]) => rel);
      const onBytes = (n: number) => progress.report(n, mount.mountpoint);
      const diffs = await diffBothPasses(dir, mount, i, names, ctx, onBytes);
      // an archive with nothing left to compare was not read: counted as done all the same
      progress.reach(mount.archives[i].archive, mount.mountpoint);
      for (const [rel, reasons] of diffs) {
        if (mount.entries.get(rel)?.type === 'dir') {
          reasons.delete('mtime');
          reasons.delete('contents');
        }
        if (reasons.size) result.changed.push({ path: abs(rel), reasons: [...reasons].sort() });
      }
      result.archives++;
    }
  }
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  result.changed.sort((a, b) => byPath(a.path, b.path));
  result.missing.sort(byPath);
  result.added.sort(byPath);
  return result;
}
