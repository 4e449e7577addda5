/**
 * `flashImage`: writes one image onto several drives at once, then verifies them.
 *
 * Why our own pipeline rather than etcher-sdk's `decompressThenFlash` (tried on a loop
 * device; it does write one correctly): etcher-sdk 10 has no zstd source; its checksums
 * are xxhash, not the sha256 this product reports; it reads a bmap only from inside a
 * zip, not one lying beside the image as bmaptool publishes them; its `BlockDevice`
 * needs drivelist drive objects (drivelist does not list loop devices) and unmounts
 * through mountutils; its `File` destination verifies through the page cache; and it
 * takes no AbortSignal. What we keep from it is the shape: one read of the source,
 * fanned out to every target, a failing target failing alone, O_DIRECT writes, and a
 * read-back verification.
 *
 * Order of work, so that nothing is touched before everything is known to be fine:
 * inspect the image → check every target (duplicates, block device, size) → test the
 * whole compressed stream when it is under 2 GiB (above that, damage is detected while
 * writing and the flash fails with 'image-damaged') → the caller's guard per target →
 * open all targets (O_EXCL refuses a mounted one) → write, each chunk read back from the
 * device once its O_DIRECT write has completed (verify.ts) → fsync + BLKFLSBUF → read back
 * the rest (the unaligned tail) → compare the sha256s.
 *
 * The image's sha256 is computed on the main thread from the same buffers (hasher.ts), after
 * each chunk's writes are queued, so hashing overlaps the device; a raw image is read straight
 * into those buffers, and with a bmap only its mapped ranges are read and written.
 *
 * Without verification (--no-verify) nothing is hashed: the sha256 exists to compare the
 * read-back against, and computing it anyway made a write-only flash of a fast device run at
 * sha256's speed (1.8 GB/s here) instead of the device's.
 * The result's sha256 is then null. The bmap's per-range checksums are still checked: they
 * judge the source, not the target.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { LifeboatError } from '../../../shared/errors';
import type { FlashResult, FlashTargetResult, ImageInfo } from '../../../shared/image';
import { SpeedMeter, type TargetProgress } from '../../../shared/progress';
import { throwIfCancelled, type JobContext } from '../job';
import { inspectImage } from '../image/inspect';
import { openDecompressed, openDecompressedReader, openGunzipReader, testIntegrity, type DecompressedReader } from '../image/decompress';
import { readBmap } from '../image/bmap';
import { mappedSegments, RangeChecker } from './ranges';
import { alignedBuffers } from './aligned';
import { describeTarget, FlashTarget, type TargetSpec } from './target';
import { ReadBacks } from './readbacks';
import { SlabHasher } from './hasher';

/**
 * 1 MiB writes: as large as a USB stick's largest request (the kernel splits a request into
 * the stick's max_sectors_kb, 120 KiB–1 MiB, anyway), small enough for smooth progress.
 */
export const CHUNK = 1024 * 1024;
/**
 * Chunks in flight: the decompressor keeps working while earlier chunks are being written.
 * The pool is most of a flash's memory beyond Node's own (the issue's goal is 64 MiB in
 * all): 8 × 4 MiB buffers made 32 MiB, 6 × 2 MiB 12 MiB; 4 × 1 MiB (up to 3 writes queued)
 * cost 4 MiB and, measured on the bench's loop device, write as fast as 6 × 2 MiB
 * (1 GiB in 0.97–0.99 s against 1.13–1.14 s, same load).
 */
const POOL = 4;
/**
 * Compressed images up to this size are fully tested before any target is touched.
 *
 * This decompresses the image twice, and it is kept on purpose. gzip's CRC32, xz's CRC64
 * and zstd's checksum cover the decompressed bytes, so testing means decompressing; one
 * pass for both would have to keep the decompressed image until the test ends, and 1 GiB
 * fits neither the 64 MiB memory goal nor, as a temp file, a disk that may be nearly full.
 * Writing while testing would leave a damaged download half-written over the stick's
 * old contents. The price, on the bench's 2 cores: the whole run goes at about half the
 * decompressor's speed (xz -T0 alone: ≈450 MB/s, so 400 MB/s over a whole .xz flash is
 * out of reach while this holds; gzip, inflated in-process at ≈1 GB/s, keeps ≈300 MB/s).
 * The test itself is as cheap as the format allows: xz -t -T0 (multithreaded on a
 * multi-block .xz), node:zlib for gzip (faster than pigz -t, which cannot inflate in
 * parallel), and nothing at all for a raw image, which has no checksum to test.
 */
