/**
 * Network destinations of a backup: an NFS export or an SMB share, named with the same
 * grammar as the rescue system's `lifeboat.set=` (README, "The rescue system"):
 *
 *   nfs:SERVER:/PATH              the export SERVER:/PATH (or, when PATH is not itself
 *                                 mountable, a new folder in its parent export)
 *   cifs://SERVER/SHARE[/PATH]    the share //SERVER/SHARE, the set in PATH under it
 *
 * Shared by the CLI, the helper and the wizard, so they read a destination alike. The
 * password never appears here: a destination text and a `NetDest` carry no secret, and
 * may be logged, saved in a profile and written into a manifest.
 */
import { z } from 'zod';

export type NetDest = { kind: 'nfs'; server: string; path: string } | { kind: 'smb'; server: string; share: string; path: string };

/** What mount.cifs reads from its credentials file; travels only in the helper request. */
export interface SmbCredentials {
  username: string;
  password: string;
  domain?: string;
}

// A host name, an IPv4 address or a bracketed IPv6 one: what both mount helpers take.
const SERVER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})|\[[0-9A-Fa-f:.]+\])$/;
// Control characters would break the credentials file (one `key=value` per line) or a log line.
const CONTROL = /[\u0000-\u001f\u007f]/;

export const netServerSchema = z.string().regex(SERVER, 'not a host name or address');
/** A folder under the export or share: relative segments, none of them `.` or `..`. */
const subPath = z
  .string()
  .max(4096)
  .refine((p) => !CONTROL.test(p) && p.split('/').every((s) => s !== '.' && s !== '..'), 'no "." or ".." segments, no control characters');
const credentialText = (max: number) => z.string().max(max).refine((s) => !CONTROL.test(s), 'no control characters');

export const smbCredentialsSchema = z
  .object({ username: credentialText(256).pipe(z.string().min(1)), password: credentialText(1024), domain: credentialText(256).optional() })
  .strict();

/** Where a backup goes, as the helper request names it: a folder, an NFS export or an SMB share with its credentials. */
export const backupDestinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path: z.string().min(1).max(4096) }).strict(),
  z.object({ kind: z.literal('nfs'), server: netServerSchema, path: subPath.refine((p) => p.startsWith('/'), 'an absolute path') }).strict(),
  z
    .object({
      kind: z.literal('smb'),
      server: netServerSchema,
      share: z.string().min(1).max(80).refine((s) => !CONTROL.test(s) && !s.includes('/') && !s.includes('\\'), 'one share name'),
      path: subPath,
      username: smbCredentialsSchema.shape.username,
      password: smbCredentialsSchema.shape.password,
      domain: smbCredentialsSchema.shape.domain,
    })
    .strict(),
]);
export type BackupDestination = z.output<typeof backupDestinationSchema>;

/** Why a text that looks like a network destination is not one (the CLI's refusal names it). */
export class NetDestSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`${text}: ${reason}`);
  }
}

const trimSlashes = (p: string) => p.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');

/** True when the text uses the network grammar (then `parseNetDest` must accept it or say why). */
export function looksLikeNetDest(text: string): boolean {
  return text.startsWith('nfs:') || text.startsWith('cifs://');
}

/**
 * The network destination a text names, or null for a plain folder. Throws
 * NetDestSyntaxError for a text in the network grammar that is malformed.
 */
export function parseNetDest(text: string): NetDest | null {
  if (!looksLikeNetDest(text)) return null;
  const bad = (reason: string): never => {
    throw new NetDestSyntaxError(text, reason);
  };
  if (CONTROL.test(text)) bad('control characters');
  if (text.startsWith('nfs:')) {
    const m = /^nfs:(\[[^\]]*\]|[^:/]*):(.*)$/.exec(text) ?? bad('expected nfs:SERVER:/PATH');
    const [, server, path] = m;
    if (!SERVER.test(server)) bad('expected nfs:SERVER:/PATH (no server)');
    if (!path.startsWith('/')) bad('the export path must start with /');
    const norm = '/' + trimSlashes(path);
    if (!subPath.safeParse(norm).success) bad('no "." or ".." in the path');
    return { kind: 'nfs', server, path: norm };
  }
  const rest = text.slice('cifs://'.length);
  if (rest.includes('@')) bad('no user name in the address: give credentials separately');
  const [server, share, ...sub] = rest.split('/');
  if (!SERVER.test(server ?? '')) bad('expected cifs://SERVER/SHARE[/PATH] (no server)');
  if (!share) bad('expected cifs://SERVER/SHARE[/PATH] (no share)');
  const path = trimSlashes(sub.join('/'));
  if (!subPath.safeParse(path).success) bad('no "." or ".." in the path');
  return { kind: 'smb', server, share, path };
}

/** A network destination's text, as a request's `dest` may hold it. */
export const netDestTextSchema = z
  .string()
  .max(4200)
  .refine((t) => {
    try {
      return parseNetDest(t) !== null;
    } catch {
      return false;
    }
  }, 'not nfs:SERVER:/PATH or cifs://SERVER/SHARE[/PATH]');

/** The destination as text, in the grammar above; never any credential. */
export function netDestText(d: NetDest): string {
  if (d.kind === 'nfs') return `nfs:${d.server}:${d.path}`;
  return `cifs://${d.server}/${d.share}${d.path ? '/' + d.path : ''}`;
}

/** The request's destination as the CLI's `--dest` text (a folder's path, or the network grammar). */
export function destinationText(d: BackupDestination): string {
  return d.kind === 'folder' ? d.path : netDestText(d.kind === 'nfs' ? { kind: 'nfs', server: d.server, path: d.path } : { kind: 'smb', server: d.server, share: d.share, path: d.path });
}

/**
 * A mount.cifs-style credentials file (`username=`, `password=`, `domain=`; mount.cifs's
 * short forms `user=`, `pass=`, `dom=` too) as credentials; null names what is wrong.
 */
export function parseCredentialsText(text: string): { ok: true; credentials: SmbCredentials } | { ok: false; reason: string } {
  const out: Partial<SmbCredentials> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || /^\s*#/.test(line)) continue;
    const eq = line.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'a line without "="' };
    const key = line.slice(0, eq).trim().toLowerCase();
    // the value is kept as written: a password may begin or end with spaces
    const value = line.slice(eq + 1);
    if (key === 'username' || key === 'user') out.username = value.trim();
    else if (key === 'password' || key === 'pass') out.password = value;
    else if (key === 'domain' || key === 'dom') out.domain = value.trim();
    else return { ok: false, reason: `unknown key "${key}"` };
  }
  if (!out.username) return { ok: false, reason: 'no username=' };
  const r = smbCredentialsSchema.safeParse({ username: out.username, password: out.password ?? '', ...(out.domain ? { domain: out.domain } : {}) });
  if (!r.success) return { ok: false, reason: r.error.issues[0]?.message ?? 'invalid' };
  return { ok: true, credentials: r.data };
}
