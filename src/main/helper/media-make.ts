/**
 * The helper's side of "Make recovery media": the inventory shown before a backup, the
 * safety checks on the paths the renderer sent, and the job that backs up a root and
 * then builds a rescue ISO from the new set.
 *
 * The two engines run unchanged, one after the other, on one job context, so the UI
 * sees backup phases then media phases as one job.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { JobDone, requestSchemas } from '../../shared/api';
import { LifeboatError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { DEFAULT_KEEP, isForbiddenOutput, mediaOutputOf, type InventoryView, type MadeMedia, type MadeSet, type MediaKind } from '../../shared/media-make';
import { runBackup } from '../engine/backup/backup';
import { DEFAULT_EXCLUDES, lostFoundExcludes } from '../engine/backup/excludes';
import { collectInventory, relativeMountpoint } from '../engine/inventory/collect';
import type { JobContext } from '../engine/job';
import { buildMedia, type MediaResult } from '../engine/media/build';
import { chooseKernel } from '../engine/media/kernel';
import { assertWritableTarget, unmountDrive } from '../engine/drives/guard';
import { sourceDeviceOf } from '../engine/image/source-device';
import { assertLifeboatStick, usbAgain } from '../engine/media/usb-again';
import { mountNetDest, shownParams, type MountedNetDest } from '../engine/backup/net-dest';
import { destinationText, parseNetDest, type NetDest, type SmbCredentials } from '../../shared/net-dest';

export type MediaMakeParams = z.output<(typeof requestSchemas)['media.make']>;

function refuse(field: string, reason: string): LifeboatError {
  return new LifeboatError('invalid-request', { field, reason }, `${field}: ${reason}`);
}

/** The layout of a root and what a backup of it would leave out by default. */
export async function inventoryView(rootArg: string): Promise<InventoryView> {
  const root = resolve(rootArg);
  const inv = await collectInventory(root);
  const archived = inv.mounts.map((m) => m.mountpoint);
  // The same defaults runBackup applies (fixed list, lost+found, swap files), listed
  // here so the user sees — and can take out — exactly what will be left out.
  const defaults: string[] = [...DEFAULT_EXCLUDES, ...lostFoundExcludes(archived)];
  for (const s of inv.layout.swap) {
    const rel = s.kind === 'file' ? relativeMountpoint(root, root === '/' ? s.device : join(root, s.device)) : null;
    if (rel) defaults.push(rel);
  }
  return { root, layout: inv.layout, warnings: inv.warnings, archived, defaultExcludes: [...new Set(defaults)] };
}

/**
 * Refuses what would make the job fail late or write somewhere it must not: outputs in
 * the kernel's folders, an ISO or PXE folder inside the set (it would then hold itself),
 * a destination that is not empty, an ISO that would replace an existing file, a PXE
 * folder with files in it, a kernel that is missing, the set inside a network-boot
 * folder (it holds no set). Checked before the job starts, so the answer to `media.make`
 * is the refusal itself. A stick is checked by the drive guard, which needs a fresh
 * scan: at the start of the job and again right before it is written (`stickGuard`).
 */
