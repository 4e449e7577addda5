/**
 * What a home admin mistypes, through the real CLI: a tiny --split, a folder excluded with
 * a trailing slash, a read-only destination, a base kept elsewhere, a set with a stray
 * part or a line missing from SHA256SUMS, a file restore into the set itself. Each is
 * refused with its own code (exit 2) and writes nothing, or does what the user meant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, scratchDir } from '../../../../test/util/loop';
import { runCli as cli } from '../../../../test/util/cli';

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// root is needed to mount the read-only tmpfs (the same test as for loop devices)
const skip = !canUseLoop();

describe.skipIf(skip)(`backup, verify and files refusals (${skip ? loopSkipReason : 'real tools'})`, () => {
  let dir = '';
  let tree = '';
  let ro = '';
  let full = '';
  const listing = (set: string, id = 'root') => sh('cd "$1" && cat archives/"$2".tar.zst.* | zstd -dc | tar -t', set, id).split('\n');

  beforeAll(async () => {
    dir = scratchDir('lifeboat-refusals-');
    tree = join(dir, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    mkdirSync(join(tree, 'skip/deep'), { recursive: true });
    writeFileSync(join(tree, 'etc/hostname'), 'lifeboat-test\n');
    writeFileSync(join(tree, 'skip/deep/x'), 'left out\n');
    writeFileSync(join(tree, 'new\nline'), 'odd name\n');
    ro = join(dir, 'ro');
    mkdirSync(ro);
    sh('mount -t tmpfs -o ro,size=1m tmpfs "$1"', ro);
    full = join(dir, 'sets', 'full');
    const r = await cli(['backup', '--dest', full, '--root', tree, '--no-raw', '--json']);
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  afterAll(() => {
    try {
      sh('umount "$1"', ro);
    } catch {
      /* not mounted */
    }
    cleanupScratch();
  });

  it('refuses a part size under 1 MiB (one file per byte before), writing nothing', async () => {
    for (const split of ['1', '1K', '100K']) {
      const r = await cli(['backup', '--dest', join(dir, 'sets', 'tiny'), '--root', tree, '--no-raw', '--split', split, '--json']);
      expect(r.code, r.out).toBe(2);
      expect(r.last).toMatchObject({ code: 'invalid-request', params: { field: '--split', reason: `${split} (at least 1M)` } });
    }
    expect(readdirSync(join(dir, 'sets'))).toEqual(['full']);
  });

  it('leaves out a folder excluded with a trailing slash, as shell completion types it', async () => {
    const set = join(dir, 'sets', 'slash');
    const r = await cli(['backup', '--dest', set, '--root', tree, '--no-raw', '--exclude', '/skip/', '--json']);
    expect(r.code, r.out).toBe(0);
    const names = listing(set);
    expect(names).toContain('./etc/hostname');
    expect(names.filter((n) => n.startsWith('./skip'))).toEqual([]);
    rmSync(set, { recursive: true });
  });

  it('refuses a read-only destination or one under a file (exit 2), not an internal error', async () => {
    for (const dest of [join(ro, 'set'), ro]) {
      const r = await cli(['backup', '--dest', dest, '--root', tree, '--no-raw', '--json']);
      expect(r.code, r.out).toBe(2);
      expect(r.last).toMatchObject({ code: 'dest-read-only', params: { path: dest, detail: 'EROFS' } });
    }
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const r = await cli(['backup', '--dest', join(file, 'set'), '--root', tree, '--no-raw', '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ code: 'dest-not-empty', params: { path: file } });
  });

  it('refuses a base that is not beside the new set, or has no SHA256SUMS, writing nothing', async () => {
    const away = join(dir, 'elsewhere', 'inc');
    const r = await cli(['backup', '--dest', away, '--root', tree, '--no-raw', '--base', full, '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ code: 'base-not-beside', params: { base: full, folder: join(dir, 'elsewhere') } });
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);

    const bare = join(dir, 'sets', 'bare');
    cpSync(full, bare, { recursive: true });
    rmSync(join(bare, 'SHA256SUMS'));
    const s = await cli(['backup', '--dest', join(dir, 'sets', 'inc'), '--root', tree, '--no-raw', '--base', bare, '--json']);
    expect(s.code, s.out).toBe(2);
    expect(s.last).toMatchObject({ code: 'set-invalid', params: { detail: 'SHA256SUMS is missing' } });
    rmSync(bare, { recursive: true });
    expect(readdirSync(join(dir, 'sets'))).toEqual(['full']);
  });

  it('verify refuses a stray file named like a part, a snapshot SHA256SUMS leaves out, an incremental without its base', async () => {
    const copy = join(dir, 'sets', 'copy');
    cpSync(full, copy, { recursive: true });
    expect((await cli(['verify', copy])).code).toBe(0);
    // what `cat archives/root.tar.zst.*` of the hand restore would also read
    copyFileSync(join(copy, 'archives/root.tar.zst.000'), join(copy, 'archives/root.tar.zst.000.orig'));
    const stray = await cli(['verify', copy, '--json']);
    expect(stray.code, stray.out).toBe(2);
    expect(stray.last).toMatchObject({ code: 'set-invalid', message: expect.stringContaining('archives/root.tar.zst.000.orig') });
    rmSync(join(copy, 'archives/root.tar.zst.000.orig'));
    expect((await cli(['verify', copy])).code).toBe(0);

    const sums = readFileSync(join(copy, 'SHA256SUMS'), 'utf8');
    writeFileSync(join(copy, 'SHA256SUMS'), sums.split('\n').filter((l) => !l.endsWith('archives/root.snar')).join('\n'));
    const unsummed = await cli(['verify', copy, '--json']);
    expect(unsummed.code, unsummed.out).toBe(2);
    expect(unsummed.last).toMatchObject({ code: 'set-invalid', params: { detail: 'SHA256SUMS does not cover archives/root.snar' } });
    rmSync(copy, { recursive: true });

    const inc = join(dir, 'sets', 'inc');
    writeFileSync(join(tree, 'etc/added'), 'after the base\n');
    expect((await cli(['backup', '--dest', inc, '--root', tree, '--no-raw', '--base', full])).code).toBe(0);
    expect((await cli(['verify', inc])).code).toBe(0);
    renameSync(full, join(dir, 'full-moved'));
    try {
      const orphan = await cli(['verify', inc, '--json']);
      expect(orphan.code, orphan.out).toBe(2);
      expect(orphan.last).toMatchObject({ code: 'set-invalid', message: expect.stringContaining('was not found next to it') });
    } finally {
      renameSync(join(dir, 'full-moved'), full);
      rmSync(inc, { recursive: true });
      rmSync(join(tree, 'etc/added'));
    }
  });

  it('files restore refuses a folder inside the set and a read-only one, and says "1 entry" (en, fr)', async () => {
    const inside = await cli(['files', 'restore', '--set', full, '--to', join(full, 'restored'), '/etc/hostname', '--json']);
    expect(inside.code, inside.out).toBe(2);
    expect(inside.last).toMatchObject({ code: 'dest-inside-set', params: { set: full } });
    expect(existsSync(join(full, 'restored'))).toBe(false);
    expect((await cli(['verify', full])).code).toBe(0);

    const rofs = await cli(['files', 'restore', '--set', full, '--to', join(ro, 'out'), '/etc/hostname', '--json']);
    expect(rofs.code, rofs.out).toBe(2);
    expect(rofs.last).toMatchObject({ code: 'dest-read-only', params: { detail: 'EROFS' } });

    const one = await cli(['files', 'restore', '--set', full, '--to', join(dir, 'out-en'), '/etc/hostname']);
    expect(one.code, one.out).toBe(0);
    expect(one.out).toContain(`1 entry restored under ${join(dir, 'out-en')}.`);
    process.env.LIFEBOAT_LANG = 'fr';
    try {
      const fr = await cli(['files', 'restore', '--set', full, '--to', join(dir, 'out-fr'), '/etc/hostname']);
      expect(fr.out).toContain(`1 entrée restaurée sous ${join(dir, 'out-fr')}.`);
    } finally {
      delete process.env.LIFEBOAT_LANG;
    }
  });

  it('compare speaks French without wrong agreements ("1 manquants", "1 archive comparées")', async () => {
    writeFileSync(join(tree, 'added-for-compare'), 'new\n');
    process.env.LIFEBOAT_LANG = 'fr';
    try {
      const r = await cli(['compare', '--set', full, '--root', tree]);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain('ajouté   /added-for-compare');
      expect(r.out).toContain('Différences : modifiés : 0, manquants : 0, ajoutés : 1 (comparaison sur 1 archive).');
    } finally {
      delete process.env.LIFEBOAT_LANG;
      rmSync(join(tree, 'added-for-compare'));
    }
  });

  it('files list shows a name holding a newline on one line, escaped', async () => {
    const r = await cli(['files', 'list', '--set', full, '/']);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.some((l) => l.endsWith(' new\\nline'))).toBe(true);
    expect(lines.some((l) => l === 'line')).toBe(false);
  });
});
