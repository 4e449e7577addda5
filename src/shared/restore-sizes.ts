/**
 * Partition sizes an expert may edit before a restore (Mondo and ReaR both allow it).
 *
 * `restore.plan` answers, per target disk, what the sizing (engine/restore/sizing.ts)
 * decided and why, so the wizard shows the planner's own numbers instead of guessing
 * them. The checks here only mirror the planner's rules to answer while the user types;
 * the helper re-checks everything when it compiles the plan.
 */

const MiB = 1024 * 1024;

/** The largest size a request may carry: 1 PiB, far above any disk, small enough to stay exact in a double. */
export const SIZE_MAX = 2 ** 50;
/** The smallest partition the planner creates; also the unit user sizes are rounded to (partition alignment). */
export const SIZE_MIN = MiB;
/** How many sizes one request may carry (a GPT holds 128 partitions). */
export const SIZES_MAX_COUNT = 256;

/**
 * Why a partition keeps its recorded size when nobody asked otherwise.
 * - esp, bios-boot: firmware finds them by type and expects their size — never edited;
 * - raw: a byte-for-byte image of a filesystem Lifeboat cannot recreate — never edited;
 * - swap, small (under 1 % of the disk): kept by default, an expert may set another size;
 * - user: the size the user asked for.
 */
export type FixedReason = 'esp' | 'bios-boot' | 'raw' | 'swap' | 'small' | 'user';

/** Fixed reasons the user cannot override: the helper refuses a size for these. */
export const LOCKED_REASONS: ReadonlySet<FixedReason> = new Set(['esp', 'bios-boot', 'raw']);

export interface PartitionSizing {
  /** the recorded partition node (the key of `sizes`) */
  node: string;
  number: number;
  /** the partition node it becomes on the target */
  target: string;
  fsType: string | null;
  mountpoint: string | null;
  label: string | null;
  recordedBytes: number;
  plannedBytes: number;
  /** where it starts on the target, in bytes (for the disk bar) */
  startBytes: number;
  /** the reason it keeps a size (its recorded one, or the user's); null: it scales with the disk */
  fixed: FixedReason | null;
  /** the smallest size it may have: its data plus the planner's margin, whole MiB */
  minBytes: number;
  /** the last partition that scales: it also gets what rounding leaves over */
  takesRest: boolean;
}

export interface DiskSizing {
  /** the recorded disk */
  source: string;
  device: string;
  sizeBytes: number;
  /** bytes partitions may take: the usable area minus the recorded gaps between them */
  spaceBytes: number;
  /** bytes left unallocated after the last partition */
  freeBytes: number;
  partitions: PartitionSizing[];
}

export type SizeProblem =
  | { code: 'unreadable' }
  | { code: 'locked'; reason: FixedReason }
  | { code: 'below-min'; min: number }
  | { code: 'over-disk'; available: number };

const BINARY = 'kmgtp';
const UNIT_RE = /^([0-9]+(?:\.[0-9]+)?)\s*(?:([kmgtp])(?:(i)(?:b|o)?|(b|o))?|(b|o|octets?|bytes?))$/i;

/**
 * Reads a size the user typed, with the language in mind: "40 GiB", "40 G", "1.5 TiB",
 * "40 Gio", "2,5 Gio", "1 024 Mio". "GB"/"Go" are decimal (10⁹, as the rest of the app
 * shows sizes), "GiB"/"Gio" and a bare "G" binary (as the CLI's --size reads them).
 * A bare number has no unit and is refused: nobody means 40 bytes. Rounded to whole
 * MiB, the alignment every planned partition has. null: not a size.
 */
export function parseSizeInput(text: string, lang: string): number | null {
  let s = text.trim().replace(/[\u00a0\u202f\u2009]/g, ' ');
  if (lang.startsWith('fr')) {
    // "1 024,5 Go": spaces group thousands, the comma is the decimal mark
    s = s.replace(/(\d) (?=\d)/g, '$1').replace(',', '.');
  } else {
    // "1,024.5 GB": commas group thousands
    s = s.replace(/(\d),(?=\d{3}\b)/g, '$1');
  }
  const m = UNIT_RE.exec(s);
  if (!m) return null;
  const value = Number(m[1]);
  let bytes: number;
  if (m[5]) bytes = value;
  else {
    const pow = BINARY.indexOf(m[2]!.toLowerCase()) + 1;
    const decimal = Boolean(m[4]) && !m[3];
    bytes = value * Math.pow(decimal ? 1000 : 1024, pow);
  }
  const rounded = Math.round(bytes / MiB) * MiB;
  return Number.isFinite(rounded) && rounded >= SIZE_MIN && rounded <= SIZE_MAX ? rounded : null;
}

/** A size in binary units for the sizes panel ("40 GiB", "1,5 Gio"): what the field reads back exactly when whole. */
export function formatSizeInput(bytes: number, lang: string): string {
  const fr = lang.startsWith('fr');
  const units = fr ? ['o', 'Kio', 'Mio', 'Gio', 'Tio', 'Pio'] : ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const nf = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  return `${nf.format(v)}\u00a0${units[i]}`;
}

/**
 * Whether the sizes the user typed fit the planner's rules, field by field. `edited`
 * holds the sizes read so far (node → bytes); every other partition keeps its fixed
 * size or may shrink to its minimum, as the planner would treat it.
 */
export function sizeProblems(disk: DiskSizing, edited: Record<string, number>): Record<string, SizeProblem> {
  const out: Record<string, SizeProblem> = {};
  const floor = (p: PartitionSizing) => (edited[p.node] !== undefined ? edited[p.node]! : p.fixed && p.fixed !== 'user' ? p.plannedBytes : p.minBytes);
  for (const p of disk.partitions) {
    const bytes = edited[p.node];
    if (bytes === undefined) continue;
    if (p.fixed && LOCKED_REASONS.has(p.fixed)) out[p.node] = { code: 'locked', reason: p.fixed };
    else if (bytes < p.minBytes) out[p.node] = { code: 'below-min', min: p.minBytes };
    else {
      const others = disk.partitions.filter((q) => q !== p).reduce((s, q) => s + floor(q), 0);
      const available = Math.max(0, Math.floor((disk.spaceBytes - others) / MiB) * MiB);
      if (bytes > available) out[p.node] = { code: 'over-disk', available };
    }
  }
  return out;
}
