/**
 * The tar xattr scanner on archives GNU tar itself wrote (no hand-made bytes): every
 * member's records must equal what getfattr reads from the tree that was archived,
 * whatever the chunking of the stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { headerNumber, parsePaxRecords, scanTarXattrs, TarXattrScanner, type TarMemberXattrs } from './tar-xattrs';
import { liveXattrs, parseGetfattr, unescapeGetfattr } from './live-xattrs';
import { relName } from './listing';

const isRoot = process.getuid?.() === 0;
const setfattr = (path: string, name: string, value: string) => execFileSync('setfattr', ['-h', '-n', name, ...(value ? ['-v', value] : []), path]);
/** VFS_CAP_REVISION_2 | effective, permitted = 1 << CAP_NET_RAW (13), inheritable 0, two 32-bit words */
const CAP_NET_RAW_EP = '0x0100000200200000000000000000000000000000';
const LONG_DIR = 'a-rather-long-directory-name-to-pass-the-ustar-limits/' + 'sub-folder-with-a-long-name-too/'.repeat(3);
const ODD = 'new\nline été\\back=eq %25';

function scanAll(archive: Buffer, chunk: number): TarMemberXattrs[] {
  const out: TarMemberXattrs[] = [];
  const s = new TarXattrScanner((m) => out.push(m));
  for (let at = 0; at < archive.length && !s.done; at += chunk) s.write(archive.subarray(at, at + chunk));
  s.end();
  return out;
}

const asObject = (m: Map<string, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString('hex')]));

