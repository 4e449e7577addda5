/**
 * Compare and selective file restore on a real system tree: a GPT loop disk with ext4
 * mounted as / and /home of a scratch root, backed up with runBackup, then changed on
 * purpose and compared, and files restored into a folder and in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { createJobContext } from '../job';
import type { JobProgress } from '../../../shared/progress';
import { runBackup } from '../backup/backup';
import { snapshotTree } from '../backup/tree-snapshot';
import { compareSet, parseDiffLine } from './compare';
import { restoreFiles } from './extract-files';
import { unescapeTar } from '../tar-quoting';
import { listSet, parseListLine, snapshotNames } from './listing';
import { runCli as cli } from '../../../../test/util/cli';

/** VFS_CAP_REVISION_2 | effective, permitted = 1 << CAP_NET_RAW (13): `setcap cap_net_raw+ep` */
const CAP_NET_RAW_EP = '0x0100000200200000000000000000000000000000';
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });


describe('tar output parsing', () => {
  it('reads escaped names, links and times from tar -tv', () => {
    expect(unescapeTar('./d/new\\nline \\303\\251t\\303\\251\\\\x')).toBe('./d/new\nline été\\x');
    expect(parseListLine('lrwxrwxrwx 0/0               0 2026-11-25 15:18:11 ./d/l -> zz')).toEqual({
      rel: 'd/l',
      entry: { type: 'symlink', perms: 'rwxrwxrwx', uid: 0, gid: 0, size: 0, mtime: '2026-11-25T15:18:11Z', target: 'zz' },
    });
    expect(parseListLine('drwxr-xr-x 1000/1000       7 2026-11-25 15:18:11 ./')).toMatchObject({ rel: '', entry: { type: 'dir', uid: 1000 } });
    expect(parseListLine('hrw-r--r-- 0/0 0 2026-11-25 15:18:11 ./a-link link to ./a')).toMatchObject({ rel: 'a-link', entry: { type: 'hardlink', target: 'a' } });
    expect(parseListLine('tar: something odd')).toBeNull();
  });

  it('maps tar --compare messages to reasons', () => {
    expect(parseDiffLine('./d/a: Mod time differs')).toEqual({ rel: 'd/a', reason: 'mtime' });
    expect(parseDiffLine('./with: colon: Contents differ')).toEqual({ rel: 'with: colon', reason: 'contents' });
    expect(parseDiffLine('./x: Gid differs')).toEqual({ rel: 'x', reason: 'owner' });
    expect(parseDiffLine('tar: ./gone: Warning: Cannot stat: No such file or directory')).toBeNull();
  });

  it('reads the names a --listed-incremental snapshot records', () => {
    const body = Buffer.concat([Buffer.from('GNU tar-1.34-2\n'), Buffer.from(['1', '2', '0', '1', '2', '3', '4', './d', 'Ya', 'Ynew\nline', '', '', '0', '1', '2', '3', '4', './empty', '', '', '0', '1', '2', '3', '4', '.', 'Dd', 'Dempty', '', ''].join('\0') + '\0')]);
    expect([...snapshotNames(body)].sort()).toEqual(['', 'd', 'd/a', 'd/new\nline', 'empty']);
  });
});

const skip = !canUseLoop();

