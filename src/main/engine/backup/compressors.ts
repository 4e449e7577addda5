/**
 * The compressors a set can use, and the fastest installed program for each.
 *
 * The manifest records the format (gzip), never the program (pigz): any gzip reads
 * pigz's output, so a person restoring by hand needs only the standard tool.
 */
import { COMPRESSOR_EXT, type Compressor } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { hasTool } from '../run';

interface Spec {
  /** programs in order of preference (parallel ones first) */
  programs: string[];
  levels: [number, number];
  defaultLevel: number;
  compressArgs: (program: string, level: number) => string[];
  decompressArgs: (program: string) => string[];
}

const SPECS: Record<Exclude<Compressor, 'none'>, Spec> = {
  // -T0: all cores; zstd's default level 3 is the speed/size sweet spot for system trees
  zstd: { programs: ['zstd'], levels: [1, 19], defaultLevel: 3, compressArgs: (_p, l) => ['-T0', '-q', `-${l}`, '-c'], decompressArgs: () => ['-q', '-d', '-c'] },
  gzip: { programs: ['pigz', 'gzip'], levels: [1, 9], defaultLevel: 6, compressArgs: (_p, l) => [`-${l}`, '-c'], decompressArgs: () => ['-d', '-c'] },
  xz: { programs: ['xz'], levels: [0, 9], defaultLevel: 6, compressArgs: (_p, l) => ['-T0', `-${l}`, '-c'], decompressArgs: () => ['-d', '-c'] },
  bzip2: { programs: ['lbzip2', 'pbzip2', 'bzip2'], levels: [1, 9], defaultLevel: 9, compressArgs: (_p, l) => [`-${l}`, '-c'], decompressArgs: () => ['-d', '-c'] },
  lz4: { programs: ['lz4'], levels: [1, 12], defaultLevel: 1, compressArgs: (_p, l) => ['-q', `-${l}`, '-c'], decompressArgs: () => ['-q', '-d', '-c'] },
};

export interface Chosen {
  format: Compressor;
  ext: string;
  level: number | null;
  /** null for `none`: tar's stream is written as it is */
  program: string | null;
  args: string[];
}

async function firstInstalled(format: Compressor, programs: string[]): Promise<string> {
  for (const p of programs) if (await hasTool(p)) return p;
  throw new LifeboatError('tool-missing', { tool: programs[programs.length - 1] }, `no program for ${format}: ${programs.join(', ')}`);
}

/** Picks the program and validates the level; refuses a level outside the format's range. */
export async function chooseCompressor(format: Compressor, level?: number): Promise<Chosen> {
  if (format === 'none') return { format, ext: '', level: null, program: null, args: [] };
  const spec = SPECS[format];
  const l = level ?? spec.defaultLevel;
  if (!Number.isInteger(l) || l < spec.levels[0] || l > spec.levels[1]) {
    throw new LifeboatError('invalid-request', { field: '--level', reason: `${spec.levels[0]}…${spec.levels[1]}` });
  }
  const program = await firstInstalled(format, spec.programs);
  return { format, ext: COMPRESSOR_EXT[format], level: l, program, args: spec.compressArgs(program, l) };
}

/** The program and argv that decompress a format to stdout (verify, restore). */
export async function chooseDecompressor(format: Compressor): Promise<{ program: string; args: string[] } | null> {
  if (format === 'none') return null;
  const spec = SPECS[format];
  const program = await firstInstalled(format, spec.programs);
  return { program, args: spec.decompressArgs(program) };
}

/** `archives/<id>.tar.<ext>`: the prefix parts get `.000`, `.001`… appended to. */
export function archiveBase(id: string, ext: string): string {
  return `archives/${id}.tar${ext ? '.' + ext : ''}`;
}
