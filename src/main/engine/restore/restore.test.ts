/**
 * The proof: a real system tree on a real GPT loop disk (ESP vfat, ext4 /, ext4 /home,
 * swap) is backed up with the real backup engine, then restored by compilePlan +
 * runPlan onto blank loop disks of the same size, a larger one (clone mode) and a
 * smaller one that still fits; a disk too small and a damaged set are refused before
 * anything is written. Tables are read back with sfdisk --json, identities with
 * blkid -p, and the restored trees are compared with the source entry by entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, closeSync, cpSync, linkSync, mkdirSync, openSync, readFileSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { BackupSetSchema, type BackupSet } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import type { JobProgress } from '../../../shared/progress';
import type { RestorePlan } from '../../../shared/restore-plan';
import { runBackup } from '../backup/backup';
import { snapshotTree, type Entry } from '../backup/tree-snapshot';
import { assertWritableTarget } from '../drives/guard';
import { createJobContext } from '../job';
import { compilePlan } from './compile';
import { mountsUnder, runPlan } from './execute';
import { readTable } from './test-util';
import { renderShell } from './shell';
import { runCli as cli } from '../../../../test/util/cli';
import { systemDiskOrSkip } from '../../../../test/util/system-disk';


const MiB = 1024 * 1024;
const SRC_SIZE = 256 * MiB;
const ROOT_UUID = '2b1f0000-1111-4222-8333-444455556666';
const HOME_UUID = '2b1f0000-7777-4888-8999-aaaabbbbcccc';
const SWAP_UUID = '2b1f0000-aaaa-4bbb-8ccc-dddddddddddd';
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const blkid = (dev: string): Record<string, string> =>
  Object.fromEntries(
    sh('blkid -p -o export "$1"', dev)
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/\\(.)/g, '$1')]),
  );
const fileHash = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const sha256Dev = (dev: string) => sh('sha256sum "$1"', dev).split(' ')[0];

const skip = !canUseLoop();
let work = '';
let src: LoopDevice | null = null;
let srcRoot = '';
let setDir = '';
let set: BackupSet;
let want: Map<string, Entry>;
const loops: LoopDevice[] = [];
const srcMounts: string[] = [];

function populate(r: string) {
  mkdirSync(join(r, 'etc'));
  writeFileSync(join(r, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 defaults 0 1\nUUID=${HOME_UUID} /home ext4 defaults 0 2\nUUID=${SWAP_UUID} none swap sw 0 0\n`);
  mkdirSync(join(r, 'data'));
  writeFileSync(join(r, 'data/a'), 'hello, hard link\n');
  linkSync(join(r, 'data/a'), join(r, 'data/a-link'));
  symlinkSync('a', join(r, 'data/sym'));
  symlinkSync('/nowhere', join(r, 'data/dangling'));
  writeFileSync(join(r, 'data/random.bin'), randomBytes(2_500_000));
  const fd = openSync(join(r, 'data/sparse.img'), 'w');
  writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, 1 << 20);
  closeSync(fd);
  truncateSync(join(r, 'data/sparse.img'), 24 * MiB);
  writeFileSync(join(r, 'data/owned'), 'owned\n');
  chownSync(join(r, 'data/owned'), 1234, 5678);
  sh('setfattr -n user.lifeboat -v "kept" "$1"', join(r, 'data/a'));
  // ACLs travel as the raw system.posix_acl_* xattrs (backup/tar-args.ts)
  sh('setfacl -m u:1234:rwx,g:5678:r "$1" && setfacl -d -m u:1234:rx "$2"', join(r, 'data/owned'), join(r, 'data'));
  for (const n of ['with space', "it's \"quoted\"", '$(touch PWNED)', 'été 日本']) writeFileSync(join(r, 'data', n), n);
  mkdirSync(join(r, 'home/alice'), { recursive: true });
  writeFileSync(join(r, 'home/alice/notes.txt'), 'alice’s notes\n');
  chownSync(join(r, 'home/alice'), 1000, 1000);
  chownSync(join(r, 'home/alice/notes.txt'), 1000, 1000);
}

/** lost+found is made by mkfs on each side; mount point dirs carry their own fs's root mode. */
const skipRel = (rel: string) => rel === 'lost+found' || rel.startsWith('lost+found/') || rel === 'home/lost+found' || rel.startsWith('home/lost+found/');

