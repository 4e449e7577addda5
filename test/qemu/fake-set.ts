/**
 * A minimal backup set for media tests: a schema-valid manifest with no disk recorded,
 * one archive part, SHA256SUMS over both, and no restore.sh.
 *
 * Media only need a set that verifies and that the rescue system can find; the rescue
 * system refuses to restore it ("no restore plan"), which the unattended test relies on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BackupSetSchema } from '../../src/shared/backup-set';

const sha = (body: string) => createHash('sha256').update(body).digest('hex');

/** `id`, `created` and `partBytes` (the archive part's size) let a test make distinct sets. */
export function makeFakeSet(dir: string, opts: { id?: string; created?: string; partBytes?: number } = {}): void {
  mkdirSync(join(dir, 'archives'), { recursive: true });
  const text = 'not really an archive, but bytes with a checksum';
  const part = opts.partBytes ? text.repeat(Math.ceil(opts.partBytes / text.length)).slice(0, opts.partBytes) : text;
  const manifest = BackupSetSchema.parse({
    format: 1,
    id: opts.id ?? 'test-set',
    created: opts.created ?? new Date('2026-01-02T03:04:05Z').toISOString(),
    host: 'test',
    tool: { name: 'lifeboat', version: 'test' },
    kind: { type: 'full' },
    sourceRoot: '/',
    excludes: [],
    defaultExcludes: true,
    compression: { tool: 'zstd', level: 3, ext: 'zst' },
    split: 1 << 30,
    layout: { disks: [], filesystems: [], swap: [], lvm: null, md: [], crypt: [], boot: { firmware: 'bios' }, warnings: [] },
    archives: [
      { id: 'root', mountpoint: '/', device: '/dev/sda1', fsType: 'ext4', bytesIn: part.length, files: 1, tarFeatures: [], parts: [{ name: 'archives/root.tar.zst.000', size: part.length, sha256: sha(part) }] },
    ],
  });
  const files: Record<string, string> = {
    'lifeboat.json': JSON.stringify(manifest, null, 2) + '\n',
    'archives/root.tar.zst.000': part,
  };
  let sums = '';
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(dir, name), body);
    sums += `${sha(body)}  ${name}\n`;
  }
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
}
