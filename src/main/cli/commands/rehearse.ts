/**
 * `lifeboat rehearse --set SETDIR --media ISO [--timeout S] [--json]`: restores the set
 * from its rescue media into a virtual machine and boots the result (see
 * engine/rehearse). Exit 0 when the restored system reached its login prompt, 1 when the
 * rehearsal failed (the backup would not have saved you), 2 when it could not start.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatDuration } from '../../../shared/format';
import { createJobContext } from '../../engine/job';
import { rehearse } from '../../engine/rehearse/rehearse';

export const registerRehearse: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('rehearse')
    .description(io.t('cli:rehearse.description'))
    .requiredOption('--set <dir>', io.t('cli:rehearse.set'))
    .requiredOption('--media <iso>', io.t('cli:rehearse.media'))
    .option('--timeout <seconds>', io.t('cli:rehearse.timeout'))
    .option('--json', io.t('cli:rehearse.json'))
    .action(async (o: { set: string; media: string; timeout?: string }) => {
      const timeout = o.timeout !== undefined ? Number(o.timeout) : undefined;
      if (timeout !== undefined && !(timeout >= 10 && timeout <= 7200)) {
        throw new LifeboatError('invalid-request', { field: '--timeout', reason: '10…7200' });
      }
      const printer = progressPrinter(io);
      const ctx = createJobContext('rehearse', { signal, onProgress: printer.update, onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n') });
      try {
        const r = await rehearse(ctx, { setDir: o.set, media: o.media, timeoutSeconds: timeout });
        printer.stop();
        if (io.json) emitJson(io, { type: 'result', ...r });
        else
          io.out(
            io.t('cli:rehearse.ok', {
              restore: formatDuration(r.restoreSeconds, io.lang),
              boot: formatDuration(r.bootSeconds, io.lang),
              total: formatDuration(r.totalSeconds, io.lang),
            }) + '\n',
          );
        setExitCode(0);
      } finally {
        printer.stop();
      }
    });
};
