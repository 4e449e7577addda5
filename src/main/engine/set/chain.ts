/**
 * An incremental set only holds what changed since its base, so reading "the system as
 * it was" means reading its chain: the base (and its own base…) first, this set last.
 * Bases are looked up by id among the set's sibling folders, which is where backup
 * puts successive sets; a missing base is refused by name rather than half-read.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Archive, BackupSet } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { readManifest } from './read';

export interface ChainLink {
  dir: string;
  manifest: BackupSet;
}

function findSibling(setDir: string, id: string): ChainLink | null {
  const parent = dirname(setDir);
  const found: ChainLink[] = [];
  for (const name of readdirSync(parent).sort()) {
    const dir = join(parent, name);
    if (dir === setDir || !existsSync(join(dir, 'lifeboat.json'))) continue;
    try {
      const manifest = readManifest(dir);
      if (manifest.id === id) found.push({ dir, manifest });
    } catch {
      /* an unrelated or damaged folder is not the base we look for */
    }
  }
  // two copies of the base: picking one silently could read the wrong (or damaged) copy
  if (found.length > 1) throw new LifeboatError('set-invalid', { path: setDir, detail: `its base set ${id} is found twice: ${found.map((f) => f.dir).join(', ')}` });
  return found[0] ?? null;
}

/** The set and its bases, base first. */
export function resolveChain(setDirArg: string): ChainLink[] {
  const setDir = resolve(setDirArg);
  const chain: ChainLink[] = [{ dir: setDir, manifest: readManifest(setDir) }];
  const seen = new Set([chain[0].manifest.id]);
  for (let head = chain[0]; head.manifest.kind.type === 'incremental'; head = chain[0]) {
    const baseId = head.manifest.kind.base;
    const base = seen.has(baseId) ? null : findSibling(head.dir, baseId);
    if (!base) throw new LifeboatError('set-invalid', { path: head.dir, detail: `its base set ${baseId} was not found next to it` });
    seen.add(baseId);
    chain.unshift(base);
  }
  return chain;
}

/** What an incremental set stands on, oldest first, as the restore compiler wants it (`bases`); [] for a full set. */
export function basesOf(setDir: string): Array<{ dir: string; set: BackupSet }> {
  return resolveChain(setDir)
    .slice(0, -1)
    .map((l) => ({ dir: l.dir, set: l.manifest }));
}

/**
 * A filesystem's archives along a chain of sets (`sets` oldest first, the last one holding
 * `head`), oldest first, each with its set's index. Walked back from the head as backup
 * chose each base archive (same mountpoint, the same filesystem UUID when both are known, a
 * snapshot to start from): where a set had none, the later archive was a full one and
 * nothing older belongs to this filesystem (a /home made anew between two sets).
 */
export function archiveChain(sets: BackupSet[], head: Archive): Array<{ index: number; archive: Archive }> {
  const out = [{ index: sets.length - 1, archive: head }];
  for (let k = sets.length - 2; k >= 0; k--) {
    const later = out[0].archive;
    const x = sets[k].archives.find((b) => b.kind !== 'raw' && b.mountpoint === later.mountpoint && b.snapshot && (!b.fsUuid || !later.fsUuid || b.fsUuid === later.fsUuid));
    if (!x) break;
    out.unshift({ index: k, archive: x });
  }
  return out;
}
