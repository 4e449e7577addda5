/**
 * Writes a stream into numbered parts of at most `split` bytes, hashing each part as it
 * is written, so the archive is read once: compressor → parts + sha256.
 * PartWriter does it in Node (raw images, read in Node anyway); tar streams go through
 * the splitter process of part-split.ts instead (archive-fs.ts: the bytes never cross into
 * the engine's process).
 *
 * A full destination (ENOSPC, EDQUOT) becomes `dest-full`; the caller removes the
 * partial set.
 */
import { Writable } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { ToolError } from '../run';

export const SPACE_MESSAGE = /No space left on device|Disk quota exceeded|File too large/;

export function isSpaceError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') return true;
  // a tool that could not write into the set: tar writing its snapshot file there
  return err instanceof ToolError && SPACE_MESSAGE.test(err.stderr);
}

export class PartWriter extends Writable {
  readonly parts: Part[] = [];
  /** bytes written into all parts */
  written = 0;
  private fh: FileHandle | null = null;
  private hash: Hash | null = null;
  private size = 0;
  private name = '';

  /**
   * @param setDir the set's (partial) folder
   * @param base   `archives/<id>.tar.zst`, relative to the set
   * @param width  digits of the part number; wide enough for the expected count, so
   *               `cat base.*` concatenates in order (shell globs sort by name)
   */
  constructor(
    private readonly setDir: string,
    private readonly base: string,
    private readonly split: number,
    private readonly width = 3,
    private readonly destLabel = setDir,
  ) {
    super({ highWaterMark: 4 << 20 });
  }

  private async openNext(): Promise<void> {
    this.name = `${this.base}.${String(this.parts.length).padStart(this.width, '0')}`;
    // 'wx': never overwrite; a clash means two archives share an id, a bug to surface
    this.fh = await open(join(this.setDir, this.name), 'wx');
    this.hash = createHash('sha256');
    this.size = 0;
  }

  private async closeCurrent(): Promise<void> {
    if (!this.fh) return;
    await this.fh.close();
    this.parts.push({ name: this.name, size: this.size, sha256: this.hash!.digest('hex') });
    this.fh = null;
  }

  private async put(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (!this.fh) await this.openNext();
      const n = Math.min(this.split - this.size, chunk.length - off);
      const slice = chunk.subarray(off, off + n);
      let done = 0;
      while (done < slice.length) {
        const { bytesWritten } = await this.fh!.write(slice, done, slice.length - done);
        done += bytesWritten;
      }
      this.hash!.update(slice);
      this.size += n;
      this.written += n;
      off += n;
      if (this.size === this.split) await this.closeCurrent();
    }
  }

  private wrap(err: unknown): Error {
    if (isSpaceError(err)) return new LifeboatError('dest-full', { path: this.destLabel }, undefined, { cause: err });
    return err as Error;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.put(chunk).then(() => cb(), (err) => cb(this.wrap(err)));
  }

  override _final(cb: (err?: Error | null) => void): void {
    // an empty stream still gets its .000, so every archive has at least one part
    (async () => {
      if (!this.parts.length && !this.fh) await this.openNext();
      await this.closeCurrent();
    })().then(() => cb(), (err) => cb(this.wrap(err)));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = null;
    if (fh) fh.close().then(() => cb(err), () => cb(err));
    else cb(err);
  }
}
