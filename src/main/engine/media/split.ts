/**
 * `--split-media`: spreads an embedded backup set over a set of discs.
 *
 * Disc 1 boots: it carries the rescue system, every file of the set that is not an
 * archive part (lifeboat.json, layout/, restore.sh, SHA256SUMS…) and as many parts as
 * fit; the next discs carry the further parts, each part whole and in the set's order.
 * Every disc has a volume label naming the set and its number (LIFEBOAT_<set>_<n>) and
 * a marker file (`lifeboat/lifeboat-disc.txt`) that tells the rescue system which disc
 * it is and on which disc each part lives, so it can ask for the right one.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { parseSize } from '../../../shared/format';
import { DISC_BYTES } from '../../../shared/media-make';

/**
 * What a blank disc really holds, in bytes (CD-R 80 min, single-layer DVD±R): defined in
 * src/shared so the wizard offers the same sizes. "4.7 GB" is decimal gigabytes: 4.7 GiB
 * would overflow the disc.
 */
export { DISC_BYTES };

/** Sectors of an ISO 9660 image. */
const SECTOR = 2048;

/**
 * Room kept on every disc for what is not file data: the system area and volume
 * descriptors (~64 KiB), the ISO 9660, Joliet and Rock Ridge directory trees, the
 * El Torito catalog, xorriso's 300 KiB of padding, and the isohybrid partition tables.
 * Measured images of a few dozen files stay under 1 MiB of it; 2 MiB is the margin.
 * The built image is measured afterwards anyway (`checkDiscSizes`).
 */
export const DISC_OVERHEAD = 2 * 1024 * 1024;
/** Per file: its directory records in the three trees (well under one sector each). */
const PER_FILE = SECTOR;

const sectors = (bytes: number) => Math.ceil(bytes / SECTOR) * SECTOR;
/** Sizes in messages, in the units the options take (`21M`), rounded up. */
const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}M`;

/** `cd`, `dvd` or a size such as `300M` → bytes; null when unreadable. */
export function parseDiscSize(spec: string): number | null {
  const s = spec.trim().toLowerCase();
  if (s === 'cd' || s === 'dvd') return DISC_BYTES[s];
  return parseSize(spec);
}

export interface SetFile {
  /** path inside the set, with `/` (archives/root.tar.zst.000) */
  name: string;
  bytes: number;
}

export interface Disc {
  /** 1-based */
  index: number;
  label: string;
  /** set files on this disc, in set order */
  files: SetFile[];
  /** what the files take on the disc (sector-rounded), rescue system included on disc 1 */
  bytes: number;
}

export interface DiscPlanInput {
  setId: string;
  /** the set's files that are not archive parts: all go on disc 1 */
  base: SetFile[];
  /** the archive parts, in the order the set lists them */
  parts: SetFile[];
  /** bytes the rescue system takes on disc 1 (kernel, initramfs, boot loaders) */
  rescueBytes: number;
  discBytes: number;
  /** the size as the user wrote it (cd, dvd, 300M), for messages */
  spec?: string;
}

/**
 * The volume label of disc `n`: ISO 9660 allows 32 characters of A–Z, 0–9 and `_`. The
 * set is named by 8 hex digits of its id's SHA-256, not by a slice of the id: ids start
 * with the host and the date, so two sets of one month would share a prefix, and a disc
 * of another set must never be taken for the one asked for.
 */
export function discTag(setId: string): string {
  return createHash('sha256').update(setId).digest('hex').slice(0, 8).toUpperCase();
}

export function discLabel(setId: string, n: number): string {
  return `LIFEBOAT_${discTag(setId)}_${n}`;
}

/** The smallest usable disc: what one disc must hold besides the parts. */
const fixedBytes = (files: SetFile[]) => files.reduce((s, f) => s + sectors(f.bytes) + PER_FILE, DISC_OVERHEAD);

/** Refuses parts that can never fit on a disc, before anything slow runs. */
export function checkPartsFit(parts: SetFile[], discBytes: number, spec: string): void {
  const room = discBytes - fixedBytes([{ name: 'lifeboat-disc.txt', bytes: SECTOR }]);
  const big = parts.find((p) => sectors(p.bytes) + PER_FILE > room);
  // Half a disc leaves room for the rescue system on disc 1 and packs later discs well.
  if (big) throw new LifeboatError('media-part-too-big', { part: big.name, size: mib(big.bytes), disc: spec, suggest: `${Math.floor(room / 2 / 2 ** 20)}M` });
}

/**
 * Distributes the set over discs, first fit in order: a part that does not fit on the
 * current disc opens the next one, so parts stay in order across discs (the restore
 * reads them in order and asks for each disc once).
 */
export function planDiscs(input: DiscPlanInput): Disc[] {
  const spec = input.spec ?? mib(input.discBytes);
  checkPartsFit(input.parts, input.discBytes, spec);
  const marker = { name: 'lifeboat-disc.txt', bytes: SECTOR };
  const first = fixedBytes([...input.base, marker]) + sectors(input.rescueBytes);
  if (first > input.discBytes) throw new LifeboatError('media-disc-too-small', { need: mib(first), disc: spec });
  const discs: Disc[] = [{ index: 1, label: discLabel(input.setId, 1), files: [...input.base], bytes: first }];
  const emptyDisc = fixedBytes([marker]);
  for (const part of input.parts) {
    const cost = sectors(part.bytes) + PER_FILE;
    let disc = discs[discs.length - 1];
    if (disc.bytes + cost > input.discBytes) {
      disc = { index: discs.length + 1, label: discLabel(input.setId, discs.length + 1), files: [], bytes: emptyDisc };
      discs.push(disc);
    }
    disc.files.push(part);
    disc.bytes += cost;
  }
  return discs;
}

/**
 * The marker file of disc `n` (`lifeboat/lifeboat-disc.txt`), read by the rescue
 * system with `read`: a `disc <n> <count> <label>` line, then `label <n> <label>` for
 * every disc and `part <n> <name>` for every archive part. The same map is on every
 * disc, so whichever disc is in the drive says where the others' parts are.
 */
export function discMarker(discs: Disc[], n: number, parts: Set<string>): string {
  const lines = [
    '# Lifeboat: one disc of a set of discs. The restore asks for each disc by its label.',
    `disc ${n} ${discs.length} ${discs[n - 1].label}`,
    ...discs.map((d) => `label ${d.index} ${d.label}`),
    ...discs.flatMap((d) => d.files.filter((f) => parts.has(f.name)).map((f) => `part ${d.index} ${f.name}`)),
  ];
  return lines.join('\n') + '\n';
}

/** `rescue.iso` → `rescue-2.iso`; a name without `.iso` gets `-2` at its end. */
export function discPath(out: string, n: number): string {
  const dir = posix.dirname(out);
  const base = posix.basename(out);
  const m = /^(.*?)(\.iso)$/i.exec(base);
  const name = m ? `${m[1]}-${n}${m[2]}` : `${base}-${n}`;
  return dir === '.' && !out.startsWith('./') ? name : posix.join(dir, name);
}

/** Refuses a built image larger than the disc (the estimate above was wrong). */
export function checkDiscSizes(images: { label: string; bytes: number }[], discBytes: number, spec = mib(discBytes)): void {
  const over = images.find((i) => i.bytes > discBytes);
  if (over) throw new LifeboatError('media-disc-too-small', { need: mib(over.bytes), disc: spec });
}