export function preflightMediaMake(p: MediaMakeParams): { root: string; dest: string; kind: MediaKind; out: string; net: NetDest | null; credentials?: SmbCredentials } {
  const root = resolve(p.root);
  // An NFS export or SMB share is checked once mounted, by the job (runBackup refuses a non-empty set folder there).
  const net = parseNetDest(p.dest);
  if (p.destination && destinationText(p.destination) !== p.dest) throw refuse('destination', 'does not name dest');
  if (net?.kind === 'smb' && p.destination?.kind !== 'smb') throw new LifeboatError('net-credentials-needed');
  const credentials = p.destination?.kind === 'smb' ? { username: p.destination.username, password: p.destination.password, ...(p.destination.domain ? { domain: p.destination.domain } : {}) } : undefined;
  const dest = net ? p.dest : resolve(p.dest);
  const output = mediaOutputOf(p);
  if (!output) throw refuse(p.kind ?? 'iso', 'the output does not match the kind');
  const { kind } = output;
  const out = kind === 'usb' ? output.path : resolve(output.path);
  if (isForbiddenOutput(root)) throw refuse('root', 'not a system root');
  if (!net && isForbiddenOutput(dest)) throw refuse('dest', 'inside /proc, /sys or /dev');
  if (kind !== 'usb' && isForbiddenOutput(out)) throw refuse(kind, 'inside /proc, /sys or /dev');
  if (!net && (dest === '/' || dest === root)) throw refuse('dest', 'must be a folder of its own');
  if (!net && kind !== 'usb' && (out === dest || out.startsWith(dest + '/'))) throw refuse(kind, 'must not be inside the backup folder');
  if (!net && kind === 'pxe' && (dest === out || dest.startsWith(out + '/'))) throw refuse('dest', 'must not be inside the network-boot folder');
  if (kind === 'pxe' && p.embed) throw refuse('embed', 'network boot files hold no set');
  // The same rules as `lifeboat media`: discs need the set inside an ISO; "again" only
  // adds a set to a stick, so nothing of the rescue system may be asked of it.
  if (p.splitMedia !== undefined && (kind !== 'iso' || !p.embed)) throw refuse('splitMedia', 'needs an ISO with the set inside');
  if (p.keep !== undefined && !p.again) throw refuse('keep', 'only with again');
  if (p.again && (kind !== 'usb' || p.kernel !== undefined || p.dataFs !== undefined)) throw refuse('again', 'adds a set to a Lifeboat stick and keeps its rescue system');
  // Only a stick has a data partition whose filesystem can be chosen.
  if (p.dataFs && kind !== 'usb') throw new LifeboatError('media-data-fs-needs-usb', { fs: p.dataFs });
  if (!existsSync(root) || !lstatSync(root).isDirectory()) throw new LifeboatError('root-invalid', { path: root });
  if (!net && existsSync(dest)) {
    const st = lstatSync(dest);
    if (!st.isDirectory() || readdirSync(dest).some((e) => e !== 'lost+found')) throw new LifeboatError('dest-not-empty', { path: dest });
  }
  if (kind === 'iso' && existsSync(out)) throw new LifeboatError('dest-not-empty', { path: out });
  if (kind === 'pxe' && existsSync(out) && (!lstatSync(out).isDirectory() || readdirSync(out).length > 0)) throw new LifeboatError('dest-not-empty', { path: out });
  // Adding a set to a stick builds no rescue system: no kernel is needed (this computer may have none).
  if (!p.again) chooseKernel({ kernel: p.kernel });
  return { root, dest, kind, out, net, credentials };
}

/**
 * The drive guard for a stick, as `lifeboat media --usb` applies it: never a system
 * drive, never the disk the backup is read from or written to. Returns the check to
 * run again right before writing, when the set exists and the scan is fresh.
 */
async function stickGuard(device: string, root: string, dest: string, includeLoop: boolean): Promise<(device: string) => Promise<void>> {
  const existing = (path: string): string => (existsSync(path) ? path : existsSync(dirname(path)) ? dirname(path) : '/');
  const sources = [await sourceDeviceOf(existing(dest)), await sourceDeviceOf(root)];
  const check = async (dev: string) => {
    let drive = null;
    for (const imageSourceDevice of sources) drive = await assertWritableTarget(dev, { imageSize: null, imageSourceDevice, includeLoop });
    return drive!;
  };
  await check(device);
  return async (dev) => {
    await unmountDrive(await check(dev));
  };
}

/** What the wizard is told of a built medium. */
export function madeMedia(m: MediaResult): MadeMedia {
  return { kind: m.kind, path: m.path, bytes: m.bytes, seconds: m.seconds, manifestPath: m.manifestPath, missingTools: m.missingTools, missingModules: m.missingModules, ...(m.discs ? { discs: m.discs } : {}) };
}

/** A media job's end: what was made (either part may be null), and why it stopped if it did. */
export function mediaJobDone(ctx: JobContext, backup: MadeSet | null, media: MadeMedia | null, error: ErrorInfo | null): JobDone {
  const result = { kind: 'media' as const, backup, media };
  return error ? { jobId: ctx.jobId, kind: 'media', ok: false, error, result } : { jobId: ctx.jobId, kind: 'media', ok: true, result };
}

/** A cancelled job says so, whatever the interrupted tool reported. */
export const jobFailure = (ctx: JobContext, err: unknown): ErrorInfo => (ctx.signal.aborted ? new LifeboatError('cancelled').toInfo() : toErrorInfo(err));

/**
 * Runs the backup, then the ISO. A failure or cancel during the backup leaves nothing
 * (runBackup removes its partial set); once the set is complete it is kept even if the
 * ISO fails, and the result says so: a verified set is worth having on its own.
 */
