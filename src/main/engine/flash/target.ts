/**
 * One destination of a flash: checked, opened, written and flushed.
 *
 * A block device is opened with O_EXCL, which the kernel refuses while it is mounted or
 * claimed (so we never write under a mounted filesystem), and with O_DIRECT so progress
 * reflects bytes that reached the device rather than the page cache. Writes that are not
 * 4 KiB aligned (the image's last bytes) go through a second, buffered handle and are
 * made durable by fsync. A failing target records its error and is skipped from then
 * on; the other targets carry on.
 */
import { constants, existsSync } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { LifeboatError, toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { run } from '../run';
import { ALIGN } from './aligned';
import { deviceBytes } from '../drives/size';

const { O_WRONLY, O_RDONLY, O_DIRECT, O_EXCL } = constants;

export interface TargetSpec {
  device: string;
  /** the real path, for duplicate detection */
  real: string;
  isFile: boolean;
  /** bytes the target can hold; null for a regular file (it grows) */
  capacity: number | null;
}

/** Checks a target path without opening it for writing. */
export async function describeTarget(device: string, allowFileTarget: boolean): Promise<TargetSpec> {
  let st;
  let real: string;
  try {
    real = await realpath(device);
    st = await stat(real);
  } catch {
    throw new LifeboatError('target-missing', { device });
  }
  if (st.isBlockDevice()) return { device, real, isFile: false, capacity: await deviceBytes(real) };
  if (st.isFile() && allowFileTarget) return { device, real, isFile: true, capacity: null };
  throw new LifeboatError('target-not-block-device', { device });
}

/** Maps a write error to the code a person understands: a stick pulled out is not a "write failure". */
export function writeError(device: string, err: unknown): ErrorInfo {
  if (err instanceof LifeboatError) return err.toInfo();
  const e = err as NodeJS.ErrnoException;
  if (!existsSync(device) || e.code === 'ENODEV' || e.code === 'ENXIO' || e.code === 'ENOMEDIUM') {
    return new LifeboatError('target-vanished', { device }, `${device} vanished: ${e.message}`).toInfo();
  }
  if (e.code === 'ENOSPC') return new LifeboatError('write-failed', { device, detail: 'no space left' }).toInfo();
  return e && typeof e === 'object' && 'message' in e
    ? new LifeboatError('write-failed', { device, detail: `${e.code ?? ''} ${e.message}`.trim() }).toInfo()
    : toErrorInfo(err);
}

export class FlashTarget {
  failed: ErrorInfo | null = null;
  bytesWritten = 0;
  private constructor(
    readonly spec: TargetSpec,
    /** O_DIRECT write handle, null when the target does not support O_DIRECT (tmpfs files) */
    private direct: FileHandle | null,
    private readonly buffered: FileHandle,
    /** O_DIRECT read handle for the alignment probe and for verification */
    readonly reader: FileHandle | null,
  ) {}

  get device(): string {
    return this.spec.device;
  }

  get alive(): boolean {
    return this.failed === null;
  }

  /** Opens a checked target for writing; throws a LifeboatError naming why it cannot be. */
  static async open(spec: TargetSpec): Promise<FlashTarget> {
    const path = spec.real;
    const fail = (err: unknown): never => {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EBUSY') throw new LifeboatError('target-mounted', { device: spec.device, detail: e.message });
      if (e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM') throw new LifeboatError('target-read-only', { device: spec.device });
      if (e.code === 'ENOENT' || e.code === 'ENXIO' || e.code === 'ENODEV') throw new LifeboatError('target-missing', { device: spec.device });
      throw new LifeboatError('write-failed', { device: spec.device, detail: e.message });
    };
    // The exclusive claim comes first so a mounted device is refused before anything else happens.
    const excl = spec.isFile ? 0 : O_EXCL;
    let direct: FileHandle | null = null;
    try {
      direct = await open(path, O_WRONLY | O_DIRECT | excl);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') fail(err);
    }
    let buffered: FileHandle;
    try {
      buffered = await open(path, O_WRONLY | (direct ? 0 : excl));
    } catch (err) {
      await direct?.close();
      return fail(err);
    }
    let reader: FileHandle | null = null;
    try {
      reader = await open(path, O_RDONLY | O_DIRECT);
    } catch {
      /* verification falls back to buffered reads after a flush */
    }
    return new FlashTarget(spec, direct, buffered, reader);
  }

  /** Stops using O_DIRECT (no buffer alignment the device accepts): buffered writes plus fsync stay correct. */
  async dropDirect(): Promise<void> {
    await this.direct?.close();
    this.direct = null;
  }

  get usesDirect(): boolean {
    return this.direct !== null;
  }

  /**
   * Writes `len` bytes of `buf` from `offset` at `position`; records a failure instead of throwing.
   * Resolves to true when every byte went through the O_DIRECT handle: they are then on the
   * device, and verification may read them back before the final flush.
   */
  async write(buf: Buffer, offset: number, len: number, position: number): Promise<boolean> {
    if (this.failed) return false;
    try {
      if (this.spec.capacity !== null && position + len > this.spec.capacity) {
        // Only reachable when the image size was unknown beforehand (bzip2 without a bmap).
        throw new LifeboatError('target-too-small', { device: this.device, size: this.spec.capacity, available: this.spec.capacity, needed: position + len });
      }
      const aligned = position % ALIGN === 0 && len % ALIGN === 0 && offset % ALIGN === 0;
      let fh = aligned && this.direct ? this.direct : this.buffered;
      let done = 0;
      while (done < len) {
        try {
          const { bytesWritten } = await fh.write(buf, offset + done, len - done, position + done);
          if (bytesWritten === 0) throw Object.assign(new Error('the device accepted no bytes'), { code: 'EIO' });
          done += bytesWritten;
        } catch (err) {
          // A device may refuse O_DIRECT for this buffer after all: retry buffered rather than fail the stick.
          if ((err as NodeJS.ErrnoException).code === 'EINVAL' && fh === this.direct) {
            fh = this.buffered;
            continue;
          }
          throw err;
        }
      }
      this.bytesWritten += len;
      return fh === this.direct;
    } catch (err) {
      this.failed = writeError(this.device, err);
      return false;
    }
  }

  /**
   * Makes everything durable and drops the device's page cache (BLKFLSBUF), so a later
   * verification reads the medium, not memory.
   */
  async finish(): Promise<void> {
    try {
      if (!this.failed) {
        await this.buffered.sync();
        if (this.direct) await this.direct.sync();
      }
    } catch (err) {
      this.failed = writeError(this.device, err);
    } finally {
      await this.direct?.close().catch(() => undefined);
      await this.buffered.close().catch(() => undefined);
      this.direct = null;
    }
    if (!this.failed && !this.spec.isFile) {
      await run('blockdev', ['--flushbufs', this.spec.real]).catch((err) => {
        this.failed = writeError(this.device, err);
      });
    }
  }

  /** Closes every handle (after verification, or when the flash stops early). */
  async close(): Promise<void> {
    await this.direct?.close().catch(() => undefined);
    await this.buffered.close().catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
  }
}
