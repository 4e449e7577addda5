import { describe, expect, it, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSet } from './set-check';
import { makeFakeSet } from '../../../../test/qemu/fake-set';

const root = mkdtempSync(join(tmpdir(), 'lifeboat-setcheck-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('checkSet', () => {
  it('accepts a set whose files all match SHA256SUMS', async () => {
    const d = join(root, 'good');
    makeFakeSet(d);
    expect(await checkSet(d)).toEqual({ files: 2, bytes: expect.any(Number) });
  });

  it('refuses a damaged part', async () => {
    const d = join(root, 'bad');
    makeFakeSet(d);
    writeFileSync(join(d, 'archives/root.tar.zst.000'), 'changed');
    await expect(checkSet(d)).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: 'archives/root.tar.zst.000' } });
  });

  it('refuses a missing part and a folder that is not a set', async () => {
    const d = join(root, 'missing');
    makeFakeSet(d);
    unlinkSync(join(d, 'archives/root.tar.zst.000'));
    await expect(checkSet(d)).rejects.toMatchObject({ code: 'set-part-missing' });
    mkdirSync(join(root, 'empty'));
    await expect(checkSet(join(root, 'empty'))).rejects.toMatchObject({ code: 'set-invalid' });
  });
});
