/**
 * `lifeboat drives [--json] [--all] [--include-loop]`
 *
 * The same list the app shows, from the same scan: a table in the user's language,
 * or `{type:'drives', drives:[…]}` with --json.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, type CliIo } from '../output';
import { listDrives } from '../../engine/drives/scan';
import { formatBytes } from '../../../shared/format';
import { isLargeDrive } from '../../../shared/drive-policy';
import type { Drive } from '../../../shared/drive';

/** The notes column: what a person must know before choosing this drive. */
export function driveFlags(io: Pick<CliIo, 't'>, d: Drive): string[] {
  const flags: string[] = [];
  if (d.usb) flags.push(io.t('drives:flags.usb'));
  else if (d.removable) flags.push(io.t('drives:flags.removable'));
  if (d.isLoop) flags.push(io.t('drives:flags.loop'));
  if (d.systemReasons.length) {
    const reasons = d.systemReasons.map((r) => io.t(`drives:reasons.${r}`)).join(', ');
    flags.push(io.t('drives:flags.system', { reasons }));
  }
  if (d.readOnly) flags.push(io.t('drives:flags.readOnly'));
  if (isLargeDrive(d)) flags.push(io.t('drives:flags.large'));
  if (d.mountpoints.length) flags.push(io.t('drives:flags.mounted'));
  return flags;
}

/** Pads by visible characters (sizes contain non-breaking spaces, French has accents). */
function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - [...s].length));
}

export function drivesTable(io: Pick<CliIo, 't' | 'lang'>, drives: Drive[]): string {
  const head = [io.t('drives:table.device'), io.t('drives:table.size'), io.t('drives:table.description'), io.t('drives:table.flags')];
  const rows = drives.map((d) => [d.device, formatBytes(d.size, io.lang), d.description, driveFlags(io, d).join(', ')]);
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]!].length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export const registerDrives: RegisterCommand = (program: Command, io, _signal, setExitCode) => {
  program
    .command('drives')
    .description(io.t('drives:command.description'))
    .option('--json', io.t('drives:command.json'))
    .option('--all', io.t('drives:command.all'))
    .option('--include-loop', io.t('drives:command.includeLoop'))
    .action(async (o: { all?: boolean; includeLoop?: boolean }) => {
      const all = await listDrives({ includeLoop: Boolean(o.includeLoop), all: true });
      const shown = o.all ? all : all.filter((d) => d.systemReasons.length === 0);
      if (io.json) {
        emitJson(io, { type: 'drives', drives: shown });
      } else {
        if (shown.length) io.out(drivesTable(io, shown));
        else io.out(io.t(o.all ? 'drives:noneAll' : 'drives:none') + '\n');
        const hidden = all.length - shown.length;
        if (hidden > 0) io.err(io.t('drives:hiddenSystem', { count: hidden }) + '\n');
      }
      setExitCode(0);
    });
};
