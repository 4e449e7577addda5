import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unescapeTar } from './tar-quoting';

describe('unescapeTar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-quoting-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back the names real GNU tar printed, escapes and all', () => {
    const names = ['plain.txt', 'with space', 'new\nline', 'tab\there', 'back\\slash', 'été', 'emoji 🛟 boat', 'quote"s and \'s', 'bell\x07', 'x'.repeat(200)];
    for (const n of names) writeFileSync(join(dir, n), n);
    const out = execFileSync('tar', ['-c', '-v', '-f', '/dev/null', '--quoting-style=escape', '-C', dir, '.'], { env: { ...process.env, LC_ALL: 'C' } }).toString('latin1');
    const listed = out
      .split('\n')
      .filter((l) => l.startsWith('./') && l !== './')
      .map((l) => unescapeTar(l.slice(2)));
    expect(listed.sort()).toEqual(readdirSync(dir).sort());
    // the escapes were really there: tar wrote no raw newline, UTF-8 byte or tab
    expect(out).toContain('new\\nline');
    expect(out).toContain('\\303\\251t\\303\\251');
  });

  it('returns a name without a backslash as it is, raw UTF-8 and astral characters included', () => {
    for (const s of ['./usr/bin/ls', 'été', '🛟 lifeboat', '']) expect(unescapeTar(s)).toBe(s);
  });

  it('decodes octal and C escapes next to raw astral characters, and keeps a trailing backslash', () => {
    expect(unescapeTar('🛟\\303\\251\\n')).toBe('🛟é\n');
    expect(unescapeTar('a\\')).toBe('a\\');
    expect(unescapeTar('\\q')).toBe('\\q');
  });
});
