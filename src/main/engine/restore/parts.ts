/**
 * Re-checks a set's parts right before a restore writes anything: present, of the
 * recorded size, with the recorded sha256. A set verified last week may have been
 * damaged since (a failing USB disk); finding out after the target was wiped is too late.
 *
 * Each part is hashed from an open descriptor and its identity at that moment (device,
 * inode, size, mtime, ctime) is kept: the extraction reads the parts minutes later and
 * checks that identity before and after (`partGuard`), so a part replaced or written to
 * in between is hashed again rather than trusted. ctime cannot be set back by any
 * writer, so a changed content always shows. What the check cannot see (a disk returning
 * other bytes on a second read with no error) the decompressor's own checksum catches
 * (zstd, xz, gzip and lz4 frames carry one).
 */
import { closeSync, fstatSync, openSync, read, statSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { LifeboatError } from '../../../shared/errors';

export interface PartRef {
  path: string;
  size: number;
  sha256: string;
}

/** What a proven part looked like when it was hashed. */
export interface PartIdentity {
  sha256: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The part's name as the user knows it: archives/root.tar.zst.000 */
const shown = (path: string) => `${basename(dirname(path))}/${basename(path)}`;

const identity = (sha256: string, st: BigIntStats): PartIdentity => ({ sha256, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });

const same = (a: PartIdentity, st: BigIntStats) => a.dev === st.dev && a.ino === st.ino && a.size === st.size && a.mtimeNs === st.mtimeNs && a.ctimeNs === st.ctimeNs;

/** One positioned read: the descriptor's own offset stays at 0 for the tool that reads it next. */
const readAt = (fd: number, buf: Buffer, position: number) =>
  new Promise<number>((res, rej) => read(fd, buf, 0, buf.length, position, (err, n) => (err ? rej(err) : res(n))));

/**
 * sha256 of an open file, read from its start. Node's hash is OpenSSL's (SHA-NI where
 * the CPU has it): 0.5–1.3 GB/s per core here, where coreutils' sha256sum makes 0.12.
 *
 * Plain positioned reads, two 1 MiB buffers (the next read runs while this one is hashed),
 * not fs.createReadStream: a read stream that is destroyed early — by the AbortSignal it was
 * given, or an error — closes its descriptor even with autoClose: false, so a restore
 * cancelled while its parts were hashed ended "EBADF: bad file descriptor, close" (exit 1)
 * instead of cancelled (130); and this descriptor is the one the extraction reads.
 */
async function hashFd(fd: number, signal: AbortSignal, onBytes: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const bufs = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
  let position = 0;
  let next = readAt(fd, bufs[0], 0);
  for (let i = 0; ; i ^= 1) {
    const n = await next;
    if (signal.aborted) throw new LifeboatError('cancelled');
    if (n === 0) break;
    position += n;
    next = readAt(fd, bufs[i ^ 1], position);
    // a failed read-ahead is reported by the await above on the next turn, never left unhandled
    next.catch(() => undefined);
    hash.update(bufs[i].subarray(0, n));
    onBytes(n);
  }
  return hash.digest('hex');
}

/** Hashes one part; returns its identity as it was hashed, or throws set-part-corrupt. */
async function provePart(p: PartRef, signal: AbortSignal, onBytes: (bytes: number) => void): Promise<PartIdentity> {
  let fd: number;
  try {
    fd = openSync(p.path, 'r');
  } catch {
    throw new LifeboatError('set-part-missing', { part: shown(p.path) });
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    if (Number(before.size) !== p.size) throw new LifeboatError('set-part-size', { part: shown(p.path), expected: p.size, actual: Number(before.size) });
    const digest = await hashFd(fd, signal, onBytes);
    if (digest !== p.sha256) throw new LifeboatError('set-part-corrupt', { part: shown(p.path) });
    const after = fstatSync(fd, { bigint: true });
    // written to while it was hashed: the digest proves nothing about what is there now
    if (!same(identity(p.sha256, before), after)) throw new LifeboatError('set-part-corrupt', { part: shown(p.path) });
    return identity(p.sha256, before);
  } finally {
    closeSync(fd);
  }
}

export async function verifyParts(parts: PartRef[], signal: AbortSignal, onBytes: (bytes: number) => void): Promise<Map<string, PartIdentity>> {
  // sizes first: a missing or truncated part is found at once, before hours of hashing
  for (const p of parts) {
    let size: number;
    try {
      size = statSync(p.path).size;
    } catch {
      throw new LifeboatError('set-part-missing', { part: shown(p.path) });
    }
    if (size !== p.size) throw new LifeboatError('set-part-size', { part: shown(p.path), expected: p.size, actual: size });
  }
  const proven = new Map<string, PartIdentity>();
  for (const p of parts) proven.set(p.path, await provePart(p, signal, onBytes));
  return proven;
}

/**
 * The check the extraction runs on each part it reads (runPipeline's checkInput), before
 * the tools start and after they ended: the open file must be the one hashed, unchanged.
 * One that is not (or was never hashed) is hashed now, from the very descriptor the tools
 * read; only a digest that still matches lets the restore go on.
 */
export function partGuard(proven: Map<string, PartIdentity>, expected: Map<string, string>, signal: AbortSignal) {
  return async (path: string, fd: number, st: BigIntStats): Promise<void> => {
    const known = proven.get(path);
    if (known && same(known, st)) return;
    const sha256 = known?.sha256 ?? expected.get(path);
    // a part the plan did not list for checking: nothing to prove it against
    if (!sha256) throw new LifeboatError('set-part-corrupt', { part: shown(path) });
    if ((await hashFd(fd, signal, () => undefined)) !== sha256) throw new LifeboatError('set-part-corrupt', { part: shown(path) });
    const now = fstatSync(fd, { bigint: true });
    if (!same(identity(sha256, st), now)) throw new LifeboatError('set-part-corrupt', { part: shown(path) });
    proven.set(path, identity(sha256, st));
  };
}
