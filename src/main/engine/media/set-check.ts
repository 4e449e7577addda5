/**
 * Checks a backup set before media are built from it: media are never made from a
 * broken set.
 *
 * Until the backup engine's own verification lands, this reads the set's `SHA256SUMS`
 * and checks every file it lists (present, and same digest), and that `lifeboat.json`
 * parses and is itself listed.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, normalize, isAbsolute } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { throwIfCancelled } from '../job';

export interface SetCheck {
  files: number;
  bytes: number;
}

async function sha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Verifies `dir` as a backup set; throws set-invalid, set-part-missing or set-part-corrupt. */
export async function checkSet(dir: string, signal?: AbortSignal, onFile?: (name: string, bytes: number) => void): Promise<SetCheck> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LifeboatError('set-invalid', { path: dir, detail: 'not a folder' });
  const manifest = join(dir, 'lifeboat.json');
  if (!existsSync(manifest)) throw new LifeboatError('set-invalid', { path: dir, detail: 'lifeboat.json is missing' });
  let parsed: { kind?: { type?: string; base?: string } };
  try {
    parsed = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (err) {
    throw new LifeboatError('set-invalid', { path: dir, detail: `lifeboat.json: ${(err as Error).message}` });
  }
  // media carry one set: an incremental one without its bases restores nothing whole (its
  // restore.sh looks for them beside it and stops before erasing anything)
  if (parsed.kind?.type === 'incremental') throw new LifeboatError('media-set-incremental', { path: dir, base: String(parsed.kind.base ?? '') });
  const sums = join(dir, 'SHA256SUMS');
  if (!existsSync(sums)) throw new LifeboatError('set-invalid', { path: dir, detail: 'SHA256SUMS is missing' });
  const lines = readFileSync(sums, 'utf8').split('\n').filter((l) => l.trim());
  let bytes = 0;
  let listsManifest = false;
  for (const line of lines) {
    const m = line.match(/^([0-9a-f]{64}) [ *](.+)$/i);
    if (!m) throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS: unreadable line “${line.slice(0, 80)}”` });
    const name = m[2];
    const rel = normalize(name);
    if (isAbsolute(rel) || rel.startsWith('..')) throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS names a file outside the set: ${name}` });
    if (rel === 'lifeboat.json') listsManifest = true;
    const file = join(dir, rel);
    if (!existsSync(file)) throw new LifeboatError('set-part-missing', { part: name });
    throwIfCancelled(signal ?? new AbortController().signal);
    if ((await sha256(file, signal)) !== m[1].toLowerCase()) throw new LifeboatError('set-part-corrupt', { part: name });
    const size = statSync(file).size;
    bytes += size;
    onFile?.(name, size);
  }
  if (!listsManifest) throw new LifeboatError('set-invalid', { path: dir, detail: 'SHA256SUMS does not cover lifeboat.json' });
  return { files: lines.length, bytes };
}