export async function runMediaMake(p: MediaMakeParams, ctx: JobContext): Promise<JobDone> {
  const pre = preflightMediaMake(p);
  if (!pre.net) return mediaMakeInto(p, pre, pre.dest, null, ctx);
  // A network destination stays mounted for the whole job (the ISO reads the set back),
  // and is unmounted at its end, whatever the end.
  let m: MountedNetDest;
  try {
    m = await mountNetDest(pre.net, { credentials: pre.credentials, signal: ctx.signal, log: ctx.log });
  } catch (err) {
    return mediaJobDone(ctx, null, null, jobFailure(ctx, err));
  }
  try {
    const r = await mediaMakeInto(p, pre, m.dir, m, ctx);
    return r.ok ? r : { ...r, error: { ...r.error, params: shownParams(m, r.error.params) } };
  } finally {
    await m.release();
  }
}

async function mediaMakeInto(p: MediaMakeParams, pre: ReturnType<typeof preflightMediaMake>, dest: string, net: MountedNetDest | null, ctx: JobContext): Promise<JobDone> {
  const { root, kind, out } = pre;
  let backup: MadeSet | null = null;
  let media: MadeMedia | null = null;
  const done = (error: ErrorInfo | null): JobDone => mediaJobDone(ctx, backup, media, error);
  const failure = (err: unknown): ErrorInfo => jobFailure(ctx, err);
  let usbGuard: ((device: string) => Promise<void>) | undefined;
  try {
    // Before the backup: a stick the guard refuses should not cost an hour of archiving first.
    if (kind === 'usb') usbGuard = await stickGuard(out, root, net ? root : dest, Boolean(p.includeLoop));
    // "Again" onto a stick that is not a Lifeboat stick would fail after the backup: refuse now.
    if (p.again) await assertLifeboatStick(out);
    backup = await runBackup(
      { root, dest, compress: p.compress, level: p.level, split: p.split, excludes: p.excludes, defaultExcludes: p.defaultExcludes },
      ctx,
    );
  } catch (err) {
    return done(failure(err));
  }
  try {
    // the set is read back from where it was written; the user is told the share's name
    const setDir = backup.path;
    if (net) backup = { ...backup, path: net.text };
    if (p.again) media = await addToStick(out, setDir, p.keep ?? DEFAULT_KEEP, usbGuard!, ctx);
    else {
      // The disc size travels in bytes; the engine takes the text `--split-media` takes.
      const splitMedia = p.splitMedia !== undefined ? String(p.splitMedia) : undefined;
      const m = await buildMedia({ set: setDir, embed: p.embed, [kind]: out, usbGuard, lang: p.lang, kernel: p.kernel, dataFs: kind === 'usb' ? p.dataFs : undefined, splitMedia }, ctx);
      media = madeMedia(m);
    }
  } catch (err) {
    return done(failure(err));
  }
  // A cancel that arrives after the ISO was renamed into place is too late: both are complete.
  return done(null);
}


/**
 * "Backup again": the new set onto the Lifeboat stick, the oldest beyond `keep` removed,
 * as `lifeboat media --usb DEV --set S --again --keep N` does. The rescue system on the
 * stick is left as it is, so there is no build manifest: the result names the sets instead.
 */
async function addToStick(device: string, set: string, keep: number, usbGuard: (device: string) => Promise<void>, ctx: JobContext): Promise<MadeMedia> {
  ctx.progress({ phase: 'media.again', bytes: 0, total: null, speed: null, eta: null });
  const r = await usbAgain({ device, set, keep, usbGuard, signal: ctx.signal, log: ctx.log });
  ctx.progress({ phase: 'media.done', bytes: 0, total: null, speed: null, eta: null });
  return {
    kind: 'usb',
    path: r.device,
    bytes: r.add.bytes,
    seconds: r.seconds,
    manifestPath: '',
    missingTools: [],
    missingModules: [],
    again: {
      added: { id: r.add.id, dir: r.add.dir, bytes: r.add.bytes, alreadyPresent: r.add.alreadyPresent },
      removed: r.remove.map(({ dir, id, created, bytes }) => ({ dir, id, created, bytes })),
      count: r.keep.length + 1,
      freeBytesAfter: r.freeBytesAfter,
    },
  };
}
