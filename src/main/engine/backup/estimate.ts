/**
 * How big the tar streams will be: GNU tar writing to /dev/null walks the tree with the
 * very same excludes but reads no file data, and its --totals is the stream size. That is
 * the "du" that honours exclusions exactly. For a level-0 archive the same walk writes the
 * snapshot (--listed-incremental) a later incremental starts from.
 *
 * The walks run beside the archives, not before them (estimateInBackground): a metadata
 * walk is many times faster than archiving, so the totals arrive within the first seconds,
 * while run first they delayed every byte of the backup — by 0.6 s from memory and by the
 * whole cold read of the tree's metadata from a disk, which the archive's tar then finds
 * in the cache. Taken as the archive starts, the snapshot is on the safe side: a file that
 * changes while the archive runs is newer than it, so the next incremental takes it again.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { LifeboatError } from '../../../shared/errors';
import { ToolError } from '../run';
import { tarCreateArgs } from './tar-args';

export interface EstimateWalk {
  mount: string;
  excludeArgs: string[];
  /** a level-0 archive's new snapshot (written by this walk), or for an incremental a
   *  scratch copy of the base snapshot (tar rewrites it), so only what changed is counted */
  snapshot: string;
}

export interface Totals {
  bytes: number;
  /** null when the snapshot could not be read for it */
  files: number | null;
}

/** One walk: the tar stream's size and its member count. */
export async function estimateFilesystem(w: EstimateWalk, signal: AbortSignal): Promise<Totals> {
  if (signal.aborted) throw new LifeboatError('cancelled');
  // no xattrs, ACLs or SELinux labels: the snapshot does not record them, and reading
  // them doubles this pass's time for a few header bytes of the estimate. No --verbose
  // either: the members are counted from the snapshot the walk writes anyway
  // (snapshotMembers), and listing 71,000 names cost the walk a fifth of its 0.7 CPU s.
  const args = (await tarCreateArgs(w.mount, w.excludeArgs, '/dev/null', w.snapshot)).filter(
    (a) => !a.startsWith('--xattrs') && a !== '--acls' && a !== '--selinux' && a !== '--verbose',
  );
  const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  // Lowest CPU priority: beside an archive that keeps every core busy (compressing from
  // memory), the walk takes only the cycles the archive leaves idle instead of slowing it.
  try {
    if (child.pid) setPriority(child.pid, 19);
  } catch {
    /* already gone, or not allowed: it runs at normal priority */
  }
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
  });
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  }).finally(() => signal.removeEventListener('abort', kill));
  if (signal.aborted) throw new LifeboatError('cancelled');
  // exit 1: some files changed while walked — the totals still stand
  if (code !== 0 && code !== 1) throw new ToolError('tar', args, code ?? -1, stderr, sig ?? undefined);
  const m = /Total bytes written: (\d+)/.exec(stderr);
  return { bytes: m ? Number(m[1]) : 0, files: await snapshotMembers(w.snapshot) };
}

/**
 * The members of the archive a `--listed-incremental` walk describes, counted in the
 * snapshot it wrote (GNU tar's format 2: a "GNU tar-VERSION-2" line, the dump time, then per
 * directory six NUL-terminated fields — nfs, mtime s and ns, dev, ino, name — its entries,
 * each a flag letter and a name, and two NULs). Entries flagged Y (a file in the archive) or
 * D (a directory: always in it) are members, N (excluded, or unchanged since the base) are
 * not; the top directory has no entry of its own. Measured equal to tar --verbose's list on
 * bench/backup.sh's tree, with and without excludes (71,347 and 63,967). Read in 1 MiB
 * pieces: a system with millions of files has a snapshot of hundreds of MB.
 * Null when the file is in no format known here (the progress then counts without a total).
 */
export async function snapshotMembers(path: string): Promise<number | null> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let header = ''; // the first line, until it is whole
    let headerDone = false;
    let field = -2; // -2, -1: the dump time; 0–5: a directory's fields; 6: its entries; 7: the record's last NUL
    let tokenStart = true; // the next byte starts a field
    let members = 1;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      let i = 0;
      if (!headerDone) {
        const nl = buf.indexOf(10, 0);
        if (nl === -1 || nl >= bytesRead) {
          header += buf.toString('latin1', 0, bytesRead);
          if (header.length > 256) return null;
          continue;
        }
        header += buf.toString('latin1', 0, nl);
        if (!/^GNU tar-[^\n]*-2$/.test(header)) return null;
        headerDone = true;
        i = nl + 1;
      }
      while (i < bytesRead) {
        if (tokenStart) {
          const empty = buf[i] === 0;
          if (field === 6) {
            if (empty) field = 7;
            else if (buf[i] === 0x59 /* Y */ || buf[i] === 0x44 /* D */) members++;
          } else if (field === 7) {
            if (!empty) return null;
            field = 0;
          } else {
            field++;
          }
          if (empty) {
            i++;
            continue;
          }
          tokenStart = false;
        }
        const nul = buf.indexOf(0, i);
        if (nul === -1 || nul >= bytesRead) break;
        i = nul + 1;
        tokenStart = true;
      }
    }
    return headerDone ? members : null;
  } finally {
    await fh.close();
  }
}

export interface BackgroundEstimate {
  /** the sums over every walk once all have finished; null until then */
  readonly totals: Totals | null;
  /** resolves when every walk is done (snapshots written); rejects with the first failure */
  readonly done: Promise<void>;
  /** stops the walk still running and waits until no tar of it is left */
  stop(): Promise<void>;
}

/**
 * Starts the walks, one after the other (two walks of the same disk at once would only
 * seek against each other), beside whatever the caller does next.
 */
export function estimateInBackground(walks: EstimateWalk[], signal: AbortSignal): BackgroundEstimate {
  const own = new AbortController();
  const forward = () => own.abort();
  signal.addEventListener('abort', forward, { once: true });
  let totals: Totals | null = null;
  const done = (async () => {
    const sum: Totals = { bytes: 0, files: 0 };
    for (const w of walks) {
      const t = await estimateFilesystem(w, own.signal);
      sum.bytes += t.bytes;
      sum.files = sum.files === null || t.files === null ? null : sum.files + t.files;
    }
    totals = sum;
  })().finally(() => signal.removeEventListener('abort', forward));
  // a failure is the caller's to see through `done`; no unhandled rejection before it looks
  done.catch(() => {});
  return {
    get totals() {
      return totals;
    },
    done,
    async stop() {
      own.abort();
      await done.catch(() => {});
    },
  };
}