export const PRECHECK_LIMIT = 2 * 1024 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 250;
/**
 * libuv threads a flash needs so that the read-back always has one: POOL writes, the source's
 * read, and the read-back. With libuv's default 4, a source that fills a chunk without the
 * thread pool (gzip, inflated on this thread) queued a 4th write while 3 were still blocked in
 * the device, and the read-back's reads waited behind them: the .gz read-back fell behind
 * from ≈400 MB on and ended 2.4 s after the last write on the throttled stick (26 Nov). The
 * CLI sets UV_THREADPOOL_SIZE to this before the pool starts (src/main/cli/commands/flash.ts).
 */
export const FLASH_THREADS = POOL + 2;
/**
 * Chunk-sized buffers per target for the read-back, beside the write pool (both work at once),
 * cut into VERIFY_PIECE reads. With FLASH_THREADS threads one 1 MiB buffer (4 pieces, 3 reads
 * in flight) keeps up: measured on the throttled stick (1 GiB, 26 Nov) the read-back ended 0–1 ms
 * after the last write for random, .gz and .xz images, and it costs 1 MiB less of the 64 MiB
 * goal. With 4 threads (UV_THREADPOOL_SIZE set lower, or a process whose pool started before)
 * the reads queue behind the writes and need more in flight: 2 buffers, 7 reads (1 × 1 MiB left
 * 2.8 s of reading after the last write of a random image, 2 × 1 MiB 1 ms).
 */
function verifyRing(): number {
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return threads >= FLASH_THREADS ? 1 : 2;
}
/** One read of the read-back (see verifyRing). */
const VERIFY_PIECE = 256 * 1024;

export interface FlashOptions {
  image: string;
  targets: string[];
  verify: boolean;
  /** called for every target just before it is opened; throws to refuse it (the helper's fresh drive scan) */
  guard?: (device: string, imageInfo: ImageInfo) => Promise<void>;
  /** accept regular files as targets (benchmarks and tests); block devices only otherwise */
  allowFileTarget?: boolean;
  /** test hook, called before a chunk (image bytes from `position`) is read back from `device` */
  beforeReadBack?: (device: string, position: number) => Promise<void>;
}

/** Logs how long each step took, so a slow flash says where the time went. */
function stopwatch(ctx: JobContext): (what: string) => void {
  let last = Date.now();
  return (what) => {
    const now = Date.now();
    ctx.log(`${what} in ${now - last} ms`);
    last = now;
  };
}

/** Stops a decompressor whose output the flash no longer reads (cancelled, failed, or every target gone): how it then ends is no news. */
function abandon(source: { stop(): void; done: Promise<void> }): void {
  source.stop();
  source.done.catch(() => undefined);
}

function checkDuplicates(specs: TargetSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.real)) throw new LifeboatError('target-duplicate', { device: s.device });
    seen.add(s.real);
  }
}

/** Flashes `opts.image` onto every target; per-target failures are in the result, refusals throw. */
export async function flashImage(ctx: JobContext, opts: FlashOptions): Promise<FlashResult> {
  const started = Date.now();
  const { signal } = ctx;
  throwIfCancelled(signal);
  if (opts.targets.length === 0) throw new LifeboatError('invalid-request', { field: 'targets', reason: 'empty' });

  const stamp = stopwatch(ctx);
  let info = await inspectImage(opts.image, signal);
  stamp('inspected');
  const bmap = info.bmap ? await readBmap(info.bmap.path) : null;
  let total = bmap ? bmap.mappedBytes : info.size;

  // Every target is checked before any is opened: one refusal stops the whole flash untouched.
  const specs: TargetSpec[] = [];
  for (const device of opts.targets) specs.push(await describeTarget(device, Boolean(opts.allowFileTarget)));
  checkDuplicates(specs);
  // Before the size check: a damaged trailer gives a nonsense size, and "damaged" is the real reason.
  if (info.compression !== 'none' && info.fileSize <= PRECHECK_LIMIT) {
    ctx.progress({ phase: 'preparing', bytes: 0, total, speed: null, eta: null });
    const counted = await testIntegrity(info.path, info.compression, signal);
    stamp('tested the compressed stream');
    // The header's size may be missing (bzip2, a zstd made from a pipe) or wrong (a gzip of
    // several members gives its last one's): the test's count is the image, checked against the
    // targets below before one is opened, instead of found out when a stick is full.
    if (counted !== null && (counted !== info.size || info.sizeIsEstimate)) {
      if (bmap && counted !== bmap.imageSize) {
        throw new LifeboatError('bmap-invalid', { path: bmap.path, detail: `it describes ${bmap.imageSize} bytes, the image has ${counted}` });
      }
      info = { ...info, size: counted, sizeIsEstimate: false };
      if (!bmap) total = counted;
    }
  }
  throwIfCancelled(signal);
  for (const s of specs) {
    if (s.capacity !== null && info.size !== null && s.capacity < info.size) {
      throw new LifeboatError('target-too-small', { device: s.device, size: s.capacity, available: s.capacity, needed: info.size });
    }
  }
  for (const s of specs) await opts.guard?.(s.device, info);
  stamp('checked the targets');

  const targets: FlashTarget[] = [];
  try {
    for (const s of specs) targets.push(await FlashTarget.open(s));
  } catch (err) {
    await Promise.all(targets.map((t) => t.close()));
    throw err;
  }

  try {
    return await withBuffers(ctx, opts, info, bmap, total, targets, started);
  } finally {
    await Promise.all(targets.map((t) => t.close()));
  }
}

