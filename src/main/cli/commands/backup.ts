/**
 * `lifeboat backup --dest DIR [--root DIR] [--compress FMT] [--level N] [--split SIZE]
 *                  [--exclude PATTERN]... [--no-default-excludes] [--base SETDIR] [--no-raw] [--json]`
 * `lifeboat backup --dest nfs:SERVER:/PATH | cifs://SERVER/SHARE/PATH --smb-credentials FILE …`: onto a network share
 * `lifeboat backup --profile FILE [any option above, which then wins over the profile]`
 */
import { Option, type Command } from 'commander';
import type { TFunction } from 'i18next';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter, type CliIo } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatBytes, formatNumber, parseSize } from '../../../shared/format';
import { COMPRESSORS, MIN_SPLIT, type Compressor } from '../../../shared/backup-set';
import { createJobContext } from '../../engine/job';
import { runBackup, SPLIT_PRESETS, type BackupOptions } from '../../engine/backup/backup';
import type { Profile } from '../../../shared/profile';
import { readProfile } from '../../services/profile';
import { printWarnings } from './inventory';
import { readCredentialsFile } from './smb-credentials';

export interface BackupFlags {
  dest?: string;
  profile?: string;
  root: string;
  compress: Compressor;
  level?: string;
  split?: string;
  exclude: string[];
  defaultExcludes: boolean;
  base?: string;
  /** commander's --no-raw: false when given */
  raw: boolean;
  smbCredentials?: string;
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
  // "none": one part per archive, however large (what the wizard's "No splitting" sends).
  if (text.toLowerCase() === 'none') return Number.MAX_SAFE_INTEGER;
  const size = parseSize(SPLIT_PRESETS[text.toLowerCase()] ?? text);
  if (size === null) throw new LifeboatError('invalid-request', { field: '--split', reason: text });
  // named as typed (the engine would show bytes): a tiny size means one file per few bytes
  if (size < MIN_SPLIT) throw new LifeboatError('invalid-request', { field: '--split', reason: `${text} (at least 1M)` });
  return size;
}

/**
 * The engine's options from the flags, over the profile's choices when there is one:
 * an option typed on the command line wins; a default commander filled in does not.
 */
/** @param needDest the (localized) reason given when neither --dest nor the profile names the destination */
export function backupOptionsOf(o: BackupFlags, cmd: Command, profile: Profile['backup'] | null, needDest = '--dest DIR or --profile FILE'): BackupOptions {
  const typed = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const compress = typed('compress') || !profile ? o.compress : profile.compress;
  const level = o.level !== undefined ? Number(o.level) : profile && compress === profile.compress ? profile.level : undefined;
  if (level !== undefined && !Number.isInteger(level)) throw new LifeboatError('invalid-request', { field: '--level', reason: o.level! });
  const dest = o.dest ?? profile?.dest;
  if (!dest) throw new LifeboatError('invalid-request', { field: '--dest', reason: needDest }, `--dest: ${needDest}`);
  return {
    dest,
    root: typed('root') || !profile ? o.root : profile.root,
    compress,
    level,
    split: o.split !== undefined ? parseSplit(o.split) : profile?.split,
    // A list on the command line replaces the profile's, as any other option does.
    excludes: o.exclude.length || !profile ? o.exclude : profile.excludes,
    defaultExcludes: typed('defaultExcludes') || !profile ? o.defaultExcludes : profile.defaultExcludes,
    base: o.base,
    raw: o.raw,
  };
}

export const registerBackup: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('backup')
    .description(io.t('backup:command.description'))
    // Not commander's requiredOption: a profile can name the destination.
    .option('--dest <dir>', io.t('backup:command.dest'))
    .option('--smb-credentials <file>', io.t('backup:command.smbCredentials'))
    .option('--profile <file>', io.t('backup:command.profile'))
    .option('--root <dir>', io.t('backup:command.root'), '/')
    .addOption(new Option('--compress <format>', io.t('backup:command.compress')).choices([...COMPRESSORS]).default('zstd'))
    .option('--level <n>', io.t('backup:command.level'))
    .option('--split <size>', io.t('backup:command.split'))
    .option('--exclude <pattern>', io.t('backup:command.exclude'), (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--no-default-excludes', io.t('backup:command.noDefaultExcludes'))
    .option('--base <set>', io.t('backup:command.base'))
    .option('--no-raw', io.t('backup:command.noRaw'))
    .option('--json', io.t('backup:command.json'))
    .action(async (o: BackupFlags, cmd: Command) => {
      const opts = backupOptionsOf(o, cmd, o.profile ? readProfile(o.profile).backup : null, io.t('backup:command.needDest'));
      if (o.smbCredentials !== undefined) {
        if (!opts.dest.startsWith('cifs://')) throw new LifeboatError('invalid-request', { field: '--smb-credentials', reason: 'only with --dest cifs://SERVER/SHARE/PATH' });
        opts.credentials = readCredentialsFile(o.smbCredentials);
      }
      const printer = phasePrinter(io);
      const ctx = createJobContext('backup', {
        signal,
        onProgress: printer.update,
        onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
      });
      try {
        const r = await runBackup(opts, ctx);
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
              seconds: formatNumber(r.seconds, io.lang, { maximumFractionDigits: 1 }),
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
