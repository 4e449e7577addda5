/**
 * A throw-away Samba server on 127.0.0.1:445 sharing one folder to guests, for the
 * rescue system's `lifeboat.set=cifs://…` path. qemu's user network shows the host as
 * 10.0.2.2, so the guest reaches it at //10.0.2.2/sets.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { lockPort, portHeldByTests } from './port-lock';

export const hasSmbd = () => existsSync('/usr/sbin/smbd');

/** Whether something that is not one of our test servers listens on 127.0.0.1:445 (then
 *  the test cannot run its own; another test file's server is waited for instead). */
export async function port445Taken(): Promise<boolean> {
  return !portHeldByTests(445) && (await port445Busy());
}

/** Whether something listens on 127.0.0.1:445. */
export function port445Busy(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: 445 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export class SmbServer {
  private child?: ChildProcess;
  private release?: () => void;

  /**
   * @param user when given, the share is writable and only for this user (mapped to root on
   *   the server, the passwords in a private tdbsam): a backup's destination; else read-only for guests
   */
  constructor(
    private readonly dir: string,
    readonly share: string,
    readonly user?: { name: string; password: string },
  ) {}

  async start(): Promise<void> {
    // the port is the standard one: one test server at a time across the test workers
    this.release = await lockPort(445);
    const state = join(this.dir, 'state');
    mkdirSync(join(state, 'ncalrpc'), { recursive: true });
    const conf = join(this.dir, 'smb.conf');
    const u = this.user;
    if (u) writeFileSync(join(state, 'users.map'), `root = ${u.name}\n`);
    writeFileSync(
      conf,
      [
        '[global]',
        'server role = standalone server',
        'map to guest = Bad User',
        'guest account = nobody',
        'interfaces = 127.0.0.1',
        'bind interfaces only = yes',
        'smb ports = 445',
        'disable netbios = yes',
        'server min protocol = SMB2',
        ...['pid directory', 'lock directory', 'state directory', 'cache directory', 'private dir'].map((k) => `${k} = ${state}`),
        `ncalrpc dir = ${state}/ncalrpc`,
        `log file = ${state}/log`,
        ...(u ? [`passdb backend = tdbsam:${state}/passdb.tdb`, `username map = ${state}/users.map`] : []),
        '[sets]',
        `path = ${this.share}`,
        ...(u ? ['guest ok = no', 'read only = no', 'valid users = root'] : ['guest ok = yes', 'read only = yes']),
        'force user = root',
        '',
      ].join('\n'),
    );
    // the server's Unix account is root (mapped from the user's name); its SMB password lives in the private passdb
    if (u) execFileSync('smbpasswd', ['-c', conf, '-s', '-a', 'root'], { input: `${u.password}\n${u.password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
    // Its own process group: smbd signals its whole group when it stops, which must not
    // reach the test runner.
    this.child = spawn('/usr/sbin/smbd', ['--foreground', '--no-process-group', '-s', conf], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 50; i++) {
      if (await port445Busy()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    this.stop();
    throw new Error('smbd did not start listening on 127.0.0.1:445');
  }

  /** Stops the server; the port is given up once smbd has exited (its listener closed). */
  stop(): void {
    const release = this.release;
    this.release = undefined;
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      child.once('exit', () => release?.());
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    } else release?.();
  }
}
