/**
 * Parsers for block-level tool output: `sfdisk --json` and `blkid -p -o export`.
 *
 * Pure functions over recorded text, so they are tested on real outputs (fixtures/).
 */
import { PartitionTableSchema, type PartitionTable } from '../../../../shared/layout';

/** The partition number of a node such as /dev/sda2, /dev/nvme0n1p3, /dev/loop0p5. */
export function partitionNumber(node: string): number {
  const m = /(\d+)$/.exec(node);
  return m ? Number(m[1]) : 0;
}

interface SfdiskJson {
  partitiontable?: {
    label: string;
    id: string;
    firstlba?: number;
    lastlba?: number;
    sectorsize?: number;
    partitions?: Array<{ node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }>;
  };
}

/** `sfdisk --json DISK` → the table; throws on a label Lifeboat cannot recreate (the caller warns). */
export function parseSfdisk(text: string): PartitionTable {
  const pt = (JSON.parse(text) as SfdiskJson).partitiontable;
  if (!pt) throw new Error('sfdisk output has no partitiontable');
  return PartitionTableSchema.parse({
    label: pt.label,
    id: pt.id,
    firstlba: pt.firstlba,
    lastlba: pt.lastlba,
    // sfdisk before 2.36 omits sectorsize; 512 is what it assumed then
    sectorsize: pt.sectorsize ?? 512,
    partitions: (pt.partitions ?? []).map((p) => ({
      node: p.node,
      number: partitionNumber(p.node),
      start: p.start,
      size: p.size,
      type: p.type.toUpperCase(),
      uuid: p.uuid,
      name: p.name,
      attrs: p.attrs,
      bootable: p.bootable,
    })),
  });
}

/**
 * `blkid -p -o export DEV` → KEY=VALUE map.
 *
 * blkid escapes spaces and specials with a backslash in export mode (`EFI\ system`);
 * the backslash is removed so values are the real names.
 */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    out[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

export const ESP_GPT_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
export const ESP_MBR_TYPE = 'EF';
