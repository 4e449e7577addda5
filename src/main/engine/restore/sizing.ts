/**
 * Fits a recorded partition table onto a target disk of another size.
 *
 * Partitions whose size matters as such (BIOS boot, ESP, swap, tiny ones, sizes the
 * user set) keep it; the others share what is left in proportion to their recorded
 * sizes, never below what their data needs (water-filling: a partition clamped at its
 * minimum leaves the rest to the others). Recorded gaps (alignment, EBRs of logical
 * partitions) are kept, so the table looks like the original. A disk of exactly the
 * recorded size gets exactly the recorded table.
 */
import { LifeboatError } from '../../../shared/errors';
import type { Partition, PartitionTable } from '../../../shared/layout';

export const MiB = 1024 * 1024;
/** GPT keeps a backup header and entry array in the last 33 sectors. */
const GPT_TAIL_SECTORS = 33;
export const EXTENDED_TYPES = new Set(['5', 'F', '85']);

export interface SizingInput {
  device: string;
  table: PartitionTable;
  recordedBytes: number;
  targetBytes: number;
  targetSectorSize: number;
  /** keep this partition's recorded (or given) size */
  fixed: (p: Partition) => boolean;
  /** bytes the partition's content needs (0 when nothing is restored into it) */
  minBytes: (p: Partition) => number;
  /** recorded partition node → size in bytes the user asked for */
  overrides?: Record<string, number>;
}

export interface SizedPartition {
  source: Partition;
  /** in target sectors */
  start: number;
  size: number;
  fixed: boolean;
  /** bytes its content needs, whole MiB (at least 1 MiB): what a size the user chooses may not go below */
  minBytes: number;
  /** the last partition that scales: rounding leftovers (and so a larger disk's rest) end up in it */
  takesRest: boolean;
}

export interface Sizing {
  partitions: SizedPartition[];
  neededBytes: number;
  /** bytes the partitions may take on the target: its usable area minus the recorded gaps */
  spaceBytes: number;
}

const alignDown = (v: number, a: number) => Math.floor(v / a) * a;
const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;

function usableEnd(label: PartitionTable['label'], bytes: number, sectorSize: number, lastlba?: number): number {
  if (label === 'gpt') return lastlba !== undefined ? (lastlba + 1) * sectorSize : alignDown(bytes, sectorSize) - GPT_TAIL_SECTORS * sectorSize;
  return alignDown(bytes, sectorSize);
}

