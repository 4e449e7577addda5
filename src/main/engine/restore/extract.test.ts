/**
 * The extraction pipeline with real zstd and tar on real files: parts read by the tools
 * straight from disk (one part as stdin, several through cat), progress, the failing
 * stage named, and the guard that a part changed after it was hashed is hashed again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cleanupScratch, scratchDir } from '../../../../test/util/loop';
import { runPipeline } from './extract';
import { partGuard, verifyParts, type PartRef } from './parts';

const KiB = 1024;
let work: string;
let parts: PartRef[];
let tree: Record<string, string>;
const dec = ['zstd', '-q', '-d', '-c'];
const tarX = (dir: string) => ['tar', '-x', '-f', '-', '--numeric-owner', '-C', dir];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  work = scratchDir('lifeboat-extract-');
  const src = join(work, 'src');
  mkdirSync(join(src, 'd'), { recursive: true });
  tree = {};
  for (let i = 0; i < 20; i++) {
    const name = `d/f${i}`;
    const data = randomBytes(40 * KiB).toString('hex');
    writeFileSync(join(src, name), data);
    tree[name] = data;
  }
  const zst = execFileSync('sh', ['-c', `tar -c -C ${src} . | zstd -q -c`], { maxBuffer: 1 << 28 });
  // three parts of a split stream: no part is a valid zstd stream on its own
  const cut = [0, Math.floor(zst.length / 3), Math.floor((2 * zst.length) / 3), zst.length];
  mkdirSync(join(work, 'set'));
  parts = [0, 1, 2].map((i) => {
    const path = join(work, 'set', `root.tar.zst.00${i}`);
    const b = zst.subarray(cut[i], cut[i + 1]);
    writeFileSync(path, b);
    return { path, size: b.length, sha256: sha(b) };
  });
  writeFileSync(join(work, 'one.tar.zst'), zst);
});
afterAll(() => cleanupScratch());

function extracted(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(join(dir, 'd')).map((f) => [`d/${f}`, readFileSync(join(dir, 'd', f), 'utf8')]));
}

describe('runPipeline', () => {
  it('several parts: cat reads them into zstd, tar unpacks every file, progress adds up to the parts', async () => {
    const out = scratchDir('lifeboat-extract-out-');
    let bytes = 0;
    await runPipeline(parts.map((p) => p.path), [dec, tarX(out)], new AbortController().signal, (n) => (bytes += n));
    expect(extracted(out)).toEqual(tree);
    expect(bytes).toBe(parts.reduce((s, p) => s + p.size, 0));
  });

  it('one part: the file itself is the decompressor’s stdin', async () => {
    const out = scratchDir('lifeboat-extract-out-');
    let bytes = 0;
    await runPipeline([join(work, 'one.tar.zst')], [dec, tarX(out)], new AbortController().signal, (n) => (bytes += n));
    expect(extracted(out)).toEqual(tree);
    expect(bytes).toBe(statSync(join(work, 'one.tar.zst')).size);
  });

  it('names the stage that failed, not the one it took down with it', async () => {
    // tar cannot change into a missing folder and exits at once; zstd then dies writing to it
    await expect(runPipeline(parts.map((p) => p.path), [dec, tarX(join(work, 'missing'))], new AbortController().signal, () => {})).rejects.toMatchObject({
      code: 'tool-failed',
      params: { tool: 'tar' },
    });
    // a stream cut short: zstd is the cause
    const out = scratchDir('lifeboat-extract-out-');
    await expect(runPipeline([parts[0].path], [dec, tarX(out)], new AbortController().signal, () => {})).rejects.toMatchObject({ code: 'tool-failed', params: { tool: 'zstd' } });
  });

  it('a missing tool is tool-missing', async () => {
    await expect(runPipeline([parts[0].path], [['lifeboat-no-such-tool']], new AbortController().signal, () => {})).rejects.toMatchObject({ code: 'tool-missing' });
  });
});

describe('parts changed between the check and the extraction', () => {
  const copySet = (name: string): PartRef[] => {
    mkdirSync(join(work, name));
    return parts.map((p, i) => {
      const path = join(work, name, `root.tar.zst.00${i}`);
      writeFileSync(path, readFileSync(p.path));
      return { ...p, path };
    });
  };
  const guarded = async (set: PartRef[], proven: Awaited<ReturnType<typeof verifyParts>>, out: string) => {
    const signal = new AbortController().signal;
    const expected = new Map(set.map((p) => [p.path, p.sha256]));
    return runPipeline(set.map((p) => p.path), [dec, tarX(out)], signal, () => {}, { checkInput: partGuard(proven, expected, signal) });
  };

  it('unchanged parts are not hashed again and extract', async () => {
    const set = copySet('same');
    const proven = await verifyParts(set, new AbortController().signal, () => {});
    expect(proven.size).toBe(3);
    const out = scratchDir('lifeboat-extract-out-');
    await guarded(set, proven, out);
    expect(extracted(out)).toEqual(tree);
  });

  it('a part overwritten in place after its check (same size, mtime put back) is refused before tar runs', async () => {
    const set = copySet('overwritten');
    const proven = await verifyParts(set, new AbortController().signal, () => {});
    const before = statSync(set[1].path, { bigint: true });
    execFileSync('touch', ['-r', set[1].path, join(work, 'stamp')]);
    const fd = openSync(set[1].path, 'r+');
    writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, 100);
    closeSync(fd);
    // the writer hides its tracks as far as it can (mtime put back to the nanosecond): ctime still moves
    execFileSync('touch', ['-r', join(work, 'stamp'), set[1].path]);
    expect(statSync(set[1].path, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    const out = scratchDir('lifeboat-extract-out-');
    await expect(guarded(set, proven, out)).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: 'overwritten/root.tar.zst.001' } });
    expect(readdirSync(out)).toEqual([]);
  });

  it('a part replaced by an identical copy is hashed again, found good, and used', async () => {
    const set = copySet('replaced');
    const proven = await verifyParts(set, new AbortController().signal, () => {});
    writeFileSync(`${set[2].path}.new`, readFileSync(set[2].path));
    renameSync(`${set[2].path}.new`, set[2].path);
    const out = scratchDir('lifeboat-extract-out-');
    await guarded(set, proven, out);
    expect(extracted(out)).toEqual(tree);
    // the new file is now the proven one
    expect(proven.get(set[2].path)!.ino).toBe(statSync(set[2].path, { bigint: true }).ino);
  });

  it('a part replaced by a damaged one is refused', async () => {
    const set = copySet('damaged');
    const proven = await verifyParts(set, new AbortController().signal, () => {});
    const b = readFileSync(set[0].path);
    b[200] ^= 0xff;
    writeFileSync(`${set[0].path}.new`, b);
    renameSync(`${set[0].path}.new`, set[0].path);
    const out = scratchDir('lifeboat-extract-out-');
    await expect(guarded(set, proven, out)).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: 'damaged/root.tar.zst.000' } });
    expect(readdirSync(out)).toEqual([]);
  });
});
