/**
 * Test helpers: a backup set wrapped around a layout recorded from real loop devices
 * (fixtures/layout-*.json, made by fixtures/record.ts), and a runner for plain argv
 * steps, so partition steps can be applied to real loop devices and read back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupSetSchema, type BackupSet } from '../../../shared/backup-set';
import { LayoutSchema, type Layout } from '../../../shared/layout';
import type { RestoreStep } from '../../../shared/restore-plan';

export function recordedLayout(name: 'gpt' | 'mbr' | 'md'): Layout {
  return LayoutSchema.parse(JSON.parse(readFileSync(join(__dirname, 'fixtures', `layout-${name}.json`), 'utf8')));
}

/** A manifest around a recorded layout: one archive per mounted filesystem. */
export function setAround(layout: Layout): BackupSet {
  const archives = layout.filesystems
    .filter((f) => f.mountpoint)
    .map((f, i) => ({
      id: f.mountpoint === '/' ? 'root' : f.mountpoint!.slice(1).replace(/\//g, '-'),
      mountpoint: f.mountpoint!,
      device: f.device,
      fsType: f.type,
      fsUuid: f.uuid,
      bytesIn: f.usedBytes ?? 0,
      files: 10,
      tarFeatures: ['--xattrs', '--acls'],
      parts: [{ name: `archives/a${i}.tar.zst.000`, size: 1000 + i, sha256: String(i).repeat(64).slice(0, 64) }],
    }));
  return BackupSetSchema.parse({
    format: 1,
    id: 'test-set',
    created: '2026-11-25T14:00:00.000Z',
    host: 'recorder',
    tool: { name: 'lifeboat', version: '0.1.0' },
    kind: { type: 'full' },
    sourceRoot: '/SCRATCH/root',
    excludes: [],
    defaultExcludes: true,
    compression: { tool: 'zstd', level: 3, ext: 'zst' },
    split: 1 << 30,
    layout,
    archives,
  });
}

/** Runs argv steps as they are (stdin, accepted exit codes). */
export function runArgvStep(s: RestoreStep): void {
  if (!Array.isArray(s.argv)) throw new Error(`step ${s.id} is not an argv step`);
  try {
    execFileSync(s.argv[0], s.argv.slice(1), { input: s.stdin ?? '', stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (err) {
    const status = (err as { status?: number }).status ?? -1;
    if (!(s.okExitCodes ?? [0]).includes(status)) throw err;
  }
}

export interface SfdiskTable {
  label: string;
  id: string;
  partitions: Array<{ node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }>;
}

export function readTable(device: string): SfdiskTable {
  return JSON.parse(execFileSync('sfdisk', ['--json', device], { encoding: 'utf8' })).partitiontable;
}
