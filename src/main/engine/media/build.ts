/**
 * `lifeboat media`: builds rescue media as ordered stages, ReaR-style.
 *
 * Each stage takes the typed state the previous ones produced (no globals) and the
 * runner logs how long each took. Outputs appear only when complete: the image and its
 * manifest are written under temporary names and renamed at the end; a failed or
 * cancelled build removes its work folder and partial files.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Language } from '../../../shared/api';
import type { MadeDisc } from '../../../shared/media-make';
import { LifeboatError } from '../../../shared/errors';
import { throwIfCancelled, type JobContext } from '../job';
import { isUnattended } from './bootcfg';
import { buildInitramfs, type Compression, type InitramfsManifest } from './initramfs';
import { buildIso } from './iso';
import { buildDiscSet, checkSetFitsDiscs, type DiscImage } from './disc-set';
import { discPath, parseDiscSize } from './split';
import { buildPxe } from './pxe';
import { buildUsb } from './usb';
import type { DataFs } from './usb-data';
import { chooseKernel, type KernelChoice } from './kernel';
import { checkSet } from './set-check';
import { printSheetPdf, renderRecoverySheet } from './recovery-sheet';
import { readManifest } from '../set/read';

export interface MediaOptions {
  set?: string;
  embed?: boolean;
  iso?: string;
  /** a folder for network boot files (created; must not exist or be empty) */
  pxe?: string;
  /** a USB stick (whole device) to erase and make bootable */
  usb?: string;
  /**
   * Checks the USB target just before writing (the drive guard: never the system disk,
   * never the medium the set is on). Required with `usb`; the media engine has no
   * safety policy of its own.
   */
  usbGuard?: (device: string) => Promise<void>;
  /** with `usb`: the data partition's filesystem (default ext4; exfat so Windows reads the sets) */
  dataFs?: DataFs;
  kernel?: string;
  modules?: string;
  append?: string;
  lang: Language;
  /** boot menu wait in seconds; default 5, and 0 for an unattended medium */
  timeout?: number;
  compression?: Compression;
  /**
   * With `iso` and `embed`: a set of discs of this size (`cd`, `dvd` or `300M`) instead
   * of one ISO; FILE.iso becomes FILE-1.iso (boots), FILE-2.iso…
   */
  splitMedia?: string;
}

/** One disc of a disc set, as made (the shared MadeDisc, which the renderer sees). */
export type MediaDisc = MadeDisc;

export interface MediaResult {
  kind: 'iso' | 'pxe' | 'usb';
  path: string;
  bytes: number;
  seconds: number;
  manifestPath: string;
  /** the printable recovery sheet (HTML), and its PDF when a headless Chromium made one */
  sheetPath: string;
  sheetPdfPath: string | null;
  stages: { id: string; seconds: number }[];
  /** programs the host lacks, so the rescue system lacks them too */
  missingTools: string[];
  missingModules: string[];
  /** with `splitMedia`: every disc, disc 1 first (`path` is disc 1) */
  discs?: MediaDisc[];
}

interface State {
  opts: MediaOptions;
  work: string;
  out: string;
  tmpOut: string;
  kernel?: KernelChoice;
  set?: { files: number; bytes: number };
  initrd?: string;
  initramfs?: InitramfsManifest;
  discBytes?: number;
  discs?: DiscImage[];
}

export interface Stage {
  id: string;
  phase: string;
  run(state: State, ctx: JobContext): Promise<void>;
}

const progress = (ctx: JobContext, phase: string) => ctx.progress({ phase, bytes: 0, total: null, speed: null, eta: null });

const COMMON_STAGES: Stage[] = [
  {
    id: '010-check-kernel',
    phase: 'media.check-kernel',
    async run(s) {
      s.kernel = chooseKernel({ kernel: s.opts.kernel, modules: s.opts.modules });
    },
  },
  {
    id: '020-check-set',
    phase: 'media.check-set',
    async run(s, ctx) {
      if (s.opts.set) s.set = await checkSet(s.opts.set, ctx.signal);
    },
  },
  {
    id: '030-initramfs',
    phase: 'media.initramfs',
    async run(s, ctx) {
      s.initrd = join(s.work, 'initrd.img');
      s.initramfs = await buildInitramfs({ kernel: s.kernel!, lang: s.opts.lang, out: s.initrd, compression: s.opts.compression, log: ctx.log });
    },
  },
];

