/**
 * One test server per fixed port across vitest's workers. The NFS (2049) and SMB (445)
 * test servers must listen on their standard ports (the rescue's `lifeboat.set=` carries
 * no port), and test files run two at a time: without this, a second file either saw the
 * port busy and skipped, or — worse — took the other file's server for its own.
 *
 * A lock is a folder made with mkdir (atomic) holding the owner's pid; a lock whose owner
 * is gone (a killed run) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const lockDir = (port: number) => `/tmp/lifeboat-test-port-${port}.lock`;

function ownerAlive(port: number): boolean {
  try {
    const pid = Number(readFileSync(`${lockDir(port)}/pid`, 'utf8'));
    if (!pid) return true; // being written: count it as held
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // no pid file: its owner is between mkdir and write (held), or died there long ago
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        return Date.now() - statSync(lockDir(port)).mtimeMs < 10_000;
      } catch {
        return false;
      }
    }
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether another test process of ours holds the port (then wait for it, do not skip). */
export function portHeldByTests(port: number): boolean {
  try {
    readFileSync(`${lockDir(port)}/pid`);
  } catch {
    return false;
  }
  return ownerAlive(port);
}

/** Waits until this process holds the port's lock; returns the release. */
export async function lockPort(port: number, timeoutMs = 280_000): Promise<() => void> {
  const dir = lockDir(port);
  const deadline = Date.now() + timeoutMs;
  for (let staleChecks = 0; ; ) {
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/pid`, String(process.pid));
      return () => {
        try {
          if (readFileSync(`${dir}/pid`, 'utf8') === String(process.pid)) rmSync(dir, { recursive: true, force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // an owner that died leaves its lock: take it over (after two looks, so one that is
    // just writing its pid is not mistaken for a dead one)
    if (!ownerAlive(port) && ++staleChecks >= 2) {
      rmSync(dir, { recursive: true, force: true });
      staleChecks = 0;
      continue;
    }
    if (Date.now() > deadline) throw new Error(`port ${port} still held by another test after ${timeoutMs / 1000} s (lock ${dir})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
