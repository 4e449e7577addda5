/**
 * A throw-away Samba server on 127.0.0.1:445 sharing one folder to guests, for the
 * rescue system's `lifeboat.set=cifs://…` path. qemu's user network shows the host as
 * 10.0.2.2, so the guest reaches it at //10.0.2.2/sets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export const hasSmbd = () => existsSync('/usr/sbin/smbd');

/** Whether something already listens on 127.0.0.1:445 (then the test cannot run its own). */
export function port445Busy(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: 445 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export class SmbServer {
  private child?: ChildProcess;

  constructor(
    private readonly dir: string,
    readonly share: string,
  ) {}

  async start(): Promise<void> {
    const state = join(this.dir, 'state');
    mkdirSync(join(state, 'ncalrpc'), { recursive: true });
    const conf = join(this.dir, 'smb.conf');
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
        '[sets]',
        `path = ${this.share}`,
        'guest ok = yes',
        'read only = yes',
        'force user = root',
        '',
      ].join('\n'),
    );
    // Its own process group: smbd signals its whole group when it stops, which must not
    // reach the test runner.
    this.child = spawn('/usr/sbin/smbd', ['--foreground', '--no-process-group', '-s', conf], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 50; i++) {
      if (await port445Busy()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('smbd did not start listening on 127.0.0.1:445');
  }

  stop(): void {
    if (this.child?.pid && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
}