describe('tar xattr scanner on real GNU tar archives', () => {
  let work = '';
  let tree = '';
  let pax: Buffer;
  let gnu: Buffer;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lifeboat-tarx-'));
    tree = join(work, 'tree');
    mkdirSync(join(tree, LONG_DIR), { recursive: true });
    mkdirSync(join(tree, 'acl-dir'));
    writeFileSync(join(tree, 'plain'), 'no attributes\n');
    writeFileSync(join(tree, 'user'), 'user xattrs\n');
    setfattr(join(tree, 'user'), 'user.text', 'kept');
    // a value with a newline and NULs, an empty one, and a name tar has to escape (% and =)
    setfattr(join(tree, 'user'), 'user.binary', '0x000a0a00ff');
    setfattr(join(tree, 'user'), 'user.empty', '');
    setfattr(join(tree, 'user'), 'user.we=ird%25', 'x');
    execFileSync('setfacl', ['-m', 'u:1234:rwx,g:5678:r', join(tree, 'user')]);
    execFileSync('setfacl', ['-d', '-m', 'u:1234:rx', join(tree, 'acl-dir')]);
    writeFileSync(join(tree, LONG_DIR, ODD), 'odd name\n');
    setfattr(join(tree, LONG_DIR, ODD), 'user.odd', 'yes');
    setfattr(join(tree, LONG_DIR), 'user.dir', 'long');
    // bigger than any chunk of the stream, then a member right behind it
    writeFileSync(join(tree, 'big'), randomBytes(3 << 20));
    setfattr(join(tree, 'big'), 'user.big', 'after 3 MiB');
    // sparse: data, a hole, data, a hole, … (pax sparse 1.0 keeps its map in the data blocks)
    execFileSync('sh', ['-c', 'truncate -s 20M "$1" && for o in 0 3 6 9 12 15 18; do printf data | dd of="$1" bs=1M seek=$o conv=notrunc status=none; done', 'sh', join(tree, 'sparse')]);
    setfattr(join(tree, 'sparse'), 'user.sparse', 'holes');
    writeFileSync(join(tree, 'zz-last'), 'last\n');
    setfattr(join(tree, 'zz-last'), 'user.last', 'end');
    linkSync(join(tree, 'user'), join(tree, 'user-link'));
    symlinkSync('plain', join(tree, 'symlink'));
    if (isRoot) {
      setfattr(join(tree, 'symlink'), 'trusted.on-link', 'l');
      // what `setcap cap_net_raw+ep` writes (libcap2-bin is not a dependency; the kernel checks the format)
      writeFileSync(join(tree, 'ping'), 'pretend ping\n');
      setfattr(join(tree, 'ping'), 'security.capability', CAP_NET_RAW_EP);
    }
    const make = (file: string, ...opts: string[]) => {
      execFileSync('tar', ['-c', '-f', join(work, file), '--sparse', '--numeric-owner', ...opts, '-C', tree, '.']);
      return readFileSync(join(work, file));
    };
    // as tar-args.ts makes them
    pax = make('pax.tar', '--xattrs', '--xattrs-include=*', '--pax-option=delete=atime,delete=ctime');
    // GNU format: no xattrs, but 'L' long names and old sparse headers with extension blocks
    gnu = make('gnu.tar', '--format=gnu');
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('finds every member with exactly the xattrs getfattr reads from the tree', async () => {
    const members = scanAll(pax, pax.length);
    const names = members.map((m) => relName(m.name));
    expect(names).toEqual(expect.arrayContaining(['', 'plain', 'user', 'user-link', 'acl-dir', 'big', 'sparse', 'zz-last', 'symlink', `${LONG_DIR}${ODD}`, LONG_DIR.slice(0, -1)]));
    // tar's own listing has the same members in the same order
    expect(members.length).toBe(execFileSync('tar', ['-t', '-f', join(work, 'pax.tar')]).toString().match(/^\.\//gm)!.length);
    const live = await liveXattrs(tree, names, new AbortController().signal);
    // a hard link member carries nothing: the xattrs are on the member that holds the data
    expect(members.find((m) => relName(m.name) === 'user-link')).toMatchObject({ type: '1', xattrs: new Map() });
    for (const m of members.filter((x) => x.type !== '1')) expect(asObject(m.xattrs), m.name).toEqual(asObject(live.get(relName(m.name)) ?? new Map()));

    const user = members.find((m) => relName(m.name) === 'user')!.xattrs;
    expect(user.get('user.binary')).toEqual(Buffer.from([0, 10, 10, 0, 0xff]));
    expect(user.get('user.empty')).toEqual(Buffer.alloc(0));
    expect(user.get('user.we=ird%25')!.toString()).toBe('x');
    expect([...user.keys()]).toContain('system.posix_acl_access');
    expect([...members.find((m) => relName(m.name) === 'acl-dir')!.xattrs.keys()]).toEqual(['system.posix_acl_default']);
    expect(members.find((m) => relName(m.name) === 'sparse')!.xattrs.get('user.sparse')!.toString()).toBe('holes');
    expect(members.find((m) => relName(m.name) === 'big')!.xattrs.get('user.big')!.toString()).toBe('after 3 MiB');
    expect(members.find((m) => relName(m.name) === 'zz-last')!.xattrs.get('user.last')!.toString()).toBe('end');
    expect(members.find((m) => relName(m.name) === `${LONG_DIR}${ODD}`)!.xattrs.get('user.odd')!.toString()).toBe('yes');
    if (isRoot) expect(members.find((m) => relName(m.name) === 'symlink')!.xattrs.get('trusted.on-link')!.toString()).toBe('l');
    if (isRoot) {
      const cap = members.find((m) => relName(m.name) === 'ping')!.xattrs.get('security.capability')!;
      // VFS_CAP_REVISION_2, effective, permitted = 1 << CAP_NET_RAW (13)
      expect(cap.subarray(0, 12).toString('hex')).toBe('0100000200200000' + '00000000');
    } else console.log('security.capability and trusted.* not checked: setting them needs root');
  });

  it('gives the same result whatever the chunking, and from a stream', async () => {
    const whole = JSON.stringify(scanAll(pax, pax.length).map((m) => [m.name, m.type, asObject(m.xattrs)]));
    for (const chunk of [1, 100, 511, 513, 4096, 65536 + 7]) {
      const part = chunk === 1 ? pax.subarray(0, 64 * 1024) : pax;
      if (chunk === 1) {
        // byte by byte over the first members only (it is slow), compared with the same prefix in one go
        const got: TarMemberXattrs[] = [];
        const s = new TarXattrScanner((m) => got.push(m));
        for (let i = 0; i < part.length; i++) s.write(part.subarray(i, i + 1));
        expect(got.length).toBeGreaterThan(2);
        expect(JSON.stringify(got.map((m) => [m.name, m.type, asObject(m.xattrs)]))).toBe(JSON.stringify(JSON.parse(whole).slice(0, got.length)));
        continue;
      }
      expect(JSON.stringify(scanAll(part, chunk).map((m) => [m.name, m.type, asObject(m.xattrs)])), `chunks of ${chunk}`).toBe(whole);
    }
    const streamed: TarMemberXattrs[] = [];
    for await (const m of scanTarXattrs(createReadStream(join(work, 'pax.tar'), { highWaterMark: 1000 }))) streamed.push(m);
    expect(JSON.stringify(streamed.map((m) => [m.name, m.type, asObject(m.xattrs)]))).toBe(whole);
  });

  it('walks a GNU-format archive: long names, old sparse headers with extension blocks', () => {
    // 7 data regions need more than the 4 map entries of the header: tar writes extension blocks
    const members = scanAll(gnu, 4096);
    expect(members.find((m) => relName(m.name) === 'sparse')!.type).toBe('S');
    expect(members.map((m) => relName(m.name))).toEqual(expect.arrayContaining([`${LONG_DIR}${ODD}`, 'zz-last', 'big', 'plain']));
    expect(members.length).toBe(scanAll(pax, pax.length).length);
    expect(members.every((m) => m.xattrs.size === 0)).toBe(true);
  });

  it('refuses a truncated stream and garbage', () => {
    const big = pax.indexOf(Buffer.from('user.big'));
    expect(() => scanAll(pax.subarray(0, big + 100_000), 4096)).toThrow(/ends inside a member/);
    expect(() => scanAll(Buffer.concat([pax.subarray(0, 512 * 3), Buffer.alloc(512, 0x41)]), 512)).toThrow();
  });

  it('reads header numbers, pax records and getfattr quoting', () => {
    expect(headerNumber(Buffer.from('00000001750\0'))).toBe(0o1750);
    // base-256 (files from 8 GiB on in GNU format): 0x80 then big-endian
    expect(headerNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x40, 0, 0, 0]))).toBe(9 * 2 ** 30);
    const value = Buffer.from('a\nb\0c');
    const rec = (k: string, v: Buffer) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
      let len = body.length + 1;
      if (String(len).length + body.length !== len) len = String(len + 1).length + body.length;
      return Buffer.concat([Buffer.from(String(len)), body]);
    };
    expect(parsePaxRecords(Buffer.concat([rec('SCHILY.xattr.user.x', value), rec('path', Buffer.from('./été'))]))).toEqual([
      ['SCHILY.xattr.user.x', value],
      ['path', Buffer.from('./été')],
    ]);
    expect(unescapeGetfattr('./new\\012line \\303\\251t\\303\\251\\134x')).toBe('./new\nline été\\x');
    const parsed = parseGetfattr('# file: ./a\\012b\nuser.k\\075v=0x6869\nuser.e=0x\n\n# file: ./c\nsystem.posix_acl_access=0x02000000\n\n');
    expect([...parsed.keys()]).toEqual(['./a\nb', './c']);
    expect(parsed.get('./a\nb')).toEqual(new Map([['user.k=v', Buffer.from('hi')], ['user.e', Buffer.alloc(0)]]));
  });
});
