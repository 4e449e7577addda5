/**
 * `--smb-credentials FILE`: a mount.cifs-style credentials file, read by the CLI and
 * handed to the engine in memory (the engine writes its own private copy for the mount).
 * A file other users can read is refused: it would already have leaked the password.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { parseCredentialsText, type SmbCredentials } from '../../../shared/net-dest';

export function readCredentialsFile(file: string): SmbCredentials {
  const path = resolve(file);
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LifeboatError('net-credentials-invalid', { path, reason: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
  if (mode & 0o077) throw new LifeboatError('net-credentials-insecure', { path });
  const r = parseCredentialsText(text);
  if (!r.ok) throw new LifeboatError('net-credentials-invalid', { path, reason: r.reason });
  return r.credentials;
}
