/**
 * What each compressor would make of a system, measured on a sample of its files (see
 * the engine's compression-estimate.ts), and the pure arithmetic the wizard uses to turn
 * it into an estimated set size and duration for the size left to archive.
 *
 * Every figure is per byte of file data (apparent size), the unit the exclusion tree
 * sums, so the wizard multiplies its live total by `ratio` without knowing about tar's
 * headers and padding: those are already inside the ratio.
 */
import type { Compressor } from './backup-set';

export interface CompressorEstimate {
  format: Compressor;
  /** an installed program for the format was found (`none` always is) */
  available: boolean;
  /** the program that ran (pigz for gzip when installed), null for `none` or when missing */
  program: string | null;
  /** the level measured: the format's default; null for `none` */
  level: number | null;
  /**
   * `measured`; `missing` (no program: never guessed); `failed` (the program exited in
   * error); `no-time` (the time cap ran out before it could run)
   */
  status: 'measured' | 'missing' | 'failed' | 'no-time';
  /** archive bytes per byte of file data; null unless measured */
  ratio: number | null;
  /** file data bytes per second through the compressor (wall clock, its real threads); null for `none` (bounded by reading) */
  inputBytesPerSec: number | null;
  /** file data bytes that went through it (less than the sample when the time cap cut it) */
  sampledBytes: number;
}

export interface CompressionEstimate {
  /** the root as resolved */
  root: string;
  /** bytes of file data in the sample */
  sampleBytes: number;
  /** files the sample was taken from (a large file gives a slice, a small one all of it) */
  sampleFiles: number;
  /** regular files seen by the walk, and their apparent bytes (sparse files left aside) */
  walkedFiles: number;
  walkedBytes: number;
  /** the walk stopped at its share of the time cap: the sample comes from the part seen */
  walkCapped: boolean;
  /** how fast the sample was read from the source (a floor for sequential reading), null when nothing was read */
  readBytesPerSec: number | null;
  compressors: CompressorEstimate[];
  /** how long the measure took */
  ms: number;
}

/** Default and longest time cap of one estimate; it runs five compressors, the slowest (xz) gets what is left. */
export const COMPRESSION_ESTIMATE_BUDGET_MS = 30_000;
export const COMPRESSION_ESTIMATE_MAX_BUDGET_MS = 120_000;
/** Bytes of file data a sample aims at: enough for xz's and zstd's windows to see real redundancy. */
export const COMPRESSION_SAMPLE_BYTES = 48 * 1024 * 1024;

/**
 * The set size and duration for `bytes` of file data with one compressor: the size is
 * `bytes × ratio`; the time is `bytes` over the slower of the compressor and reading.
 * Null when the compressor was not measured.
 */
export function projectEstimate(
  bytes: number,
  c: Pick<CompressorEstimate, 'ratio' | 'inputBytesPerSec' | 'status'>,
  readBytesPerSec: number | null,
): { size: number; seconds: number | null } | null {
  if (c.status !== 'measured' || c.ratio === null) return null;
  const speeds = [c.inputBytesPerSec, readBytesPerSec].filter((v): v is number => v !== null && v > 0);
  const speed = speeds.length ? Math.min(...speeds) : null;
  return { size: Math.round(bytes * c.ratio), seconds: speed ? bytes / speed : null };
}
