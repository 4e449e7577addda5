/**
 * `lifeboat backup`: records the layout and archives every filesystem under a root
 * into a new backup set (see DESIGN.md, "The backup set").
 *
 * Order: refuse a non-empty destination before any work; inventory; archive each
 * filesystem into split, hashed parts, with the estimate walk (real excludes, for the ETA;
 * for a level-0 archive it also writes the tar snapshot) running beside the archives;
 * write lifeboat.json (validated) and SHA256SUMS; move the set to its final name. Any
 * failure or cancel removes the partial set and says so in the log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { BackupSetSchema, SET_FORMAT_VERSION, type Archive, type BackupSet, type Compressor } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { SpeedMeter } from '../../../shared/progress';
import type { Warning } from '../../../shared/layout';
import { APP_VERSION } from '../../version';
import { collectInventory, relativeMountpoint } from '../inventory/collect';
import { throwIfCancelled, type JobContext } from '../job';
import { formatSums, parseSums, type SumEntry } from '../set/sums';
import { recordedScript } from '../restore/recorded';
import { resolveChain } from '../set/chain';
import { readManifest } from '../set/read';
import { archiveFilesystem } from './archive-fs';
import { archiveBase, chooseCompressor } from './compressors';
import { estimateInBackground, type BackgroundEstimate } from './estimate';
import { DEFAULT_EXCLUDES, lostFoundExcludes, tarExcludeArgs } from './excludes';
import { isSpaceError } from './part-writer';
import { archiveRaw, rawBase } from './raw-image';
import { selectRawPartitions } from './raw-select';
import { preparePartial } from './partial';
import { archiveFeatures } from './tar-args';
import { withNetDest } from './net-dest';
import { NetDestSyntaxError, parseNetDest, type SmbCredentials } from '../../../shared/net-dest';

export const SPLIT_PRESETS: Record<string, string> = { cd: '700M', dvd: '4480M', fat32: '4G-1' };
/** Without --split, parts are 4 GiB - 1: every filesystem a set may land on (FAT32 too) can hold them. */
export const DEFAULT_SPLIT = 4 * 1024 ** 3 - 1;

export interface BackupOptions {
  dest: string;
  root?: string;
  compress?: Compressor;
  level?: number;
  split?: number;
  excludes?: string[];
  defaultExcludes?: boolean;
  /** a previous set: archive only what changed since it (tar --listed-incremental) */
  base?: string;
  /** keep partitions without an archived filesystem as raw images (default true) */
  raw?: boolean;
  /** for an SMB destination (cifs://…): never logged, never in the set */
  credentials?: SmbCredentials;
}

export interface BackupResult {
  path: string;
  id: string;
  archives: number;
  parts: number;
  bytesIn: number;
  bytesOut: number;
  seconds: number;
  warnings: Warning[];
}

/** 2026-11-25T14:40:06Z → 20261125-144006 */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** "/" → root, "/home" → home, "/var/lib/x" → var-lib-x; unique within the set. */
export function archiveIds(mountpoints: string[]): string[] {
  const used = new Set<string>();
  return mountpoints.map((m) => {
    const base = m === '/' ? 'root' : m.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'fs';
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    return id;
  });
}