const menuFor = (s: State) => {
  const append = s.opts.append ?? '';
  return { lang: s.opts.lang, append, timeout: s.opts.timeout ?? (isUnattended(append) ? 0 : 5) };
};

export const ISO_STAGES: Stage[] = [
  ...COMMON_STAGES,
  {
    id: '040-image',
    phase: 'media.image',
    async run(s) {
      if (s.discBytes) {
        s.discs = await buildDiscSet({
          work: s.work,
          kernel: s.kernel!.kernel,
          initrd: s.initrd!,
          menu: menuFor(s),
          mediumId: randomBytes(6).toString('hex'),
          setDir: s.opts.set!,
          discBytes: s.discBytes,
          spec: s.opts.splitMedia!,
        });
        return;
      }
      await buildIso({
        work: s.work,
        kernel: s.kernel!.kernel,
        initrd: s.initrd!,
        embedSet: s.opts.embed ? s.opts.set : undefined,
        menu: menuFor(s),
        mediumId: randomBytes(6).toString('hex'),
        out: s.tmpOut,
      });
    },
  },
];

export const PXE_STAGES: Stage[] = [
  ...COMMON_STAGES,
  {
    id: '040-pxe',
    phase: 'media.image',
    async run(s) {
      await buildPxe({ kernel: s.kernel!.kernel, initrd: s.initrd!, menu: menuFor(s), out: s.tmpOut });
    },
  },
];

export const USB_STAGES: Stage[] = [
  ...COMMON_STAGES,
  {
    id: '040-usb',
    phase: 'media.image',
    async run(s) {
      // Checked here, after the slow stages, so the decision is as fresh as possible.
      await s.opts.usbGuard!(s.opts.usb!);
      await buildUsb({
        device: s.opts.usb!,
        kernel: s.kernel!.kernel,
        initrd: s.initrd!,
        embedSet: s.opts.embed ? s.opts.set : undefined,
        menu: menuFor(s),
        mediumId: randomBytes(6).toString('hex'),
        work: s.work,
        dataFs: s.opts.dataFs,
      });
    },
  },
];

