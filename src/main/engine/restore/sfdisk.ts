/**
 * The sfdisk script that recreates a partition table.
 *
 * Partition lines are named `pN :` — sfdisk takes only the trailing number from the
 * name, so numbering gaps and logical partitions (5+) come out as recorded, and the
 * script does not depend on the target's device name.
 */
import type { PartitionTable } from '../../../shared/layout';
import type { SizedPartition } from './sizing';

/** sfdisk reads \xNN escapes in quoted values; quotes, backslashes and controls are escaped so any name survives. */
export function sfdiskQuote(value: string): string {
  return `"${value.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

export function sfdiskScript(
  table: PartitionTable,
  labelId: string,
  parts: SizedPartition[],
  uuidOf: (p: SizedPartition) => string | undefined,
  targetSectorSize = table.sectorsize,
): string {
  const lines = [`label: ${table.label}`, `label-id: ${labelId}`, 'unit: sectors'];
  // the first usable byte stays where it was, counted in the target's sectors
  if (table.label === 'gpt' && table.firstlba !== undefined) lines.push(`first-lba: ${Math.ceil((table.firstlba * table.sectorsize) / targetSectorSize)}`);
  lines.push('');
  for (const sp of [...parts].sort((a, b) => a.source.number - b.source.number)) {
    const f = [`start=${sp.start}`, `size=${sp.size}`, `type=${sp.source.type}`];
    if (table.label === 'gpt') {
      const uuid = uuidOf(sp);
      if (uuid) f.push(`uuid=${uuid}`);
      if (sp.source.name) f.push(`name=${sfdiskQuote(sp.source.name)}`);
      if (sp.source.attrs) f.push(`attrs=${sfdiskQuote(sp.source.attrs)}`);
    } else if (sp.source.bootable) f.push('bootable');
    lines.push(`p${sp.source.number} : ${f.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
