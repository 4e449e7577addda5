/**
 * A whole-system restore of an incremental set: the set holds only what changed since its
 * base, so the plan must restore the base first and replay the later archive as tar does
 * (deletions, renamed folders). Restoring the incremental archive alone used to report
 * success with every unchanged file missing. Proven on real loop disks, through the CLI and
 * through the set's own restore.sh (what the rescue system runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { runCli as cli } from '../../../../test/util/cli';
import { snapshotTree } from '../backup/tree-snapshot';
import { readManifest } from '../set/read';
import { compilePlan } from './compile';
import { checkSet } from '../media/set-check';
import { createI18n } from '../../../shared/i18n';
import { stepTitle } from '../../../shared/restore-text';

const MiB = 1024 * 1024;
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const skip = !canUseLoop();
if (skip) console.warn(`incremental.test.ts skipped: ${loopSkipReason}`);

describe.skipIf(skip)(`whole-system restore of an incremental chain (${skip ? loopSkipReason : 'real loop disks'})`, () => {
  const loops: LoopDevice[] = [];
  const mounts: string[] = [];
  let work = '';
  let root = '';
  let src: LoopDevice;
  const sets = { full: '', inc1: '', inc2: '' };
  const noLostFound = (rel: string) => rel === 'lost+found' || rel.startsWith('lost+found/');

  const partition = (dev: string) => {
    sh(`printf 'label: gpt\\nsize=56M, type=L, name=root\\n' | sfdisk -q "$1"`, dev);
    try {
      sh('partx -u "$1"', dev);
    } catch {
      /* losetup -P made the node */
    }
  };

  beforeAll(async () => {
    work = scratchDir('lifeboat-incr-');
    src = makeLoop(64 * MiB, { dir: work });
    loops.push(src);
    partition(src.device);
    sh('mkfs.ext4 -q -F "$1"', `${src.device}p1`);
    root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${src.device}p1`, root);
    mounts.push(root);
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'lifeboat-test\n');
    mkdirSync(join(root, 'data/album'), { recursive: true });
    writeFileSync(join(root, 'data/unchanged'), 'never touched\n');
    writeFileSync(join(root, 'data/changed'), 'first version\n');
    writeFileSync(join(root, 'data/deleted'), 'gone later\n');
    writeFileSync(join(root, 'data/album/photo'), 'in a folder renamed later\n');
    const old = new Date('2020-01-01T00:00:00Z');
    for (const f of ['data/unchanged', 'data/changed', 'data/deleted', 'data/album/photo']) utimesSync(join(root, f), old, old);
    sets.full = join(work, 'sets', 'full');
    let r = await cli(['backup', '--root', root, '--dest', sets.full, '--json']);
    expect(r.code, r.out).toBe(0);

    writeFileSync(join(root, 'data/changed'), 'second version\n');
    unlinkSync(join(root, 'data/deleted'));
    writeFileSync(join(root, 'data/added'), 'new in the first incremental\n');
    renameSync(join(root, 'data/album'), join(root, 'data/pictures'));
    sets.inc1 = join(work, 'sets', 'inc1');
    r = await cli(['backup', '--root', root, '--dest', sets.inc1, '--base', sets.full, '--json']);
    expect(r.code, r.out).toBe(0);

    appendFileSync(join(root, 'data/added'), 'and changed in the second\n');
    rmSync(join(root, 'etc/hostname'));
    sets.inc2 = join(work, 'sets', 'inc2');
    r = await cli(['backup', '--root', root, '--dest', sets.inc2, '--base', sets.inc1, '--json']);
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  afterAll(() => {
    for (const m of mounts.reverse()) {
      try {
        sh('umount "$1"', m);
      } catch {
        /* not mounted */
      }
    }
    for (const l of loops) l.detach();
    cleanupScratch();
  });

  /** the target's filesystem, mounted read-only for the comparison, then unmounted */
  const restoredTree = (dev: string) => {
    try {
      sh('partx -u "$1"', dev);
    } catch {
      /* nodes already there */
    }
    const at = scratchDir('lifeboat-incr-out-');
    sh('mount -o ro "$1" "$2"', `${dev}p1`, at);
    try {
      return snapshotTree(at, noLostFound);
    } finally {
      sh('umount "$1"', at);
    }
  };

  it('the compiler refuses an incremental set without its bases rather than restoring the changes alone', () => {
    const set = readManifest(sets.inc2);
    const targets = { [set.layout.disks[0].device]: { device: '/dev/lifeboat-none', sizeBytes: 1 << 30 } };
    expect(() => compilePlan(set, { setDir: sets.inc2, targets, mountRoot: '/mnt/x' })).toThrow(expect.objectContaining({ code: 'set-invalid' }));
  });

  it('a filesystem made anew between two sets (another UUID) starts its own chain: nothing older is extracted onto it', async () => {
    const set = readManifest(sets.inc2);
    const bases = [sets.full, sets.inc1].map((dir) => ({ dir, set: readManifest(dir) }));
    const targets = { [set.layout.disks[0].device]: { device: '/dev/lifeboat-none', sizeBytes: 1 << 30 } };
    const extracts = (s: typeof set) => compilePlan(s, { setDir: sets.inc2, targets, mountRoot: '/mnt/x', bases }).steps.filter((st) => st.native === 'extract');
    const chained = extracts(set);
    expect(chained.map((st) => st.id)).toEqual(['extract.root.base1', 'extract.root.base2', 'extract.root']);
    expect(JSON.stringify(chained[0].argv)).toContain(`${sets.full}/archives/`);
    // each step says which set of the chain it reads
    const { t } = await createI18n('en');
    expect(stepTitle(t, 'en', chained[0])).toMatch(new RegExp(`^Restore the files of /, backup 1 of 3 \\(${readManifest(sets.full).id}, archive root, `));
    const reformatted = { ...set, archives: set.archives.map((a) => ({ ...a, fsUuid: '00000000-0000-4000-8000-000000000001' })) };
    const alone = extracts(reformatted);
    expect(alone.map((st) => st.id)).toEqual(['extract.root']);
    expect(JSON.stringify(alone[0].argv)).not.toContain('--listed-incremental');
  });

  it('rescue media are made from a full set, not from an incremental one whose bases they would lack', async () => {
    await expect(checkSet(sets.inc2)).rejects.toMatchObject({ code: 'media-set-incremental', params: { base: readManifest(sets.inc1).id } });
    await expect(checkSet(sets.full)).resolves.toMatchObject({ files: expect.any(Number) });
  });

  it('lifeboat restore of the last set gives back exactly the last state: unchanged, changed, deleted, added and renamed', async () => {
    const target = makeLoop(64 * MiB, { dir: work });
    loops.push(target);
    const r = await cli(['restore', '--set', sets.inc2, '--target', target.device, '--include-loop', '--yes', '--json']);
    expect(r.code, r.out).toBe(0);
    const restored = restoredTree(target.device);
    expect(restored.get('data/unchanged')).toBeDefined();
    expect(restored.has('data/deleted')).toBe(false);
    expect(restored.has('data/album')).toBe(false);
    expect(restored.has('etc/hostname')).toBe(false);
    expect(restored).toEqual(snapshotTree(root, noLostFound));
  }, 60_000);

  it("the set's restore.sh (the rescue system's plan) restores its bases first, found beside the set", async () => {
    const script = readFileSync(join(sets.inc2, 'restore.sh'), 'utf8');
    expect(script).toContain('"$LIFEBOAT_SET"/\'../full/archives/');
    expect(script).toContain('"$LIFEBOAT_SET"/\'../inc1/archives/');
    expect(script).toContain('--listed-incremental=/dev/null');
    const target = makeLoop(64 * MiB, { dir: work });
    loops.push(target);
    // as the rescue menu runs it: dash, the target given, everything else as recorded
    sh('cd "$1" && LIFEBOAT_TARGET_1="$2" dash ./restore.sh >/dev/null 2>&1', sets.inc2, target.device);
    expect(restoredTree(target.device)).toEqual(snapshotTree(root, noLostFound));
  }, 60_000);
});
