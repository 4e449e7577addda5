/**
 * Real loop devices for integration tests: they stand in for USB sticks and disks.
 *
 * Only the loop devices a test created are detached; `partx -a` makes partition nodes
 * because there is no udev on these machines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, ftruncateSync, closeSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface LoopDevice {
  device: string;
  file: string;
  detach(): void;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Whether loop devices can be made here (root and losetup present). */
export function canUseLoop(): boolean {
  if (!isRoot) return false;
  try {
    execFileSync('losetup', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The reason printed when loop tests are skipped, so the output says why. */
export const loopSkipReason = 'needs root and losetup to create loop devices';

const scratch: string[] = [];

export function scratchDir(prefix = 'lifeboat-test-'): string {
  const d = mkdtempSync(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), prefix));
  scratch.push(d);
  return d;
}

export function cleanupScratch(): void {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Creates a sparse backing file of `size` bytes and attaches it as a loop device. */
export function makeLoop(size: number, opts: { dir?: string; readOnly?: boolean; file?: string } = {}): LoopDevice {
  const file = opts.file ?? join(opts.dir ?? scratchDir(), `disk-${Date.now()}-${Math.random().toString(36).slice(2)}.img`);
  if (!opts.file) {
    const fd = openSync(file, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
  }
  const args = ['-f', '-P', '--show'];
  if (opts.readOnly) args.push('-r');
  args.push(file);
  const device = execFileSync('losetup', args, { encoding: 'utf8' }).trim();
  const real = realpathSync(file);
  return {
    device,
    file,
    detach() {
      // Only if the device still holds our file: once detached, its number can be given
      // to another test running in parallel, whose device a second detach would pull away.
      let backing = '';
      try {
        backing = readFileSync(`/sys/block/${basename(device)}/loop/backing_file`, 'utf8').trim();
      } catch {
        return; // already gone (a test may detach it mid-write on purpose)
      }
      if (backing !== real && backing !== `${real} (deleted)`) return;
      try {
        // partition nodes a test added with partx outlive the loop device otherwise
        execFileSync('partx', ['-d', device], { stdio: 'ignore' });
      } catch {
        /* none, or still in use */
      }
      try {
        execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
      } catch {
        /* detached meanwhile */
      }
    },
  };
}
