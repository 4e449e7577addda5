/**
 * Crash safety: a set is built under a hidden partial name next to (or inside) its
 * destination and only takes its final name when complete. On failure the partial
 * folder — and nothing else — is removed, and the removal is logged.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { isSpaceError } from './part-writer';

/** Names that may sit in an "empty" destination: a fresh filesystem's lost+found. */
const IGNORABLE = new Set(['lost+found']);

/**
 * The partial folder, or a refusal naming the destination: a read-only mount or a folder
 * the user may not write is a choice to correct (exit 2), not an internal error.
 */
function makeDir(dir: string, dest: string, recursive = false): void {
  try {
    mkdirSync(dir, { recursive });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw new LifeboatError('dest-read-only', { path: dest, detail: code }, undefined, { cause: err });
    // a file where a folder of the path should be: name the file in the way
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new LifeboatError('dest-not-empty', { path: (err as NodeJS.ErrnoException).path ?? dest }, undefined, { cause: err });
    if (isSpaceError(err)) throw new LifeboatError('dest-full', { path: dest });
    throw err;
  }
}

export interface Partial {
  /** where the set is being written */
  dir: string;
  /** moves the set to its final place */
  commit(): void;
  /** removes what was written; returns the path removed */
  discard(): string;
}

export function preparePartial(dest: string, id: string): Partial {
  if (existsSync(dest)) {
    const st = lstatSync(dest);
    if (!st.isDirectory() || readdirSync(dest).some((e) => !IGNORABLE.has(e))) throw new LifeboatError('dest-not-empty', { path: dest });
    // an existing empty folder (often a mounted stick) is kept as it is: the set is
    // written inside it and moved up, lifeboat.json last, so it looks complete only when it is
    const dir = join(dest, `.lifeboat-partial-${id}`);
    makeDir(dir, dest);
    return {
      dir,
      commit() {
        const entries = readdirSync(dir).sort((a, b) => Number(a === 'lifeboat.json') - Number(b === 'lifeboat.json'));
        for (const e of entries) renameSync(join(dir, e), join(dest, e));
        rmdirSync(dir);
      },
      discard() {
        rmSync(dir, { recursive: true, force: true });
        return dir;
      },
    };
  }
  makeDir(dirname(dest), dest, true);
  const dir = join(dirname(dest), `.${basename(dest)}.lifeboat-partial-${id}`);
  makeDir(dir, dest);
  return {
    dir,
    commit() {
      // the destination may have appeared meanwhile; renaming onto it would fail or merge
      if (existsSync(dest)) throw new LifeboatError('dest-not-empty', { path: dest });
      renameSync(dir, dest);
    },
    discard() {
      rmSync(dir, { recursive: true, force: true });
      return dir;
    },
  };
}
