/**
 * `lifeboat inventory [--root DIR] [--json]`: shows the layout a backup would record.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, type CliIo } from '../output';
import { formatBytes } from '../../../shared/format';
import type { Layout, Warning } from '../../../shared/layout';
import { collectInventory } from '../../engine/inventory/collect';

export function printWarnings(io: CliIo, warnings: Warning[]): void {
  if (!warnings.length) return;
  io.err(io.t('backup:inventory.warningsTitle') + '\n');
  for (const w of warnings) {
    io.err(`  ${io.t(`backup:warnings.${w.code}`, { ...w.params, defaultValue: `${w.code} ${JSON.stringify(w.params)}` })}\n`);
    // the tool's own words, below the sentence: technical, and in the tool's language
    if (typeof w.params?.detail === 'string' && w.params.detail) io.err(`    ${w.params.detail}\n`);
  }
}

function printLayout(io: CliIo, layout: Layout): void {
  const size = (n: number | undefined) => (n === undefined ? '?' : formatBytes(n, io.lang));
  const line = (key: string, params: Record<string, unknown>) => io.out(io.t(`backup:inventory.${key}`, params) + '\n');
  line('firmware', { firmware: layout.boot.firmware.toUpperCase() });
  if (layout.boot.esp) line('esp', { device: layout.boot.esp });
  for (const d of layout.disks) {
    if (!d.table) {
      line('diskNoTable', { device: d.device, size: size(d.sizeBytes) });
      continue;
    }
    line('disk', { device: d.device, size: size(d.sizeBytes), label: d.table.label === 'dos' ? 'MBR' : 'GPT' });
    for (const p of d.table.partitions) line('partition', { number: p.number, size: size(p.size * d.table.sectorsize), type: p.type });
  }
  for (const f of layout.filesystems) {
    line('filesystem', {
      mountpoint: f.mountpoint ?? io.t('backup:inventory.unmounted'),
      type: f.type,
      device: f.device,
      uuid: f.uuid ?? '?',
      used: size(f.usedBytes),
      size: size(f.sizeBytes),
    });
  }
  for (const s of layout.swap) line('swap', { device: s.device, size: size(s.sizeBytes) });
  if (layout.lvm) line('lvm', { vgs: layout.lvm.vgs.length, lvs: layout.lvm.lvs.length });
  for (const a of layout.md) line('md', { device: a.device, level: a.level, members: a.members.join(', ') });
}

export const registerInventory: RegisterCommand = (program: Command, io, _signal, setExitCode) => {
  program
    .command('inventory')
    .description(io.t('backup:inventory.description'))
    .option('--root <dir>', io.t('backup:inventory.root'), '/')
    .option('--json', io.t('backup:inventory.json'))
    .action(async (o: { root: string; json?: boolean }) => {
      const inv = await collectInventory(o.root);
      if (io.json) emitJson(io, { type: 'inventory', layout: inv.layout, warnings: inv.warnings });
      else {
        printLayout(io, inv.layout);
        printWarnings(io, inv.warnings);
      }
      setExitCode(0);
    });
};
