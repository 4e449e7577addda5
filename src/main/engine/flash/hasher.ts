/**
 * The sha256s of a flash, computed on the main thread from the shared chunk buffers.
 *
 * Until Nov 2026 this was a worker thread reading the same SharedArrayBuffer, so hashing ran
 * on a second core. A worker is a whole V8 isolate: measured, it cost the flash 11 MiB of
 * its 64 MiB memory goal (76 → 65 MiB peak for a 1 GiB write + verify). On the main thread
 * the hash still overlaps the device: the writes (and the verification's read-ahead) are
 * queued on libuv's threads before the bytes are hashed, and sha256 with SHA-NI runs at
 * about 1.8 GB/s here, faster than the devices a flash writes. bench/flash.sh gives the
 * paired ratios against dd that this choice was checked with.
 *
 * The image's hash and every target's read-back hash are separate hash states (streams).
 * `update` resolves at once; it returns a promise so the pipeline does not depend on where
 * the hashing happens.
 */
import { createHash } from 'node:crypto';

/** One sha256: byte ranges of the slab go in, in order; the hex digest comes out. */
export interface HashStream {
  /** Hashes byte ranges of the slab; resolves when the bytes have been read (the buffer may be reused). */
  update(parts: [offset: number, length: number][]): Promise<void>;
  digest(): Promise<string>;
}

export class SlabHasher {
  constructor(private readonly slab: SharedArrayBuffer) {}

  /** A new, independent sha256. */
  stream(): HashStream {
    const hash = createHash('sha256');
    return {
      update: (parts) => {
        for (const [offset, length] of parts) hash.update(new Uint8Array(this.slab, offset, length));
        return Promise.resolve();
      },
      digest: async () => hash.digest('hex'),
    };
  }
}
