/**
 * `lifeboat files list --set SETDIR [PATH]`: what a set holds under a folder.
 * `lifeboat files restore --set SETDIR --to DIR [--in-place] [--yes] PATH...`: restores
 * chosen files or folders into an empty folder, or with --in-place over the mounted
 * system whose root is DIR (overwrites: asks first unless --yes).
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import type { CliIo } from '../output';
import { emitJson, shownName } from '../output';
import { confirmErase } from '../confirm';
import { formatBytes } from '../../../shared/format';
import { createJobContext } from '../../engine/job';
import { checkSystemPath, listSet } from '../../engine/set/listing';
import { isPattern, restoreFiles } from '../../engine/set/extract-files';
import { setPhasePrinter } from './compare';

export interface FilesRestoreFlags {
  set: string;
  to: string;
  inPlace?: boolean;
  yes?: boolean;
}

/** `files restore` and `restore --files` are one job: chosen paths or patterns into a folder (or in place). */
export async function runFilesRestore(io: CliIo, signal: AbortSignal, setExitCode: (code: number) => void, paths: string[], o: FilesRestoreFlags): Promise<void> {
  // refuse bad paths before asking anything (patterns are checked against the listing)
  paths.filter((p) => !isPattern(p)).forEach(checkSystemPath);
  if (o.inPlace) await confirmErase(io, { yes: o.yes, question: io.t('backup:files.confirmInPlace', { to: o.to, count: paths.length }), signal });
  const printer = setPhasePrinter(io, 'files');
  const ctx = createJobContext('restore', { signal, onProgress: printer.update, onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n') });
  try {
    const r = await restoreFiles(ctx, { setDir: o.set, paths, to: o.to, inPlace: o.inPlace });
    printer.stop();
    if (io.json) emitJson(io, { type: 'result', ok: true, to: o.to, ...r });
    else io.out(io.t('backup:files.restored', { count: r.entries, to: o.to }) + '\n');
    setExitCode(0);
  } finally {
    printer.stop();
  }
}

const TYPE_CHAR = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', other: '?' } as const;

export const registerFiles: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  const files = program.command('files').description(io.t('backup:files.description'));
  files
    .command('list')
    .description(io.t('backup:files.listDescription'))
    .requiredOption('--set <dir>', io.t('backup:files.set'))
    .argument('[path]', io.t('backup:files.path'), '/')
    .option('--json', io.t('backup:files.json'))
    .action(async (path: string, o: { set: string }) => {
      const printer = setPhasePrinter(io, 'files');
      const ctx = createJobContext('verify', { signal, onProgress: printer.update });
      try {
        const entries = await listSet(o.set, path, ctx);
        printer.stop();
        if (io.json) emitJson(io, { type: 'result', path, entries });
        else for (const e of entries) io.out(`${TYPE_CHAR[e.type]} ${formatBytes(e.size, io.lang).padStart(10)} ${e.mtime.slice(0, 16).replace('T', ' ')} ${shownName(e.name)}${e.type === 'dir' ? '/' : ''}\n`);
        setExitCode(0);
      } finally {
        printer.stop();
      }
    });
  files
    .command('restore')
    .description(io.t('backup:files.restoreDescription'))
    .requiredOption('--set <dir>', io.t('backup:files.set'))
    .requiredOption('--to <dir>', io.t('backup:files.to'))
    .option('--in-place', io.t('backup:files.inPlace'))
    .option('--yes', io.t('backup:files.yes'))
    .option('--json', io.t('backup:files.json'))
    .argument('<paths...>', io.t('backup:files.paths'))
    .action((paths: string[], o: FilesRestoreFlags) => runFilesRestore(io, signal, setExitCode, paths, o));
};
