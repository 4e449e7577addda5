/**
 * Reads a set's manifest and validates it; anything unreadable is `set-invalid`
 * with the reason, so the user learns what is wrong, not just that it is.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BackupSetSchema, type BackupSet } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';

export function readManifest(dir: string): BackupSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LifeboatError('set-invalid', { path: dir, detail: 'not a folder' });
  const file = join(dir, 'lifeboat.json');
  if (!existsSync(file)) throw new LifeboatError('set-invalid', { path: dir, detail: 'lifeboat.json is missing' });
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LifeboatError('set-invalid', { path: dir, detail: `lifeboat.json: ${(err as Error).message}` });
  }
  const parsed = BackupSetSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LifeboatError('set-invalid', { path: dir, detail: `lifeboat.json: ${issue.path.join('.') || '(root)'}: ${issue.message}` });
  }
  return parsed.data;
}
