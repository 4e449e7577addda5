/**
 * archiveFilesystem on a small real tree, with the part width guessed too small: the
 * parts are renamed to one width, and the shell's `cat <base>.*` order is the stream's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveFilesystem } from './archive-fs';
import { chooseCompressor } from './compressors';

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lifeboat-archive-fs-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('archiveFilesystem', () => {
  it('more parts than the guessed width: every part renamed to the widest number, in order', async () => {
    const tree = join(work, 'tree');
    mkdirSync(tree);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const body = randomBytes(3000 + i * 500);
      files.set(`f${i}`, body);
      writeFileSync(join(tree, `f${i}`), body);
    }
    const set = join(work, 'set');
    mkdirSync(join(set, 'archives'), { recursive: true });
    const res = await archiveFilesystem({
      mount: tree,
      excludeArgs: [],
      compressor: await chooseCompressor('none'),
      setDir: set,
      base: 'archives/t.tar',
      split: 1024,
      partWidth: 1,
      destLabel: set,
      signal: new AbortController().signal,
      onProgress: () => {},
    });
    expect(res.files).toBe(7); // ./ and the six files
    expect(res.parts.length).toBeGreaterThan(10);
    const width = String(res.parts.length - 1).length;
    expect(res.parts.map((p) => p.name)).toEqual(res.parts.map((_, i) => `archives/t.tar.${String(i).padStart(width, '0')}`));
    expect(readdirSync(join(set, 'archives')).sort()).toEqual(res.parts.map((p) => p.name.slice('archives/'.length)));
    for (const p of res.parts) {
      const body = readFileSync(join(set, p.name));
      expect(body.length).toBe(p.size);
      expect(createHash('sha256').update(body).digest('hex')).toBe(p.sha256);
    }
    // what a person restoring by hand runs: the glob's order must be the stream's
    const out = join(work, 'out');
    mkdirSync(out);
    execFileSync('sh', ['-c', 'cat "$1"/archives/t.tar.* | tar -x -C "$2"', 'sh', set, out]);
    for (const [name, body] of files) expect(readFileSync(join(out, name)).equals(body)).toBe(true);
  });

  it('counts every member of a list longer than its 1 MiB read buffer, names with newlines and UTF-8 included', async () => {
    const tree = join(work, 'many');
    mkdirSync(tree);
    // 12,000 names of ≈100 bytes: a member list of ≈1.2 MB, read in more than one piece,
    // with lines cut at the piece boundary; a name with a newline is one escaped line
    const stem = 'é'.repeat(40);
    for (let d = 0; d < 12; d++) {
      const dir = join(tree, `dir ${d}`);
      mkdirSync(dir);
      for (let i = 0; i < 1000; i++) writeFileSync(join(dir, `${stem}-${String(i).padStart(4, '0')}${i % 97 === 0 ? '\nline' : ''}`), '');
    }
    const expected = Number(execFileSync('sh', ['-c', 'find "$1" -print0 | tr -cd "\\0" | wc -c', 'sh', tree], { encoding: 'utf8' }).trim());
    expect(expected).toBe(1 + 12 + 12_000);
    const set = join(work, 'many-set');
    mkdirSync(join(set, 'archives'), { recursive: true });
    const seen: string[] = [];
    const res = await archiveFilesystem({
      mount: tree,
      excludeArgs: [],
      compressor: await chooseCompressor('none'),
      setDir: set,
      base: 'archives/m.tar',
      split: 1 << 30,
      partWidth: 3,
      destLabel: set,
      signal: new AbortController().signal,
      onProgress: (_b, _f, current) => seen.push(current),
    });
    expect(res.files).toBe(expected);
    // the name shown is a whole member name, decoded (tar writes é as \303\251)
    const last = seen[seen.length - 1]!;
    expect(last).toMatch(new RegExp(`^\\./dir \\d+(/${stem}-\\d{4}(\\nline)?)?/?$`));
  });
});
