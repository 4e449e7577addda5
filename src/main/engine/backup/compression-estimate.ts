/**
 * How well, and how fast, each compressor would pack a system: measured on a sample of
 * its files, so the wizard can show an estimated set size and duration per choice.
 *
 * The sample is taken the way a backup reads the tree: one filesystem (tar's
 * --one-file-system), the same exclusions, regular files only (devices, fifos, sockets
 * hold no data; sparse files are left aside, tar --sparse stores their data only and
 * sampling their holes would make everything look compressible). It is spread over the
 * whole tree: the walk takes the top-level folders in turns, and the sample is a
 * systematic one by bytes — runs of 512 KiB evenly spaced along all the file data seen
 * (a few neighbouring files, or a stretch of a large one) — so each byte of the tree has
 * the same chance and the ratio is a byte-weighted one.
 *
 * The runs are copied into a temporary folder and archived by tar with the backup's
 * own options (headers and padding included, as in a set), then that one stream goes
 * through each installed compressor with the backup's own command line
 * (`chooseCompressor`), one after the other so each gets every core as in a backup. Each
 * gets a share of the time left; a slow one is fed a part of the stream only (the runs
 * are in a scrambled order, so a part is a sample too). Nothing is written outside
 * the temporary folder, which is removed however the measure ends.
 */
import { constants, createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, opendir, realpath, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { COMPRESSORS, type Compressor } from '../../../shared/backup-set';
import { COMPRESSION_SAMPLE_BYTES, type CompressionEstimate, type CompressorEstimate } from '../../../shared/compression-estimate';
import { LifeboatError } from '../../../shared/errors';
import { excludingPattern } from '../../../shared/folder-sizes';
import { run, spawnTool } from '../run';
import { chooseCompressor, type Chosen } from './compressors';
import { DEFAULT_EXCLUDES, lostFoundExcludes } from './excludes';
import { tarCreateArgs } from './tar-args';

export interface CompressionEstimateOptions {
  /** the system's root (absolute) */
  root: string;
  /** root-relative patterns, as a backup takes them */
  excludes?: string[];
  /** also leave out DEFAULT_EXCLUDES and lost+found (default true, as a backup) */
  defaultExcludes?: boolean;
  /** time cap for the whole measure */
  budgetMs: number;
  /** bytes of file data to aim at (default COMPRESSION_SAMPLE_BYTES) */
  sampleBytes?: number;
  /** where the temporary folder goes (default the OS's) */
  tmpDir?: string;
  /** the formats to measure (default all; `none` needs no program) */
  formats?: readonly Compressor[];
  signal?: AbortSignal;
}

/** Bytes of one run of the sample (see pickRuns). */
const RUN = 512 * 1024;
/** Directory entries read per turn before the walk yields and checks the clock (as folder-sizes). */
const BATCH = 256;
/** Files remembered by the walk: a bound on memory; past it the walk stops as if capped. */
const MAX_CANDIDATES = 400_000;
/** Shares of the time cap: walking up to 30 %, reading the sample up to 50 %, the rest for the compressors. */
const WALK_SHARE = 0.3;
const READ_SHARE = 0.5;
/** Fastest first: the slow ones (bzip2, xz) get whatever time the fast ones leave. */
const ORDER: Compressor[] = ['lz4', 'zstd', 'gzip', 'bzip2', 'xz', 'none'];

interface Candidates {
  paths: string[];
  /** root-relative, for the sample's member names */
  rels: string[];
  sizes: number[];
  bytes: number;
  capped: boolean;
}

interface Pick {
  index: number;
  start: number;
  length: number;
  /** the run it belongs to: tar gets the runs in a scrambled order, each run in the walk's */
  run: number;
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new LifeboatError('cancelled');
}

/** Holes make up most of it: tar --sparse stores the data only. Small files may be inline (0 blocks) and are never sparse here. */
function isSparse(size: number, blocks: number): boolean {
  return size >= 1024 * 1024 && blocks * 512 < size / 2;
}

/**
 * Walks the root's filesystem with the exclusions, the top-level folders in turns (one
 * directory each per turn), so a walk stopped by the clock has seen part of every folder.
 */
async function walk(root: string, patterns: string[], deadline: number, signal?: AbortSignal): Promise<Candidates> {
  const c: Candidates = { paths: [], rels: [], sizes: [], bytes: 0, capped: false };
  const top = await lstat(root);
  const excluded = (rel: string) => patterns.length > 0 && excludingPattern(rel, patterns) !== null;
  const relOf = (path: string) => (root === '/' ? path : path.slice(root.length));
  const add = (path: string, size: number) => {
    c.paths.push(path);
    c.rels.push(relOf(path));
    c.sizes.push(size);
    c.bytes += size;
  };
  // one queue of directories per top-level folder; files at the top are taken at once
  const queues: string[][] = [];
  for await (const e of await opendir(root)) {
    const path = join(root, e.name);
    if (excluded(relOf(path))) continue;
    const st = await lstat(path).catch(() => null);
    if (!st || st.dev !== top.dev) continue;
    if (st.isDirectory()) queues.push([path]);
    else if (st.isFile() && st.size > 0 && !isSparse(st.size, st.blocks)) add(path, st.size);
  }
  const readDir = async (queue: string[]) => {
    const dir = queue.pop()!;
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: BATCH });
    } catch {
      return; // unreadable or vanished: tar would warn and go on
    }
    let batch: string[] = [];
    const flush = async () => {
      const stats = await Promise.all(batch.map((p) => lstat(p).catch(() => null)));
      stats.forEach((st, i) => {
        if (!st || st.dev !== top.dev) return;
        if (st.isDirectory()) queue.push(batch[i]);
        else if (st.isFile() && st.size > 0 && !isSparse(st.size, st.blocks)) add(batch[i], st.size);
      });
      batch = [];
    };
    for await (const e of handle) {
      if (!e.isDirectory() && !e.isFile()) continue;
      const path = join(dir, e.name);
      if (excluded(relOf(path))) continue;
      batch.push(path);
      if (batch.length < BATCH) continue;
      await flush();
      if (Date.now() >= deadline || signal?.aborted || c.paths.length >= MAX_CANDIDATES) {
        c.capped = true;
        break;
      }
    }
    await flush();
  };
  let active = queues;
  while (active.length > 0) {
    cancelled(signal);
    for (const q of active) {
      if (Date.now() >= deadline || c.paths.length >= MAX_CANDIDATES) {
        c.capped = true;
        return c;
      }
      await readDir(q);
    }
    active = active.filter((q) => q.length > 0);
  }
  cancelled(signal);
  return c;
}

