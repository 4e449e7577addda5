/**
 * The part splitter as the archive pipeline runs it: a Node process reading its stdin.
 * Parts, names, sizes and hashes are checked against the bytes fed in; a full filesystem
 * is a real 1 MiB tmpfs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PART_LINE, partSplitArgs } from './part-split';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let work = '';
let n = 0;

function split(input: Buffer, size: number, width = 3, dir?: string) {
  const cwd = dir ?? join(work, `run-${n++}`);
  mkdirSync(cwd, { recursive: true });
  const r = spawnSync(process.execPath, partSplitArgs(size, width, 'a.tar.zst.'), { cwd, input, encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter(Boolean);
  return { cwd, code: r.status, stderr: r.stderr, lines, files: readdirSync(cwd).sort() };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lifeboat-split-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('part splitter', () => {
  it('cuts a stream into numbered parts and reports each one with its size and sha256', () => {
    // 3.5 pieces of 1 MiB reads, parts of 1.25 MiB: parts end inside a read and across reads
    const data = randomBytes(3.5 * 1024 * 1024);
    const part = 1.25 * 1024 * 1024;
    const r = split(data, part);
    expect(r.code, r.stderr).toBe(0);
    expect(r.files).toEqual(['a.tar.zst.000', 'a.tar.zst.001', 'a.tar.zst.002']);
    const want = [0, 1, 2].map((i) => data.subarray(i * part, Math.min(data.length, (i + 1) * part)));
    expect(r.lines).toEqual(want.map((b, i) => `${b.length} ${sha(b)} a.tar.zst.00${i}`));
    r.lines.forEach((l) => expect(l).toMatch(PART_LINE));
    want.forEach((b, i) => expect(readFileSync(join(r.cwd, `a.tar.zst.00${i}`)).equals(b)).toBe(true));
  });

  it('a stream that ends on a part boundary gets no empty last part', () => {
    const data = randomBytes(2 * 65536);
    const r = split(data, 65536);
    expect(r.code, r.stderr).toBe(0);
    expect(r.files).toEqual(['a.tar.zst.000', 'a.tar.zst.001']);
  });

  it('an empty stream still gets its .000, empty', () => {
    const r = split(Buffer.alloc(0), 1024);
    expect(r.code, r.stderr).toBe(0);
    expect(r.files).toEqual(['a.tar.zst.000']);
    expect(r.lines).toEqual([`0 ${sha(Buffer.alloc(0))} a.tar.zst.000`]);
  });

  it('past 10^WIDTH parts the numbers get more digits (the caller evens them out)', () => {
    const r = split(randomBytes(11 * 100), 100, 1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((l) => PART_LINE.exec(l)![3])).toEqual([...'0123456789'].map((d) => `a.tar.zst.${d}`).concat('a.tar.zst.10'));
  });

  it('never overwrites a part that is already there', () => {
    const cwd = join(work, 'clash');
    mkdirSync(cwd);
    split(Buffer.from('first'), 1024, 3, cwd);
    const r = split(Buffer.from('second'), 1024, 3, cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a\.tar\.zst\.000/);
    expect(readFileSync(join(cwd, 'a.tar.zst.000'), 'utf8')).toBe('first');
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(`a full filesystem says "No space left on device" and exits 1 ${root ? '' : '(skipped: mounting a tmpfs needs root)'}`, () => {
    const small = join(work, 'small');
    mkdirSync(small);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'lifeboat-test', small]);
    expect(mount.status, String(mount.stderr)).toBe(0);
    try {
      const r = split(randomBytes(3 * 1024 * 1024), 1024 * 1024, 3, small);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^lifeboat-split: a\.tar\.zst\.00\d: No space left on device$/m);
      // the parts reported are whole; the one it could not finish is only a .partial (the
      // caller removes the whole set), never reported nor under a part's name
      for (const l of r.lines) {
        const [, size, , name] = PART_LINE.exec(l)!;
        expect(readFileSync(join(small, name!)).length).toBe(Number(size));
      }
      expect(r.files).toContain(`a.tar.zst.00${r.lines.length}.partial`);
      expect(r.files).not.toContain(`a.tar.zst.00${r.lines.length}`);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
