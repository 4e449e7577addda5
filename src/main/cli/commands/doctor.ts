/**
 * `lifeboat doctor [--media iso|usb|pxe] [--kernel FILE] [--modules DIR] [--json]`
 *
 * Exit 0 when everything needed is present, 1 otherwise.
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, type CliIo } from '../output';
import { runDoctor, type DoctorItem } from '../../engine/media/doctor';
import type { MediaKind } from '../../engine/media/catalog';

function line(io: CliIo, item: DoctorItem): string {
  const mark = item.found ? '✓' : item.needed ? '✗' : '·';
  const state = io.t(item.found ? 'media:doctor.found' : 'media:doctor.missing');
  const need = io.t(item.needed ? 'media:doctor.needed' : 'media:doctor.optional');
  let text = `  ${mark} ${item.id.padEnd(22)} ${state} (${need})`;
  if (item.path) text += `  ${item.path}`;
  if (item.detail) text += `  [${item.detail}]`;
  if (!item.found) text += `\n      ${io.t('media:doctor.install', { ...item.packages })}`;
  return text;
}

export const registerDoctor: RegisterCommand = (program: Command, io, _signal, setExitCode) => {
  program
    .command('doctor')
    .description(io.t('media:doctor.description'))
    .addOption(new Option('--media <kind>', io.t('media:doctor.media')).choices(['iso', 'usb', 'pxe']).default('iso'))
    .option('--kernel <file>', io.t('media:command.kernel'))
    .option('--modules <dir>', io.t('media:command.modules'))
    .option('--json', io.t('media:command.json'))
    .action((o: { media: MediaKind; kernel?: string; modules?: string }) => {
      const report = runDoctor({ media: o.media, kernel: o.kernel, modules: o.modules });
      if (io.json) emitJson(io, { type: 'doctor', ...report });
      else {
        const out: string[] = [io.t('media:doctor.title') + ` (${report.media})`, ''];
        for (const group of ['build', 'rescue', 'kernel'] as const) {
          out.push(io.t(`media:doctor.${group}`));
          for (const item of report.items.filter((i) => i.group === group)) out.push(line(io, item));
          out.push('');
        }
        if (report.missingModules.length) {
          out.push(io.t('media:doctor.modulesMissing', { count: report.missingModules.length, modules: report.missingModules.join(', ') }), '');
        }
        out.push(io.t(report.ok ? 'media:doctor.allGood' : 'media:doctor.someMissing'));
        io.out(out.join('\n') + '\n');
      }
      setExitCode(report.ok ? 0 : 1);
    });
};
