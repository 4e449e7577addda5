/**
 * A backup onto an NFS export or an SMB share: mounted for the job into a private mount
 * point (a 0700 folder with a random name under /run/lifeboat), unmounted and removed
 * afterwards whatever happened — success, failure or cancel.
 *
 * SMB credentials go to mount.cifs through a credentials file (0600, in a 0700 folder of
 * its own), removed right after the mount, also when it fails: the password is never
 * in an argv (which `ps` shows to every user), a log line, an event, an error or a
 * manifest. Errors built from a mount helper's stderr are redacted all the same.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { LifeboatError, type ErrorCode, type ErrorParams } from '../../../shared/errors';
import { netDestText, type NetDest, type SmbCredentials } from '../../../shared/net-dest';
import { run, ToolError } from '../run';

export const RUN_DIR = '/run/lifeboat';

/** The mount helpers, and the Debian package that brings each (named in the refusal). */
export const MOUNT_HELPERS = {
  nfs: { tool: 'mount.nfs', package: 'nfs-common', type: 'NFS' },
  smb: { tool: 'mount.cifs', package: 'cifs-utils', type: 'SMB/CIFS' },
} as const;

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

/** Where `mount -t TYPE` finds its helper (mount looks in /sbin; the PATH is searched too). */
export function findMountHelper(tool: string, dirs = [...SBIN, ...(process.env.PATH ?? '').split(':').filter(Boolean)]): string | null {
  for (const d of dirs) if (existsSync(join(d, tool))) return join(d, tool);
  return null;
}

/**
 * One mount, by its helper run directly (`mount -t nfs4` would be `mount.nfs4`, which a
 * rescue system or a busybox `mount` may not have under that name): argv without secrets.
 * `-n`: the kernel's /proc/mounts is the record; a rescue system has no /etc/mtab to update.
 */
export interface MountAttempt {
  fsType: 'nfs4' | 'nfs' | 'cifs';
  tool: 'mount.nfs' | 'mount.cifs';
  /** the remote source as mount takes it (SERVER:/PATH or //SERVER/SHARE) */
  source: string;
  /** the folder under the mount point the set goes into ('' for the mount's root) */
  sub: string;
  argv: string[];
}

/**
 * NFS: version 4 first (`vers=4`, what `mount -t nfs4` asks: one TCP port, no rpcbind,
 * what current servers speak), then plain `nfs` (mount.nfs negotiates v4 then v3; `nolock`: no statd in a rescue system,
 * and the set has one writer). `retry=0`: a foreground NFS mount otherwise retries for
 * two minutes before it fails. The export itself first; when it is not found, its
 * parent, with the last segment as a new folder in it — so `nfs:SERVER:/sets/tonight`
 * works with /sets exported and tonight not made yet.
 */
export function nfsAttempts(d: Extract<NetDest, { kind: 'nfs' }>, mountpoint: string): MountAttempt[][] {
  const sources: { path: string; sub: string }[] = [{ path: d.path, sub: '' }];
  if (d.path !== '/') sources.push({ path: posix.dirname(d.path), sub: posix.basename(d.path) });
  return sources.map((s) =>
    (['nfs4', 'nfs'] as const).map((fsType) => ({
      fsType,
      source: `${d.server}:${s.path}`,
      sub: s.sub,
      tool: 'mount.nfs' as const,
      argv: [`${d.server}:${s.path}`, mountpoint, '-n', '-o', fsType === 'nfs4' ? 'vers=4,rw,retry=0' : 'rw,nolock,retry=0'],
    })),
  );
}

/**
 * SMB: the credentials file carries user, password and domain; files belong to root and
 * stay private on the client side (the share's own permissions still apply on the server).
 */
export function cifsAttempt(d: Extract<NetDest, { kind: 'smb' }>, mountpoint: string, credentialsFile: string): MountAttempt {
  const source = `//${d.server}/${d.share}`;
  return { fsType: 'cifs', tool: 'mount.cifs', source, sub: d.path, argv: [source, mountpoint, '-n', '-o', `credentials=${credentialsFile},uid=0,gid=0,file_mode=0600,dir_mode=0700`] };
}

/** `secret` replaced wherever it appears (a helper's stderr, a message). */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

