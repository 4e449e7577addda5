/**
 * Re-checks a set's parts right before a restore writes anything: present, of the
 * recorded size, with the recorded sha256. A set verified last week may have been
 * damaged since (a failing USB disk); finding out after the target was wiped is too late.
 */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { LifeboatError } from '../../../shared/errors';

export interface PartRef {
  path: string;
  size: number;
  sha256: string;
}

/** The part's name as the user knows it: archives/root.tar.zst.000 */
const shown = (path: string) => `${basename(dirname(path))}/${basename(path)}`;

export async function verifyParts(parts: PartRef[], signal: AbortSignal, onBytes: (bytes: number) => void): Promise<void> {
  // sizes first: a missing or truncated part is found at once, before hours of hashing
  for (const p of parts) {
    let size: number;
    try {
      size = statSync(p.path).size;
    } catch {
      throw new LifeboatError('set-part-missing', { part: shown(p.path) });
    }
    if (size !== p.size) throw new LifeboatError('set-part-size', { part: shown(p.path), expected: p.size, actual: size });
  }
  for (const p of parts) {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(p.path, { highWaterMark: 1 << 20, signal })) {
        hash.update(chunk as Buffer);
        onBytes((chunk as Buffer).length);
      }
    } catch (err) {
      if (signal.aborted) throw new LifeboatError('cancelled');
      throw err;
    }
    if (hash.digest('hex') !== p.sha256) throw new LifeboatError('set-part-corrupt', { part: shown(p.path) });
  }
}
