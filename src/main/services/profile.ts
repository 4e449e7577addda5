/**
 * Profile files, read and written for the wizard's Save / Load buttons and for the CLI's
 * `--profile`. Both go through here, so a file the app saved is one the CLI accepts, and
 * a bad file gets the same words everywhere.
 *
 * Runs as the user (no helper): a profile is the user's own file.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { parseProfile, profileFromRequest, type MediaMakeRequest, type Profile } from '../../shared/profile';

/** Profiles are small; a larger file is not one, and is not read whole into memory. */
const MAX_PROFILE_BYTES = 1024 * 1024;

export function readProfile(pathArg: string): Profile {
  const path = resolve(pathArg);
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_PROFILE_BYTES) throw new LifeboatError('profile-not-profile', { path });
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof LifeboatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LifeboatError('profile-missing', { path });
    // A folder, or a file the user may not read: not something we can take choices from.
    throw new LifeboatError('profile-not-profile', { path }, `${path}: ${code ?? String(err)}`);
  }
  const r = parseProfile(text);
  if (r.ok) return r.profile;
  const p = r.problem;
  if (p.kind === 'version') throw new LifeboatError('profile-version', { path, version: p.version });
  if (p.kind === 'invalid') throw new LifeboatError('profile-invalid', { path, field: p.field });
  throw new LifeboatError('profile-not-profile', { path });
}

/** Writes beside the target then renames, so a half-written profile never replaces a good one. */
export function writeProfile(pathArg: string, req: MediaMakeRequest): { path: string } {
  const path = resolve(pathArg);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, JSON.stringify(profileFromRequest(req), null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is the problem (not a folder, not writable): nothing was left in it
    }
    const e = err as NodeJS.ErrnoException;
    throw new LifeboatError('profile-write-failed', { path, reason: e.code ?? e.message });
  }
  return { path };
}
