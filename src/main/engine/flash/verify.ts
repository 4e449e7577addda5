/**
 * Reads back what was written and compares it with what the image held, while the rest of
 * the image is still being written (pipelined verification).
 *
 * The verdict is the sha256 of the bytes read from the device against the sha256 of the
 * bytes written. A CRC32 per chunk rides along (zlib's, several GB/s) so a difference is
 * reported with its place and found early, without paying for a second sha256 per chunk.
 * The sha256 (a hash state of its own, fed only with bytes read back from the device) is
 * computed from the shared buffers while the next chunks are being read.
 *
 * Why pipelined: a USB stick reads and writes through separate limits (40 MB/s write,
 * 120 MB/s read on the bench's throttled stick), so reading everything back after the last
 * write costs a third of the write time on top of it (1.33× dd's time at best), while
 * reading each region back as soon as it is on the device costs only the last regions'
 * read. On a stick whose reads and writes share one channel the read-back costs what it
 * cost after the write, no more: the same bytes are read once either way.
 *
 * What keeps it honest, so the bytes compared come from the medium and never from memory:
 * a chunk is read back early only when every byte of it was written through the O_DIRECT
 * handle (the write has completed on the device; no page-cache copy exists, the direct
 * write invalidated any) and is read through the O_DIRECT handle too. Any other chunk (an
 * unaligned tail written through the buffered handle, a target without O_DIRECT) is read
 * only after the target's fsync and BLKFLSBUF, as every chunk was before.
 */
import { crc32 } from 'node:zlib';
import { open, type FileHandle } from 'node:fs/promises';
import { LifeboatError } from '../../../shared/errors';
import { ALIGN } from './aligned';
import type { SlabHasher } from './hasher';

/** One chunk of the image as written: where, which parts (relative offset, length), and their CRC32. */
export interface WrittenChunk {
  position: number;
  segments: [offset: number, length: number][];
  crc: number;
}

/**
 * The chunks sent to one target, in order, each with the moment it may be read back:
 * at once when its write went through O_DIRECT, otherwise once the target is flushed.
 */
export class ChunkFeed {
  /** each released to the reader once (then dropped: a long flash does not keep them all) */
  private readonly chunks: (Promise<WrittenChunk> | null)[] = [];
  private wake: (() => void)[] = [];
  private ended = false;
  private stopped: Error | null = null;
  private resolveFlushed!: () => void;
  private rejectFlushed!: (err: Error) => void;
  private readonly flushed = new Promise<void>((resolve, reject) => {
    this.resolveFlushed = resolve;
    this.rejectFlushed = reject;
  });

  /** `earlyReads`: the target has an O_DIRECT read handle, so direct-written chunks can be read back at once. */
  constructor(private readonly earlyReads: boolean) {
    this.flushed.catch(() => undefined);
  }

  /** The chunk was sent to the target; `written` resolves to true when all of it went through O_DIRECT. */
  push(chunk: WrittenChunk, written: Promise<boolean>): void {
    const ready = written.then((direct) => (direct && this.earlyReads ? chunk : this.flushed.then(() => chunk)));
    ready.catch(() => undefined);
    this.chunks.push(ready);
    this.notify();
  }

  /** No more chunks; `flushed` settles once the target's writes are durable and its page cache dropped. */
  end(flushed: Promise<void>): void {
    this.ended = true;
    flushed.then(this.resolveFlushed, this.rejectFlushed);
    this.notify();
  }

  /** The flash stopped (cancelled, failed, the target gone): the reader stops at its next chunk. */
  stop(reason: Error): void {
    this.stopped ??= reason;
    this.rejectFlushed(reason);
    this.notify();
  }