/** Mounts the restored / and /home read-only and describes the tree. */
function restoredTree(dev: string): Map<string, Entry> {
  const dir = scratchDir('lifeboat-check-');
  sh('mount -o ro "$1" "$2"', `${dev}p2`, dir);
  try {
    sh('mount -o ro "$1" "$2"', `${dev}p3`, join(dir, 'home'));
    try {
      return snapshotTree(dir, skipRel);
    } finally {
      sh('umount "$1"', join(dir, 'home'));
    }
  } finally {
    sh('umount "$1"', dir);
  }
}

function expectSameTree(got: Map<string, Entry>) {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, e] of want) {
    if (k === 'home') continue; // the mount point: its mode is the home filesystem's root
    expect(got.get(k), k).toEqual(e);
  }
  expect(got.get('data/a')).toMatchObject({ nlink: 2, xattrs: expect.stringContaining('user.lifeboat') });
  expect(got.get('data/sparse.img')).toMatchObject({ size: 24 * MiB, sparse: true });
  expect(got.get('data/owned')).toMatchObject({ uid: 1234, gid: 5678, xattrs: expect.stringContaining('system.posix_acl_access') });
  expect(got.get('data')!.xattrs).toContain('system.posix_acl_default');
}

const guard = async (device: string) => {
  await assertWritableTarget(device, { imageSize: null, imageSourceDevice: null, includeLoop: true });
};

async function restore(size: number, opts: { clone?: boolean; plan?: (dev: string) => RestorePlan; target?: LoopDevice; setDir?: string } = {}) {
  const target = opts.target ?? makeLoop(size, { dir: work });
  if (!opts.target) loops.push(target);
  const mountRoot = join(scratchDir('lifeboat-mnt-'), 'target');
  const plan =
    opts.plan?.(target.device) ??
    compilePlan(set, { setDir: opts.setDir ?? setDir, mountRoot, clone: opts.clone, targets: { [src!.device]: { device: target.device, sizeBytes: size } } });
  const events: JobProgress[] = [];
  const ctx = createJobContext('restore', { onProgress: (p) => events.push(p) });
  const result = await runPlan(ctx, plan, { guard });
  return { target, plan, events, result };
}

function expectTable(dev: string, plan: RestorePlan, clone: boolean) {
  const rec = set.layout.disks.find((d) => d.device === src!.device)!.table!;
  const got = readTable(dev);
  expect(got.label).toBe('gpt');
  if (clone) expect(got.id).not.toBe(rec.id);
  else expect(got.id).toBe(rec.id);
  expect(got.partitions.length).toBe(rec.partitions.length);
  for (const r of rec.partitions) {
    const p = got.partitions.find((x) => x.node === `${dev}p${r.number}`)!;
    expect(p.type).toBe(r.type);
    expect(p.name).toBe(r.name);
    if (clone) expect(p.uuid).not.toBe(r.uuid);
    else expect(p.uuid).toBe(r.uuid);
    expect(p.size * 512).toBe(plan.mapping.find((m) => m.source === r.node)!.targetBytes);
  }
}