export function fitTable(input: SizingInput): Sizing {
  const { table, targetSectorSize: tss } = input;
  const ss = table.sectorsize;
  const overrides = input.overrides ?? {};
  const items = table.partitions.filter((p) => !(table.label === 'dos' && EXTENDED_TYPES.has(p.type))).sort((a, b) => a.start - b.start);
  const extended = table.partitions.filter((p) => table.label === 'dos' && EXTENDED_TYPES.has(p.type));

  const recEnd = usableEnd(table.label, input.recordedBytes, ss, table.lastlba);
  const tgtEnd = usableEnd(table.label, input.targetBytes, tss);

  let prevEnd = 0;
  const rows = items.map((p) => {
    const start = p.start * ss;
    const gap = Math.max(0, start - prevEnd);
    prevEnd = start + p.size * ss;
    const override = overrides[p.node];
    // A size the user chose must still hold what the partition had (plus its margin).
    if (override !== undefined && override < input.minBytes(p)) {
      throw new LifeboatError('restore-size-too-small', { partition: p.node, size: override, needed: alignUp(input.minBytes(p), MiB) });
    }
    const fixed = override !== undefined || input.fixed(p);
    const size = override ?? p.size * ss;
    const need = Math.max(MiB, alignUp(input.minBytes(p), MiB));
    return { p, gap, rec: p.size * ss, size, fixed, need, min: fixed ? size : alignUp(input.minBytes(p), MiB) };
  });
  // free space left at the end on purpose (1% or more) stays in proportion; less is alignment rest
  const trailing = recEnd - prevEnd >= input.recordedBytes / 100 ? recEnd - prevEnd : 0;
  const gaps = rows.reduce((s, r) => s + r.gap, 0);
  const fixedSum = rows.filter((r) => r.fixed).reduce((s, r) => s + r.size, 0);
  const minSum = rows.filter((r) => !r.fixed).reduce((s, r) => s + r.min, 0);
  const overhead = input.targetBytes - tgtEnd;
  const neededBytes = gaps + fixedSum + minSum + overhead;

  if (neededBytes > input.targetBytes) {
    throw new LifeboatError('target-too-small', { device: input.device, needed: neededBytes, available: input.targetBytes, size: input.targetBytes });
  }

  const spaceBytes = tgtEnd - gaps;
  const needOf = (p: Partition) => rows.find((r) => r.p === p)?.need ?? 0;

  const edited = table.partitions.some((p) => overrides[p.node] !== undefined);
  const same = input.targetBytes === input.recordedBytes && tss === ss && !edited;
  if (same) {
    const partitions = table.partitions.map((p) => ({ source: p, start: p.start, size: p.size, fixed: rows.find((r) => r.p === p)?.fixed ?? false, minBytes: needOf(p), takesRest: false }));
    return { partitions, neededBytes, spaceBytes };
  }

  // water-fill the scalable partitions (and the recorded free space at the end) into the budget
  const budget0 = tgtEnd - gaps - fixedSum;
  const scal = rows.filter((r) => !r.fixed);
  const pool = [...scal.map((r) => ({ r, rec: r.rec, min: r.min })), { r: null, rec: trailing, min: 0 }];
  const sized = new Map<(typeof pool)[number], number>();
  let budget = budget0;
  let open = [...pool];
  for (;;) {
    const recSum = open.reduce((s, e) => s + e.rec, 0);
    const f = recSum > 0 ? budget / recSum : 0;
    const clamped = open.filter((e) => e.rec * f < e.min);
    if (clamped.length === 0) {
      for (const e of open) sized.set(e, alignDown(e.rec * f, MiB));
      break;
    }
    for (const e of clamped) {
      sized.set(e, e.min);
      budget -= e.min;
    }
    open = open.filter((e) => !clamped.includes(e));
  }
  const newSize = new Map(rows.map((r) => [r, r.fixed ? alignUp(r.size, tss) : (sized.get(pool.find((e) => e.r === r)!) ?? 0)]));
  // what rounding left over goes to the last scalable partition: a larger disk grows it
  const used = scal.reduce((s, r) => s + newSize.get(r)!, 0) + (sized.get(pool[pool.length - 1]) ?? 0);
  const lastScalable = scal[scal.length - 1];
  if (lastScalable) newSize.set(lastScalable, newSize.get(lastScalable)! + alignDown(Math.max(0, budget0 - used), MiB));

  const out: SizedPartition[] = [];
  let cursor = 0;
  for (const r of rows) {
    const start = alignUp(cursor + r.gap, tss);
    const size = newSize.get(r)!;
    out.push({ source: r.p, start: start / tss, size: size / tss, fixed: r.fixed, minBytes: r.need, takesRest: r === lastScalable });
    cursor = start + size;
  }
  // an extended partition wraps its logical partitions with the recorded margins
  for (const ext of extended) {
    const logicals = out.filter((o) => o.source.number >= 5);
    if (!logicals.length) continue;
    const firstRec = logicals[0].source;
    const lastRec = logicals[logicals.length - 1].source;
    const lead = (firstRec.start - ext.start) * ss;
    const tail = Math.max(0, (ext.start + ext.size - (lastRec.start + lastRec.size)) * ss);
    const startB = logicals[0].start * tss - lead;
    const endB = Math.min(tgtEnd, (logicals[logicals.length - 1].start + logicals[logicals.length - 1].size) * tss + tail);
    out.push({ source: ext, start: Math.floor(startB / tss), size: Math.floor((endB - startB) / tss), fixed: false, minBytes: 0, takesRest: false });
  }
  out.sort((a, b) => a.source.number - b.source.number);
  return { partitions: out, neededBytes, spaceBytes };
}