/** Builds the medium the options ask for and returns where it is and what it cost. */
export async function buildMedia(opts: MediaOptions, ctx: JobContext): Promise<MediaResult> {
  const kinds = (['iso', 'pxe', 'usb'] as const).filter((k) => opts[k]);
  if (kinds.length !== 1) throw new LifeboatError('invalid-request', { field: 'output', reason: 'choose one of --iso, --pxe, --usb' });
  const kind = kinds[0];
  // Only a stick has a data partition to choose a filesystem for.
  if (opts.dataFs && kind !== 'usb') throw new LifeboatError('media-data-fs-needs-usb', { fs: opts.dataFs });
  if (kind === 'usb' && !opts.usbGuard) throw new LifeboatError('invalid-request', { field: '--usb', reason: 'no drive guard' });
  if (opts.embed && !opts.set) throw new LifeboatError('invalid-request', { field: '--embed', reason: 'needs --set' });
  if (opts.embed && kind === 'pxe') throw new LifeboatError('invalid-request', { field: '--embed', reason: 'network boot files hold no set; use lifeboat.set=' });
  let discBytes: number | undefined;
  if (opts.splitMedia !== undefined) {
    if (kind !== 'iso' || !opts.embed) throw new LifeboatError('invalid-request', { field: '--split-media', reason: 'needs --iso and --embed' });
    discBytes = parseDiscSize(opts.splitMedia) ?? undefined;
    if (!discBytes) throw new LifeboatError('invalid-request', { field: '--split-media', reason: 'cd, dvd or a size such as 300M' });
    // A part too big for any disc is known from the manifest: refuse before the slow stages.
    checkSetFitsDiscs(opts.set!, discBytes, opts.splitMedia);
  }
  const out = kind === 'usb' ? opts.usb! : resolve((opts.iso ?? opts.pxe)!);
  if (kind === 'pxe' && existsSync(out) && readdirSync(out).length) throw new LifeboatError('dest-not-empty', { path: out });
  const t0 = Date.now();
  // The work folder sits next to the output so the final rename never crosses filesystems.
  const work = kind === 'usb' ? mkdtempSync(join(tmpdir(), 'lifeboat-media-')) : mkdtempSync(join(dirname(out), `.${basename(out)}.work-`));
  const tmpOut = join(work, kind === 'iso' ? 'image.iso' : 'pxe');
  const state: State = { opts, work, out, tmpOut, discBytes };
  const stages: { id: string; seconds: number }[] = [];
  // A stick's manifest stays with the build log; the stick itself only holds what boots.
  const manifestPath = kind === 'usb' ? join(tmpdir(), `lifeboat-usb-${basename(out)}.manifest.json`) : `${out}.manifest.json`;
  try {
    for (const stage of { iso: ISO_STAGES, pxe: PXE_STAGES, usb: USB_STAGES }[kind]) {
      throwIfCancelled(ctx.signal);
      progress(ctx, stage.phase);
      const started = Date.now();
      await stage.run(state, ctx);
      const seconds = (Date.now() - started) / 1000;
      stages.push({ id: stage.id, seconds });
      ctx.log(`${stage.id}: ${seconds.toFixed(1)} s`);
    }
    throwIfCancelled(ctx.signal);
    const discs = state.discs?.map((d) => ({ index: d.index, label: d.label, path: discPath(out, d.index), bytes: d.bytes, parts: d.parts }));
    const bytes = discs ? discs.reduce((n, d) => n + d.bytes, 0) : kind === 'iso' ? statSync(tmpOut).size : kind === 'pxe' ? folderBytes(tmpOut) : statSync(state.initrd!).size + statSync(state.kernel!.kernel).size;
    const seconds = (Date.now() - t0) / 1000;
    const manifest = {
      kind,
      path: out,
      bytes,
      buildSeconds: seconds,
      stages,
      kernel: state.kernel,
      set: opts.set ? { path: resolve(opts.set), embedded: Boolean(opts.embed), ...state.set } : null,
      bootArgs: opts.append ?? '',
      lang: opts.lang,
      initramfs: state.initramfs,
      ...(discs ? { discs } : {}),
    };
    writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (kind === 'pxe' && existsSync(out)) rmdirSync(out);
    if (state.discs) for (const d of state.discs) renameSync(d.file, discPath(out, d.index));
    else if (kind !== 'usb') renameSync(tmpOut, out);
    renameSync(join(work, 'manifest.json'), manifestPath);
    const sheetPath = manifestPath.replace(/\.manifest\.json$/, '.recovery-sheet.html');
    const html = await renderRecoverySheet({
      lang: opts.lang,
      media: { kind, path: discs ? discs[0].path : out, bytes, discs },
      set: opts.set ? { dir: resolve(opts.set), manifest: readManifest(opts.set), embedded: Boolean(opts.embed), sums: readFileSync(join(opts.set, 'SHA256SUMS'), 'utf8') } : null,
      bootArgs: opts.append ?? '',
      created: new Date(),
    });
    writeFileSync(join(work, 'sheet.html'), html);
    renameSync(join(work, 'sheet.html'), sheetPath);
    const sheetPdfPath = await printSheetPdf(sheetPath, sheetPath.replace(/\.html$/, '.pdf'), ctx.signal);
    progress(ctx, 'media.done');
    return {
      kind,
      path: discs ? discs[0].path : out,
      bytes,
      seconds,
      manifestPath,
      sheetPath,
      sheetPdfPath,
      stages,
      missingTools: state.initramfs!.missingTools.map((m) => m.name),
      missingModules: state.initramfs!.modules.missing,
      ...(discs ? { discs } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    n += st.isDirectory() ? folderBytes(p) : st.size;
  }
  return n;
}
