/**
 * A minimal backup set for media tests: manifest, one archive part, SHA256SUMS over both.
 *
 * It is not restorable (the restore engine does not exist yet); media only need a set
 * that passes verification and that the rescue system can find.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export function makeFakeSet(dir: string): void {
  mkdirSync(join(dir, 'archives'), { recursive: true });
  const files: Record<string, string> = {
    'lifeboat.json': JSON.stringify({ format: 1, host: 'test', filesystems: [] }),
    'archives/root.tar.zst.000': 'not really an archive, but bytes with a checksum',
  };
  let sums = '';
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(dir, name), body);
    sums += `${createHash('sha256').update(body).digest('hex')}  ${name}\n`;
  }
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
}
