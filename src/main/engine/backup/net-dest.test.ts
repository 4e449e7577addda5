/**
 * Network destinations: the grammar, the mount command lines, the credentials file, the
 * refusals, and — on this VM, whose kernel has no NFS or CIFS client — the real mount
 * helpers' failure path: the refusal is the specific one, the credentials file and the
 * mount point are gone, nothing is mounted. The mounts that succeed are proved in qemu
 * (test/qemu/net-dest.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupDestinationSchema, destinationText, netDestText, parseCredentialsText, parseNetDest, type NetDest } from '../../../shared/net-dest';
import { LifeboatError } from '../../../shared/errors';
import { cifsAttempt, classifyMountFailure, findMountHelper, mountNetDest, nfsAttempts, redact, writeCredentialsFile } from './net-dest';
import { runCli } from '../../../../test/util/cli';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lifeboat-netdest-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PASSWORD = 'S3cr3t pass=word,with;odd "chars"';

describe('the destination grammar (the rescue system’s lifeboat.set=)', () => {
  it('reads NFS exports and SMB shares, and leaves folders alone', () => {
    expect(parseNetDest('nfs:10.0.2.2:/sets/nightly')).toEqual({ kind: 'nfs', server: '10.0.2.2', path: '/sets/nightly' });
    expect(parseNetDest('nfs:nas.local://sets//x/')).toEqual({ kind: 'nfs', server: 'nas.local', path: '/sets/x' });
    expect(parseNetDest('nfs:[fd00::1]:/sets')).toEqual({ kind: 'nfs', server: '[fd00::1]', path: '/sets' });
    expect(parseNetDest('cifs://nas/backup')).toEqual({ kind: 'smb', server: 'nas', share: 'backup', path: '' });
    expect(parseNetDest('cifs://10.0.2.2/sets/host a/2026')).toEqual({ kind: 'smb', server: '10.0.2.2', share: 'sets', path: 'host a/2026' });
    expect(parseNetDest('/mnt/backups')).toBeNull();
    expect(parseNetDest('nfs-folder')).toBeNull();
  });

  it.each([
    ['nfs:server', 'expected nfs:SERVER:/PATH'],
    ['nfs::/x', 'no server'],
    ['nfs:server:relative', 'must start with /'],
    ['nfs:server:/a/../etc', 'no "." or ".."'],
    ['cifs://server', 'no share'],
    ['cifs:///share', 'no server'],
    ['cifs://user:pw@server/share', 'no user name'],
    ['cifs://server/share/../x', 'no "." or ".."'],
    ['cifs://server/share/a\nb', 'control characters'],
  ])('refuses %j (%s)', (text, reason) => {
    expect(() => parseNetDest(text)).toThrow(reason);
  });

  it('writes a destination back as text without any credential', () => {
    for (const t of ['nfs:10.0.2.2:/sets', 'cifs://nas/share', 'cifs://nas/share/a/b']) expect(netDestText(parseNetDest(t)!)).toBe(t);
    const smb = backupDestinationSchema.parse({ kind: 'smb', server: 'nas', share: 'sets', path: 'x', username: 'u', password: PASSWORD });
    expect(destinationText(smb)).toBe('cifs://nas/sets/x');
    expect(destinationText(smb)).not.toContain(PASSWORD);
  });

  it('the helper request’s destination is validated strictly', () => {
    const ok = (v: unknown) => backupDestinationSchema.safeParse(v).success;
    expect(ok({ kind: 'folder', path: '/mnt/b' })).toBe(true);
    expect(ok({ kind: 'nfs', server: 'nas', path: '/sets' })).toBe(true);
    expect(ok({ kind: 'nfs', server: 'nas', path: 'sets' })).toBe(false);
    expect(ok({ kind: 'nfs', server: 'nas;rm -rf', path: '/sets' })).toBe(false);
    expect(ok({ kind: 'nfs', server: 'nas', path: '/sets', password: 'x' })).toBe(false);
    expect(ok({ kind: 'smb', server: 'nas', share: 'sets', path: '', username: 'u', password: 'p' })).toBe(true);
    expect(ok({ kind: 'smb', server: 'nas', share: 'sets', path: '', username: '', password: 'p' })).toBe(false);
    expect(ok({ kind: 'smb', server: 'nas', share: 'sets', path: '', username: 'u', password: 'p\nusername=root' })).toBe(false);
    expect(ok({ kind: 'smb', server: 'nas', share: 'a/b', path: '', username: 'u', password: 'p' })).toBe(false);
  });

  it('reads mount.cifs credentials files', () => {
    expect(parseCredentialsText(`username=alice\npassword=${PASSWORD}\ndomain=HOME\n`)).toEqual({ ok: true, credentials: { username: 'alice', password: PASSWORD, domain: 'HOME' } });
    expect(parseCredentialsText('# comment\nuser=bob\npass= spaced \n')).toEqual({ ok: true, credentials: { username: 'bob', password: ' spaced ' } });
    expect(parseCredentialsText('password=x\n')).toEqual({ ok: false, reason: 'no username=' });
    expect(parseCredentialsText('username=a\nsecret=x\n')).toEqual({ ok: false, reason: 'unknown key "secret"' });
  });
});

describe('mount command lines', () => {
  const nfs = parseNetDest('nfs:nas:/sets/tonight') as Extract<NetDest, { kind: 'nfs' }>;
  const smb = parseNetDest('cifs://nas/sets/tonight') as Extract<NetDest, { kind: 'smb' }>;

  it('NFS: nfs4 then nfs, the export then its parent with a new folder', () => {
    expect(nfsAttempts(nfs, '/run/lifeboat/net-1').flat().map((a) => [a.argv.join(' '), a.sub])).toEqual([
      ['nas:/sets/tonight /run/lifeboat/net-1 -n -o vers=4,rw,retry=0', ''],
      ['nas:/sets/tonight /run/lifeboat/net-1 -n -o rw,nolock,retry=0', ''],
      ['nas:/sets /run/lifeboat/net-1 -n -o vers=4,rw,retry=0', 'tonight'],
      ['nas:/sets /run/lifeboat/net-1 -n -o rw,nolock,retry=0', 'tonight'],
    ]);
    expect(nfsAttempts({ kind: 'nfs', server: 'nas', path: '/' }, '/m')).toHaveLength(1);
  });

  it('SMB: the credentials file, never the password, in the argv', () => {
    const a = cifsAttempt(smb, '/run/lifeboat/net-1', '/run/lifeboat/cred-1/credentials');
    expect(a.tool).toBe('mount.cifs');
    expect(a.argv).toEqual(['//nas/sets', '/run/lifeboat/net-1', '-n', '-o', 'credentials=/run/lifeboat/cred-1/credentials,uid=0,gid=0,file_mode=0600,dir_mode=0700']);
    expect(a.sub).toBe('tonight');
  });
});

describe('the credentials file', () => {
  it('is 0600 in a 0700 folder with a random name, and removed with its folder', () => {
    const run = tmp();
    const c = writeCredentialsFile(run, { username: 'alice', password: PASSWORD, domain: 'HOME' });
    expect(statSync(c.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(c.file, '..')).mode & 0o777).toBe(0o700);
    expect(readFileSync(c.file, 'utf8')).toBe(`username=alice\npassword=${PASSWORD}\ndomain=HOME\n`);
    const c2 = writeCredentialsFile(run, { username: 'bob', password: 'x' });
    expect(c2.file).not.toBe(c.file);
    c.remove();
    c2.remove();
    expect(readdirSync(run)).toEqual([]);
  });
});

describe('what a failed mount means (the helpers’ own messages)', () => {
  const smb = parseNetDest('cifs://10.0.2.2/sets') as NetDest;
  const nfs = parseNetDest('nfs:10.0.2.2:/sets') as NetDest;
  const code = (d: NetDest, stderr: string) => classifyMountFailure(d, { fsType: d.kind === 'nfs' ? 'nfs4' : 'cifs', source: 'x' }, stderr).code;
  it.each([
    [smb, 'mount error(13): Permission denied\nRefer to the mount.cifs(8) manual page', 'net-auth-refused'],
    [smb, 'mount error(2): No such file or directory\nRefer to the mount.cifs(8) manual page', 'net-share-missing'],
    [smb, 'mount error(6): No such device or address', 'net-share-missing'],
    [smb, 'mount error(111): could not connect to 10.0.2.2Unable to find suitable address.', 'net-unreachable'],
    [smb, 'mount error(112): Host is down', 'net-unreachable'],
    [smb, 'mount error: cifs filesystem not supported by the system\nmount error(19): No such device', 'net-fs-unsupported'],
    [nfs, 'mount.nfs4: Connection refused', 'net-unreachable'],
    [nfs, 'mount.nfs4: Failed to resolve server nas: Name or service not known', 'net-unreachable'],
    [nfs, 'mount.nfs4: mounting 10.0.2.2:/nope failed, reason given by server: No such file or directory', 'net-share-missing'],
    [nfs, 'mount.nfs: access denied by server while mounting 10.0.2.2:/nope', 'net-share-missing'],
    [nfs, 'mount.nfs4: No such device', 'net-fs-unsupported'],
    [nfs, 'mount.nfs4: Protocol not supported', 'net-mount-failed'],
  ])('%j: %s', (d, stderr, expected) => {
    expect(code(d, stderr)).toBe(expected);
  });

  it('redacts a secret wherever it appears', () => {
    expect(redact(`oops ${PASSWORD} and ${PASSWORD}`, PASSWORD)).toBe('oops *** and ***');
    expect(redact('nothing', undefined)).toBe('nothing');
  });
});

describe('mounting on this VM (real mount helpers, a kernel without NFS or CIFS)', () => {
  const hasHelpers = findMountHelper('mount.nfs') && findMountHelper('mount.cifs');
  const cifsInKernel = readFileSync('/proc/filesystems', 'utf8').match(/\t(cifs|nfs4?)\n/);

  it('refuses when the mount helper is missing, naming the Debian package, before anything is made', async () => {
    const run = tmp();
    const empty = tmp();
    const nfs = mountNetDest(parseNetDest('nfs:nas:/sets')!, { runDir: run, helperDirs: [empty] });
    await expect(nfs).rejects.toMatchObject({ code: 'net-tools-missing', params: { tool: 'mount.nfs', package: 'nfs-common' } });
    const smb = mountNetDest(parseNetDest('cifs://nas/sets')!, { runDir: run, helperDirs: [empty], credentials: { username: 'u', password: PASSWORD } });
    await expect(smb).rejects.toMatchObject({ code: 'net-tools-missing', params: { tool: 'mount.cifs', package: 'cifs-utils' } });
    expect(existsSync(run) ? readdirSync(run) : []).toEqual([]);
  });

  it('an SMB share without credentials is refused', async () => {
    await expect(mountNetDest(parseNetDest('cifs://nas/sets')!, { runDir: tmp() })).rejects.toMatchObject({ code: 'net-credentials-needed' });
  });

  it.skipIf(!hasHelpers || cifsInKernel)(
    `a failed mount leaves no credentials file, no mount point, and no password anywhere${!hasHelpers ? ' (skipped: needs mount.nfs and mount.cifs: apt-get install nfs-common cifs-utils)' : cifsInKernel ? ' (skipped: this kernel has NFS/CIFS, the failure path is not reached this way)' : ''}`,
    async () => {
      const run = tmp();
      const logs: string[] = [];
      let err: unknown;
      try {
        await mountNetDest(parseNetDest('cifs://127.0.0.1/sets/x')!, { runDir: run, credentials: { username: 'alice', password: PASSWORD }, log: (l) => logs.push(l) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LifeboatError);
      expect((err as LifeboatError).code).toBe('net-fs-unsupported');
      expect(readdirSync(run)).toEqual([]);
      // the credentials file was named in the argv, and is gone
      const cred = /credentials=(\S+?),/.exec(logs.join('\n'))?.[1];
      expect(cred).toMatch(/^.*\/cred-[0-9a-f]{12}\/credentials$/);
      expect(existsSync(cred!)).toBe(false);
      expect(JSON.stringify({ logs, err, message: (err as Error).message })).not.toContain(PASSWORD);
      expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(run);

      await expect(mountNetDest(parseNetDest('nfs:127.0.0.1:/sets')!, { runDir: run })).rejects.toMatchObject({ code: 'net-fs-unsupported' });
      expect(readdirSync(run)).toEqual([]);
    },
  );
});

describe('lifeboat backup --dest NFS/SMB (CLI refusals)', () => {
  it('refuses a malformed network destination, a credentials file others can read, and a missing one', async () => {
    const d = tmp();
    const bad = await runCli(['backup', '--dest', 'nfs:nas:relative', '--root', d, '--json']);
    expect(bad.code).toBe(2);
    expect(bad.last).toMatchObject({ type: 'error', code: 'net-dest-invalid' });

    const creds = join(d, 'creds');
    writeFileSync(creds, `username=alice\npassword=${PASSWORD}\n`, { mode: 0o644 });
    chmodSync(creds, 0o644);
    const open = await runCli(['backup', '--dest', 'cifs://nas/sets', '--smb-credentials', creds, '--root', d, '--json']);
    expect(open.code).toBe(2);
    expect(open.last).toMatchObject({ type: 'error', code: 'net-credentials-insecure' });
    expect(open.out).not.toContain(PASSWORD);

    const none = await runCli(['backup', '--dest', 'cifs://nas/sets', '--root', d, '--json']);
    expect(none.code).toBe(2);
    expect(none.last).toMatchObject({ type: 'error', code: 'net-credentials-needed' });

    chmodSync(creds, 0o600);
    const folder = await runCli(['backup', '--dest', join(d, 'set'), '--smb-credentials', creds, '--root', d, '--json']);
    expect(folder.code).toBe(2);
    expect(folder.last).toMatchObject({ type: 'error', code: 'invalid-request' });
  });

  it('lifeboat media --set on a share: mounted with the same rules (credentials needed; here the kernel has no CIFS)', async () => {
    const d = tmp();
    const iso = join(d, 'rescue.iso');
    const none = await runCli(['media', '--set', 'cifs://127.0.0.1/sets/x', '--iso', iso, '--json']);
    expect(none.last).toMatchObject({ type: 'error', code: 'net-credentials-needed' });
    const creds = join(d, 'creds');
    writeFileSync(creds, `username=alice\npassword=${PASSWORD}\n`, { mode: 0o600 });
    const r = await runCli(['media', '--set', 'cifs://127.0.0.1/sets/x', '--smb-credentials', creds, '--iso', iso, '--json']);
    expect(r.code).toBe(2);
    const cifsInKernel = /\tcifs\n/.test(readFileSync('/proc/filesystems', 'utf8'));
    if (!cifsInKernel && findMountHelper('mount.cifs')) expect(r.last).toMatchObject({ type: 'error', code: 'net-fs-unsupported' });
    expect(r.out).not.toContain(PASSWORD);
    expect(existsSync(iso)).toBe(false);
    const nfsCreds = await runCli(['media', '--set', 'nfs:nas:/sets', '--smb-credentials', creds, '--iso', iso, '--json']);
    expect(nfsCreds.last).toMatchObject({ type: 'error', code: 'invalid-request' });
  });
});