/** Sets up the shared, aligned buffers and the hasher, then runs the pipeline. */
async function withBuffers(
  ctx: JobContext,
  opts: FlashOptions,
  info: ImageInfo,
  bmap: Awaited<ReturnType<typeof readBmap>> | null,
  total: number | null,
  targets: FlashTarget[],
  started: number,
): Promise<FlashResult> {
  const { signal } = ctx;
  const probes = targets.filter((t) => t.usesDirect && t.reader).map((t) => t.reader!);
  // Verification reads while the image is being written: each target has a ring of its own beside the pool.
  const ring = verifyRing();
  const verifyCount = opts.verify ? ring * targets.length : 0;
  const { slab, buffers, aligned } = await alignedBuffers(POOL + verifyCount, CHUNK, probes);
  if (!aligned) {
    // No alignment the devices accept: buffered writes and reads after a flush are still correct, only slower.
    for (const t of targets) await t.dropDirect();
  }
  const pool = buffers.slice(0, POOL);

  const sha = opts.verify ? new SlabHasher(slab) : null;
  // Every target is read back from its first chunk on, while the rest is written (verify.ts says why and what keeps it honest).
  const checks = sha
    ? new ReadBacks(targets, { hasher: sha, bufs: buffers.slice(POOL), ring, piece: VERIFY_PIECE, aligned, signal, beforeRead: opts.beforeReadBack })
    : null;
  try {
    return await runPipeline(ctx, opts, info, bmap, total, targets, started, pool, sha, checks);
  } finally {
    // Nothing is read once the flash has stopped (on success every read-back has ended already); the handles close after this.
    await checks?.stop();
  }
}

