/**
 * Folders renamed between the sets of an incremental chain (renames.ts): GNU tar records
 * only "renamed from … to …" and leaves the unchanged files where the older archive put
 * them. Listing, file restore and compare of the last set must see those files under the
 * new name, as `tar -x` of the whole chain does. Real ext4 on a loop device, real tar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { createJobContext } from '../job';
import { runBackup } from '../backup/backup';
import { snapshotTree } from '../backup/tree-snapshot';
import { compareSet } from './compare';
import { restoreFiles } from './extract-files';
import { listSet } from './listing';
import { applyRenames, minimalRenames, renamesBetween, transformArgs } from './renames';

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('rename bookkeeping', () => {
  it('finds renames by device and inode and applies the deepest one, all at once', () => {
    const r = renamesBetween(
      [
        { name: '', key: '1:2' },
        { name: 'a', key: '1:10' },
        { name: 'b', key: '1:11' },
        { name: 'a/c', key: '1:12' },
      ],
      [
        { name: '', key: '1:2' },
        { name: 'b', key: '1:10' },
        { name: 'a', key: '1:11' },
        { name: 'b/c', key: '1:12' },
      ],
    );
    expect([...r]).toEqual([
      ['a', 'b'],
      ['b', 'a'],
      ['a/c', 'b/c'],
    ]);
    expect(applyRenames(r, 'a/f')).toBe('b/f');
    expect(applyRenames(r, 'b/f')).toBe('a/f');
    expect(applyRenames(r, 'a/c/g')).toBe('b/c/g');
    expect(applyRenames(r, 'ab/f')).toBe('ab/f');
    // a/c follows a: only the top rename is needed
    expect(minimalRenames(['', 'a', 'b', 'a/c'], (p) => applyRenames(r, p))).toEqual([
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(transformArgs([])).toEqual([]);
  });
});

describe.skipIf(!canUseLoop())('an incremental chain with renamed folders', () => {
  if (!canUseLoop()) console.warn(`renames.test.ts skipped: ${loopSkipReason}`);
  let work: string;
  let loop: LoopDevice;
  let root: string;
  const sets: string[] = [];
  const ctx = () => createJobContext('restore');

  beforeAll(async () => {
    work = scratchDir('lifeboat-renames-');
    loop = makeLoop(64 << 20, { dir: work });
    sh('mkfs.ext4 -q -F "$1"', loop.device);
    root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', loop.device, root);
    // names a regular expression or a sed replacement would mangle
    const odd = 'we.ird [x]* & \\1 $^';
    for (const d of ['photos/2024/summer', 'left', 'right', `${odd}/in`, 'keep']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'photos/2024/summer/beach.jpg'), 'beach\n');
    writeFileSync(join(root, 'photos/top.txt'), 'top\n');
    writeFileSync(join(root, 'left/l.txt'), 'I was left\n');
    writeFileSync(join(root, 'right/r.txt'), 'I was right\n');
    writeFileSync(join(root, `${odd}/in/f`), 'odd\n');
    writeFileSync(join(root, 'keep/k'), 'k\n');
    sh('setfattr -n user.tag -v one "$1"', join(root, 'photos/2024/summer/beach.jpg'));
    sets.push(join(work, 'sets', 'full'));
    await runBackup({ dest: sets[0], root, raw: false }, createJobContext('backup'));

    // a rename of a folder with a subfolder, a swap, an odd name, and new files beside them
    renameSync(join(root, 'photos'), join(root, 'pictures'));
    renameSync(join(root, 'left'), join(root, 'tmp-swap'));
    renameSync(join(root, 'right'), join(root, 'left'));
    renameSync(join(root, 'tmp-swap'), join(root, 'right'));
    renameSync(join(root, odd), join(root, `${odd} \n2`));
    writeFileSync(join(root, 'pictures/new.txt'), 'new\n');
    sets.push(join(work, 'sets', 'inc1'));
    await runBackup({ dest: sets[1], root, base: sets[0], raw: false }, createJobContext('backup'));

    // a second step: a folder inside the renamed one moves up, another file changes
    renameSync(join(root, 'pictures/2024'), join(root, 'y2024'));
    appendFileSync(join(root, 'keep/k'), 'more\n');
    sets.push(join(work, 'sets', 'inc2'));
    await runBackup({ dest: sets[2], root, base: sets[1], raw: false }, createJobContext('backup'));
  }, 60_000);

  afterAll(() => {
    try {
      sh('umount "$1"', root);
    } catch {
      /* not mounted */
    }
    loop?.detach();
    cleanupScratch();
  });

  it('lists the unchanged files of renamed folders under their new names', async () => {
    expect((await listSet(sets[2], '/y2024/summer')).map((e) => e.name)).toEqual(['beach.jpg']);
    expect((await listSet(sets[2], '/pictures')).map((e) => e.name).sort()).toEqual(['new.txt', 'top.txt']);
    expect((await listSet(sets[2], '/left')).map((e) => e.name)).toEqual(['r.txt']);
    expect((await listSet(sets[2], '/right')).map((e) => e.name)).toEqual(['l.txt']);
  });

  it('restores the last state of the chain exactly as it is on the disk', async () => {
    const to = join(work, 'out');
    const r = await restoreFiles(ctx(), { setDir: sets[2], paths: [], to });
    expect(r.entries).toBeGreaterThan(10);
    const skip = (rel: string) => rel === 'lost+found' || rel.startsWith('lost+found/');
    expect(snapshotTree(to, skip)).toEqual(snapshotTree(root, skip));
    // and the same as tar -x of the chain by hand
    const hand = join(work, 'hand');
    mkdirSync(hand);
    for (const s of sets) sh('zstd -dc "$1"/archives/root.tar.zst.* | tar -x --listed-incremental=/dev/null --xattrs --xattrs-include="*" -C "$2"', s, hand);
    expect(snapshotTree(to, skip)).toEqual(snapshotTree(hand, skip));
  });

  it('compares renamed files under their new names: identical, then a change inside a renamed folder is found', async () => {
    expect(await compareSet(ctx(), { setDir: sets[2], root })).toMatchObject({ changed: [], missing: [], added: [] });
    appendFileSync(join(root, 'right/l.txt'), 'edited\n');
    sh('setfattr -n user.tag -v two "$1"', join(root, 'y2024/summer/beach.jpg'));
    const r = await compareSet(ctx(), { setDir: sets[2], root });
    expect(r.missing).toEqual([]);
    expect(r.added).toEqual([]);
    expect(r.changed.map((c) => c.path).sort()).toEqual(['/right/l.txt', '/y2024/summer/beach.jpg']);
  });
});
