/**
 * The sha256s of a flash, computed on another core.
 *
 * Hashing 1 GiB costs a core about 0.6 s here (sha256 with SHA-NI, 1.8 GB/s), as long as
 * the writes themselves; a worker reading the same shared buffers lets the two overlap,
 * and keeps the main thread free to feed the decompressor and the writes. The chunk
 * buffers live in a SharedArrayBuffer, so nothing is copied: the writer only refills a
 * buffer once both the targets and the hasher are done with it.
 *
 * One worker per flash, whatever the number of targets: a worker thread costs about
 * 12 MiB of memory, so the image's hash and every target's read-back hash are separate
 * hash states (streams) in the same worker. Verifying several targets then hashes on one
 * core; a USB stick reads at 30–400 MB/s, far below what that core hashes.
 */
import { Worker } from 'node:worker_threads';

// Inline source: the engine is bundled into single files, so the worker cannot be a separate module.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
let slab = null;
parentPort.on('message', (m) => {
  if (m.slab) { slab = m.slab; return; }
  let hash = hashes.get(m.id);
  if (!hash) { hash = createHash('sha256'); hashes.set(m.id, hash); }
  if (m.digest) {
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: hash.digest('hex') });
    return;
  }
  for (const [offset, length] of m.parts) hash.update(new Uint8Array(slab, offset, length));
  parentPort.postMessage({ seq: m.seq });
});
`;

/** One sha256 computed by the worker: byte ranges of the slab go in, in order; the hex digest comes out. */
export interface HashStream {
  /** Hashes byte ranges of the slab; resolves when the worker is done reading them. */
  update(parts: [offset: number, length: number][]): Promise<void>;
  digest(): Promise<string>;
}

export class SharedHasher {
  private readonly worker: Worker;
  private seq = 0;
  private ids = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly digests = new Map<number, (hex: string) => void>();
  private failure: Error | null = null;

  constructor(slab: SharedArrayBuffer) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { seq?: number; id?: number; digest?: string }) => {
      if (m.digest !== undefined && m.id !== undefined) {
        this.digests.get(m.id)?.(m.digest);
        this.digests.delete(m.id);
      } else if (m.seq !== undefined) {
        this.waiting.get(m.seq)?.();
        this.waiting.delete(m.seq);
      }
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const done of this.waiting.values()) done();
      for (const done of this.digests.values()) done('');
    });
    this.worker.postMessage({ slab });
  }

  /** A new, independent sha256 in the worker. */
  stream(): HashStream {
    const id = ++this.ids;
    return {
      update: (parts) => {
        const seq = ++this.seq;
        return new Promise((resolve) => {
          this.waiting.set(seq, resolve);
          this.worker.postMessage({ id, seq, parts });
        });
      },
      digest: async () => {
        if (this.failure) throw this.failure;
        const hex = await new Promise<string>((resolve) => {
          this.digests.set(id, resolve);
          this.worker.postMessage({ id, digest: true });
        });
        if (this.failure) throw this.failure;
        return hex;
      },
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
