/**
 * `lifeboat verify`: proves a set is whole without writing anything.
 *
 * Cheap checks first so the first problem is named quickly: the manifest is valid, every
 * file SHA256SUMS lists exists, every part the manifest lists is covered by SHA256SUMS
 * and has its size. Then each archive's parts are read once: hashed in Node while
 * being fed to `<decompressor> -dc | tar -t`, so the hash check and the full listing
 * share one read of the data.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { LifeboatError } from '../../../shared/errors';
import { SpeedMeter } from '../../../shared/progress';
import { spawnTool, ToolError } from '../run';
import { throwIfCancelled, type JobContext } from '../job';
import { chooseDecompressor } from '../backup/compressors';
import { readManifest } from './read';
import { resolveChain } from './chain';
import { parseSums } from './sums';

export interface VerifyResult {
  id: string;
  archives: number;
  parts: number;
  files: number;
  bytes: number;
  seconds: number;
}

/** Hashes a file, optionally feeding its bytes to `sink` (verify) as they are read. */
export async function hashFile(file: string, signal: AbortSignal, sink?: Writable, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
    if (sink && !sink.destroyed && !sink.write(chunk)) {
      await new Promise<void>((res) => {
        const done = () => {
          sink.off('drain', done);
          sink.off('close', done);
          sink.off('error', done);
          res();
        };
        sink.on('drain', done).on('close', done).on('error', done);
      });
    }
  }
  return hash.digest('hex');
}