/** Why a device cannot be read (its error code), or null when it can. */
function cannotOpen(device: string): string | null {
  try {
    closeSync(openSync(device, 'r'));
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/**
 * The name of the system being backed up: this machine's for `/`; for a system mounted
 * elsewhere (an offline backup from a live session) its own /etc/hostname — the live
 * session's name would label the set wrongly. A symlinked hostname file is not followed
 * (it would resolve on the live system); without a usable one the set says "system".
 */
export function systemHostname(root: string): string {
  if (root === '/') return hostname();
  try {
    const file = join(root, 'etc/hostname');
    if (!lstatSync(file).isFile()) return 'system';
    const name = readFileSync(file, 'utf8').split('\n')[0]!.trim();
    return /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(name) ? name : 'system';
  } catch {
    return 'system';
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Digits of the part numbers, chosen before the archive starts so that `cat <base>.*`
 * keeps the parts in order: from the filesystem's used space, which bounds its tar stream
 * on most filesystems (file data takes no more room in the stream than in blocks; each
 * entry adds a few 512-byte headers, counted as 4 KiB per inode in use). A compressed or
 * reflinked filesystem can exceed it; the archive then renames its parts (archive-fs.ts).
 */
function partWidth(mount: string, split: number): number {
  try {
    const s = statfsSync(mount);
    const bound = (s.blocks - s.bfree) * s.bsize * 1.1 + Math.max(0, s.files - s.ffree) * 4096 + (1 << 20);
    return Math.max(3, String(Math.ceil(bound / split)).length);
  } catch {
    return 3;
  }
}

export async function runBackup(opts: BackupOptions, ctx: JobContext): Promise<BackupResult> {
  // An NFS export or SMB share (nfs:SERVER:/PATH, cifs://SERVER/SHARE/PATH) is mounted
  // privately for this backup and unmounted afterwards; the set is written as into a folder.
  let net;
  try {
    net = parseNetDest(opts.dest);
  } catch (err) {
    if (err instanceof NetDestSyntaxError) throw new LifeboatError('net-dest-invalid', { dest: err.text, reason: err.reason });
    throw err;
  }
  if (net) {
    const { credentials, ...rest } = opts;
    return withNetDest(net, { credentials, signal: ctx.signal, log: ctx.log }, async (dir, m) => ({ ...(await runBackup({ ...rest, dest: dir }, ctx)), path: m.text }));
  }
  const started = Date.now();
  const dest = resolve(opts.dest);
  const root = resolve(opts.root ?? '/');
  const split = opts.split ?? DEFAULT_SPLIT;
  const compressor = await chooseCompressor(opts.compress ?? 'zstd', opts.level);
  const created = new Date();
  const host = systemHostname(root);
  const id = `${host.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp(created)}-${randomBytes(2).toString('hex')}`;

  // the base is read before anything is written: a bad base is refused, not half-used
  const baseDir = opts.base ? resolve(opts.base) : null;
  const base = baseDir ? readManifest(baseDir) : null;
  // restore, compare and file restore find a base among the set's siblings (set/chain.ts):
  // a set whose base lies elsewhere was written, then refused by every reader
  if (baseDir && dirname(baseDir) !== dirname(dest)) throw new LifeboatError('base-not-beside', { base: baseDir, folder: dirname(dest) });
  if (baseDir && !existsSync(join(baseDir, 'SHA256SUMS'))) throw new LifeboatError('set-invalid', { path: baseDir, detail: 'SHA256SUMS is missing' });
  const baseSums = baseDir ? new Map(parseSums(readFileSync(join(baseDir, 'SHA256SUMS'), 'utf8'), baseDir).map((e) => [e.name, e.sha256])) : null;

  const partial = preparePartial(dest, id);
  ctx.log(`writing the set into ${partial.dir}`);
  let estimate: BackgroundEstimate | null = null;
  try {
    ctx.progress({ phase: 'backup.inventory', bytes: 0, total: null, speed: null, eta: null });
    const inv = await collectInventory(root);
    throwIfCancelled(ctx.signal);
    if (!inv.mounts.length) throw new LifeboatError('root-invalid', { path: root });
    const warnings: Warning[] = [...inv.warnings];
    for (const w of inv.warnings) ctx.log(`warning: ${w.code} ${JSON.stringify(w.params)}`);

    // excludes, root-relative: defaults, the user's, swap files, and the set itself
    const excludes: string[] = [];
    if (opts.defaultExcludes !== false) {
      excludes.push(...DEFAULT_EXCLUDES, ...lostFoundExcludes(inv.mounts.map((m) => m.mountpoint)));
      for (const s of inv.layout.swap) {
        const rel = s.kind === 'file' ? relativeMountpoint(root, root === '/' ? s.device : join(root, s.device)) : null;
        if (rel) excludes.push(rel);
      }
    }
    excludes.push(...(opts.excludes ?? []));
    const destRel = relativeMountpoint(root, dest);
    if (destRel) excludes.push(destRel, `${destRel}/*`);
    const partialRel = relativeMountpoint(root, partial.dir);
    // a new destination is built as a hidden sibling, which must be left out too
    if (partialRel && !(destRel && partialRel.startsWith(destRel + '/'))) excludes.push(partialRel);

    // layout/: every raw output, and the parsed layout
    const sums: SumEntry[] = [];
    const put = (name: string, body: string) => {
      try {
        writeFileSync(join(partial.dir, name), body);
      } catch (err) {
        if (isSpaceError(err)) throw new LifeboatError('dest-full', { path: dest });
        throw err;
      }
      sums.push({ name, sha256: sha256(body) });
    };
    mkdirSync(join(partial.dir, 'layout'));
    mkdirSync(join(partial.dir, 'archives'));
    for (const [name, body] of Object.entries(inv.raw).sort()) put(`layout/${name}`, body);
    put('layout/layout.json', JSON.stringify(inv.layout, null, 2) + '\n');

    ctx.progress({ phase: 'backup.estimate', bytes: 0, total: null, speed: null, eta: null });
    const plans = [];
    const ids = archiveIds(inv.mounts.map((m) => m.mountpoint));
    for (const [i, m] of inv.mounts.entries()) {
      const excludeArgs = tarExcludeArgs(excludes, m.mountpoint);
      const snapshotRel = `archives/${ids[i]}.snar`;
      const snapshot = join(partial.dir, snapshotRel);
      let incremental = false;
      if (base && baseDir) {
        // the same filesystem in the base (same mountpoint, and same UUID when both are known)
        const b = base.archives.find((a) => a.mountpoint === m.mountpoint && (!a.fsUuid || !m.filesystem.uuid || a.fsUuid === m.filesystem.uuid));
        if (b?.snapshot) {
          const body = readFileSync(join(baseDir, b.snapshot));
          if (sha256(body) !== baseSums!.get(b.snapshot)) throw new LifeboatError('set-part-corrupt', { part: join(baseDir, b.snapshot) });
          writeFileSync(snapshot, body);
          // tar rewrites the snapshot it is given: the estimate works on a scratch copy
          copyFileSync(snapshot, `${snapshot}.estimate`);
          incremental = true;
        } else {
          warnings.push({ code: 'incremental-no-base', params: { mountpoint: m.mountpoint } });
        }
      }
      plans.push({ ...m, id: ids[i], excludeArgs, snapshot, snapshotRel, incremental });
    }
    // The estimate walks run beside the archives (estimate.ts says why). A level-0 archive
    // is a plain `tar -c`, which reads each directory in disk order, and its snapshot comes
    // from the walk; an incremental's tar updates its copy of the base snapshot, the walk
    // counts on a scratch copy.
    estimate = estimateInBackground(
      plans.map((p) => ({ mount: p.absolute, excludeArgs: p.excludeArgs, snapshot: p.incremental ? `${p.snapshot}.estimate` : p.snapshot })),
      ctx.signal,
    );
    const est = estimate;

    const meter = new SpeedMeter();
    const archives: Archive[] = [];
    let doneBytes = 0;
    let doneFiles = 0;
    let bytesOut = 0;
    for (const p of plans) {
      throwIfCancelled(ctx.signal);
      ctx.log(`archiving ${p.mountpoint} (${p.filesystem.device}) as ${p.id}`);
      const width = partWidth(p.absolute, split);
      const onProgress = (bytes: number, files: number, current: string) => {
        const all = doneBytes + bytes;
        const { speed } = meter.update(all);
        // no total (an indeterminate bar) for the first moments, until the walks are done
        const total = est.totals ? Math.max(est.totals.bytes, all) : null;
        ctx.progress({
          phase: 'backup.archive',
          bytes: all,
          total,
          speed,
          eta: total === null ? null : meter.eta(all, total),
          items: { done: doneFiles + files, total: est.totals?.files ?? null },
          detail: current ? `${p.mountpoint}: ${current}` : p.mountpoint,
        });
      };
      // the phase shows as the archive starts, not at tar's first checkpoint (16 MiB in)
      onProgress(0, 0, '');
      const res = await archiveFilesystem({
        mount: p.absolute,
        excludeArgs: p.excludeArgs,
        compressor,
        setDir: partial.dir,
        base: archiveBase(p.id, compressor.ext),
        snapshot: p.incremental ? p.snapshot : undefined,
        split,
        partWidth: width,
        destLabel: dest,
        signal: ctx.signal,
        onProgress,
      });
      for (const w of res.tarWarnings) ctx.log(`tar (${p.mountpoint}): ${w}`);
      doneBytes += res.bytesIn;
      doneFiles += res.files;
      bytesOut += res.parts.reduce((s, x) => s + x.size, 0);
      sums.push(...res.parts.map((x) => ({ name: x.name, sha256: x.sha256 })));
      archives.push({
        kind: 'tar',
        id: p.id,
        mountpoint: p.mountpoint,
        device: p.filesystem.device,
        fsType: p.filesystem.type,
        fsUuid: p.filesystem.uuid,
        bytesIn: res.bytesIn,
        files: res.files,
        tarFeatures: await archiveFeatures(),
        parts: res.parts,
        snapshot: p.snapshotRel,
      });
    }

    // the snapshots are whole once the walks are (a level-0 archive's is the walk's)
    await est.done;
    for (const p of plans) {
      rmSync(`${p.snapshot}.estimate`, { force: true });
      sums.push({ name: p.snapshotRel, sha256: sha256(readFileSync(p.snapshot)) });
    }

    // --- raw images of the partitions no archived filesystem covers (an unmounted ESP, Windows …)
    const rawLeftOut: BackupSet['rawLeftOut'] = [];
    let rawDone = 0;
    const sel = selectRawPartitions(inv.layout, new Set(inv.mounts.map((m) => m.filesystem.device)));
    for (const c of sel.inUse) {
      rawLeftOut.push({ device: c.partition.node, reason: 'in-use' });
      warnings.push({ code: 'raw-in-use', params: { device: c.partition.node } });
    }
    if (opts.raw === false) {
      for (const c of sel.images) {
        rawLeftOut.push({ device: c.partition.node, reason: 'no-raw' });
        warnings.push({ code: 'raw-left-out', params: { device: c.partition.node, bytes: c.sizeBytes } });
      }
    } else {
      const used = new Set(archives.map((a) => a.id));
      const rawTotal = sel.images.reduce((s, c) => s + c.sizeBytes, 0);
      const rawMeter = new SpeedMeter();
      for (const c of sel.images) {
        throwIfCancelled(ctx.signal);
        let rid = `part-${c.disk.replace(/^.*\//, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}-${c.partition.number}`;
        for (let i = 2; used.has(rid); i++) rid = `${rid}-${i}`;
        used.add(rid);
        ctx.log(`imaging ${c.partition.node} (${c.filesystem?.type ?? 'no filesystem'}, ${c.sizeBytes} bytes) as ${rid}`);
        // a node that cannot be opened (gone, no permission) is noted and left out, not fatal
        const unreadable = cannotOpen(c.partition.node);
        if (unreadable) {
          rawLeftOut.push({ device: c.partition.node, reason: 'unreadable' });
          warnings.push({ code: 'raw-unreadable', params: { device: c.partition.node, detail: unreadable } });
          continue;
        }
        const res = await archiveRaw({
          device: c.partition.node,
          sizeBytes: c.sizeBytes,
          compressor,
          setDir: partial.dir,
          base: rawBase(rid, compressor.ext),
          split,
          partWidth: Math.max(3, String(Math.ceil((c.sizeBytes * 1.1 + 65536) / split)).length),
          destLabel: dest,
          signal: ctx.signal,
          onProgress: (bytes) => {
            const all = rawDone + bytes;
            const { speed } = rawMeter.update(all);
            ctx.progress({ phase: 'backup.raw', bytes: all, total: rawTotal, speed, eta: rawMeter.eta(all, rawTotal), detail: c.partition.node });
          },
        });
        rawDone += c.sizeBytes;
        bytesOut += res.parts.reduce((s, x) => s + x.size, 0);
        sums.push(...res.parts.map((x) => ({ name: x.name, sha256: x.sha256 })));
        archives.push({
          kind: 'raw',
          id: rid,
          mountpoint: '',
          device: c.partition.node,
          fsType: c.filesystem?.type ?? '',
          fsUuid: c.filesystem?.uuid,
          bytesIn: res.bytesIn,
          files: 0,
          tarFeatures: [],
          parts: res.parts,
          raw: { disk: c.disk, number: c.partition.number, node: c.partition.node, sizeBytes: c.sizeBytes, fsType: c.filesystem?.type, format: 'partition-bytes' },
        });
      }
    }

    ctx.progress({ phase: 'backup.finish', bytes: doneBytes, total: doneBytes, speed: null, eta: 0 });
    const manifest: BackupSet = BackupSetSchema.parse({
      format: SET_FORMAT_VERSION,
      id,
      created: created.toISOString(),
      host,
      tool: { name: 'lifeboat', version: APP_VERSION },
      kind: base ? { type: 'incremental', base: base.id } : { type: 'full' },
      sourceRoot: root,
      excludes,
      defaultExcludes: opts.defaultExcludes !== false,
      compression: { tool: compressor.format, level: compressor.level, ext: compressor.ext },
      split,
      layout: inv.layout,
      archives,
      rawLeftOut,
    } satisfies BackupSet);
    // restore.sh: the plan for the recorded disks, rendered as sh — what the rescue system
    // runs. A layout the plan compiler cannot rebuild yet still gets a set (restorable by
    // hand and file by file), with the reason in the log rather than a failed backup.
    try {
      // an incremental set's script restores its bases first, named beside "$LIFEBOAT_SET"
      // (a base always lies beside the set: base-not-beside)
      const bases = baseDir ? resolveChain(baseDir).map((l) => ({ dir: `${dest}/../${basename(l.dir)}`, set: l.manifest })) : undefined;
      put('restore.sh', recordedScript(manifest, { setDir: dest, bases }));
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'dest-full') throw err;
      ctx.log(`no restore.sh: ${err instanceof Error ? err.message : String(err)}`);
    }
    put('lifeboat.json', JSON.stringify(manifest, null, 2) + '\n');
    const sumsText = formatSums(sums);
    try {
      writeFileSync(join(partial.dir, 'SHA256SUMS'), sumsText);
    } catch (err) {
      if (isSpaceError(err)) throw new LifeboatError('dest-full', { path: dest });
      throw err;
    }
    throwIfCancelled(ctx.signal);
    partial.commit();
    ctx.log(`set complete: ${dest}`);
    return {
      path: dest,
      id,
      archives: archives.length,
      parts: archives.reduce((s, a) => s + a.parts.length, 0),
      bytesIn: doneBytes + rawDone,
      bytesOut,
      seconds: (Date.now() - started) / 1000,
      warnings,
    };
  } catch (err) {
    // no walk may still be writing a snapshot into the folder about to be removed
    await estimate?.stop();
    const removed = partial.discard();
    ctx.log(`removed the incomplete set ${removed}`);
    if (ctx.signal.aborted) throw new LifeboatError('cancelled');
    if (isSpaceError(err)) throw new LifeboatError('dest-full', { path: dest }, undefined, { cause: err });
    throw err;
  }
}