/** Writes every target from one read of the image, flushes them, and verifies them. */
async function runPipeline(
  ctx: JobContext,
  opts: FlashOptions,
  info: ImageInfo,
  bmap: Awaited<ReturnType<typeof readBmap>> | null,
  total: number | null,
  targets: FlashTarget[],
  started: number,
  pool: Buffer[],
  /** the hasher; null without verification */
  sha: SlabHasher | null,
  /** the read-backs running beside the writing; null without verification */
  checks: ReadBacks | null,
): Promise<FlashResult> {
  const { signal } = ctx;
  const imageHash = sha?.stream() ?? null;
  const checker = bmap ? new RangeChecker(bmap.ranges, bmap.checksumType, info.path) : null;
  const cursor = { i: 0 };
  const meter = new SpeedMeter();
  let sourceBytes = 0;
  let mappedBytes = 0;
  let lastReport = 0;

  // Targets fed from one source move in lockstep, so they share the job's speed.
  let speedNow: number | null = null;
  const targetProgress = (phase: TargetProgress['phase'], bytesOf: (t: FlashTarget) => number): Record<string, TargetProgress> =>
    Object.fromEntries(
      targets.map((t) => [
        t.device,
        {
          device: t.device,
          phase: t.failed ? 'failed' : phase,
          bytes: bytesOf(t),
          total,
          speed: t.failed ? null : speedNow,
          ...(checks && phase === 'writing' ? { verified: checks.verified.get(t) ?? 0 } : {}),
          ...(t.failed ? { error: t.failed } : {}),
        },
      ]),
    );
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const { speed } = meter.update(mappedBytes);
    speedNow = speed;
    ctx.progress({
      phase: 'writing',
      bytes: mappedBytes,
      total,
      speed,
      eta: meter.eta(mappedBytes, total),
      targets: targetProgress('writing', (t) => t.bytesWritten),
    });
  };

  const inflight: (Promise<unknown> | null)[] = new Array(POOL).fill(null);
  /** Sends the mapped parts of the chunk in `pool[slot]` (image bytes from `position`) to every live target. */
  const dispatch = (slot: number, position: number, len: number, segments: [number, number][]) => {
    sourceBytes = position + len;
    if (segments.length === 0) return;
    const buf = pool[slot];
    checker?.update(buf, position, segments);
    // The writes go out first: the devices work while this thread hashes the same bytes.
    const live = targets.filter((t) => t.alive);
    const writes = live.map(async (t) => {
      let direct = true;
      for (const [off, n] of segments) direct = (await t.write(buf, off, n, position + off)) && direct;
      return direct;
    });
    const hashed = imageHash?.update(segments.map(([off, n]) => [buf.byteOffset + off, n]));
    // The CRC only locates a difference during verification; the sha256 is the verdict.
    let crc = 0;
    for (const [off, n] of segments) {
      if (opts.verify) crc = crc32(buf.subarray(off, off + n), crc);
      mappedBytes += n;
    }
    const chunk = { position, segments, crc };
    live.forEach((t, k) => checks?.push(t, chunk, writes[k]));
    inflight[slot] = Promise.all([hashed, ...writes]);
  };
  let slot = 0;
  /** Moves to the next buffer once every target (and the hasher) is done with it; false when no target is left. */
  const advance = async (): Promise<boolean> => {
    slot = (slot + 1) % POOL;
    await inflight[slot];
    report();
    return targets.some((t) => t.alive);
  };

  ctx.progress({ phase: 'writing', bytes: 0, total, speed: null, eta: null, targets: targetProgress('writing', () => 0) });
  const stamp2 = stopwatch(ctx);
  const feed = info.compression === 'none' ? feedRaw : feedStream;
  let allFailed = false;
  try {
    allFailed = !(await feed());
    await Promise.all(inflight);
  } catch (err) {
    await Promise.all(inflight.map((p) => p?.catch(() => undefined)));
    if (signal.aborted) throw new LifeboatError('cancelled');
    if (err instanceof LifeboatError) throw err;
    throw new LifeboatError('image-damaged', { path: info.path, detail: (err as Error).message }, undefined, { cause: err });
  }
  if (allFailed) {
    // Nothing left to write to: the reading stopped early, and every target says why it failed.
    await Promise.all(targets.map((t) => t.finish()));
    return result(info, null, mappedBytes, started, targets, new Set());
  }

  /**
   * A raw image is read straight into the buffers, and with a bmap only its mapped ranges
   * are read at all (like bmaptool): the holes cost neither reading nor writing.
   */
  async function feedRaw(): Promise<boolean> {
    const size = info.size ?? 0;
    const fh = await open(info.path, 'r');
    try {
      for (let position = 0; position < size; position += CHUNK) {
        throwIfCancelled(signal);
        const len = Math.min(CHUNK, size - position);
        const segments = mappedSegments(bmap?.ranges ?? null, cursor, position, len);
        if (segments.length === 0) continue;
        for (const [off, n] of segments) {
          let got = 0;
          while (got < n) {
            const { bytesRead } = await fh.read(pool[slot], off + got, n - got, position + off + got);
            if (bytesRead === 0) throw new LifeboatError('image-damaged', { path: info.path, detail: `the file ends at ${position + off + got} bytes, ${size} expected` });
            got += bytesRead;
          }
        }
        dispatch(slot, position, len, segments);
        if (!(await advance())) return false;
      }
      sourceBytes = size;
      return true;
    } finally {
      await fh.close();
    }
  }

  /** A compressed image streams through its decompressor once; its bytes are cut into chunks. */
  async function feedStream(): Promise<boolean> {
    // Decompressed straight into the chunk buffers where we can (decompress.ts says why); a stream otherwise.
    const reader =
      info.compression === 'gzip'
        ? await openGunzipReader(info.path, signal)
        : info.compression !== 'none'
          ? await openDecompressedReader(info.path, info.compression, info.innerName, signal)
          : null;
    if (reader) return feedReader(reader);
    const source = await openDecompressed(info.path, info.compression, info.innerName, signal);
    let fill = 0;
    let position = 0;
    try {
      for await (const piece of source.stream as AsyncIterable<Buffer>) {
        throwIfCancelled(signal);
        let off = 0;
        while (off < piece.length) {
          const n = Math.min(CHUNK - fill, piece.length - off);
          piece.copy(pool[slot], fill, off, off + n);
          fill += n;
          off += n;
          if (fill === CHUNK) {
            dispatch(slot, position, fill, mappedSegments(bmap?.ranges ?? null, cursor, position, fill));
            position += fill;
            fill = 0;
            if (!(await advance())) {
              abandon(source);
              return false;
            }
          }
        }
      }
      if (fill > 0) dispatch(slot, position, fill, mappedSegments(bmap?.ranges ?? null, cursor, position, fill));
      await source.done;
      return true;
    } catch (err) {
      abandon(source);
      throw err;
    }
  }
  /** The decompressed image is read straight into the chunk buffers: no piece is allocated, none copied. */
  async function feedReader(source: DecompressedReader): Promise<boolean> {
    let position = 0;
    try {
      for (;;) {
        let fill = 0;
        while (fill < CHUNK) {
          const n = await source.read(pool[slot], fill, CHUNK - fill);
          if (n === 0) break;
          fill += n;
        }
        throwIfCancelled(signal);
        if (fill > 0) dispatch(slot, position, fill, mappedSegments(bmap?.ranges ?? null, cursor, position, fill));
        position += fill;
        if (fill < CHUNK) break;
        if (!(await advance())) {
          abandon(source);
          return false;
        }
      }
      await source.done;
      return true;
    } catch (err) {
      abandon(source);
      throw err;
    } finally {
      await source.close();
    }
  }

  // A stream that stops short of the size its header promised was cut: the tool may not notice (zip -p, a trimmed raw file).
  if (info.size !== null && !info.sizeIsEstimate && sourceBytes < info.size) {
    throw new LifeboatError('image-damaged', { path: info.path, detail: `${sourceBytes} of ${info.size} bytes` });
  }
  throwIfCancelled(signal);
  ctx.progress({ phase: 'syncing', bytes: mappedBytes, total, speed: null, eta: 0, targets: targetProgress('writing', (t) => t.bytesWritten) });
  stamp2('written');
  const finishing = targets.map((t) => t.finish());
  // The chunks not read back yet (the unaligned tail, or all of them without O_DIRECT) wait for this flush.
  targets.forEach((t, k) => checks?.end(t, finishing[k]));
  await Promise.all(finishing);
  stamp2('flushed');
  const sha256 = imageHash ? await imageHash.digest() : null;

  const verified = new Set<FlashTarget>();
  if (checks && sha256) {
    // What is left to read back once the writing is over: on a stick that reads faster than it
    // writes, the last chunk or two; the phase shows it from where the read-back already is.
    const vMeter = new SpeedMeter();
    const averageVerified = () => {
      const alive = targets.filter((t) => t.alive);
      return alive.length ? alive.reduce((n, t) => n + (checks.verified.get(t) ?? 0), 0) / alive.length : 0;
    };
    const from = averageVerified();
    let vLast = 0;
    const vReport = (force = false) => {
      const now = Date.now();
      if (!force && now - vLast < PROGRESS_INTERVAL_MS) return;
      vLast = now;
      const avg = averageVerified();
      // The meter measures this phase alone: the bytes verified while writing are not its speed.
      const { speed } = vMeter.update(avg - from);
      speedNow = speed;
      ctx.progress({
        phase: 'verifying',
        bytes: Math.round(avg),
        total: mappedBytes,
        speed,
        eta: vMeter.eta(avg - from, mappedBytes - from),
        targets: targetProgress('verifying', (t) => checks.verified.get(t) ?? 0),
      });
    };
    vReport(true);
    checks.onBytes = () => vReport();
    await checks.settled();
    throwIfCancelled(signal);
    for (const t of targets) {
      if (!t.alive) continue;
      // Every CRC matched; the sha256 is the verdict (a difference here would mean a CRC collision).
      if (checks.digest(t) === sha256) verified.add(t);
      else t.failed = new LifeboatError('verify-mismatch', { device: t.device, offset: 0 }).toInfo();
    }
    stamp2('verified');
  }

  const res = result(info, sha256, mappedBytes, started, targets, verified);
  ctx.progress({ phase: 'done', bytes: mappedBytes, total: mappedBytes, speed: null, eta: 0, targets: targetProgress('done', (t) => t.bytesWritten) });
  ctx.log(`flashed ${mappedBytes} bytes of ${info.path} in ${res.durationMs} ms: ${res.targets.map((t) => `${t.device} ${t.ok ? 'ok' : t.error?.code}`).join(', ')}`);
  return res;
}

function result(info: ImageInfo, sha256: string | null, bytes: number, started: number, targets: FlashTarget[], verified: Set<FlashTarget>): FlashResult {
  return {
    image: info.path,
    sha256,
    bytes,
    durationMs: Date.now() - started,
    targets: targets.map(
      (t): FlashTargetResult => ({
        device: t.device,
        ok: t.alive,
        bytesWritten: t.bytesWritten,
        verified: verified.has(t),
        ...(t.failed ? { error: t.failed } : {}),
      }),
    ),
  };
}

