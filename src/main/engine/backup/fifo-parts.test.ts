/**
 * FifoParts with real producers (cat, head, yes): the parts concatenate back to the exact
 * input in shell-glob order, each part's recorded sha256 and size are its bytes', the
 * width grows (renaming every part) when more parts come than its digits can number, an
 * empty stream still gets its part, and a full destination (a 1 MiB tmpfs) stops the
 * producer and reports dest-full.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, isRoot, scratchDir } from '../../../../test/util/loop';
import { FifoParts } from './fifo-parts';
import { spawnPiped } from './piped';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function through(setDir: string, argv: string[], split: number, width: number) {
  mkdirSync(join(setDir, 'archives'), { recursive: true });
  const sink = await FifoParts.open({ setDir, base: 'archives/t.tar.zst', split, width, destLabel: setDir });
  const producer = spawnPiped(argv[0], argv.slice(1), { stdin: 'ignore', stdoutFd: sink.writeFd, signal: new AbortController().signal });
  sink.closeWriteEnd();
  const [parts, res] = await Promise.allSettled([sink.done(), producer]);
  return { parts, res: res.status === 'fulfilled' ? res.value : null };
}

describe('FifoParts (real FIFO, worker thread)', () => {
  afterAll(() => cleanupScratch());

  it('splits, hashes and widens the part numbers; the parts concatenate back in glob order', async () => {
    const dir = scratchDir('lifeboat-fifo-');
    const input = randomBytes(5 * 1024 * 1024 + 12345);
    writeFileSync(join(dir, 'input'), input);
    const setDir = join(dir, 'set');
    // 300 000-byte parts: 18 of them, more than one digit can number
    const { parts } = await through(setDir, ['cat', join(dir, 'input')], 300_000, 1);
    if (parts.status !== 'fulfilled') throw parts.reason;
    expect(parts.value).toHaveLength(18);
    expect(parts.value.map((p) => p.name)).toEqual(Array.from({ length: 18 }, (_, i) => `archives/t.tar.zst.${String(i).padStart(2, '0')}`));
    expect(readdirSync(join(setDir, 'archives')).sort()).toEqual(parts.value.map((p) => p.name.slice('archives/'.length)));
    for (const p of parts.value) {
      const body = readFileSync(join(setDir, p.name));
      expect({ size: body.length, sha256: sha(body) }).toEqual({ size: p.size, sha256: p.sha256 });
    }
    const joined = execFileSync('sh', ['-c', 'cat "$1"/archives/t.tar.zst.*', 'sh', setDir], { maxBuffer: 64 << 20 });
    expect(sha(joined)).toBe(sha(input));
  });

  it('an empty stream still gets its first part', async () => {
    const setDir = join(scratchDir('lifeboat-fifo-'), 'set');
    const { parts } = await through(setDir, ['true'], 1 << 20, 3);
    if (parts.status !== 'fulfilled') throw parts.reason;
    expect(parts.value).toEqual([{ name: 'archives/t.tar.zst.000', size: 0, sha256: sha(Buffer.alloc(0)) }]);
  });

  it.skipIf(!isRoot)(`a full destination is dest-full and the producer dies of the broken pipe${isRoot ? '' : ' (skipped: needs root to mount a tmpfs)'}`, async () => {
    const dir = scratchDir('lifeboat-fifo-');
    const small = join(dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'lifeboat-test', small]);
    try {
      const { parts, res } = await through(join(small, 'set'), ['yes', 'lifeboat'], 1 << 30, 3);
      expect(parts.status).toBe('rejected');
      expect((parts as PromiseRejectedResult).reason).toMatchObject({ code: 'dest-full', params: { path: join(small, 'set') } });
      // `yes` never ends by itself: it stopped because the reader went away
      expect(res?.signal ?? res?.exitCode).toBeTruthy();
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
