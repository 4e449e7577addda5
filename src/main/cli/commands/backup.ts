/**
 * `lifeboat backup --dest DIR [--root DIR] [--compress FMT] [--level N] [--split SIZE]
 *                  [--exclude PATTERN]... [--no-default-excludes] [--base SETDIR] [--no-raw] [--json]`
 */
import { Option, type Command } from 'commander';
import type { TFunction } from 'i18next';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter, type CliIo } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatBytes, parseSize } from '../../../shared/format';
import { COMPRESSORS, type Compressor } from '../../../shared/backup-set';
import { createJobContext } from '../../engine/job';
import { runBackup, SPLIT_PRESETS } from '../../engine/backup/backup';
import { printWarnings } from './inventory';

interface BackupFlags {
  dest: string;
  root: string;
  compress: Compressor;
  level?: string;
  split?: string;
  exclude: string[];
  defaultExcludes: boolean;
  base?: string;
  /** commander's --no-raw: false when given */
  raw: boolean;
  json?: boolean;
}

/**
 * The shared progress printer names phases from `cli:phases.*`; backup and verify keep
 * their phase names in their own namespace, so the lookup is redirected there.
 */
export function phasePrinter(io: CliIo) {
  const t = ((key: string, opts?: object) => io.t(key.replace(/^cli:phases\./, 'backup:phases.'), opts as never)) as unknown as TFunction;
  return progressPrinter({ ...io, t });
}

export function parseSplit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const size = parseSize(SPLIT_PRESETS[text.toLowerCase()] ?? text);
  if (size === null) throw new LifeboatError('invalid-request', { field: '--split', reason: text });
  return size;
}

export const registerBackup: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('backup')
    .description(io.t('backup:command.description'))
    .requiredOption('--dest <dir>', io.t('backup:command.dest'))
    .option('--root <dir>', io.t('backup:command.root'), '/')
    .addOption(new Option('--compress <format>', io.t('backup:command.compress')).choices([...COMPRESSORS]).default('zstd'))
    .option('--level <n>', io.t('backup:command.level'))
    .option('--split <size>', io.t('backup:command.split'))
    .option('--exclude <pattern>', io.t('backup:command.exclude'), (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--no-default-excludes', io.t('backup:command.noDefaultExcludes'))
    .option('--base <set>', io.t('backup:command.base'))
    .option('--no-raw', io.t('backup:command.noRaw'))
    .option('--json', io.t('backup:command.json'))
    .action(async (o: BackupFlags) => {
      const level = o.level !== undefined ? Number(o.level) : undefined;
      if (level !== undefined && !Number.isInteger(level)) throw new LifeboatError('invalid-request', { field: '--level', reason: o.level! });
      const split = parseSplit(o.split);
      const printer = phasePrinter(io);
      const ctx = createJobContext('backup', {
        signal,
        onProgress: printer.update,
        onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
      });
      try {
        const r = await runBackup(
          { dest: o.dest, root: o.root, compress: o.compress, level, split, excludes: o.exclude, defaultExcludes: o.defaultExcludes, base: o.base, raw: o.raw },
          ctx,
        );
        printer.stop();
        if (io.json) emitJson(io, { type: 'result', ...r });
        else {
          printWarnings(io, r.warnings);
          io.out(
            io.t('backup:done', {
              path: r.path,
              archives: io.t('backup:count.archive', { count: r.archives }),
              parts: io.t('backup:count.part', { count: r.parts }),
              in: formatBytes(r.bytesIn, io.lang),
              out: formatBytes(r.bytesOut, io.lang),
              seconds: new Intl.NumberFormat(io.lang, { maximumFractionDigits: 1 }).format(r.seconds),
            }) + '\n',
          );
          io.out(io.t('backup:restoreHint', { path: r.path }) + '\n');
        }
        setExitCode(0);
      } finally {
        printer.stop();
      }
    });
};
