/**
 * A throw-away NFSv4 server on 127.0.0.1:2049 exporting one folder read-only, for the
 * rescue system's `lifeboat.set=nfs:SERVER:/PATH` path. qemu's user network shows the
 * host as 10.0.2.2, so the guest mounts 10.0.2.2:<pseudo>/….
 *
 * The host kernel has no NFS server, so this is NFS-Ganesha (user space) with its VFS
 * backend. NFSv4 alone needs no rpcbind; the grace period is off so the first OPEN after
 * start is served at once; qemu's user network reaches it from a high host port, which
 * the export allows (PrivilegedPort = false). 2049 is fixed because
 * `lifeboat.set=nfs:` carries no mount options, so the guest's mount.nfs uses the default port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { lockPort, portHeldByTests } from './port-lock';

export const NFS_PORT = 2049;
const GANESHA = '/usr/bin/ganesha.nfsd';
const VFS_FSAL = ['/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so', '/usr/lib64/ganesha/libfsalvfs.so', '/usr/lib/ganesha/libfsalvfs.so'];

export const hasGanesha = () => existsSync(GANESHA) && VFS_FSAL.some((p) => existsSync(p));
export const ganeshaSkipReason = 'needs NFS-Ganesha with its VFS backend (apt-get install nfs-ganesha nfs-ganesha-vfs)';

/** Whether something that is not one of our test servers listens on 127.0.0.1:2049 (then
 *  the test cannot run its own; another test file's server is waited for instead). */
export async function nfsPortTaken(): Promise<boolean> {
  return !portHeldByTests(NFS_PORT) && (await nfsPortBusy());
}

/** Whether something listens on 127.0.0.1:2049. */
export function nfsPortBusy(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: NFS_PORT });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export class NfsServer {
  private child?: ChildProcess;
  private release?: () => void;
  readonly log: string;

  /**
   * @param dir scratch folder for the config, log and recovery state
   * @param path the host folder to export
   * @param pseudo where NFSv4 clients see it (`SERVER:<pseudo>`)
   * @param access RO for the rescue system's reads; RW for backups onto the export
   */
  constructor(
    private readonly dir: string,
    readonly path: string,
    readonly pseudo = '/sets',
    readonly access: 'RO' | 'RW' = 'RO',
  ) {
    this.log = join(dir, 'ganesha.log');
  }

  async start(): Promise<void> {
    // the port is the standard one: one test server at a time across the test workers
    this.release = await lockPort(NFS_PORT);
    const state = join(this.dir, 'recovery');
    mkdirSync(state, { recursive: true });
    const conf = join(this.dir, 'ganesha.conf');
    writeFileSync(
      conf,
      [
        'NFS_CORE_PARAM {',
        '  Protocols = 4;',
        `  NFS_Port = ${NFS_PORT};`,
        '  Bind_addr = 127.0.0.1;',
        // v3's helpers (NLM, rquota, UDP listeners) would want rpcbind; v4 needs none of them.
        '  Enable_NLM = false;',
        '  Enable_RQUOTA = false;',
        '  Enable_UDP = false;',
        '}',
        'NFSV4 {',
        '  Graceless = true;',
        '  RecoveryBackend = fs;',
        `  RecoveryRoot = "${state}";`,
        '}',
        'EXPORT {',
        '  Export_Id = 1;',
        `  Path = "${this.path}";`,
        `  Pseudo = "${this.pseudo}";`,
        `  Access_Type = ${this.access};`,
        // The set's files are root's and may be unreadable to others (0600 parts).
        '  Squash = No_Root_Squash;',
        '  SecType = sys;',
        '  Protocols = 4;',
        '  Transports = TCP;',
        '  PrivilegedPort = false;',
        '  FSAL { Name = VFS; }',
        '}',
        '',
      ].join('\n'),
    );
    this.child = spawn(GANESHA, ['-F', '-f', conf, '-L', this.log, '-p', join(this.dir, 'ganesha.pid')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (this.child.exitCode !== null) break;
      if (await nfsPortBusy()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`ganesha.nfsd did not start listening on 127.0.0.1:${NFS_PORT}; its log:\n${this.tail()}`);
  }

  /** The end of the server's log, for a failure message. */
  tail(chars = 3000): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').slice(-chars) : '(no log)';
  }

  /** Stops the server (SIGTERM: it unexports and exits; SIGKILL if it lingers). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.release?.();
    this.release = undefined;
  }
}
