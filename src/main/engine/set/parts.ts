/**
 * Proves the parts an operation is about to read are whole (size, then sha256) before
 * any tool sees them: a damaged part is named and refused before anything is written.
 *
 * A part proven in this process is remembered by (path, size, mtime, expected hash), so
 * compare or a file restore right after a listing does not hash gigabytes twice.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Part } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { throwIfCancelled, type JobContext } from '../job';
import { hashFile } from './verify';

const proven = new Set<string>();

export async function checkParts(setDir: string, parts: Part[], ctx: JobContext): Promise<void> {
  // sizes first: a truncated or missing part is named without reading anything
  const stats = parts.map((p) => {
    const file = join(setDir, p.name);
    if (!existsSync(file)) throw new LifeboatError('set-part-missing', { part: p.name });
    const st = statSync(file);
    if (st.size !== p.size) throw new LifeboatError('set-part-size', { part: p.name, actual: st.size, expected: p.size });
    return { p, file, key: `${file}\0${st.size}\0${st.mtimeMs}\0${p.sha256}` };
  });
  const total = parts.reduce((s, p) => s + p.size, 0);
  let bytes = 0;
  for (const { p, file, key } of stats) {
    throwIfCancelled(ctx.signal);
    if (!proven.has(key)) {
      const digest = await hashFile(file, ctx.signal, undefined, (n) => {
        bytes += n;
        ctx.progress({ phase: 'set.check', bytes, total, speed: null, eta: null, detail: p.name });
      });
      if (digest !== p.sha256) throw new LifeboatError('set-part-corrupt', { part: p.name });
      proven.add(key);
    } else bytes += p.size;
  }
}
