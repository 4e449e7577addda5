import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withEfivars } from './boot';

// The wrapper runs under the rescue script's `set -eu`, in a subshell as every sh step does
// (shell.ts commandLine): its status must be the command's, and a failing command must not
// skip the unmount. Here /sys/firmware/efi/efivars does not exist (no UEFI on this VM), so
// nothing is mounted; the status rules are what is checked, with the real dash.
const run = (cmd: string) => spawnSync('dash', ['-c', `set -eu; ( ${withEfivars('/nonexistent-root', cmd)} ); echo after=$?`], { encoding: 'utf8' });

describe('withEfivars', () => {
  it('keeps the status of the command it wraps, under set -eu', () => {
    expect(run('true').stdout).toBe('after=0\n');
    const failed = run('echo ran; false');
    expect(failed.stdout).toBe('ran\n');
    expect(failed.status).not.toBe(0);
  });

  it('mounts efivarfs inside the root only where the session booted through UEFI', () => {
    const root = mkdtempSync(join(tmpdir(), 'lifeboat-efivars-'));
    try {
      const sh = withEfivars(root, 'true');
      expect(sh).toContain(`mount -t efivarfs efivarfs '${root}/sys/firmware/efi/efivars'`);
      // no /sys/firmware/efi on this machine: the mount is not even tried, and nothing is left mounted
      execFileSync('dash', ['-c', `set -eu; ( ${sh} )`]);
      expect(execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })).not.toContain(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
