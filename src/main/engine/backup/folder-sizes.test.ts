/**
 * folderSizes on a real temp tree: each child's size is the exact sum of its files'
 * bytes (symlinks not followed, the direct files counted apart), a tmpfs mounted inside
 * is flagged and not counted into its parent, a relative folder or one outside the root
 * (directly or through a symlink) is refused, and the time cap returns promptly with
 * the children flagged as lower bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, isRoot, scratchDir } from '../../../../test/util/loop';
import { folderSizes } from './folder-sizes';

function file(path: string, bytes: number): number {
  writeFileSync(path, Buffer.alloc(bytes, 7));
  return bytes;
}

describe('folderSizes (real temp tree)', () => {
  let root: string;
  const mounts: string[] = [];

  beforeAll(() => {
    root = scratchDir('lifeboat-sizes-');
    for (const d of ['etc', 'home/alice/docs/deep', 'var/tmp', 'empty']) mkdirSync(join(root, d), { recursive: true });
  });

  afterAll(() => {
    for (const m of mounts.splice(0)) execFileSync('umount', [m]);
    cleanupScratch();
  });

  it('sums the files of each child exactly, without following symlinks', async () => {
    file(join(root, 'top.txt'), 11);
    const etc = file(join(root, 'etc/hostname'), 13) + file(join(root, 'etc/fstab'), 1000);
    const home = file(join(root, 'home/alice/a.bin'), 123_457) + file(join(root, 'home/alice/docs/b'), 4096) + file(join(root, 'home/alice/docs/deep/c'), 1);
    const varTmp = file(join(root, 'var/tmp/x'), 77);
    // A link to a big file elsewhere counts as nothing: tar stores the link, not the target.
    symlinkSync('/etc/passwd', join(root, 'home/alice/link'));
    symlinkSync('/usr', join(root, 'usr-link'));
    const r = await folderSizes({ root, dir: root, budgetMs: 10_000 });
    expect(r.files).toBe(11);
    expect(r.children).toEqual([
      { name: 'empty', size: 0, capped: false, mountpoint: false },
      { name: 'etc', size: etc, capped: false, mountpoint: false },
      { name: 'home', size: home, capped: false, mountpoint: false },
      { name: 'var', size: varTmp, capped: false, mountpoint: false },
    ]);
    const inner = await folderSizes({ root, dir: join(root, 'home/alice'), budgetMs: 10_000 });
    expect(inner.files).toBe(123_457);
    expect(inner.children).toEqual([{ name: 'docs', size: 4097, capped: false, mountpoint: false }]);
  });

  it.skipIf(!isRoot)(`stays on one filesystem: a tmpfs mounted inside is flagged and not counted into its parent${isRoot ? '' : ' (skipped: needs root to mount a tmpfs)'}`, async () => {
    const mnt = join(root, 'var/mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'lifeboat-test', mnt]);
    mounts.push(mnt);
    file(join(mnt, 'on-tmpfs'), 500_000);
    const r = await folderSizes({ root, dir: root, budgetMs: 10_000 });
    // /var holds var/tmp/x (77 bytes) only: the 500 000 bytes on the tmpfs are not its own.
    expect(r.children.find((c) => c.name === 'var')).toEqual({ name: 'var', size: 77, capped: false, mountpoint: false });
    const v = await folderSizes({ root, dir: join(root, 'var'), budgetMs: 10_000 });
    expect(v.children.find((c) => c.name === 'mnt')).toEqual({ name: 'mnt', size: 500_000, capped: false, mountpoint: true });
  });

  it('refuses a relative folder, one outside the root, and one that leaves it through a symlink', async () => {
    await expect(folderSizes({ root, dir: 'etc', budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { field: 'dir' } });
    await expect(folderSizes({ root: 'tmp', dir: '/tmp', budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { field: 'root' } });
    await expect(folderSizes({ root: join(root, 'home'), dir: join(root, 'etc'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { reason: 'must be inside the root' } });
    await expect(folderSizes({ root: join(root, 'home'), dir: join(root, 'home/../etc'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request' });
    // "/home/alice" is a prefix of "/home/alice2", not a parent.
    mkdirSync(join(root, 'home/alice2'));
    await expect(folderSizes({ root: join(root, 'home/alice'), dir: join(root, 'home/alice2'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(folderSizes({ root, dir: join(root, 'usr-link'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { reason: 'must be inside the root' } });
    await expect(folderSizes({ root, dir: join(root, 'missing'), budgetMs: 1000 })).rejects.toMatchObject({ code: 'invalid-request', params: { reason: 'does not exist' } });
  });

  it('respects the time cap: a big tree answers promptly, every child a lower bound', async () => {
    const big = scratchDir('lifeboat-sizes-big-');
    let total = 0;
    for (const top of ['a', 'b']) {
      for (let i = 0; i < 400; i++) {
        const d = join(big, top, `d${i}`);
        mkdirSync(d, { recursive: true });
        for (let j = 0; j < 5; j++) total += file(join(d, `f${j}`), 100);
      }
    }
    const full = await folderSizes({ root: big, dir: big, budgetMs: 60_000 });
    expect(full.children.map((c) => [c.name, c.size, c.capped])).toEqual([
      ['a', total / 2, false],
      ['b', total / 2, false],
    ]);
    const t0 = Date.now();
    const capped = await folderSizes({ root: big, dir: big, budgetMs: 5 });
    const elapsed = Date.now() - t0;
    // Far less than the full walk's 800 directories would take, whatever the machine's load.
    expect(elapsed).toBeLessThan(2000);
    for (const c of capped.children) {
      expect(c.capped).toBe(true);
      expect(c.size).toBeLessThan(total / 2);
    }
    // Taking turns: neither child is left at zero while the other was counted.
    const zero = await folderSizes({ root: big, dir: big, budgetMs: 0 });
    expect(zero.children.every((c) => c.capped && c.size === 0)).toBe(true);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(folderSizes({ root, dir: root, budgetMs: 10_000, signal: ac.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});
