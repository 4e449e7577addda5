/**
 * estimateCompression on real trees with the real compressors: text that compresses and
 * random data that does not give ratios in a sane order; exclusions and sparse files are
 * honoured; the estimate for a mixed tree on a loop ext4 is compared with real backups of
 * that very tree (runBackup, every compressor); cancel and the time cap clean up; the
 * request schema refuses what it must, and the helper answers and supersedes requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { requestSchemas } from '../../../shared/api';
import type { CompressionEstimate, CompressorEstimate } from '../../../shared/compression-estimate';
import { createJobContext } from '../job';
import { HelperServer } from '../../helper/server';
import type { HelperMessage } from '../../../shared/helper-protocol';
import { runBackup } from './backup';
import { estimateCompression } from './compression-estimate';

const MiB = 1024 * 1024;
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Real text of this machine: Python, Perl and C sources, in name order (the same files
 * every run). Made-up text is no good here: word salad from a vocabulary is all entropy
 * and no repetition, which zstd -3 packs worse than gzip, unlike any real file.
 */
function realTextFiles(): string[] {
  // Python first: the temp trees take theirs from there (C headers are the one text where zstd -3 and gzip -6 tie)
  const list = (dirs: string, name: string) =>
    execFileSync('sh', ['-c', `find ${dirs} -xdev -type f -name '${name}' -size +1k -size -200k 2>/dev/null | LC_ALL=C sort || true`], { encoding: 'utf8', maxBuffer: 64 * MiB })
      .split('\n')
      .filter(Boolean);
  return [...list('/usr/lib/python3*', '*.py'), ...list('/usr/share/perl*', '*.pm'), ...list('/usr/include', '*.h')];
}

/** Text of about `bytes`, from the next files of the list (a book is several sources in a row). */
function textFrom(files: string[], cursor: { i: number }): (bytes: number) => string {
  return (bytes) => {
    const parts: string[] = [];
    let n = 0;
    while (n < bytes && cursor.i < files.length) {
      const body = readFileSync(files[cursor.i++], 'latin1');
      parts.push(body);
      n += body.length;
    }
    return parts.join('').slice(0, bytes);
  };
}

function writeSparse(path: string, size: number): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, size / 2);
  writeSync(fd, Buffer.alloc(4096, 2), 0, 4096, size - 4096);
  closeSync(fd);
}

const by = (e: CompressionEstimate, f: string): CompressorEstimate => e.compressors.find((c) => c.format === f)!;
const ratios = (e: CompressionEstimate) => Object.fromEntries(e.compressors.map((c) => [c.format, c.ratio === null ? null : Number(c.ratio.toFixed(4))]));

const sources = realTextFiles();
const sourceBytes = sources.reduce((s, f) => s + statSync(f).size, 0);
/** the text trees take about 40 MiB of sources in all */
const noText = sourceBytes < 48 * MiB ? `only ${sourceBytes} B of Python/Perl/C sources on this machine (48 MiB needed)` : '';
if (noText) console.log(`compression-estimate tests skipped: ${noText}`);

