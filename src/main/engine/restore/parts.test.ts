import { afterAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, scratchDir } from '../../../../test/util/loop';
import { LifeboatError } from '../../../shared/errors';
import { partGuard, verifyParts, type PartRef } from './parts';

const MiB = 1024 * 1024;
afterAll(() => cleanupScratch());

function part(dir: string, name: string, size: number): PartRef {
  const data = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, size, sha256: createHash('sha256').update(data).digest('hex') };
}

describe('verifyParts / partGuard on real files', () => {
  it('hashes every part and keeps its identity', async () => {
    const dir = scratchDir('lifeboat-parts-');
    const parts = [part(dir, 'a.000', 5 * MiB + 123), part(dir, 'a.001', 0), part(dir, 'a.002', 2 * MiB)];
    let bytes = 0;
    const proven = await verifyParts(parts, new AbortController().signal, (n) => (bytes += n));
    expect(bytes).toBe(7 * MiB + 123);
    expect([...proven.values()].map((p) => p.sha256)).toEqual(parts.map((p) => p.sha256));
  });

  // A restore cancelled (Ctrl-C) while its parts were hashed ended with exit 1 and
  // "EBADF: bad file descriptor, close": the read stream given the AbortSignal closed the
  // descriptor itself, and closing it again threw over the cancellation.
  it('a cancel while a part is hashed throws cancelled, not EBADF', async () => {
    const dir = scratchDir('lifeboat-parts-');
    const parts = [part(dir, 'big.000', 16 * MiB)];
    const ac = new AbortController();
    const err = await verifyParts(parts, ac.signal, () => ac.abort()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).code).toBe('cancelled');
  });

  it('a cancel while the extraction re-hashes a part leaves the descriptor the tools read open', async () => {
    const dir = scratchDir('lifeboat-parts-');
    const p = part(dir, 'changed.000', 16 * MiB);
    const fd = openSync(p.path, 'r');
    try {
      const ac = new AbortController();
      const guard = partGuard(new Map(), new Map([[p.path, p.sha256]]), ac.signal);
      setImmediate(() => ac.abort());
      const err = await guard(p.path, fd, fstatSync(fd, { bigint: true })).catch((e: unknown) => e);
      expect((err as LifeboatError).code).toBe('cancelled');
      // still ours: a destroyed read stream used to close it
      await new Promise((r) => setTimeout(r, 50));
      expect(() => fstatSync(fd)).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });
});