/**
 * Runs of RUN bytes every `total / count` bytes along the file data in the walk's order
 * (the first at a fixed fraction of a step, so the same tree gives the same sample): each
 * byte is as likely to be taken as any other, and a run keeps neighbours together — a
 * few files of one folder, or a stretch of one large file — so the compressor finds the
 * likeness between nearby files that it finds in a backup. Isolated slices miss it and
 * make every ratio look worse than it is.
 */
function pickRuns(c: Candidates, count: number): Pick[] {
  const picks: Pick[] = [];
  if (c.bytes === 0 || count <= 0) return picks;
  const step = c.bytes / count;
  const first = step * 0.37;
  let k = 0;
  let base = 0;
  for (let i = 0; i < c.sizes.length && k < count; i++) {
    const end = base + c.sizes[i];
    // runs that ended before this file are done with
    while (k < count && first + k * step + RUN <= base) k++;
    let last: Pick | null = null;
    for (let j = k; j < count && first + j * step < end; j++) {
      const from = Math.floor(Math.max(first + j * step, base) - base);
      const to = Math.ceil(Math.min(first + j * step + RUN, end) - base);
      if (to <= from) continue;
      if (last && from <= last.start + last.length) last.length = Math.max(last.length, to - last.start);
      else {
        last = { index: i, start: from, length: to - from, run: j };
        picks.push(last);
      }
    }
    base = end;
  }
  return picks;
}

/** All of the data when it fits, else runs enough to bring about `aim` bytes. */
function choose(c: Candidates, aim: number): Pick[] {
  if (c.bytes <= aim) return c.sizes.map((size, index) => ({ index, start: 0, length: size, run: 0 }));
  return pickRuns(c, Math.max(1, Math.round(aim / RUN)));
}

/**
 * The member name of a pick: tar archives the sample sorted by name, so the runs come in a
 * scrambled order (a part of the stream is then a sample of its own) and the pieces of a
 * run in the walk's order. The file's name follows, kept under tar's 100 bytes: a longer
 * one costs two more header blocks per member, which the real archive seldom pays.
 */
function memberName(p: Pick, order: number, rel: string): string {
  // multiplying by an odd number is a bijection modulo 2^32: distinct runs, distinct keys
  const key = Math.imul(p.run + 1, 0x9e3779b1) >>> 0;
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  return `${key.toString(16).padStart(8, '0')}-${order.toString(16).padStart(8, '0')}-${name}`.slice(0, 90);
}