export async function verifySet(dirArg: string, ctx: JobContext): Promise<VerifyResult> {
  const started = Date.now();
  const dir = dirArg;
  const manifest = readManifest(dir);
  // an incremental set restores only with its bases beside it: one gone makes it useless
  resolveChain(dir);
  if (!existsSync(join(dir, 'SHA256SUMS'))) throw new LifeboatError('set-invalid', { path: dir, detail: 'SHA256SUMS is missing' });
  const sums = parseSums(readFileSync(join(dir, 'SHA256SUMS'), 'utf8'), dir);
  const expected = new Map(sums.map((s) => [s.name, s.sha256]));
  if (!expected.has('lifeboat.json')) throw new LifeboatError('set-invalid', { path: dir, detail: 'SHA256SUMS does not cover lifeboat.json' });
  // what a restore reads besides the parts: a file left out of SHA256SUMS was never checked
  // (a set missing its snapshot's line verified "intact", then a listing of its incremental refused it)
  const needed = [...manifest.archives.flatMap((a) => (a.snapshot ? [a.snapshot] : [])), ...['restore.sh', 'layout/layout.json'].filter((f) => existsSync(join(dir, f)))];
  for (const f of needed) if (!expected.has(f)) throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS does not cover ${f}` });

  for (const s of sums) if (!existsSync(join(dir, s.name))) throw new LifeboatError('set-part-missing', { part: s.name });
  const parts = manifest.archives.flatMap((a) => a.parts);
  for (const p of parts) {
    if (!existsSync(join(dir, p.name))) throw new LifeboatError('set-part-missing', { part: p.name });
    if (expected.get(p.name) !== p.sha256) throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS and lifeboat.json disagree on ${p.name}` });
    const actual = statSync(join(dir, p.name)).size;
    if (actual !== p.size) throw new LifeboatError('set-part-size', { part: p.name, actual, expected: p.size });
  }

  // A stray file named like a part (a copy's leftover "root.tar.zst.003", an editor's
  // backup) is read by the hand restore's `cat archives/<id>.tar.zst.*` and garbles it.
  const bases = new Set(parts.map((p) => p.name.replace(/\.\d+$/, '')));
  const inArchives = existsSync(join(dir, 'archives')) ? readdirSync(join(dir, 'archives')).map((f) => `archives/${f}`) : [];
  for (const f of inArchives) {
    const base = [...bases].find((b) => f.startsWith(b + '.'));
    if (base && !expected.has(f)) throw new LifeboatError('set-invalid', { path: dir, detail: `${f} is not a part of the set, but \`cat ${base}.*\` would read it; move it away` });
  }

  // files that are not archive parts (manifest, layout) are small: hash them directly
  const partNames = new Set(parts.map((p) => p.name));
  for (const s of sums) {
    if (partNames.has(s.name)) continue;
    throwIfCancelled(ctx.signal);
    if ((await hashFile(join(dir, s.name), ctx.signal)) !== s.sha256) throw new LifeboatError('set-part-corrupt', { part: s.name });
  }

  const total = parts.reduce((s, p) => s + p.size, 0);
  const meter = new SpeedMeter();
  let bytes = 0;
  let files = 0;
  const decompressor = await chooseDecompressor(manifest.compression.tool);
  for (const a of manifest.archives) {
    throwIfCancelled(ctx.signal);
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    // tar reads the (decompressed) stream from stdin and lists it; nothing is written.
    // A raw partition image is no tar stream: its decompressed length is counted instead.
    const raw = a.kind === 'raw';
    const tarTool = raw ? 'wc' : 'tar';
    const tarArgs = raw ? ['-c'] : ['--list', '--file=-', '--numeric-owner'];
    const tar = spawnTool(tarTool, tarArgs, { signal });
    const dec = decompressor ? spawnTool(decompressor.program, decompressor.args, { signal }) : null;
    if (dec) {
      dec.stdout!.pipe(tar.stdin!).on('error', () => {});
      // tar stops reading at the end-of-archive marker and exits; the decompressor may still
      // have the records' zero padding (or anything after the marker) to write. Unpiped, its
      // stdout would pause with that unread: the decompressor blocks on a full pipe, or exits
      // but its stream never ends — verify waited forever (a rare CI hang). Drain the rest.
      // ('unpipe' is emitted on the destination, after the source was paused)
      tar.stdin!.on('unpipe', () => dec.stdout!.resume());
    }
    tar.stdin!.on('error', () => {});
    dec?.stdin!.on('error', () => {});
    const feed = dec ? dec.stdin! : tar.stdin!;
    let listed = 0;
    let counted = '';
    tar.stdout!.on('data', (c: Buffer) => {
      if (raw) counted += c.toString();
      else for (const b of c) if (b === 10) listed++;
    });
    let tarErr = '';
    let decErr = '';
    tar.stderr!.on('data', (c: Buffer) => (tarErr = (tarErr + c).slice(-4000)));
    dec?.stderr!.on('data', (c: Buffer) => (decErr = (decErr + c).slice(-4000)));

    let corrupt: string | null = null;
    for (const p of a.parts) {
      // after the tools gave up, keep hashing (without feeding) to name the bad part
      const sink = feed.destroyed || stop.signal.aborted ? undefined : feed;
      const digest = await hashFile(join(dir, p.name), ctx.signal, sink, (n) => {
        bytes += n;
        const { speed } = meter.update(bytes);
        ctx.progress({ phase: 'verify.archive', bytes, total, speed, eta: meter.eta(bytes, total), detail: p.name });
      });
      if (digest !== p.sha256) {
        corrupt = p.name;
        stop.abort();
        break;
      }
    }
    feed.end();
    const [tarRes, decRes] = await Promise.all([tar, dec ?? Promise.resolve(null)]);
    if (ctx.signal.aborted) throw new LifeboatError('cancelled');
    if (corrupt) throw new LifeboatError('set-part-corrupt', { part: corrupt });
    if (decRes && decRes.exitCode !== 0) throw new ToolError(decompressor!.program, decompressor!.args, decRes.exitCode, decErr);
    if (tarRes.exitCode !== 0) throw new ToolError(tarTool, tarArgs, tarRes.exitCode, tarErr);
    if (raw) {
      const length = Number(counted.trim());
      // a stream that decompresses cleanly but to the wrong length would restore a truncated partition
      if (length !== a.raw!.sizeBytes) throw new LifeboatError('set-raw-length', { archive: a.id, actual: length, expected: a.raw!.sizeBytes });
      ctx.log(`${a.id}: raw image of ${a.raw!.node}, ${length} bytes`);
      continue;
    }
    ctx.log(`${a.id}: ${listed} entries listed`);
    files += listed;
  }
  return { id: manifest.id, archives: manifest.archives.length, parts: parts.length, files, bytes, seconds: (Date.now() - started) / 1000 };
}
