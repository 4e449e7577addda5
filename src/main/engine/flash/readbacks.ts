/**
 * The verification of every target of a flash, running beside the writing: one read-back
 * per target (verify.ts), fed with each chunk as it is sent to that target.
 *
 * A read-back that fails records the failure on its target (a mismatch, a read error);
 * one whose target already failed writing leaves the write error as the verdict.
 */
import { LifeboatError } from '../../../shared/errors';
import { writeError, type FlashTarget } from './target';
import { ChunkFeed, readBack, type WrittenChunk } from './verify';
import type { SlabHasher } from './hasher';

export class ReadBacks {
  /** bytes read back and matched so far, per target */
  readonly verified = new Map<FlashTarget, number>();
  /** called whenever a target has verified one more chunk */
  onBytes: () => void = () => undefined;
  private readonly feeds = new Map<FlashTarget, ChunkFeed>();
  private readonly digests = new Map<FlashTarget, string>();
  private readonly running: Promise<void>[];

  constructor(
    targets: FlashTarget[],
    opts: {
      hasher: SlabHasher;
      /** `ring` aligned buffers per target, in target order */
      bufs: Buffer[];
      ring: number;
      /** the size of one read: each buffer is cut into pieces of this size (a multiple of 4 KiB dividing the buffers) */
      piece: number;
      /** false when the buffers suit no O_DIRECT read: every chunk then waits for the flush */
      aligned: boolean;
      signal: AbortSignal;
      beforeRead?: (device: string, position: number) => Promise<void>;
    },
  ) {
    this.running = targets.map((t, i) => {
      const feed = new ChunkFeed(opts.aligned && t.usesDirect && t.reader !== null);
      this.feeds.set(t, feed);
      return readBack(t.spec.real, feed, {
        direct: opts.aligned ? t.reader : null,
        hasher: opts.hasher,
        bufs: opts.bufs
          .slice(opts.ring * i, opts.ring * (i + 1))
          .flatMap((b) => Array.from({ length: Math.floor(b.length / opts.piece) }, (_, k) => b.subarray(k * opts.piece, (k + 1) * opts.piece))),
        signal: opts.signal,
        alive: () => t.alive,
        onBytes: (b) => {
          this.verified.set(t, b);
          this.onBytes();
        },
        beforeRead: opts.beforeRead,
      }).then(
        (digest) => void this.digests.set(t, digest),
        (err: unknown) => {
          // A target that failed writing keeps its write error; a cancelled flash is the caller's to report.
          if (opts.signal.aborted || !t.alive) return;
          t.failed = err instanceof LifeboatError ? err.toInfo() : writeError(t.device, err);
        },
      );
    });
  }

  /** The chunk was sent to `target`; `written` resolves to true when it all went through O_DIRECT. */
  push(target: FlashTarget, chunk: WrittenChunk, written: Promise<boolean>): void {
    this.feeds.get(target)?.push(chunk, written);
  }

  /** The writing is over for `target`; `flushed` settles once its fsync and BLKFLSBUF are done. */
  end(target: FlashTarget, flushed: Promise<void>): void {
    this.feeds.get(target)?.end(flushed);
  }

  /** Settles when every read-back has ended (never rejects: failures are on the targets). */
  settled(): Promise<void> {
    return Promise.all(this.running).then(() => undefined);
  }

  /** The sha256 of what was read back from `target`, once its read-back has ended well. */
  digest(target: FlashTarget): string | undefined {
    return this.digests.get(target);
  }

  /** Stops every read-back (the flash stopped early) and waits for their reads to finish, before the handles close. */
  async stop(): Promise<void> {
    for (const f of this.feeds.values()) f.stop(new LifeboatError('cancelled'));
    await this.settled();
  }
}
