/**
 * How big each folder of a system is, for the wizard's exclusion tree: one level at a
 * time (the tree expands lazily), each child summed like `du -x -s --apparent-size`.
 *
 * The walk never leaves the child's filesystem (a mount below it belongs to another
 * filesystem, listed on its own), follows no symlinks (lstat), and stops at a time cap
 * or when aborted: a capped child reports what it had counted so far as a lower bound,
 * so the screen says "more than X" rather than waiting on a huge tree. The children are
 * walked in turns, one directory each, so a cap leaves every child partly counted
 * instead of the first ones exact and the rest at zero.
 *
 * Sizes are the apparent sizes of regular files (what tar reads), not blocks on disk.
 */
import { lstat, opendir, realpath, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import type { FolderSizes, FolderSize } from '../../../shared/folder-sizes';

export interface FolderSizesOptions {
  /** the system's root (absolute); `dir` must be this folder or one inside it */
  root: string;
  /** the folder whose children are measured (absolute) */
  dir: string;
  /** time cap for the whole request */
  budgetMs: number;
  signal?: AbortSignal;
}

/** Directory entries read per turn before the walk yields to the event loop and checks the clock. */
const BATCH = 256;

/**
 * Filesystems the kernel fills (statfs magic numbers): never archived, and walking
 * /proc or /sys would only spend the time cap on files that are not files.
 */
const PSEUDO_FS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x1cd1, // devpts
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0x6165676c, // pstore
  0xcafe4a11, // bpf
  0x62656570, // configfs
  0x19800202, // mqueue
  0x42494e4d, // binfmt_misc
  0xde5e81e4, // efivarfs
  0x958458f6, // hugetlbfs
  0x65735543, // fusectl
  0x0187, // autofs
]);

async function isPseudoFs(path: string): Promise<boolean> {
  try {
    return PSEUDO_FS.has((await statfs(path)).type);
  } catch {
    return false;
  }
}

function refuse(field: string, reason: string): LifeboatError {
  return new LifeboatError('invalid-request', { field, reason });
}

/** Resolves symlinks and `..` first, so a link inside the root cannot point the walk outside it. */
async function insideRoot(root: string, dir: string): Promise<{ root: string; dir: string }> {
  if (!root.startsWith('/')) throw refuse('root', 'must be an absolute path');
  if (!dir.startsWith('/')) throw refuse('dir', 'must be an absolute path');
  let r: string;
  let d: string;
  try {
    [r, d] = await Promise.all([realpath(root), realpath(dir)]);
  } catch {
    throw refuse('dir', 'does not exist');
  }
  if (d !== r && !d.startsWith(r === '/' ? '/' : r + '/')) throw refuse('dir', 'must be inside the root');
  return { root: r, dir: d };
}

interface Walk {
  entry: FolderSize;
  dev: number;
  /** directories still to read; the child itself first */
  pending: string[];
  /** a directory was left half read when the time ran out */
  cut: boolean;
}

/** Reads one directory of a walk: files are summed, sub-folders on the same filesystem queued. */
async function step(w: Walk, deadline: number, signal?: AbortSignal): Promise<void> {
  const path = w.pending.pop()!;
  let handle;
  try {
    handle = await opendir(path, { bufferSize: BATCH });
  } catch {
    // Unreadable (permissions, vanished): counted as empty, as du would after its warning.
    return;
  }
  let batch: string[] = [];
  // lstat in parallel (the thread pool does the waiting): one at a time is several times slower.
  const flush = async () => {
    const stats = await Promise.all(batch.map((p) => lstat(p).catch(() => null)));
    stats.forEach((st, i) => {
      if (!st || st.dev !== w.dev) return;
      if (st.isDirectory()) w.pending.push(batch[i]);
      else if (st.isFile()) w.entry.size += st.size;
    });
    batch = [];
  };
  for await (const e of handle) {
    if (!e.isDirectory() && !e.isFile()) continue;
    batch.push(join(path, e.name));
    if (batch.length < BATCH) continue;
    await flush();
    // A folder of a million files must not hold the request past its cap.
    if (Date.now() >= deadline || signal?.aborted) {
      w.cut = true;
      break;
    }
  }
  await flush();
}

/** Measures every child folder of `dir`; the files directly in `dir` are summed as `files`. */
export async function folderSizes(opts: FolderSizesOptions): Promise<FolderSizes> {
  const { root, dir } = await insideRoot(opts.root, opts.dir);
  const deadline = Date.now() + opts.budgetMs;
  const top = await lstat(dir);
  const walks: Walk[] = [];
  let files = 0;
  const entries = await opendir(dir);
  for await (const e of entries) {
    const p = join(dir, e.name);
    let st;
    try {
      st = await lstat(p);
    } catch {
      continue;
    }
    if (st.isFile()) {
      if (st.dev === top.dev) files += st.size;
    } else if (st.isDirectory()) {
      const mountpoint = st.dev !== top.dev;
      walks.push({
        entry: { name: e.name, size: 0, capped: false, mountpoint },
        dev: st.dev,
        pending: mountpoint && (await isPseudoFs(p)) ? [] : [p],
        cut: false,
      });
    }
  }
  // Round robin: each turn reads one directory of every child still walking.
  let active = walks.filter((w) => w.pending.length > 0);
  while (active.length > 0) {
    if (opts.signal?.aborted) throw new LifeboatError('cancelled');
    if (Date.now() >= deadline) break;
    for (const w of active) {
      if (Date.now() >= deadline || opts.signal?.aborted) break;
      await step(w, deadline, opts.signal);
    }
    active = active.filter((w) => w.pending.length > 0);
  }
  if (opts.signal?.aborted) throw new LifeboatError('cancelled');
  for (const w of walks) w.entry.capped = w.cut || w.pending.length > 0;
  walks.sort((a, b) => a.entry.name.localeCompare(b.entry.name));
  return { root, dir, files, children: walks.map((w) => w.entry) };
}
