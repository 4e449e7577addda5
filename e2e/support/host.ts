/**
 * Starts the real browser host (`node dist/host.cjs`) for one test, the way a user
 * without a display server would, and reads the address it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The host prints its address (with the token) in the user's language; the URL is what matters.
const READY = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/;

export interface RunningHost {
  url: string;
  /** everything the host printed, for failure messages */
  output(): string;
  close(): Promise<void>;
}

export async function startHost(opts: { home: string; lang?: string }): Promise<RunningHost> {
  const config = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-config-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Loop devices stand in for USB sticks; only the host started for tests shows them.
    LIFEBOAT_SHOW_LOOP: '1',
    // A fresh settings store per test, so the language starts from the system's.
    XDG_CONFIG_HOME: config,
    // The file browser opens in the home folder, where the test puts its image.
    HOME: opts.home,
    LANG: opts.lang ?? 'en_US.UTF-8',
  };
  delete env.LC_ALL;
  delete env.LC_MESSAGES;
  delete env.LANGUAGE;
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist/host.cjs')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = READY.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(config, { recursive: true, force: true });
    },
  };
}
