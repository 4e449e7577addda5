/**
 * Reads back what was written and compares it with what the image held.
 *
 * The verdict is the sha256 of the bytes read from the device against the sha256 of the
 * bytes written. A CRC32 per 4 MiB chunk rides along (zlib's, several GB/s) so a
 * difference is reported with its place and found early, without paying for a second
 * sha256 per chunk. The sha256 (a hash state of its own, fed only with bytes read back from
 * the device) is computed from the shared buffers while the next chunks are being read. Reads use O_DIRECT (or follow a BLKFLSBUF), so they come from the medium.
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

async function readFully(fh: FileHandle, buf: Buffer, offset: number, len: number, position: number): Promise<number> {
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, offset + done, len - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Verifies one target against the written chunks and the image's sha256; throws
 * 'verify-mismatch' at the first difference. `direct` is an O_DIRECT read handle (or
 * null).
 */
export async function verifyTarget(
  device: string,
  chunks: readonly WrittenChunk[],
  opts: {
    sha256: string;
    direct: FileHandle | null;
    /** the flash's hasher; this target gets a hash state of its own */
    hasher: SlabHasher;
    /** aligned chunk-sized buffers of the hasher's slab (one being checked and hashed, the others being read ahead) */
    bufs: Buffer[];
    signal: AbortSignal;
    onBytes?: (bytes: number) => void;
  },
): Promise<void> {
  // A buffered handle for reads O_DIRECT cannot do (unaligned tails); the page cache was flushed.
  const plain = await open(device, 'r');
  const hasher = opts.hasher.stream();
  const ring = opts.bufs.length;
  const pending: (Promise<void> | null)[] = new Array(ring).fill(null);
  /** Reads chunk i into its ring buffer, once the hasher is done with that buffer. */
  const readChunk = async (i: number): Promise<{ buf: Buffer; crc: number; bytes: number }> => {
    const chunk = chunks[i];
    const buf = opts.bufs[i % ring];
    await pending[i % ring];
    let crc = 0;
    let bytes = 0;
    for (const [off, len] of chunk.segments) {
      const pos = chunk.position + off;
      const rounded = Math.ceil(len / ALIGN) * ALIGN;
      const useDirect = opts.direct && pos % ALIGN === 0 && off % ALIGN === 0 && off + rounded <= buf.length;
      let got: number;
      if (useDirect) {
        try {
          got = Math.min(len, await readFully(opts.direct!, buf, off, rounded, pos));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
          got = await readFully(plain, buf, off, len, pos);
        }
      } else {
        got = await readFully(plain, buf, off, len, pos);
      }
      if (got < len) throw new LifeboatError('verify-mismatch', { device, offset: pos + got }, `${device} is shorter than the image`);
      crc = crc32(buf.subarray(off, off + len), crc);
      bytes += len;
    }
    return { buf, crc, bytes };
  };
  // Reads ahead, one buffer short of the ring: the device works on the next chunks while chunk i
  // is checked and hashed (one read in flight left the device idle during each hash).
  const depth = Math.max(1, ring - 1);
  const ahead: ReturnType<typeof readChunk>[] = [];
  for (let j = 0; j < Math.min(depth, chunks.length); j++) ahead.push(readChunk(j));
  try {
    let verified = 0;
    for (let i = 0; i < chunks.length; i++) {
      if (opts.signal.aborted) throw new LifeboatError('cancelled');
      const chunk = chunks[i];
      const cur = await ahead.shift()!;
      // (i + depth) % ring is the buffer of chunk i - 1, already hashed: never the one checked now.
      if (i + depth < chunks.length) ahead.push(readChunk(i + depth));
      if (cur.crc !== chunk.crc) throw new LifeboatError('verify-mismatch', { device, offset: chunk.position + (chunk.segments[0]?.[0] ?? 0) });
      pending[i % ring] = hasher.update(chunk.segments.map(([off, len]) => [cur.buf.byteOffset + off, len]));
      verified += cur.bytes;
      opts.onBytes?.(verified);
    }
    await Promise.all(pending);
    // Every CRC matched; the sha256 is the verdict (a difference here would mean a CRC collision).
    if ((await hasher.digest()) !== opts.sha256) throw new LifeboatError('verify-mismatch', { device, offset: 0 });
  } finally {
    for (const p of ahead) p.catch(() => undefined);
    await Promise.all(ahead.map((p) => p.catch(() => undefined)));
    await plain.close();
  }
}
