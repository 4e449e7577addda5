/**
 * Writes a stream into numbered parts of at most `split` bytes, hashing each part as it
 * is written, so the archive is read once: compressor → parts + sha256.
 * PartWriter does it in Node (raw images, read in Node anyway); splitIntoParts with GNU
 * split outside Node (tar streams: the bytes never cross into Node).
 *
 * A full destination (ENOSPC, EDQUOT) becomes `dest-full`; the caller removes the
 * partial set.
 */
import { Writable, type Readable } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { hasTool, ToolError } from '../run';

const SPACE_MESSAGE = /No space left on device|Disk quota exceeded|File too large/;

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

/**
 * The command split runs for each part ($FILE: the part's name, relative to the set):
 * the part is written under a temporary name and hashed in the same pass (tee into the
 * hasher), renamed when whole, then reported as one "<size> <sha256> <name>" line on
 * split's stdout. bash for pipefail: a tee that cannot write (a full disk) fails the part
 * instead of hashing a short file.
 */
function partFilter(hasher: string): string {
  return `set -eo pipefail; h=$(tee --output-error=exit -- "$FILE.partial" | ${hasher}); s=$(stat -c %s -- "$FILE.partial"); mv -- "$FILE.partial" "$FILE"; echo "$s \${h%% *} $FILE"`;
}

/** openssl uses the CPU's SHA instructions (4× coreutils' sha256sum here); both print "<hex> …". */
let hasher: Promise<string> | null = null;
export function chooseHasher(): Promise<string> {
  hasher ??= hasTool('openssl').then((yes) => (yes ? 'openssl dgst -sha256 -r' : 'sha256sum -b'));
  return hasher;
}
const PART_LINE = /^(\d+) ([0-9a-f]{64}) (.+)$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SplitOptions {
  setDir: string;
  base: string;
  split: number;
  width: number;
  destLabel: string;
  signal: AbortSignal;
  /** from chooseHasher(), resolved before the pipe starts (see splitIntoParts) */
  hasher: string;
}

/** Resolves once no process of the group is left (bounded: zombies may linger unreaped). */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Splits and hashes a stream into parts with GNU split, outside Node: the compressor's
 * output goes from its pipe straight to split (an OS pipe, never read by Node), which
 * writes each part through partFilter. split runs in its own process group so a cancel
 * or a failure stops it and every filter it started; this returns only once they are gone,
 * so the caller may remove the set folder without a late write landing in it.
 *
 * @param source a child's stdout, handed to split as its stdin (the parent's end is closed)
 */
export async function splitIntoParts(source: Readable, o: SplitOptions): Promise<Part[]> {
  const args = ['--bytes', String(o.split), '--suffix-length', String(o.width), '--numeric-suffixes', '--filter', partFilter(o.hasher), '-', `${o.base}.`];
  const sub = execa('split', args, {
    reject: false,
    buffer: false,
    stdin: source,
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: o.setDir,
    // split runs its filter with $SHELL -c
    env: { LC_ALL: 'C', SHELL: '/bin/bash' },
    detached: true,
  });
  // the child holds its own copy of the pipe (see piped.ts)
  source.destroy();
  const pgid = sub.pid;
  let killed = false;
  const kill = () => {
    if (killed || !pgid) return;
    killed = true;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  o.signal.addEventListener('abort', kill, { once: true });
  if (o.signal.aborted) kill();

  const parts: Part[] = [];
  let bad = '';
  let rest = '';
  sub.stdout!.on('data', (c: Buffer) => {
    const lines = (rest + c.toString('utf8')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const m = PART_LINE.exec(line);
      if (m) parts.push({ name: m[3]!, size: Number(m[1]), sha256: m[2]! });
      else if (line) bad ||= line;
    }
  });
  let stderr = '';
  let full = false;
  sub.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
    // a full destination stops everything now, not when the part would have ended
    if (!full && SPACE_MESSAGE.test(stderr)) {
      full = true;
      kill();
    }
  });

  let res;
  try {
    res = await sub;
  } finally {
    o.signal.removeEventListener('abort', kill);
  }
  if (killed || res.exitCode !== 0) {
    kill();
    if (pgid) await groupGone(pgid);
  }
  if (full) throw new LifeboatError('dest-full', { path: o.destLabel });
  if (o.signal.aborted) throw new LifeboatError('cancelled');
  if (res.exitCode !== 0 || bad) throw new ToolError('split', args, res.exitCode ?? -1, stderr || bad, res.signal ?? undefined);
  parts.forEach((p, i) => {
    if (p.name !== `${o.base}.${String(i).padStart(o.width, '0')}`) throw new LifeboatError('internal', { detail: `split wrote ${p.name} as part ${i}` });
  });
  // split makes no file of an empty stream; every archive still gets its .000
  if (!parts.length) {
    const name = `${o.base}.${'0'.padStart(o.width, '0')}`;
    try {
      await writeFile(join(o.setDir, name), '', { flag: 'wx' });
    } catch (err) {
      if (isSpaceError(err)) throw new LifeboatError('dest-full', { path: o.destLabel }, undefined, { cause: err });
      throw err;
    }
    parts.push({ name, size: 0, sha256: EMPTY_SHA256 });
  }
  return parts;
}
