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
