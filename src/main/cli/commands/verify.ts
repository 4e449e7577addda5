/**
 * `lifeboat verify SETDIR [--json]`: exit 0 only when the set is intact; a damaged or
 * incomplete set is refused (exit 2) naming the first bad part.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson } from '../output';
import { formatBytes, formatNumber } from '../../../shared/format';
import { createJobContext } from '../../engine/job';
import { verifySet } from '../../engine/set/verify';
import { phasePrinter } from './backup';

export const registerVerify: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('verify')
    .description(io.t('backup:verify.description'))
    .argument('<set>', io.t('backup:verify.set'))
    .option('--json', io.t('backup:verify.json'))
    .action(async (set: string) => {
      const printer = phasePrinter(io);
      const ctx = createJobContext('verify', { signal, onProgress: printer.update, onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n') });
      try {
        const r = await verifySet(set, ctx);
        printer.stop();
        if (io.json) emitJson(io, { type: 'result', ok: true, ...r });
        else io.out(io.t('backup:verify.ok', { ...r, archives: io.t('backup:count.archive', { count: r.archives }), parts: io.t('backup:count.part', { count: r.parts }), size: formatBytes(r.bytes, io.lang), seconds: formatNumber(r.seconds, io.lang, { maximumFractionDigits: 1 }) }) + '\n');
        setExitCode(0);
      } finally {
        printer.stop();
      }
    });
};