const UNREACHABLE = /connection refused|no route to host|network is unreachable|timed out|host is down|failed to resolve|could not resolve|name or service not known|unable to find suitable address|mount error\((101|110|111|112|113|115)\)/i;
const NOT_FOUND = /no such file or directory|does not exist|access denied by server|mount error\((2|6)\)|bad network path/i;
const NO_FS = /unknown filesystem type|filesystem not supported|no such device|mount error\(19\)/i;

/**
 * What a failed mount means, from the helper's (C-locale) stderr: mount.cifs prints
 * `mount error(N)` with the kernel's errno (13: the server refused the credentials; 2:
 * no such share), mount.nfs the errno's text.
 */
export function classifyMountFailure(d: NetDest, attempt: Pick<MountAttempt, 'fsType' | 'source'>, stderr: string): { code: ErrorCode; params: ErrorParams } {
  const text = stderr.trim();
  const detail = text.split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 400);
  const share = d.kind === 'nfs' ? d.path : d.share;
  const type = MOUNT_HELPERS[d.kind].type;
  if (NO_FS.test(text) && !/mount error\((2|6)\)/.test(text)) return { code: 'net-fs-unsupported', params: { type, detail } };
  if (/mount error\(13\)|permission denied/i.test(text) && d.kind === 'smb') return { code: 'net-auth-refused', params: { server: d.server, share } };
  if (/helper program|mount\.(nfs|cifs)[^ ]*: not found/i.test(text)) return { code: 'net-tools-missing', params: { ...MOUNT_HELPERS[d.kind] } };
  if (UNREACHABLE.test(text)) return { code: 'net-unreachable', params: { server: d.server, detail } };
  if (NOT_FOUND.test(text)) return { code: 'net-share-missing', params: { server: d.server, share } };
  return { code: 'net-mount-failed', params: { dest: netDestText(d), detail: `${attempt.fsType} ${attempt.source}: ${detail}` } };
}

