/**
 * `lifeboat compare --set SETDIR --root DIR [--json]`: what changed on a mounted system
 * since the set was made (Mondo's compare mode). Nothing is written to DIR.
 * Exit 0 identical, 1 differences found (a script can test it like diff(1)), 2 refused.
 */
import type { Command } from 'commander';
import type { TFunction } from 'i18next';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter, shownName, type CliIo } from '../output';
import { createJobContext } from '../../engine/job';
import { compareSet } from '../../engine/set/compare';

/** Phase names of set reading commands live under `backup:<cmd>.phases`. */
export function setPhasePrinter(io: CliIo, cmd: 'compare' | 'files') {
  const t = ((key: string, opts?: object) => io.t(key.replace(/^cli:phases\./, `backup:${cmd}.phases.`), opts as never)) as unknown as TFunction;
  return progressPrinter({ ...io, t });
}

export const registerCompare: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('compare')
    .description(io.t('backup:compare.description'))
    .requiredOption('--set <dir>', io.t('backup:compare.set'))
    .requiredOption('--root <dir>', io.t('backup:compare.root'))
    .option('--json', io.t('backup:compare.json'))
    .addHelpText('after', '\n' + io.t('backup:compare.exitCodes') + '\n')
    .action(async (o: { set: string; root: string }) => {
      const printer = setPhasePrinter(io, 'compare');
      const ctx = createJobContext('compare', { signal, onProgress: printer.update, onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n') });
      try {
        const r = await compareSet(ctx, { setDir: o.set, root: o.root });
        printer.stop();
        const identical = !r.changed.length && !r.missing.length && !r.added.length;
        if (io.json) emitJson(io, { type: 'result', identical, ...r });
        else {
          for (const c of r.changed) io.out(io.t('backup:compare.changed', { path: shownName(c.path), reasons: c.reasons.map((x) => io.t(`backup:compare.reasons.${x}`)).join(', ') }) + '\n');
          for (const p of r.missing) io.out(io.t('backup:compare.missing', { path: shownName(p) }) + '\n');
          for (const p of r.added) io.out(io.t('backup:compare.added', { path: shownName(p) }) + '\n');
          io.out(io.t(identical ? 'backup:compare.identical' : 'backup:compare.summary', { changed: r.changed.length, missing: r.missing.length, added: r.added.length, archives: io.t('backup:count.archive', { count: r.archives }) }) + '\n');
        }
        setExitCode(identical ? 0 : 1);
      } finally {
        printer.stop();
      }
    });
};
