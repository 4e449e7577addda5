/**
 * Image fixtures for the flash tests, made with the real tools (sfdisk, gzip, xz, zstd,
 * bzip2, zip, xorriso, bmaptool) so the tests read what users download.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const MiB = 1024 * 1024;

/**
 * A sparse GPT disk image like an OS image: an ESP and a root partition, random data
 * in a few places, zeros elsewhere (so a bmap has holes). Ends with an odd tail so the
 * unaligned last write is exercised.
 */
export function makeDiskImage(dir: string, name = 'disk.img', size = 40 * MiB + 1536): string {
  // the partition table and data blocks below need this much room
  if (size < 40 * MiB) throw new Error(`makeDiskImage needs at least 40 MiB, got ${size}`);
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  for (const [at, len] of [
    [1 * MiB, 3 * MiB],
    [9 * MiB + 4096, 5 * MiB],
    [20 * MiB, 64 * 1024],
    [33 * MiB, 6 * MiB],
    [size - 1536, 1536],
  ]) {
    writeSync(fd, randomBytes(len), 0, len, at);
  }
  closeSync(fd);
  execFileSync('sfdisk', ['-q', path], {
    input: 'label: gpt\nstart=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI"\nstart=18432, size=40960, type=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name="root"\n',
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  return path;
}

/**
 * `size` bytes of random data (written 4 MiB at a time) under a GPT with one partition (the
 * engine flashes only images it recognises): big enough that a flash is still writing when
 * a test interferes with a target, and every block distinct, so a misplaced or missing write
 * changes the target's hash.
 */
export function makeRandomImage(dir: string, name: string, size: number): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    for (let pos = 0; pos < size; pos += 4 * MiB) {
      const n = Math.min(4 * MiB, size - pos);
      writeSync(fd, randomBytes(n), 0, n, pos);
    }
  } finally {
    closeSync(fd);
  }
  execFileSync('sfdisk', ['-q', path], { input: 'label: gpt\ntype=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name="data"\n', stdio: ['pipe', 'ignore', 'ignore'] });
  return path;
}

/** Compresses with the real tool, keeping the original; returns the new path. */
export function compress(path: string, kind: 'gz' | 'xz' | 'zst' | 'bz2' | 'zip', out?: string): string {
  const dest = out ?? `${path}.${kind}`;
  const sh = (tool: string, args: string[]) => execFileSync('sh', ['-c', `"$0" "$@" > "${dest}"`, tool, ...args]);
  if (kind === 'gz') sh('gzip', ['-c', '-1', path]);
  if (kind === 'xz') sh('xz', ['-c', '-0', '-T0', path]);
  if (kind === 'zst') execFileSync('zstd', ['-q', '-f', '-1', path, '-o', dest]);
  if (kind === 'bz2') sh('bzip2', ['-c', '-1', path]);
  if (kind === 'zip') execFileSync('zip', ['-q', '-j', '-1', dest, path]);
  return dest;
}

/** sha256 of the first `length` bytes of a file or device (all of it when omitted). */
export function sha256Of(path: string, length?: number, start = 0): string {
  const fd = openSync(path, 'r');
  const hash = createHash('sha256');
  const buf = Buffer.alloc(4 * MiB);
  let pos = start;
  const end = length === undefined ? Infinity : start + length;
  try {
    while (pos < end) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Fills a device or file with a repeating marker byte, to prove later which bytes were left alone. */
export function fillPattern(path: string, size: number, byte = 0xa5): void {
  const fd = openSync(path, 'r+');
  const buf = Buffer.alloc(4 * MiB, byte);
  for (let pos = 0; pos < size; pos += buf.length) writeSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
  execFileSync('sync');
  closeSync(fd);
}

export function readBytes(path: string, start: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, start);
    return buf;
  } finally {
    closeSync(fd);
  }
}
