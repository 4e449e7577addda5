/**
 * The image's sha256, computed on another core.
 *
 * Hashing 1 GiB costs the main thread about 0.6 s here, as long as the writes themselves;
 * a worker reading the same shared buffers lets the two overlap. The chunk buffers live in
 * a SharedArrayBuffer, so nothing is copied: the writer only refills a buffer once both
 * the targets and the hasher are done with it.
 */
import { Worker } from 'node:worker_threads';

// Inline source: the engine is bundled into single files, so the worker cannot be a separate module.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
let slab = null;
parentPort.on('message', (m) => {
  if (m.slab) { slab = m.slab; return; }
  if (m.digest) { parentPort.postMessage({ digest: hash.digest('hex') }); return; }
  for (const [offset, length] of m.parts) hash.update(new Uint8Array(slab, offset, length));
  parentPort.postMessage({ seq: m.seq });
});
`;

export class SharedHasher {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, () => void>();
  private digestWaiter: ((hex: string) => void) | null = null;
  private failure: Error | null = null;

  constructor(slab: SharedArrayBuffer) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { seq?: number; digest?: string }) => {
      if (m.digest !== undefined) this.digestWaiter?.(m.digest);
      else if (m.seq !== undefined) {
        this.waiting.get(m.seq)?.();
        this.waiting.delete(m.seq);
      }
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const done of this.waiting.values()) done();
    });
    this.worker.postMessage({ slab });
  }

  /** Hashes byte ranges of the slab, in order; resolves when the worker is done reading them. */
  update(parts: [offset: number, length: number][]): Promise<void> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.worker.postMessage({ seq, parts });
    });
  }

  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    const hex = await new Promise<string>((resolve) => {
      this.digestWaiter = resolve;
      this.worker.postMessage({ digest: true });
    });
    if (this.failure) throw this.failure;
    return hex;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
