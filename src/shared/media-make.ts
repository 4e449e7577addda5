/**
 * What the "Make recovery media" journey exchanges with the host: the inventory of a
 * root, the doctor's report, and the result of one backup-then-media job.
 *
 * The engine keeps its own (structurally identical) types; these exist so the renderer
 * and the contract never import engine code.
 */
import type { Layout, Warning } from './layout';

export type MediaKind = 'iso' | 'usb' | 'pxe';

/** The output fields of a `media.make` request (see api.ts). */
export interface MediaOutputFields {
  kind?: MediaKind;
  iso?: string;
  usb?: string;
  pxe?: string;
}

/**
 * The one output a request names: its kind (absent means an ISO, as before kinds
 * existed) and the path in the field of that kind, or null when the fields disagree
 * (no path for the kind, or a path for another kind as well).
 */
export function mediaOutputOf(r: MediaOutputFields): { kind: MediaKind; path: string } | null {
  const kind = r.kind ?? 'iso';
  const given = (['iso', 'usb', 'pxe'] as const).filter((k) => r[k] !== undefined);
  if (given.length !== 1 || given[0] !== kind) return null;
  return { kind, path: r[kind]! };
}

/** Where the backup of a root starts from, as `inventory.collect` answers. */
export interface InventoryView {
  root: string;
  layout: Layout;
  warnings: Warning[];
  /** root-relative mount points whose files go into the set */
  archived: string[];
  /**
   * What the backup leaves out unless told otherwise, for this root (the fixed list,
   * lost+found of each filesystem, swap files), so the user sees the real list.
   */
  defaultExcludes: string[];
}

export interface DoctorPackages {
  debian: string;
  fedora: string;
  arch: string;
}

export interface DoctorItem {
  group: 'build' | 'rescue' | 'kernel';
  id: string;
  found: boolean;
  needed: boolean;
  path?: string;
  packages: DoctorPackages;
  detail?: string;
}

export interface DoctorReport {
  ok: boolean;
  media: MediaKind;
  items: DoctorItem[];
  /** drivers the kernel lacks (the rescue system tolerates them; shown for information) */
  missingModules: string[];
}

/** The backup set a `media.make` job wrote. */
export interface MadeSet {
  path: string;
  id: string;
  archives: number;
  parts: number;
  bytesIn: number;
  bytesOut: number;
  seconds: number;
  warnings: Warning[];
}

/** One disc of a disc set (`--split-media`): disc 1 boots, the others hold further parts. */
export interface MadeDisc {
  index: number;
  /** the volume label the rescue system asks for (LIFEBOAT_<tag>_<n>) */
  label: string;
  path: string;
  bytes: number;
  /** archive parts on this disc */
  parts: number;
}

/** A backup set on a Lifeboat stick (read from its data partition). */
export interface StickSet {
  /** relative to the data partition's root: `lifeboat` (embedded at creation) or `sets/<id>` */
  dir: string;
  id: string;
  /** the manifest's ISO date; empty when unreadable (such a set counts as the oldest) */
  created: string;
  bytes: number;
}

/** What `media.stickInfo` says of a stick: a Lifeboat stick (with its sets) or not (and why). */
export type StickInfo =
  | { device: string; lifeboat: true; sets: StickSet[]; freeBytes: number }
  | { device: string; lifeboat: false; reason: string };

/**
 * The sets "backup again" would remove to keep `keep` sets, the new one included: the
 * oldest beyond the newest `keep - 1` (the engine's rule, usb-again.ts planOn), oldest first.
 */
export function setsRemovedByKeep(sets: StickSet[], keep: number): StickSet[] {
  const newestFirst = [...sets].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  return newestFirst.slice(Math.max(keep - 1, 0)).reverse();
}

/** What "backup again" did on the stick: the set added, those removed. */
export interface MadeAgain {
  added: { id: string; dir: string; bytes: number; alreadyPresent: boolean };
  removed: StickSet[];
  /** sets on the stick afterwards, the new one included */
  count: number;
  freeBytesAfter: number;
}

/**
 * Bytes a blank disc really holds: a CD-R of 80 minutes has 360,000 sectors of 2048
 * bytes; a single-layer DVD+R 2,295,104 (a DVD-R has a few more, so this fits both).
 * Shared so the wizard offers the very sizes the engine plans discs with (split.ts).
 */
export const DISC_BYTES = { cd: 360_000 * 2048, dvd: 2_295_104 * 2048 } as const;
export type DiscSize = keyof typeof DISC_BYTES;

/** Sets a stick keeps after "backup again" when nobody says (CLI `--keep`, the wizard, the helper). */
export const DEFAULT_KEEP = 3;

/** The rescue medium a `media.make` job built. */
export interface MadeMedia {
  kind: MediaKind;
  path: string;
  bytes: number;
  seconds: number;
  manifestPath: string;
  missingTools: string[];
  missingModules: string[];
  /** a disc set: every disc, disc 1 first (`path` is disc 1) */
  discs?: MadeDisc[];
  /** "backup again": the set went onto an existing Lifeboat stick, nothing was rebuilt */
  again?: MadeAgain;
}

/**
 * Phases of a `media.make` job in the order they run (backup's, then the ISO's); also
 * the i18n keys `makeMedia:phases.<phase with dots as dashes>`.
 */
export const MEDIA_MAKE_PHASES = [
  'backup.inventory',
  'backup.estimate',
  'backup.archive',
  'backup.finish',
  'media.check-kernel',
  'media.check-set',
  'media.initramfs',
  'media.image',
  'media.done',
] as const;

/** Split presets the UI offers; values are `parseSize` texts, as the CLI takes them. */
export const SPLIT_CHOICES = { none: null, cd: '700M', dvd: '4480M', fat32: '4G-1', '1g': '1G' } as const;
export type SplitChoice = keyof typeof SPLIT_CHOICES | 'custom';

/** Folders no backup set or image may be written into: they are the kernel's, not a disk's. */
export const FORBIDDEN_OUTPUT_DIRS = ['/proc', '/sys', '/dev'] as const;

/** True when `path` (already normalised) is one of the forbidden folders or inside one. */
export function isForbiddenOutput(path: string): boolean {
  return FORBIDDEN_OUTPUT_DIRS.some((d) => path === d || path.startsWith(d + '/'));
}