describe.skipIf(skip)(`compare and file restore on a loop disk with / and /home (${skip ? loopSkipReason : 'real devices'})`, () => {
  let loop: LoopDevice | null = null;
  const mounts: string[] = [];
  let work = '';
  let root = '';
  let set = '';
  const ctx = () => createJobContext('compare');

  beforeAll(async () => {
    work = scratchDir('lifeboat-compare-');
    loop = makeLoop(100 << 20, { dir: work });
    sh(`printf 'label: gpt\\nsize=60M, type=L, name=root\\ntype=L, name=home\\n' | sfdisk -q "$1"`, loop.device);
    try {
      sh('partx -a "$1"', loop.device);
    } catch {
      /* losetup -P already made the nodes */
    }
    sh('mkfs.ext4 -q -F "$1"', `${loop.device}p1`);
    sh('mkfs.ext4 -q -F "$1"', `${loop.device}p2`);
    root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${loop.device}p1`, root);
    mounts.push(root);
    mkdirSync(join(root, 'home'));
    sh('mount "$1" "$2"', `${loop.device}p2`, join(root, 'home'));
    mounts.push(join(root, 'home'));

    mkdirSync(join(root, 'data/sub/deep'), { recursive: true });
    for (const n of ['mod', 'chm', 'del', 'same']) writeFileSync(join(root, 'data', n), `${n} original\n`);
    writeFileSync(join(root, 'data/sub/x'), 'x with xattr\n');
    sh('setfattr -n user.lifeboat -v kept "$1"', join(root, 'data/sub/x'));
    sh('setfacl -m u:1234:rwx "$1"', join(root, 'data/sub/x'));
    writeFileSync(join(root, 'data/sub/deep/y'), 'y\n');
    chownSync(join(root, 'data/sub/deep/y'), 1234, 5678);
    chmodSync(join(root, 'data/sub/deep/y'), 0o640);
    symlinkSync('x', join(root, 'data/sub/link'));
    writeFileSync(join(root, 'data/hard1'), 'one inode, two names\n');
    linkSync(join(root, 'data/hard1'), join(root, 'data/hard2'));
    // attributes tar --compare does not look at, changed after the backups (last test)
    mkdirSync(join(root, 'attrs/dir-acl'), { recursive: true });
    for (const n of ['acl', 'ping', 'user', 'untouched']) writeFileSync(join(root, 'attrs', n), `${n}\n`);
    sh('setfacl -m u:1234:rwx "$1"', join(root, 'attrs/acl'));
    // what `setcap cap_net_raw+ep` writes (libcap2-bin is not a dependency)
    sh(`setfattr -n security.capability -v ${CAP_NET_RAW_EP} "$1"`, join(root, 'attrs/ping'));
    sh('setfattr -n user.color -v blue "$1"', join(root, 'attrs/user'));
    sh('setfattr -n user.keep -v 0x000a00 "$1" && setfacl -m g:5678:r "$1"', join(root, 'attrs/untouched'));
    mkdirSync(join(root, 'tmp'));
    writeFileSync(join(root, 'tmp/junk'), 'excluded by default');
    mkdirSync(join(root, 'home/anna'));
    writeFileSync(join(root, 'home/anna/doc.txt'), 'Anna’s document\n');
    chownSync(join(root, 'home/anna'), 1000, 1000);
    chownSync(join(root, 'home/anna/doc.txt'), 1000, 1000);
    utimesSync(join(root, 'home/anna/doc.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));

    set = join(work, 'sets', 'full');
    await runBackup({ dest: set, root, split: 64 * 1024 }, createJobContext('backup'));
  }, 50_000);

  afterAll(() => {
    for (const m of mounts.reverse()) {
      try {
        sh('umount "$1"', m);
      } catch {
        /* not mounted */
      }
    }
    loop?.detach();
    cleanupScratch();
  });

  it('finds the system identical to a fresh backup (exit 0)', async () => {
    const before = snapshotTree(root);
    const r = await cli(['compare', '--set', set, '--root', root, '--json']);
    expect(r.code, r.out).toBe(0);
    // tmp/junk is excluded by the set, so it is not "added"
    expect(r.last).toMatchObject({ type: 'result', identical: true, changed: [], missing: [], added: [], archives: 2 });
    // nothing was written to the compared system
    expect(snapshotTree(root)).toEqual(before);
  });

  it('reports its progress in bytes of parts read, both passes of every archive, up to the total', async () => {
    const seen: JobProgress[] = [];
    await compareSet(createJobContext('compare', { onProgress: (p) => seen.push(p) }), { setDir: set, root });
    const manifest = JSON.parse(readFileSync(join(set, 'lifeboat.json'), 'utf8')) as { archives: Array<{ kind: string; parts: Array<{ size: number }> }> };
    // every archive here was made with --xattrs: read once by tar --compare, once for its xattrs
    const total = manifest.archives.filter((a) => a.kind === 'tar').reduce((s, a) => s + 2 * a.parts.reduce((t, p) => t + p.size, 0), 0);
    expect(total).toBeGreaterThan(0);
    const bytes = seen.filter((p) => p.phase === 'compare.archive').map((p) => [p.bytes, p.total]);
    expect(bytes.every(([, t]) => t === total)).toBe(true);
    expect(bytes.every(([b], i) => i === 0 || b! >= bytes[i - 1][0]!)).toBe(true);
    expect(bytes[bytes.length - 1][0]).toBe(total);
  });

  it('lists a folder of the set', async () => {
    const entries = await listSet(set, '/data/sub');
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['deep', 'dir'],
      ['link', 'symlink'],
      ['x', 'file'],
    ]);
    expect(entries.find((e) => e.name === 'x')!.size).toBe(13);
    expect((await listSet(set, '/home')).map((e) => e.name)).toEqual(expect.arrayContaining(['anna', 'lost+found']));
    await expect(listSet(set, '/nope')).rejects.toMatchObject({ code: 'set-path-missing' });
    const r = await cli(['files', 'list', '--set', set, '/home/anna', '--json']);
    expect(r.code, r.out).toBe(0);
    expect(r.last).toMatchObject({ type: 'result', path: '/home/anna', entries: [{ name: 'doc.txt', type: 'file', size: 18, mtime: '2020-01-02T03:04:05Z' }] });
  });

  it('restores a file and a folder into an empty folder with owners, modes, xattrs and ACLs', async () => {
    const to = join(work, 'out1');
    const r = await restoreFiles(ctx(), { setDir: set, paths: ['/home/anna/doc.txt', '/data/sub/'], to });
    expect(r).toMatchObject({ entries: 6, archives: 2 });
    expect(snapshotTree(join(to, 'data/sub'))).toEqual(snapshotTree(join(root, 'data/sub')));
    expect(snapshotTree(join(to, 'data/sub')).get('x')!.xattrs).toContain('system.posix_acl_access');
    expect(snapshotTree(join(to, 'home/anna'))).toEqual(snapshotTree(join(root, 'home/anna')));
    // only what was chosen
    expect(readdirSync(join(to, 'data'))).toEqual(['sub']);
    await expect(restoreFiles(ctx(), { setDir: set, paths: ['/data/same'], to })).rejects.toMatchObject({ code: 'dest-not-empty' });
    // either name of a hard link restores alone, whichever one tar stored as the link
    for (const name of ['hard1', 'hard2']) {
      const dest = join(work, `out-${name}`);
      await restoreFiles(ctx(), { setDir: set, paths: [`/data/${name}`], to: dest });
      expect(readFileSync(join(dest, 'data', name), 'utf8')).toBe('one inode, two names\n');
    }
  });

  it('restore --files: everything with no pattern, or the glob patterns chosen, each filesystem under its mount point', async () => {
    const all = join(work, 'out-all');
    let r = await cli(['restore', '--set', set, '--files', '--to', all, '--json']);
    expect(r.code, r.out).toBe(0);
    expect(snapshotTree(join(all, 'data'))).toEqual(snapshotTree(join(root, 'data')));
    expect(snapshotTree(join(all, 'home'))).toEqual(snapshotTree(join(root, 'home')));
    // the default exclusions hold for a file restore too: it restores what the set has
    expect(existsSync(join(all, 'tmp/junk'))).toBe(false);

    const some = join(work, 'out-globs');
    r = await cli(['restore', '--set', set, '--files', '--to', some, '--json', '*.txt', '/data/sub/dee*']);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(some, 'home/anna/doc.txt'), 'utf8')).toBe('Anna’s document\n');
    expect(readFileSync(join(some, 'data/sub/deep/y'), 'utf8')).toBe('y\n');
    expect(readdirSync(join(some, 'data'))).toEqual(['sub']);
    expect(readdirSync(join(some, 'data/sub'))).toEqual(['deep']);
  });

  it('restore --files refuses a pattern that matches nothing and a mixed-up command line, writing nothing (exit 2)', async () => {
    const to = join(work, 'out-none');
    let r = await cli(['restore', '--set', set, '--files', '--to', to, '--json', '/data/*.nope']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'set-path-missing', params: { path: '/data/*.nope' } });
    r = await cli(['restore', '--set', set, '--files', '--json', '/data']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--to' } });
    r = await cli(['restore', '--set', set, '--files', '--to', to, '--target', '/dev/null', '--json']);
    expect(r.code, r.out).toBe(2);
    r = await cli(['restore', '--set', set, '--to', to, '--json', '/data']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--files' } });
    expect(existsSync(to)).toBe(false);
  });

  it('refuses a crafted archive whose members would land outside the folder (a file below a symlink to /)', async () => {
    // a set whose root archive holds ./evil -> <outside> and then ./evil/pwn: extracting
    // both would write pwn through the link, outside the destination
    const hostile = join(work, 'hostile');
    cpSync(set, hostile, { recursive: true });
    const outside = join(work, 'outside');
    mkdirSync(outside);
    const a = join(work, 'craft-a');
    const b = join(work, 'craft-b');
    mkdirSync(a);
    mkdirSync(join(b, 'evil'), { recursive: true });
    symlinkSync(outside, join(a, 'evil'));
    writeFileSync(join(b, 'evil/pwn'), 'written outside\n');
    const tarFile = join(work, 'craft.tar');
    sh('tar -C "$1" -cf "$3" ./evil && tar -C "$2" -rf "$3" ./evil/pwn && zstd -q -f "$3" -o "$3.zst"', a, b, tarFile);
    const manifest = JSON.parse(readFileSync(join(hostile, 'lifeboat.json'), 'utf8'));
    const arch = manifest.archives.find((x: { mountpoint: string }) => x.mountpoint === '/');
    for (const p of arch.parts) rmSync(join(hostile, p.name));
    const body = readFileSync(`${tarFile}.zst`);
    const name = 'archives/root.tar.zst.000';
    writeFileSync(join(hostile, name), body);
    arch.parts = [{ name, size: body.length, sha256: sh('sha256sum "$1"', join(hostile, name)).split(' ')[0] }];
    writeFileSync(join(hostile, 'lifeboat.json'), JSON.stringify(manifest, null, 2) + '\n');
    sh('cd "$1" && find . -type f ! -name SHA256SUMS -printf "%P\\n" | sort | xargs -d "\\n" sha256sum > SHA256SUMS', hostile);

    for (const [i, args] of [['/evil/pwn'], [], ['/**']].entries()) {
      const to = join(work, `out-hostile-${i}`);
      const r = await cli(['restore', '--set', hostile, '--files', '--to', to, '--json', ...args]);
      expect(r.code, r.out).toBe(2);
      expect(r.last).toMatchObject({ type: 'error', code: 'path-escape', params: { entry: '/evil/pwn' } });
      expect(existsSync(to)).toBe(false);
    }
    // the link alone is harmless: it is restored as a link, nothing is written through it
    const to = join(work, 'out-hostile-link');
    const r = await cli(['restore', '--set', hostile, '--files', '--to', to, '--json', '/evil']);
    expect(r.code, r.out).toBe(0);
    expect(readlinkSync(join(to, 'evil'))).toBe(outside);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses path escapes and paths not in the set, writing nothing (exit 2)', async () => {
    const to = join(work, 'out2');
    for (const bad of ['/data/../etc', 'data/mod', '/data/mod\0x']) {
      const r = await cli(['files', 'restore', '--set', set, '--to', to, '--json', bad]);
      expect(r.code, r.out).toBe(2);
      expect(r.last).toMatchObject({ type: 'error', code: 'path-escape' });
    }
    const r = await cli(['files', 'restore', '--set', set, '--to', to, '--json', '/data/nope']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'set-path-missing' });
    expect(existsSync(to)).toBe(false);
  });

  it('refuses a corrupt part before writing anything', async () => {
    // not next to the good set: two sets with one id side by side make a chain ambiguous
    const bad = join(work, 'damaged', 'corrupt');
    cpSync(set, bad, { recursive: true });
    const part = readdirSync(join(bad, 'archives')).filter((n) => n.startsWith('root.'))[1];
    const fd = openSync(join(bad, 'archives', part), 'r+');
    writeSync(fd, Buffer.from('garbage'), 0, 7, 100);
    closeSync(fd);
    const to = join(work, 'out3');
    await expect(restoreFiles(ctx(), { setDir: bad, paths: ['/data/mod'], to })).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: `archives/${part}` } });
    expect(existsSync(to)).toBe(false);
    const r = await cli(['compare', '--set', bad, '--root', root, '--json']);
    expect(r.code).toBe(2);
    expect(r.last).toMatchObject({ code: 'set-part-corrupt' });
  });

  it('a part damaged after the listing was read: the parts are proven again before either pass reads them, and the damage is named', async () => {
    const bad = join(work, 'damaged-later', 'set');
    cpSync(set, bad, { recursive: true });
    // the listing is read and cached by a first, clean compare
    expect(await compareSet(ctx(), { setDir: bad, root })).toMatchObject({ changed: [], missing: [], added: [] });
    const part = readdirSync(join(bad, 'archives')).filter((n) => /^root\.tar\..*\.0+$/.test(n))[0];
    const fd = openSync(join(bad, 'archives', part), 'r+');
    writeSync(fd, Buffer.from('garbage'), 0, 7, 100);
    closeSync(fd);
    // proven before tar --compare and the xattr pass start side by side: the error is the
    // damage, not what a decompressor or an aborted pass made of it (an AbortError, once)
    await expect(compareSet(ctx(), { setDir: bad, root })).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: expect.stringContaining(part) } });
    const children = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(children.filter((c) => /^(zstd|tar|cat|getfattr)$/.test(c))).toEqual([]);
  });

  it('reports exactly what changed, went missing and was added (exit 1), and in-place restore brings a file back', async () => {
    // same size, other bytes, and the mtime put back to the nanosecond (the archive keeps
    // nanoseconds in its pax headers): only the contents differ
    const ns = statSync(join(root, 'data/mod'), { bigint: true }).mtimeNs;
    writeFileSync(join(root, 'data/mod'), 'MOD original\n');
    sh('touch -m -d "@$1" "$2"', `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, join(root, 'data/mod'));
    chmodSync(join(root, 'data/chm'), 0o600);
    unlinkSync(join(root, 'data/del'));
    writeFileSync(join(root, 'home/anna/new.txt'), 'new\n');
    writeFileSync(join(root, 'tmp/more-junk'), 'still excluded');

    const direct = await compareSet(ctx(), { setDir: set, root });
    expect(direct).toEqual({
      changed: [
        { path: '/data/chm', reasons: ['mode'] },
        { path: '/data/mod', reasons: ['contents'] },
      ],
      missing: ['/data/del'],
      added: ['/home/anna/new.txt'],
      archives: 2,
    });
    const r = await cli(['compare', '--set', set, '--root', root]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('/data/del');

    // in place: refused without --yes when nobody can answer, then done with --yes
    const refused = await cli(['files', 'restore', '--set', set, '--to', root, '--in-place', '--json', '/data/del']);
    expect(refused.code).toBe(2);
    expect(existsSync(join(root, 'data/del'))).toBe(false);
    const ok = await cli(['files', 'restore', '--set', set, '--to', root, '--in-place', '--yes', '--json', '/data/del', '/data/mod']);
    expect(ok.code, ok.out).toBe(0);
    expect(readFileSync(join(root, 'data/del'), 'utf8')).toBe('del original\n');
    const after = await compareSet(ctx(), { setDir: set, root });
    expect(after).toMatchObject({ changed: [{ path: '/data/chm', reasons: ['mode'] }], missing: [], added: ['/home/anna/new.txt'] });
    rmSync(join(root, 'home/anna/new.txt'));
  });
  it('follows an incremental chain: deletions and newer versions since the base count, a lost base is refused', async () => {
    unlinkSync(join(root, 'data/same'));
    writeFileSync(join(root, 'data/sub/x'), 'x, rewritten after the base\n');
    writeFileSync(join(root, 'data/added2'), 'after the base\n');
    const inc = join(work, 'sets', 'inc');
    const made = await runBackup({ dest: inc, root, base: set, split: 64 * 1024 }, createJobContext('backup'));
    const baseId = JSON.parse(readFileSync(join(set, 'lifeboat.json'), 'utf8')).id;
    expect(JSON.parse(readFileSync(join(inc, 'lifeboat.json'), 'utf8')).kind).toEqual({ type: 'incremental', base: baseId });
    expect(made.archives).toBe(2);

    const r = await cli(['compare', '--set', inc, '--root', root, '--json']);
    expect(r.code, r.out).toBe(0);
    expect(r.last).toMatchObject({ identical: true, archives: 4 });
    // the base alone sees the same changes as differences
    expect(await compareSet(ctx(), { setDir: set, root })).toMatchObject({ missing: ['/data/same'], added: ['/data/added2'] });

    expect((await listSet(inc, '/data')).map((e) => e.name)).toEqual(['added2', 'chm', 'del', 'hard1', 'hard2', 'mod', 'sub']);
    const to = join(work, 'out-inc');
    await restoreFiles(ctx(), { setDir: inc, paths: ['/data'], to });
    expect(snapshotTree(join(to, 'data'))).toEqual(snapshotTree(join(root, 'data')));

    const lonely = join(work, 'elsewhere', 'inc');
    cpSync(inc, lonely, { recursive: true });
    const refused = await cli(['compare', '--set', lonely, '--root', root, '--json']);
    expect(refused.code).toBe(2);
    expect(refused.last).toMatchObject({ code: 'set-invalid', message: expect.stringContaining(baseId) });
  }, 30_000);

  it('reports changed ACLs, capabilities, user xattrs and default ACLs, which tar --compare misses (exit 1)', async () => {
    const inc = join(work, 'sets', 'inc');
    const mode = statSync(join(root, 'attrs/acl')).mode;
    // the named user's entry under an unchanged mask (-n): mode bits stay, tar --compare sees nothing
    sh('setfacl -n -m u:1234:r-x "$1"', join(root, 'attrs/acl'));
    expect(statSync(join(root, 'attrs/acl')).mode).toBe(mode);
    // ping losing cap_net_raw (`setcap -r`)
    sh('setfattr -x security.capability "$1"', join(root, 'attrs/ping'));
    sh('setfattr -n user.color -v red "$1"', join(root, 'attrs/user'));
    // a default ACL on a directory, in the /home filesystem's archive too
    sh('setfacl -d -m u:1234:rx "$1"', join(root, 'attrs/dir-acl'));
    sh('setfacl -d -m u:1000:rwx "$1"', join(root, 'home/anna'));

    // the untouched file with xattrs and an ACL, and data/sub/x, are not reported
    expect(await compareSet(ctx(), { setDir: inc, root })).toEqual({
      changed: [
        { path: '/attrs/acl', reasons: ['xattrs'] },
        { path: '/attrs/dir-acl', reasons: ['xattrs'] },
        { path: '/attrs/ping', reasons: ['xattrs'] },
        { path: '/attrs/user', reasons: ['xattrs'] },
        { path: '/home/anna', reasons: ['xattrs'] },
      ],
      missing: [],
      added: [],
      archives: 4,
    });
    const r = await cli(['compare', '--set', inc, '--root', root]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('/attrs/ping (extended attributes: ACLs, SELinux label, capabilities)');

    // put back as they were: identical again, so the comparison is exact both ways
    sh('setfacl -n -m u:1234:rwx "$1"', join(root, 'attrs/acl'));
    sh(`setfattr -n security.capability -v ${CAP_NET_RAW_EP} "$1"`, join(root, 'attrs/ping'));
    sh('setfattr -n user.color -v blue "$1"', join(root, 'attrs/user'));
    sh('setfacl -k "$1"', join(root, 'attrs/dir-acl'));
    sh('setfacl -k "$1"', join(root, 'home/anna'));
    const back = await cli(['compare', '--set', inc, '--root', root, '--json']);
    expect(back.code, back.out).toBe(0);
    expect(back.last).toMatchObject({ identical: true, changed: [] });
  }, 30_000);
});