/** A private folder (0700) with a random name under `runDir` (itself 0700, made when missing). */
export function privateDir(runDir: string, prefix: string): string {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const dir = join(runDir, `${prefix}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  // mkdir's mode passes through the umask; the intent is exactly 0700
  chmodSync(dir, 0o700);
  return dir;
}

/** Writes mount.cifs's credentials file (0600 in a 0700 folder); `remove` deletes both. */
export function writeCredentialsFile(runDir: string, c: SmbCredentials): { file: string; remove(): void } {
  const dir = privateDir(runDir, 'cred');
  const file = join(dir, 'credentials');
  const lines = [`username=${c.username}`, `password=${c.password}`, ...(c.domain ? [`domain=${c.domain}`] : [])];
  // the mode is given at creation: the password is never readable by anyone else, not even briefly
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  return {
    file,
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MountedNetDest {
  /** where the set goes: the mount point, or a folder under it */
  dir: string;
  mountpoint: string;
  /** the destination as text, without credentials (for logs and results) */
  text: string;
  /** unmounts and removes the mount point (idempotent) */
  release(): Promise<void>;
}

export interface MountOptions {
  credentials?: SmbCredentials;
  runDir?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** for tests: the folders searched for mount helpers (default: the sbin folders and PATH) */
  helperDirs?: string[];
}

async function tryMount(tool: string, argv: string[], signal: AbortSignal | undefined): Promise<string | null> {
  try {
    // mount.nfs's own timeouts are long; 90 s is past any answer a live server gives
    await run(tool, argv, { signal, timeoutMs: 90_000 });
    return null;
  } catch (err) {
    if (err instanceof ToolError) return err.stderr || `exit ${err.exitCode}`;
    throw err;
  }
}

/** Whether something is mounted on `dir` (the kernel's table; our mount points have plain names). */
export function isMountPoint(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

/** Unmounts (retrying a busy mount, then lazily) and removes the mount point. */
async function unmount(mountpoint: string, log: (l: string) => void): Promise<void> {
  let left: string | null = null;
  for (let i = 0; i < 5 && isMountPoint(mountpoint); i++) {
    try {
      await run('umount', [mountpoint], { timeoutMs: 60_000 });
      left = null;
    } catch (e) {
      left = e instanceof ToolError ? e.stderr.trim() : String(e);
      await new Promise((r) => setTimeout(r, 300 * (i + 1)));
    }
  }
  if (!isMountPoint(mountpoint)) left = null;
  if (left) {
    log(`umount ${mountpoint}: ${left}; detaching it lazily`);
    await run('umount', ['-l', mountpoint], { timeoutMs: 60_000 }).catch((e: unknown) => log(`umount -l ${mountpoint}: ${String(e)}`));
  }
  // rmdir, never rm -r: should the mount linger, the share's files are not touched
  try {
    rmdirSync(mountpoint);
  } catch (e) {
    log(`could not remove the mount point ${mountpoint}: ${(e as Error).message}`);
  }
}

/** Mounts a network destination for a backup; refuses with a specific code when it cannot. */
export async function mountNetDest(d: NetDest, opts: MountOptions = {}): Promise<MountedNetDest> {
  const log = opts.log ?? (() => {});
  const runDir = opts.runDir ?? RUN_DIR;
  const helper = MOUNT_HELPERS[d.kind];
  const tool = findMountHelper(helper.tool, opts.helperDirs);
  if (!tool) throw new LifeboatError('net-tools-missing', { ...helper });
  if (d.kind === 'smb' && !opts.credentials) throw new LifeboatError('net-credentials-needed');
  const secret = d.kind === 'smb' ? opts.credentials!.password : undefined;
  const text = netDestText(d);
  const mountpoint = privateDir(runDir, 'net');
  let mounted: MountAttempt | null = null;
  let failure: { code: ErrorCode; params: ErrorParams } | null = null;
  try {
    if (d.kind === 'smb') {
      const cred = writeCredentialsFile(runDir, opts.credentials!);
      try {
        const a = cifsAttempt(d, mountpoint, cred.file);
        log(`${a.tool} ${a.argv.join(' ')}`);
        const err = await tryMount(tool, a.argv, opts.signal);
        if (err === null) mounted = a;
        else failure = classifyMountFailure(d, a, redact(err, secret));
      } finally {
        cred.remove();
      }
    } else {
      outer: for (const group of nfsAttempts(d, mountpoint)) {
        for (const a of group) {
          log(`${a.tool} ${a.argv.join(' ')}`);
          const err = await tryMount(tool, a.argv, opts.signal);
          if (err === null) {
            mounted = a;
            break outer;
          }
          const f = classifyMountFailure(d, a, err);
          log(`${a.fsType} ${a.source}: ${f.code}: ${err.trim()}`);
          // the export's own answer wins over its parent's, which was only a second chance
          if (!failure || (failure.code === 'net-mount-failed' && f.code !== 'net-share-missing')) failure = f;
          // no other type or path changes these
          if (['net-unreachable', 'net-fs-unsupported', 'net-tools-missing'].includes(f.code)) break outer;
        }
      }
    }
    if (!mounted) {
      const f = failure!;
      const params = Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, typeof v === 'string' ? redact(v, secret) : v]));
      throw new LifeboatError(f.code, params);
    }
  } catch (err) {
    // a cancel may land just as the kernel finished mounting: look, rather than assume
    await unmount(mountpoint, log);
    throw err;
  }
  log(`mounted ${text} (${mounted.fsType} ${mounted.source}) on ${mountpoint}`);
  let released = false;
  return {
    dir: mounted.sub ? join(mountpoint, mounted.sub) : mountpoint,
    mountpoint,
    text,
    async release() {
      if (released) return;
      released = true;
      await unmount(mountpoint, log);
      log(`unmounted ${text}`);
    },
  };
}

/**
 * Error params with paths under the mount point given back as the network destination:
 * the mount point means nothing to the user, and is gone once the job ends.
 */
export function shownParams(m: Pick<MountedNetDest, 'dir' | 'mountpoint' | 'text'>, params: ErrorParams): ErrorParams {
  const shown = (v: string) => (v === m.dir ? m.text : v.startsWith(m.dir + '/') ? m.text + v.slice(m.dir.length) : v.startsWith(m.mountpoint) ? m.text : v);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? shown(v) : v]));
}

/** Runs `fn` with the destination mounted, and always unmounts (success, failure, cancel). */
export async function withNetDest<T>(d: NetDest, opts: MountOptions, fn: (dir: string, mounted: MountedNetDest) => Promise<T>): Promise<T> {
  const m = await mountNetDest(d, opts);
  try {
    return await fn(m.dir, m);
  } catch (err) {
    if (err instanceof LifeboatError && Object.values(err.params).some((v) => typeof v === 'string' && v.startsWith(m.mountpoint))) {
      throw new LifeboatError(err.code, shownParams(m, err.params), undefined, { cause: err });
    }
    throw err;
  } finally {
    await m.release();
  }
}