/** Copies the picks into `dir`; stops at the deadline. Returns what was copied and how fast it was read. */
async function copySample(c: Candidates, picks: Pick[], dir: string, deadline: number, signal?: AbortSignal) {
  let bytes = 0;
  const t0 = performance.now();
  const files = new Set<number>();
  let next = 0;
  const worker = async () => {
    while (next < picks.length && Date.now() < deadline && !signal?.aborted) {
      const n = next++;
      const p = picks[n];
      const buf = Buffer.alloc(p.length);
      let got = 0;
      try {
        // as root, on a tree others can write to: a file swapped for a link or a fifo since
        // the walk is not followed, nor waited on
        const fh = await open(c.paths[p.index], constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        try {
          if (!(await fh.stat()).isFile()) continue;
          while (got < p.length) {
            const { bytesRead } = await fh.read(buf, got, p.length - got, p.start + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
        } finally {
          await fh.close();
        }
      } catch {
        continue; // vanished or unreadable since the walk: as tar, go on without it
      }
      if (got === 0) continue;
      await writeFile(join(dir, memberName(p, n, c.rels[p.index])), buf.subarray(0, got));
      bytes += got;
      files.add(p.index);
    }
  };
  // a few reads in flight: the disk's queue, not Node, sets the pace
  await Promise.all(Array.from({ length: 4 }, worker));
  cancelled(signal);
  // wall clock, copies into the temporary folder included: a floor for how fast the source reads
  const seconds = (performance.now() - t0) / 1000;
  return { bytes, files: files.size, readBytesPerSec: bytes > 0 && seconds > 0 ? bytes / seconds : null };
}

interface Measured {
  ok: boolean;
  fed: number;
  out: number;
  seconds: number;
}

/**
 * Feeds the first `limit` bytes of the sample's tar stream to one compressor and counts
 * what goes in and out. `stop` kills it (the hard end of the time cap): a multi-threaded
 * xz takes a whole block per thread before it writes a byte, so a late one is stopped,
 * not waited for.
 */
async function feed(chosen: Chosen, tarPath: string, limit: number, stop: AbortSignal): Promise<Measured> {
  const t0 = performance.now();
  const child = spawnTool(chosen.program!, chosen.args, { signal: stop, stdin: 'pipe' });
  let out = 0;
  child.stdout!.on('data', (b: Buffer) => {
    out += b.length;
  });
  child.stderr!.resume();
  let fed = 0;
  await pipeline(
    createReadStream(tarPath, { highWaterMark: 1024 * 1024, end: limit - 1 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        fed += chunk.length;
        yield chunk;
      }
    },
    child.stdin!,
  ).catch(() => {
    // EPIPE when the program died: its exit code says why
  });
  const res = await child;
  return { ok: res.exitCode === 0 && !stop.aborted, fed, out, seconds: (performance.now() - t0) / 1000 };
}

/** A first taste of the stream: its speed (one thread at most, a lower bound) sets how much the real run can take in its time. */
const PROBE = 2 * 1024 * 1024;

/**
 * Measures one compressor within `seconds`: a probe on the first 2 MiB, then the run on
 * as much of the stream as the probe's speed says fits (the members are in random order,
 * so a part is a sample too). The longer run is the one reported: more threads at work,
 * as in a backup.
 */
async function measure(chosen: Chosen, tarPath: string, tarBytes: number, seconds: number, hardEnd: number, signal?: AbortSignal): Promise<Measured | null> {
  const stop = AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(Math.max(1, hardEnd - Date.now()))]);
  const probe = await feed(chosen, tarPath, Math.min(PROBE, tarBytes), stop);
  cancelled(signal);
  if (!probe.ok) return stop.aborted ? null : probe;
  const left = seconds - probe.seconds;
  const fits = Math.floor((probe.fed / Math.max(probe.seconds, 0.001)) * left * 0.8);
  if (probe.fed >= tarBytes || fits <= probe.fed) return probe;
  const full = await feed(chosen, tarPath, Math.min(tarBytes, fits), stop);
  cancelled(signal);
  // stopped at the hard end: the probe is all there is
  return full.ok ? full : stop.aborted ? probe : full;
}

export async function estimateCompression(opts: CompressionEstimateOptions): Promise<CompressionEstimate> {
  const started = Date.now();
  const { signal } = opts;
  if (!opts.root.startsWith('/')) throw new LifeboatError('invalid-request', { field: 'root', reason: 'must be an absolute path' });
  let root: string;
  try {
    root = await realpath(opts.root);
    if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new LifeboatError('invalid-request', { field: 'root', reason: 'does not exist' });
  }
  const patterns = [...(opts.defaultExcludes !== false ? [...DEFAULT_EXCLUDES, ...lostFoundExcludes(['/'])] : []), ...(opts.excludes ?? [])];
  const budget = Math.max(0, opts.budgetMs);
  const formats = ORDER.filter((f) => (opts.formats ?? COMPRESSORS).includes(f));

  const cands = await walk(root, patterns, started + budget * WALK_SHARE, signal);

  const base = opts.tmpDir ?? tmpdir();
  // the sample is held twice for a moment (the runs, then their tar): never more than a third of the free space
  const free = await statfs(base).then((s) => s.bavail * s.bsize).catch(() => Infinity);
  const aim = Math.max(RUN, Math.min(opts.sampleBytes ?? COMPRESSION_SAMPLE_BYTES, Math.floor(free / 3)));
  const picks = choose(cands, aim);

  // mkdtemp makes it 0700: copies of root's files stay root's alone
  const tmp = await mkdtemp(join(base, 'lifeboat-compress-estimate-'));
  try {
    const dir = join(tmp, 'sample');
    await mkdir(dir);
    const copied = await copySample(cands, picks, dir, started + budget * READ_SHARE, signal);
    const tarPath = join(tmp, 'sample.tar');
    // the backup's own tar options: headers, padding and the record size end up in the
    // stream as in a set; --sort=name (GNU tar ≥ 1.28) rides in the slot for excludes,
    // the sample has nothing to leave out
    await run('tar', await tarCreateArgs(dir, ['--sort=name'], tarPath), { okExitCodes: [0, 1], signal });
    await rm(dir, { recursive: true, force: true });
    const tarBytes = (await stat(tarPath)).size;
    // file data per tar byte: turns stream figures into the tree's unit
    const dataPerTar = copied.bytes > 0 ? copied.bytes / tarBytes : 0;

    const results: CompressorEstimate[] = [];
    const toRun = formats.filter((f) => f !== 'none');
    for (const format of formats) {
      cancelled(signal);
      if (format === 'none') {
        results.push({
          format, available: true, program: null, level: null, status: copied.bytes > 0 ? 'measured' : 'no-time',
          ratio: copied.bytes > 0 ? tarBytes / copied.bytes : null, inputBytesPerSec: null, sampledBytes: copied.bytes,
        });
        continue;
      }
      let chosen: Chosen;
      try {
        chosen = await chooseCompressor(format);
      } catch (err) {
        if (err instanceof LifeboatError && err.code === 'tool-missing') {
          results.push({ format, available: false, program: null, level: null, status: 'missing', ratio: null, inputBytesPerSec: null, sampledBytes: 0 });
          toRun.splice(toRun.indexOf(format), 1);
          continue;
        }
        throw err;
      }
      const entry: CompressorEstimate = { format, available: true, program: chosen.program, level: chosen.level, status: 'no-time', ratio: null, inputBytesPerSec: null, sampledBytes: 0 };
      results.push(entry);
      const left = toRun.length - toRun.indexOf(format);
      const remaining = started + budget - Date.now();
      if (copied.bytes === 0 || remaining <= 0) continue;
      // past the cap by a quarter at most, whatever the machine's load
      const m = await measure(chosen, tarPath, tarBytes, remaining / left / 1000, started + budget * 1.25, signal);
      if (!m) continue;
      if (!m.ok || m.fed === 0) {
        entry.status = 'failed';
        continue;
      }
      entry.status = 'measured';
      entry.ratio = m.out / m.fed / dataPerTar;
      entry.sampledBytes = Math.round(m.fed * dataPerTar);
      entry.inputBytesPerSec = m.seconds > 0 ? (m.fed * dataPerTar) / m.seconds : null;
    }
    results.sort((a, b) => COMPRESSORS.indexOf(a.format) - COMPRESSORS.indexOf(b.format));
    return {
      root,
      sampleBytes: copied.bytes,
      sampleFiles: copied.files,
      walkedFiles: cands.paths.length,
      walkedBytes: cands.bytes,
      walkCapped: cands.capped,
      readBytesPerSec: copied.readBytesPerSec,
      compressors: results,
      ms: Date.now() - started,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
