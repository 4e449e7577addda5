/** hasTool against the shell's own `command -v`, on this machine's PATH. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTool } from './run';

const shellFinds = (tool: string) => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', tool]).status === 0;
const work = mkdtempSync(join(tmpdir(), 'lb-hastool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hasTool', () => {
  it('agrees with command -v on tools that are and are not installed', async () => {
    for (const tool of ['sh', 'tar', 'zstd', 'sfdisk', 'no-such-tool-lifeboat', 'pigz', 'lbzip2', 'efibootmgr']) {
      expect(await hasTool(tool), tool).toBe(shellFinds(tool));
    }
    expect(await hasTool('sh')).toBe(true);
    expect(await hasTool('no-such-tool-lifeboat')).toBe(false);
  });

  it('wants an executable file: not a folder, not a file without the x bit', async () => {
    mkdirSync(join(work, 'bin'));
    mkdirSync(join(work, 'bin/folder'));
    writeFileSync(join(work, 'bin/plain'), '#!/bin/sh\n');
    writeFileSync(join(work, 'bin/runnable'), '#!/bin/sh\n');
    chmodSync(join(work, 'bin/runnable'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${join(work, 'bin')}:${saved}`;
    try {
      expect(await hasTool('runnable')).toBe(true);
      expect(await hasTool('folder')).toBe(false);
      expect(await hasTool('plain')).toBe(false);
      expect(await hasTool(join(work, 'bin/runnable'))).toBe(true);
    } finally {
      process.env.PATH = saved;
    }
  });
});
