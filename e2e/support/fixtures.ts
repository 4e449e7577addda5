/**
 * Test data: a small disk image with a recognisable pattern and a real partition
 * table, compressed with gzip as images are usually downloaded.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const MiB = 1024 * 1024;

export interface ImageFixture {
  /** the compressed file the user picks */
  path: string;
  name: string;
  /** the decompressed size and its sha256: what must land on the stick */
  size: number;
  sha256: string;
}

/** Every 4 KiB block holds its own number and a fixed phrase, so any misplaced block changes the hash. */
export function makeImage(dir: string, size = 16 * MiB): ImageFixture {
  const raw = Buffer.alloc(size);
  for (let off = 0; off < size; off += 4096) {
    raw.write(`lifeboat-e2e block ${off / 4096} `.padEnd(64, '.'), off, 'latin1');
    raw.fill(off / 4096 % 251, off + 64, off + 4096);
  }
  const rawPath = join(dir, 'pattern.raw');
  writeFileSync(rawPath, raw);
  // A real MBR with two partitions, so the image details show them.
  execFileSync('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', rawPath], {
    input: 'label: dos\nstart=2048, size=12288, type=c, bootable\nstart=14336, type=83\n',
  });
  const final = readFileSync(rawPath);
  const name = 'lifeboat-test.img.gz';
  const path = join(dir, name);
  writeFileSync(path, gzipSync(final, { level: 1 }));
  rmSync(rawPath);
  return { path, name, size, sha256: createHash('sha256').update(final).digest('hex') };
}

/** sha256 of the first `length` bytes of a file or device. */
export function sha256Prefix(path: string, length: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(MiB);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), done);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