function expectIdentities(dev: string, clone: boolean) {
  const esp = blkid(`${dev}p1`);
  expect(esp).toMatchObject({ TYPE: 'vfat', LABEL: 'LBESP' });
  const root = blkid(`${dev}p2`);
  const home = blkid(`${dev}p3`);
  const swap = blkid(`${dev}p4`);
  expect(root).toMatchObject({ TYPE: 'ext4', LABEL: 'lbroot' });
  expect(home).toMatchObject({ TYPE: 'ext4', LABEL: 'lbhome' });
  expect(swap).toMatchObject({ TYPE: 'swap', LABEL: 'lbswap' });
  if (clone) {
    expect([esp.UUID, root.UUID, home.UUID, swap.UUID]).not.toContain(ROOT_UUID);
    expect(root.UUID).not.toBe(ROOT_UUID);
    expect(esp.UUID).not.toBe('2B1F-0001');
  } else {
    expect([esp.UUID, root.UUID, home.UUID, swap.UUID]).toEqual(['2B1F-0001', ROOT_UUID, HOME_UUID, SWAP_UUID]);
  }
  // the recorded ext4 parameters came back
  const t = sh('tune2fs -l "$1"', `${dev}p2`);
  expect(t).toMatch(/Block size:\s+1024/);
  expect(t).toMatch(/Inode size:\s+256/);
  return { root, home, swap, esp };
}

