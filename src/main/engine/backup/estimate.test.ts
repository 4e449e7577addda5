/**
 * The estimate walk against GNU tar itself: its member count (read from the snapshot it
 * writes) must equal what `tar --verbose` lists for the same archive, level 0 and
 * incremental, with excludes; its byte total is the real stream's size.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateFilesystem, snapshotMembers } from './estimate';
import { tarCreateArgs } from './tar-args';

let work = '';
let tree = '';
const EXCLUDES = ['--exclude=./skip', '--exclude=*.tmp'];

/** The size of the stream the archive's own tar writes (pax, as the walk counts: no xattrs in this tree). */
async function streamBytes(snapshot: string): Promise<number> {
  const args = (await tarCreateArgs(tree, EXCLUDES, '-', snapshot)).filter((a) => a !== '--verbose');
  return execFileSync('tar', args, { maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C' } }).length;
}

/** How many members tar --verbose lists for the archive these options make (names are escaped: one line each). */
function listMembers(extra: string[]): number {
  const list = join(work, 'list');
  execFileSync('tar', ['-c', '-f', '/dev/null', '--one-file-system', '--warning=no-new-directory', '-v', `--index-file=${list}`, ...extra, ...EXCLUDES, '-C', tree, '.'], {
    env: { ...process.env, LC_ALL: 'C' },
  });
  return execFileSync('wc', ['-l', list]).toString().trim().split(' ').map(Number)[0];
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lb-estimate-'));
  tree = join(work, 'tree');
  for (let d = 0; d < 12; d++) {
    const dir = join(tree, `d${d}`, 'sub', d % 3 ? 'x' : 'y');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 25; f++) writeFileSync(join(dir, `f${f}${f % 7 ? '' : '.tmp'}`), `file ${d}/${f}\n`.repeat(f + 1));
  }
  writeFileSync(join(tree, 'with\nnewline'), 'x');
  symlinkSync('d0', join(tree, 'link'));
  mkdirSync(join(tree, 'skip/deeper'), { recursive: true });
  writeFileSync(join(tree, 'skip/deeper/gone'), 'excluded');
  mkdirSync(join(tree, 'empty'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('estimate walk (real GNU tar)', () => {
  it('counts a level-0 archive exactly as tar --verbose lists it, excludes honoured, and sizes its stream', async () => {
    const snapshot = join(work, 'level0.snar');
    const t = await estimateFilesystem({ mount: tree, excludeArgs: EXCLUDES, snapshot }, new AbortController().signal);
    const want = listMembers([`--listed-incremental=${join(work, 'check0.snar')}`]);
    expect(want).toBeGreaterThan(250);
    expect(t.files).toBe(want);
    expect(t.bytes).toBe(await streamBytes(join(work, 'check0b.snar')));
    await expect(snapshotMembers(snapshot)).resolves.toBe(want);
  });

  it('counts an incremental: every directory and only the changed files', async () => {
    const base = join(work, 'base.snar');
    await estimateFilesystem({ mount: tree, excludeArgs: EXCLUDES, snapshot: base }, new AbortController().signal);
    // a second later: one file changed, one added, one removed, a new folder
    const later = new Date(Date.now() + 2000);
    writeFileSync(join(tree, 'd1/sub/x/f1'), 'changed\n');
    utimesSync(join(tree, 'd1/sub/x/f1'), later, later);
    writeFileSync(join(tree, 'd2/sub/x/new'), 'new\n');
    rmSync(join(tree, 'd3/sub/y/f2'));
    mkdirSync(join(tree, 'fresh'));
    writeFileSync(join(tree, 'fresh/inside'), 'in a new folder\n');
    const scratch = join(work, 'incr.snar');
    copyFileSync(base, scratch);
    const check = join(work, 'check-incr.snar');
    copyFileSync(base, check);
    const t = await estimateFilesystem({ mount: tree, excludeArgs: EXCLUDES, snapshot: scratch }, new AbortController().signal);
    const want = listMembers([`--listed-incremental=${check}`]);
    const dirs = Number(execFileSync('sh', ['-c', `find "$1" -path "$1/skip" -prune -o -type d -print | wc -l`, 'sh', tree]).toString().trim());
    // the directories, f1, new and fresh/inside (d1/sub/x/f1's ctime is now too: taken once)
    expect(want).toBe(dirs + 3);
    expect(t.files).toBe(want);
  });

  it('gives no count for a file that is no tar snapshot', async () => {
    const bogus = join(work, 'bogus');
    writeFileSync(bogus, 'not a snapshot\n\0\0');
    await expect(snapshotMembers(bogus)).resolves.toBeNull();
  });
});