  /** Chunk i once it may be read back; null after the last one. Asked once per chunk, in order. */
  async get(i: number): Promise<WrittenChunk | null> {
    for (;;) {
      if (this.stopped) throw this.stopped;
      if (i < this.chunks.length) {
        const chunk = this.chunks[i];
        this.chunks[i] = null;
        if (!chunk) throw new LifeboatError('internal', { detail: `chunk ${i} read back twice` });
        return chunk;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  /** Resolves once every chunk pushed so far has been written and flushed: the point where the image's sha256 is known. */
  whenFlushed(): Promise<void> {
    return this.flushed;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const resolve of w) resolve();
  }
}

async function readFully(fh: FileHandle, buf: Buffer, offset: number, len: number, position: number): Promise<number> {
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, offset + done, len - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** A piece of a chunk to read back: at most one read buffer's worth of one of its segments. */
interface Piece {
  chunk: WrittenChunk;
  /** offset in the chunk */
  off: number;
  len: number;
  first: boolean;
  last: boolean;
}

/**
 * Reads one target back as `feed` releases its chunks; throws 'verify-mismatch' at the first
 * chunk whose CRC differs. Resolves with the sha256 of every byte read back (the caller
 * compares it with the image's) once the feed has ended and the target is flushed.
 *
 * The reads are pieces of a chunk, one ring buffer each, so that several are in flight for
 * little memory: with one read in flight the read-back fell behind the writing on the
 * throttled stick (1.7 s of reading left after the last write, against 2 ms with three
 * 1 MiB reads ahead), and every MiB of buffer counts against the 64 MiB memory goal.
 */
export async function readBack(
  device: string,
  feed: ChunkFeed,
  opts: {
    /** an O_DIRECT read handle, or null (then every chunk waits for the flush) */
    direct: FileHandle | null;
    /** the flash's hasher; this target gets a hash state of its own */
    hasher: SlabHasher;
    /** aligned buffers of the hasher's slab, each a multiple of ALIGN (one being checked and hashed, the others being read ahead) */
    bufs: Buffer[];
    signal: AbortSignal;
    /** false once the target has failed (its write error is the verdict): reading stops */
    alive: () => boolean;
    onBytes?: (bytes: number) => void;
    /** test hook, called before a chunk is read back */
    beforeRead?: (device: string, position: number) => Promise<void>;
  },
): Promise<string> {
  // A buffered handle for reads O_DIRECT cannot do (unaligned tails); they wait for the flush.
  const plain = await open(device, 'r');
  const hasher = opts.hasher.stream();
  const ring = opts.bufs.length;
  const pieceSize = opts.bufs[0].length;
  const pending: (Promise<void> | null)[] = new Array(ring).fill(null);
  const gone = () => new LifeboatError('cancelled', {}, `${device}: reading back stopped`);

  // The pieces in order: chunk by chunk as the feed releases them, segment by segment.
  let ci = 0;
  let si = 0;
  let so = 0;
  let cur: WrittenChunk | null = null;
  const nextPiece = async (): Promise<Piece | null> => {
    if (!cur) {
      cur = await feed.get(ci);
      if (!cur) return null;
      si = 0;
      so = 0;
    }
    const [off, len] = cur.segments[si];
    const n = Math.min(pieceSize, len - so);
    const piece: Piece = { chunk: cur, off: off + so, len: n, first: si === 0 && so === 0, last: false };
    so += n;
    if (so === len) {
      si++;
      so = 0;
    }
    if (si === cur.segments.length) {
      piece.last = true;
      cur = null;
      ci++;
    }
    return piece;
  };
  let order: Promise<unknown> = Promise.resolve();

  type Read = { piece: Piece; buf: Buffer } | null;
  /** Reads piece k into its ring buffer, once it is released and the hasher is done with that buffer. */
  const readPiece = async (k: number, which: Promise<Piece | null>): Promise<Read> => {
    const piece = await which;
    if (!piece) return null;
    if (opts.signal.aborted) throw new LifeboatError('cancelled');
    if (!opts.alive()) throw gone();
    const buf = opts.bufs[k % ring];
    await pending[k % ring];
    if (piece.first) await opts.beforeRead?.(device, piece.chunk.position);
    const pos = piece.chunk.position + piece.off;
    const rounded = Math.ceil(piece.len / ALIGN) * ALIGN;
    const useDirect = opts.direct && pos % ALIGN === 0 && rounded <= buf.length;
    let got: number;
    if (useDirect) {
      try {
        got = Math.min(piece.len, await readFully(opts.direct!, buf, 0, rounded, pos));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        // O_DIRECT refused after all: a buffered read is only trustworthy once the page cache is dropped.
        await feed.whenFlushed();
        got = await readFully(plain, buf, 0, piece.len, pos);
      }
    } else {
      got = await readFully(plain, buf, 0, piece.len, pos);
    }
    if (got < piece.len) throw new LifeboatError('verify-mismatch', { device, offset: pos + got }, `${device} is shorter than the image`);
    return { piece, buf };
  };
  /** Starts reading piece k (pieces are described in order); a read that fails before its turn is reported when its turn comes. */
  const start = (k: number): Promise<Read> => {
    const which = order.then(nextPiece);
    order = which.catch(() => undefined);
    const p = readPiece(k, which);
    p.catch(() => undefined);
    return p;
  };
  // Reads ahead, one buffer short of the ring: the device works on the next pieces while piece k
  // is checked and hashed.
  const depth = Math.max(1, ring - 1);
  const ahead: Promise<Read>[] = [];
  for (let j = 0; j < depth; j++) ahead.push(start(j));
  try {
    let verified = 0;
    let crc = 0;
    for (let k = 0; ; k++) {
      const got = await ahead.shift()!;
      if (!got) break;
      if (opts.signal.aborted) throw new LifeboatError('cancelled');
      // (k + depth) % ring is the buffer of piece k - 1, already hashed: never the one checked now.
      ahead.push(start(k + depth));
      const { piece, buf } = got;
      crc = crc32(buf.subarray(0, piece.len), piece.first ? 0 : crc);
      if (piece.last && crc !== piece.chunk.crc) {
        throw new LifeboatError('verify-mismatch', { device, offset: piece.chunk.position + (piece.chunk.segments[0]?.[0] ?? 0) });
      }
      pending[k % ring] = hasher.update([[buf.byteOffset, piece.len]]);
      verified += piece.len;
      if (piece.last) opts.onBytes?.(verified);
    }
    await Promise.all(pending);
    // The digest covers the whole image only once the writing is over and flushed.
    await feed.whenFlushed();
    return await hasher.digest();
  } finally {
    for (const p of ahead) p.catch(() => undefined);
    await Promise.all(ahead.map((p) => p.catch(() => undefined)));
    await plain.close();
  }
}