describe.skipIf(noText !== '')(`estimateCompression on temp trees (real tar, zstd, pigz, xz, lbzip2, lz4)${noText ? ` (${noText})` : ''}`, () => {
  let work = '';
  let textRoot = '';
  let randomRoot = '';
  let textBytes = 0;
  let randomBytesTotal = 0;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lifeboat-cest-test-'));
    const text = textFrom(sources, { i: 0 });
    textRoot = join(work, 'text');
    for (let d = 0; d < 8; d++) {
      mkdirSync(join(textRoot, `doc${d}/sub`), { recursive: true });
      for (let f = 0; f < 25; f++) {
        const body = text(1024 + ((d * 25 + f) * 517) % 15_000);
        writeFileSync(join(textRoot, `doc${d}/sub/note-${f}.txt`), body, 'latin1');
        textBytes += body.length;
      }
      const big = text(2 * MiB + d * 100_000);
      writeFileSync(join(textRoot, `doc${d}/book.txt`), big, 'latin1');
      textBytes += big.length;
    }
    randomRoot = join(work, 'random');
    for (let d = 0; d < 4; d++) {
      mkdirSync(join(randomRoot, `bin${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) {
        const size = 512 + ((d * 20 + f) * 7919) % 60_000;
        writeFileSync(join(randomRoot, `bin${d}/blob-${f}`), randomBytes(size));
        randomBytesTotal += size;
      }
      writeFileSync(join(randomRoot, `bin${d}/large.bin`), randomBytes(3 * MiB));
      randomBytesTotal += 3 * MiB;
    }
    // left aside by the estimate: a sparse file (zeros would look compressible), the
    // default-excluded /tmp and a user-excluded folder (both full of very compressible text)
    writeSparse(join(randomRoot, 'bin0/disk.img'), 64 * MiB);
    mkdirSync(join(randomRoot, 'tmp'));
    writeFileSync(join(randomRoot, 'tmp/scratch.txt'), text(6 * MiB), 'latin1');
    mkdirSync(join(randomRoot, 'skipme'));
    writeFileSync(join(randomRoot, 'skipme/log.txt'), text(6 * MiB), 'latin1');
    // devices and links are not data
    sh('mknod "$1" c 1 5', join(randomRoot, 'bin1/zero-dev'));
    symlinkSync('/dev/zero', join(randomRoot, 'bin1/zero-link'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('text: every compressor measured, xz < zstd -3 ≈ gzip -6 < lz4 < 1, from a spread sample', async () => {
    const e = await estimateCompression({ root: textRoot, budgetMs: 120_000, sampleBytes: 8 * MiB });
    console.log(`text tree ${textBytes} B, sample ${e.sampleBytes} B from ${e.sampleFiles} files in ${e.ms} ms; ratios ${JSON.stringify(ratios(e))}; speeds ${JSON.stringify(Object.fromEntries(e.compressors.map((c) => [c.format, c.inputBytesPerSec && Math.round(c.inputBytesPerSec)])))}`);
    expect(e.walkedBytes).toBe(textBytes);
    expect(e.walkCapped).toBe(false);
    // a sample, not the whole tree: near the aim, from small notes and large books alike
    expect(e.sampleBytes).toBeGreaterThan(7 * MiB);
    expect(e.sampleBytes).toBeLessThan(9.5 * MiB);
    // byte-weighted: the books are most of the bytes, the notes come in the runs between them
    expect(e.sampleFiles).toBeGreaterThan(10);
    for (const c of e.compressors) expect(c, c.format).toMatchObject({ available: true, status: 'measured' });
    const [xz, zstd, gzip, lz4, bzip2, none] = ['xz', 'zstd', 'gzip', 'lz4', 'bzip2', 'none'].map((f) => by(e, f).ratio!);
    // On source code zstd -3 and gzip -6 tie (the real tools on this tree: within 1 % of each
    // other); xz packs clearly better, lz4 clearly worse
    expect(xz).toBeLessThan(Math.min(zstd, gzip) * 0.9);
    expect(Math.abs(zstd / gzip - 1)).toBeLessThan(0.05);
    expect(Math.max(zstd, gzip)).toBeLessThan(lz4 * 0.9);
    expect(lz4).toBeLessThan(0.8);
    expect(bzip2).toBeLessThan(0.5);
    expect(xz).toBeLessThan(0.5);
    // tar's headers and padding: a little over the data
    expect(none).toBeGreaterThanOrEqual(1);
    expect(none).toBeLessThan(1.1);
    expect(by(e, 'zstd')).toMatchObject({ program: 'zstd', level: 3 });
    expect(by(e, 'gzip').level).toBe(6);
    expect(by(e, 'zstd').inputBytesPerSec).toBeGreaterThan(0);
  }, 300_000);

  it('random data: ~1.0 for all, with /tmp, a user exclusion, a sparse file and devices left out', async () => {
    const e = await estimateCompression({ root: randomRoot, excludes: ['/skipme'], budgetMs: 120_000, sampleBytes: 8 * MiB });
    console.log(`random tree ${randomBytesTotal} B, sample ${e.sampleBytes} B from ${e.sampleFiles} files; ratios ${JSON.stringify(ratios(e))}`);
    // only the random files were walked: not /tmp, not /skipme, not the sparse image
    expect(e.walkedBytes).toBe(randomBytesTotal);
    for (const c of e.compressors) {
      expect(c.status, c.format).toBe('measured');
      expect(c.ratio!, c.format).toBeGreaterThan(0.99);
      expect(c.ratio!, c.format).toBeLessThan(1.08);
    }
    // the same tree without the exclusions: the text makes it compressible
    const all = await estimateCompression({ root: randomRoot, defaultExcludes: false, budgetMs: 60_000, sampleBytes: 8 * MiB, formats: ['zstd'] });
    expect(all.walkedBytes).toBe(randomBytesTotal + 12 * MiB);
    expect(by(all, 'zstd').ratio!).toBeLessThan(0.9);
    expect(all.compressors.map((c) => c.format)).toEqual(['zstd']);
  }, 300_000);

  it('a compressor that is not installed is reported unavailable, not guessed', async () => {
    // a PATH with tar and zstd only (and sh, which looks programs up)
    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const t of ['sh', 'tar', 'zstd']) symlinkSync(sh('command -v "$1"', t).trim(), join(bin, t));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    let e: CompressionEstimate;
    try {
      e = await estimateCompression({ root: textRoot, budgetMs: 60_000, sampleBytes: 2 * MiB });
    } finally {
      process.env.PATH = saved;
    }
    expect(by(e, 'zstd')).toMatchObject({ available: true, status: 'measured' });
    for (const f of ['gzip', 'xz', 'bzip2', 'lz4']) expect(by(e, f), f).toEqual({ format: f, available: false, program: null, level: null, status: 'missing', ratio: null, inputBytesPerSec: null, sampledBytes: 0 });
  }, 120_000);

  it('stops when cancelled and within its time cap, leaving nothing in its temporary folder', async () => {
    const tmp = join(work, 'scratch');
    mkdirSync(tmp);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(estimateCompression({ root: textRoot, budgetMs: 60_000, tmpDir: tmp, signal: ac.signal })).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(tmp)).toEqual([]);
    const t0 = Date.now();
    const e = await estimateCompression({ root: textRoot, budgetMs: 2000, tmpDir: tmp });
    const took = Date.now() - t0;
    console.log(`2 s cap: took ${took} ms; ${JSON.stringify(e.compressors.map((c) => [c.format, c.status, c.sampledBytes]))}`);
    // the hard end is the cap and a quarter; a process takes a moment to die on a loaded machine
    expect(took).toBeLessThan(2000 * 1.25 + 2500);
    expect(readdirSync(tmp)).toEqual([]);
    await expect(estimateCompression({ root: 'relative', budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { field: 'root' } });
    await expect(estimateCompression({ root: join(work, 'missing'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { reason: 'does not exist' } });
  }, 120_000);

  it('the request schema is strict and bounded; the helper answers, and a newer request cancels the running one', async () => {
    const schema = requestSchemas['compression.estimate'];
    expect(schema.safeParse({ root: '/' }).success).toBe(true);
    expect(schema.safeParse({ root: '/', excludes: ['/srv/*'], defaultExcludes: false, budgetMs: 5000 }).success).toBe(true);
    for (const bad of [
      { root: 'etc' },
      { root: '/', budgetMs: 3_600_000 },
      { root: '/', budgetMs: 10 },
      { root: '/', budgetMs: 1.5e3 + 0.5 },
      { root: '/', excludes: ['/a\nb'] },
      { root: '/', excludes: Array.from({ length: 257 }, (_, i) => `/x${i}`) },
      { root: '/', excludes: ['x'.repeat(1025)] },
      { root: '/', rm: true },
      { excludes: [] },
    ]) {
      expect(schema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
    const sent: HelperMessage[] = [];
    const s = new HelperServer({ send: (m) => sent.push(m), log: () => {} });
    await s.handleLine(JSON.stringify({ id: 1, method: 'compression.estimate', params: { root: 'etc' } }));
    expect(sent[0]).toMatchObject({ id: 1, error: { code: 'invalid-request' } });
    await s.handleLine(JSON.stringify({ id: 2, method: 'compression.estimate', params: { root: textRoot, budgetMs: 999_999 } }));
    expect(sent[1]).toMatchObject({ id: 2, error: { code: 'invalid-request' } });
    const first = s.handleLine(JSON.stringify({ id: 3, method: 'compression.estimate', params: { root: textRoot, budgetMs: 60_000 } }));
    await new Promise((r) => setTimeout(r, 200));
    await s.handleLine(JSON.stringify({ id: 4, method: 'compression.estimate', params: { root: randomRoot, budgetMs: 20_000 } }));
    await first;
    expect(sent.find((m) => 'id' in m && m.id === 3)).toMatchObject({ error: { code: 'cancelled' } });
    const answer = sent.find((m) => 'id' in m && m.id === 4) as { result: CompressionEstimate };
    expect(answer.result.root).toBe(randomRoot);
    expect(answer.result.compressors.length).toBe(6);
    await s.shutdown();
  }, 120_000);
});

const skip = !canUseLoop();

describe.skipIf(skip || noText !== '')(`the estimate against real backups of a mixed tree on a loop ext4 (${skip ? loopSkipReason : noText || 'real device'})`, () => {
  let loop: LoopDevice | null = null;
  let work = '';
  let root = '';
  let mounted = false;

  beforeAll(() => {
    work = scratchDir('lifeboat-cest-loop-');
    loop = makeLoop(160 * MiB, { dir: work });
    sh('mkfs.ext4 -q -F -L cest "$1"', loop.device);
    root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', loop.device, root);
    mounted = true;
    // other sources than the temp trees' (the list's second half)
    const text = textFrom(sources, { i: Math.floor(sources.length / 2) });
    // a system-like mix: programs (real ELF files), text of all sizes, incompressible media
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    let copied = 0;
    for (const name of readdirSync('/usr/bin').sort()) {
      const p = join('/usr/bin', name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st?.isFile() || st.size > 4 * MiB) continue;
      cpSync(p, join(root, 'usr/bin', name));
      copied += st.size;
      if (copied > 20 * MiB) break;
    }
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(root, `etc/conf${d}`), { recursive: true });
      for (let f = 0; f < 60; f++) writeFileSync(join(root, `etc/conf${d}/file${f}.conf`), text(200 + ((d * 60 + f) * 331) % 8000), 'latin1');
    }
    mkdirSync(join(root, 'home/alice/photos'), { recursive: true });
    writeFileSync(join(root, 'home/alice/thesis.txt'), text(6 * MiB), 'latin1');
    for (let f = 0; f < 6; f++) writeFileSync(join(root, `home/alice/photos/p${f}.jpg`), randomBytes(1 * MiB + f * 200_000));
    mkdirSync(join(root, 'var/log'), { recursive: true });
    writeFileSync(join(root, 'var/log/syslog'), text(3 * MiB), 'latin1');
    // excluded by default: must be in neither
    mkdirSync(join(root, 'tmp'));
    writeFileSync(join(root, 'tmp/big-junk'), randomBytes(8 * MiB));
    sh('sync');
  });

  afterAll(() => {
    if (mounted) sh('umount "$1"', root);
    loop?.detach();
    cleanupScratch();
  });

  // The tolerance: from 5 % under to 15 % over. A sample keeps each run's neighbours but not
  // the likeness between files far apart that a long window (zstd, xz, bzip2's blocks) finds
  // in the whole stream, so those come out pessimistic: seen here +12 % zstd, +8 % xz,
  // +9 % bzip2, +1 % gzip and lz4 (short windows), +0.5 % uncompressed.
  it('every compressor’s estimated set size is within −5 %…+15 % of a real backup’s archive of the same tree', async () => {
    // a sample of half the tree, so the sampling is what is tested, not a full copy
    const e = await estimateCompression({ root, budgetMs: 180_000, sampleBytes: 16 * MiB });
    console.log(`loop tree: ${e.walkedBytes} B in ${e.walkedFiles} files; sample ${e.sampleBytes} B from ${e.sampleFiles} files; ${e.ms} ms`);
    expect(e.sampleBytes).toBeLessThan(e.walkedBytes * 0.55);
    const rows: string[] = [];
    for (const c of e.compressors) {
      expect(c.status, c.format).toBe('measured');
      const set = join(work, `set-${c.format}`);
      const r = await runBackup({ dest: set, root, compress: c.format, raw: false }, createJobContext('backup'));
      const estimated = c.ratio! * e.walkedBytes;
      const off = estimated / r.bytesOut - 1;
      rows.push(`${c.format}: estimated ${Math.round(estimated)} B (ratio ${c.ratio!.toFixed(4)}, sampled ${c.sampledBytes} B), real ${r.bytesOut} B of ${r.bytesIn} B tar → ${(off * 100).toFixed(1)} %`);
      expect(off, rows.at(-1)).toBeGreaterThan(-0.05);
      expect(off, rows.at(-1)).toBeLessThan(0.15);
      rmSync(set, { recursive: true, force: true });
      console.log(rows.at(-1));
    }
  }, 900_000);
});