describe.skipIf(skip)(`restore onto real loop disks (${skip ? loopSkipReason : 'real devices'})`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-restore-');
    src = makeLoop(SRC_SIZE, { dir: work });
    sh(
      `printf 'label: gpt\\nsize=32M, type=U, name="EFI system"\\nsize=120M, type=L, name=root, attrs="LegacyBIOSBootable"\\nsize=72M, type=L, name="my home"\\ntype=S, name=swap\\n' | sfdisk -q "$1"`,
      src.device,
    );
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', src.device);
    sh('mkfs.vfat -F 32 -n LBESP -i 2B1F0001 "$1"', `${src.device}p1`);
    sh(`mkfs.ext4 -q -F -b 1024 -I 256 -i 4096 -m 1 -L lbroot -U ${ROOT_UUID} "$1"`, `${src.device}p2`);
    sh(`mkfs.ext4 -q -F -L lbhome -U ${HOME_UUID} "$1"`, `${src.device}p3`);
    sh(`mkswap -L lbswap -U ${SWAP_UUID} "$1"`, `${src.device}p4`);
    srcRoot = join(work, 'root');
    mkdirSync(srcRoot);
    sh('mount "$1" "$2"', `${src.device}p2`, srcRoot);
    srcMounts.push(srcRoot);
    mkdirSync(join(srcRoot, 'home'));
    sh('mount "$1" "$2"', `${src.device}p3`, join(srcRoot, 'home'));
    srcMounts.push(join(srcRoot, 'home'));
    populate(srcRoot);
    setDir = join(work, 'set');
    // raw: false keeps this proof on the mkfs path for the unmounted ESP (raw images have their own proof in raw.test.ts)
    await runBackup({ dest: setDir, root: srcRoot, compress: 'zstd', split: MiB, raw: false }, createJobContext('backup'));
    set = BackupSetSchema.parse(JSON.parse(readFileSync(join(setDir, 'lifeboat.json'), 'utf8')));
    want = snapshotTree(srcRoot, skipRel);
  }, 120_000);

  afterAll(() => {
    for (const m of srcMounts.reverse()) {
      try {
        sh('umount "$1"', m);
      } catch {
        /* not mounted */
      }
    }
    for (const l of [...loops, ...(src ? [src] : [])]) {
      try {
        sh('partx -d "$1"', l.device);
      } catch {
        /* no partitions */
      }
      l.detach();
    }
    cleanupScratch();
  });

  it('the set records what the restore needs', () => {
    expect(set.archives.map((a) => a.mountpoint).sort()).toEqual(['/', '/home']);
    expect(set.archives.find((a) => a.mountpoint === '/')!.parts.length).toBeGreaterThan(1);
    expect(set.layout.disks.map((d) => d.device)).toEqual([src!.device]);
  });

  it('(a) onto a blank disk of the same size: same table, same identities, same files', async () => {
    const { target, plan, events } = await restore(SRC_SIZE);
    expectTable(target.device, plan, false);
    const rec = set.layout.disks[0].table!;
    const got = readTable(target.device);
    expect(got.partitions.map((p) => [p.start, p.size])).toEqual(rec.partitions.map((p) => [p.start, p.size]));
    expectIdentities(target.device, false);
    expectSameTree(restoredTree(target.device));
    // progress: every step, and bytes while extracting
    expect(events.some((e) => e.phase === 'extract.root' && e.bytes > 0)).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ phase: 'done', items: { done: plan.steps.length, total: plan.steps.length } });
    expect(mountsUnder(plan.mountRoot)).toEqual([]);
  }, 60_000);

  it('(b) onto a disk twice as large in clone mode: partitions grow, new identities, fstab follows', async () => {
    const { target, plan } = await restore(2 * SRC_SIZE, { clone: true });
    expectTable(target.device, plan, true);
    const ids = expectIdentities(target.device, true);
    const rootBytes = plan.mapping.find((m) => m.source === `${src!.device}p2`)!.targetBytes;
    expect(rootBytes).toBeGreaterThan(1.9 * 120 * MiB);
    expect(plan.mapping.find((m) => m.source === `${src!.device}p1`)!.targetBytes).toBe(32 * MiB);
    const tree = restoredTree(target.device);
    // the only difference with the source: fstab names the new UUIDs
    const fstabEntry = tree.get('etc/fstab')!;
    tree.set('etc/fstab', want.get('etc/fstab')!);
    expectSameTree(tree);
    expect(fstabEntry.sha256).not.toBe(want.get('etc/fstab')!.sha256);
    const dir = scratchDir('lifeboat-fstab-');
    sh('mount -o ro "$1" "$2"', `${target.device}p2`, dir);
    try {
      const fstab = readFileSync(join(dir, 'etc/fstab'), 'utf8');
      expect(fstab).toBe(`UUID=${ids.root.UUID} / ext4 defaults 0 1\nUUID=${ids.home.UUID} /home ext4 defaults 0 2\nUUID=${ids.swap.UUID} none swap sw 0 0\n`);
    } finally {
      sh('umount "$1"', dir);
    }
  }, 60_000);

  it('(c) onto a disk half the size that still holds the data: root and home shrink, files identical', async () => {
    const { target, plan } = await restore(SRC_SIZE / 2);
    expectTable(target.device, plan, false);
    expect(plan.mapping.find((m) => m.source === `${src!.device}p2`)!.targetBytes).toBeLessThan(120 * MiB);
    expectIdentities(target.device, false);
    expectSameTree(restoredTree(target.device));
  }, 60_000);

  it('(d) refuses a disk too small, with the numbers, and leaves its bytes untouched', async () => {
    const small = makeLoop(64 * MiB, { dir: work });
    loops.push(small);
    writeFileSync(small.file, randomBytes(MiB), { flag: 'r+' });
    const before = fileHash(small.file);
    let err: unknown;
    try {
      compilePlan(set, { setDir, mountRoot: '/nowhere', targets: { [src!.device]: { device: small.device, sizeBytes: 64 * MiB } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).code).toBe('target-too-small');
    expect((err as LifeboatError).params).toMatchObject({ device: small.device, available: 64 * MiB });
    expect(Number((err as LifeboatError).params.needed)).toBeGreaterThan(64 * MiB);

    // a plan made for a larger disk, run on this one (the disk was swapped): runPlan's own check refuses it
    const mountRoot = join(scratchDir('lifeboat-mnt-'), 'target');
    const planFor = (dev: string) => compilePlan(set, { setDir, mountRoot, targets: { [src!.device]: { device: dev, sizeBytes: SRC_SIZE } } });
    await expect(restore(64 * MiB, { target: small, plan: planFor })).rejects.toMatchObject({ code: 'target-too-small', params: { available: 64 * MiB } });
    expect(fileHash(small.file)).toBe(before);
  }, 60_000);

  it('refuses a damaged set before the target is touched', async () => {
    const bad = join(work, 'set-damaged');
    cpSync(setDir, bad, { recursive: true });
    const part = set.archives.find((a) => a.mountpoint === '/')!.parts[1].name;
    const fd = openSync(join(bad, part), 'r+');
    writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, 100);
    closeSync(fd);
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    writeFileSync(target.file, randomBytes(MiB), { flag: 'r+' });
    const before = fileHash(target.file);
    await expect(restore(SRC_SIZE, { target, setDir: bad })).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part } });
    expect(fileHash(target.file)).toBe(before);
  }, 60_000);

  it('refuses a target whose filesystem is mounted, and leaves it as it was', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    sh(`printf 'label: gpt\\nsize=64M, type=L\\n' | sfdisk -q "$1" && partx -d "$1" 2>/dev/null; partx -a "$1" && mkfs.ext4 -q -F "$1"p1`, target.device);
    const dir = scratchDir('lifeboat-busy-');
    sh('mount "$1" "$2"', `${target.device}p1`, dir);
    try {
      const before = readTable(target.device);
      await expect(restore(SRC_SIZE, { target })).rejects.toMatchObject({ code: 'target-mounted', params: { device: target.device } });
      expect(readTable(target.device)).toEqual(before);
      expect(mountsUnder(dir)).toEqual([dir]);
    } finally {
      sh('umount "$1"', dir);
    }
  }, 60_000);

  it('(e) the rendered sh script, run by dash as the rescue system does, restores the same', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    const mountRoot = join(scratchDir('lifeboat-mnt-'), 'target');
    // made for other names (the set elsewhere, the disk called vdb9): the rescue system says where they are now
    const plan = compilePlan(set, { setDir: '/where/the/set/was', mountRoot, targets: { [src!.device]: { device: '/dev/vdb9', sizeBytes: SRC_SIZE } } });
    const script = join(work, 'restore.sh');
    writeFileSync(script, renderShell(plan, { setVariable: true, targetVariables: true }));
    const res = spawnSync('dash', [script], { env: { ...process.env, LIFEBOAT_SET: setDir, LIFEBOAT_TARGET_1: target.device }, encoding: 'utf8', cwd: work });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`LIFEBOAT-STEP ${plan.steps.length}/${plan.steps.length} `);
    expect(res.stdout).toContain('LIFEBOAT-PLAN-DONE');
    expect(mountsUnder(mountRoot)).toEqual([]);
    expectTable(target.device, { ...plan, mapping: plan.mapping.map((m) => ({ ...m, target: m.target.replace('/dev/vdb9', target.device) })) }, false);
    expectIdentities(target.device, false);
    expectSameTree(restoredTree(target.device));
  }, 60_000);

  it('(f) a cancelled restore kills the extraction, unmounts, and running it again works', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    const mountRoot = join(scratchDir('lifeboat-mnt-'), 'target');
    const plan = compilePlan(set, { setDir, mountRoot, targets: { [src!.device]: { device: target.device, sizeBytes: SRC_SIZE } } });
    const abort = new AbortController();
    const ctx = createJobContext('restore', {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase === 'extract.root' && p.bytes > 0) abort.abort();
      },
    });
    await expect(runPlan(ctx, plan, { guard })).rejects.toMatchObject({ code: 'cancelled' });
    expect(mountsUnder(mountRoot)).toEqual([]);
    const again = await runPlan(createJobContext('restore'), plan, { guard });
    expect(again.steps).toBe(plan.steps.length);
    expectSameTree(restoredTree(target.device));

    // a run killed outright leaves its mounts behind: the next run of the same plan removes them and succeeds
    sh('mkdir -p "$2" && mount "$1" "$2" && mkdir -p "$2/home" && mount "$3" "$2/home"', `${target.device}p2`, mountRoot, `${target.device}p3`);
    expect(mountsUnder(mountRoot).length).toBe(2);
    await runPlan(createJobContext('restore'), plan, { guard });
    expect(mountsUnder(mountRoot)).toEqual([]);
    expectSameTree(restoredTree(target.device));
  }, 60_000);

  it('CLI: --dry-run prints the numbered plan with its commands and writes nothing', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    writeFileSync(target.file, randomBytes(MiB), { flag: 'r+' });
    const before = fileHash(target.file);
    const env = process.env.LIFEBOAT_LANG;
    process.env.LIFEBOAT_LANG = 'fr';
    let r;
    try {
      r = await cli(['restore', '--set', setDir, '--target', target.device, '--dry-run']);
    } finally {
      if (env === undefined) delete process.env.LIFEBOAT_LANG;
      else process.env.LIFEBOAT_LANG = env;
    }
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Plan de restauration de la sauvegarde ${set.id}`);
    expect(r.out).toMatch(/^1\. Vérifier les \d+ parties d’archive/m);
    expect(r.out).toContain(`$ 'wipefs' '-a' '${target.device}'`);
    expect(r.out).toMatch(/\d+\. Restaurer les fichiers de \/home/);
    if (process.env.LIFEBOAT_SHOW_PLAN) writeFileSync(process.env.LIFEBOAT_SHOW_PLAN, r.out);
    expect(fileHash(target.file)).toBe(before);

    const j = await cli(['restore', '--set', setDir, '--target', target.device, '--dry-run', '--json']);
    expect(j.code).toBe(0);
    const plan = (j.lines[0] as { plan: RestorePlan }).plan;
    expect(plan.targets[0]).toMatchObject({ device: target.device, sizeBytes: SRC_SIZE });
    expect(fileHash(target.file)).toBe(before);

    // the expert's own size for /home: kept exactly, the others share the rest
    const home = set.layout.filesystems.find((f) => f.mountpoint === '/home')!.device;
    const sized = await cli(['restore', '--set', setDir, '--target', target.device, '--size', `${home}=40M`, '--dry-run', '--json']);
    expect(sized.code, sized.out).toBe(0);
    const sizedPlan = (sized.lines[0] as { plan: RestorePlan }).plan;
    expect(sizedPlan.mapping.find((m) => m.kind === 'partition' && m.source === home)!.targetBytes).toBe(40 * MiB);
    // too small for its data, not a recorded partition, or not a size: refused (exit 2), nothing written
    const tooSmall = await cli(['restore', '--set', setDir, '--target', target.device, '--size', `${home}=1M`, '--dry-run', '--json']);
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.lines.at(-1)).toMatchObject({ type: 'error', code: 'restore-size-too-small', params: { partition: home } });
    expect((await cli(['restore', '--set', setDir, '--target', target.device, '--size', '/dev/nope9=1G', '--dry-run'])).code).toBe(2);
    expect((await cli(['restore', '--set', setDir, '--target', target.device, '--size', `${home}=lots`, '--dry-run'])).code).toBe(2);
    expect(fileHash(target.file)).toBe(before);
  });

  it('CLI: refuses without --yes when nobody can answer, and a loop target without --include-loop (exit 2, nothing written)', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    writeFileSync(target.file, randomBytes(MiB), { flag: 'r+' });
    const before = fileHash(target.file);
    const noYes = await cli(['restore', '--set', setDir, '--target', target.device, '--include-loop', '--json']);
    expect(noYes.code).toBe(2);
    expect(noYes.lines.at(-1)).toMatchObject({ type: 'error', code: 'not-confirmed' });
    // the drive guard answers before any question: nobody is asked to confirm a refused write
    for (const yes of [['--yes'], []]) {
      const noLoop = await cli(['restore', '--set', setDir, '--target', target.device, ...yes, '--json']);
      expect(noLoop.code).toBe(2);
      expect(noLoop.lines.at(-1)).toMatchObject({ type: 'error', code: 'target-loop-not-allowed' });
    }
    expect(fileHash(target.file)).toBe(before);
  }, 60_000);

  // The disk holding this machine's / (whatever measuring it would run into: this VM refuses
  // blockdev on it, which used to end the restore as tool-failed, exit 1)
  it('CLI: refuses the running system\'s disk as a target, as such (target-system, exit 2), before measuring it', async (t) => {
    const disk = systemDiskOrSkip(t);
    if (!disk) return;
    const r = await cli(['restore', '--set', setDir, '--target', disk, '--yes', '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'target-system', params: { device: disk } });
    expect(String(r.last.message)).toMatch(/root filesystem/);
  }, 60_000);

  // Both said something else before: "--target 2 > 1", and for a --map naming a disk the set
  // does not have, that the set's real disk had no target (the mistake was the name).
  it('CLI: names the mistake in --target and --map (too many targets, a disk the set does not have): exit 2, nothing written', async () => {
    const [a, b] = [makeLoop(SRC_SIZE, { dir: work }), makeLoop(SRC_SIZE, { dir: work })];
    loops.push(a, b);
    writeFileSync(a.file, randomBytes(MiB), { flag: 'r+' });
    const before = fileHash(a.file);
    const two = await cli(['restore', '--set', setDir, '--target', `${a.device},${b.device}`, '--yes', '--include-loop', '--json']);
    expect(two.code).toBe(2);
    expect(two.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--target' } });
    expect(String((two.last.params as Record<string, unknown>).reason)).toBe('The backup has 1 disk(s), but 2 targets were given.');
    const mapPlus = await cli(['restore', '--set', setDir, '--map', `${src!.device}=${a.device}`, '--target', b.device, '--yes', '--include-loop', '--json']);
    expect(String((mapPlus.last.params as Record<string, unknown>).reason)).toBe('The backup has 1 disk(s), but 2 targets were given.');
    const unknown = await cli(['restore', '--set', setDir, '--map', `/dev/nosuchdisk=${a.device}`, '--yes', '--include-loop', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.last).toMatchObject({ type: 'error', code: 'restore-disk-unknown', params: { disk: '/dev/nosuchdisk', known: src!.device } });
    expect(fileHash(a.file)).toBe(before);
  }, 60_000);

  // The refusal said "holds the image itself", a flash's words, to someone restoring a backup.
  it('CLI: refuses the disk the set is read from as a target (target-is-source, saying "backup"), its bytes untouched', async () => {
    const holder = makeLoop(SRC_SIZE, { dir: work });
    loops.push(holder);
    sh('mkfs.ext4 -q -F "$1"', holder.device);
    const mnt = scratchDir('lifeboat-set-holder-');
    sh('mount "$1" "$2"', holder.device, mnt);
    srcMounts.push(mnt);
    cpSync(setDir, join(mnt, 'set'), { recursive: true });
    sh('mount -o remount,ro "$1"', mnt);
    const before = sha256Dev(holder.device);
    const r = await cli(['restore', '--set', join(mnt, 'set'), '--map', `${src!.device}=${holder.device}`, '--yes', '--include-loop', '--json']);
    expect(r.code).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'target-is-source', params: { device: holder.device } });
    expect(String(r.last.message)).toMatch(/backup/);
    expect(sha256Dev(holder.device)).toBe(before);
  }, 60_000);

  it('CLI: restores with --yes --include-loop --json (exit 0) onto a target that was mounted (unmounted first), and the files are back', async () => {
    const target = makeLoop(SRC_SIZE, { dir: work });
    loops.push(target);
    sh(`printf 'label: gpt\\nsize=64M, type=L\\n' | sfdisk -q "$1" && partx -d "$1" 2>/dev/null; partx -a "$1" && mkfs.ext4 -q -F "$1"p1`, target.device);
    const busy = scratchDir('lifeboat-was-mounted-');
    sh('mount "$1" "$2"', `${target.device}p1`, busy);
    const r = await cli(['restore', '--set', setDir, '--map', `${src!.device}=${target.device}`, '--yes', '--include-loop', '--json']);
    expect(r.code, r.out).toBe(0);
    expect(r.lines.at(-1)).toMatchObject({ type: 'result' });
    expect(r.lines.some((l) => l.type === 'progress' && String(l.phase).startsWith('extract.'))).toBe(true);
    expect(mountsUnder(busy)).toEqual([]);
    expectIdentities(target.device, false);
    expectSameTree(restoredTree(target.device));
  }, 60_000);
});
