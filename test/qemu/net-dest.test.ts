/**
 * Backups onto real network shares (issue #3, "Destinations"): this VM's kernel has no
 * NFS or CIFS client, so the real `lifeboat backup` runs inside qemu on the rescue
 * system's kernel (node-in-vm.ts) and writes onto servers on this host — NFS-Ganesha
 * (NFSv4, a read-write export) and Samba (a share for one user with a password), both
 * reached by the guest at 10.0.2.2. Then, here: both sets verify and their files equal
 * the source's; no credentials file, mount point or mount is left in the guest; the
 * password is in no argv, output, log or set; a wrong password, a missing share or
 * export, an unreachable server and an existing set get their specific refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cleanupScratch, scratchDir } from '../util/loop';
import { runCli } from '../util/cli';
import { hasQemu, hostKernel, stopAll, Vm } from './vm';
import { buildTestInitrd, makeLabDisk, readLabDir } from './node-in-vm';
import { ganeshaSkipReason, hasGanesha, NfsServer, nfsPortTaken } from './nfs';
import { hasSmbd, port445Taken, SmbServer } from './smb';

const USER = 'lbuser';
// spaces, "=", ";", a comma and quotes: what a credentials file carries and an argv would mangle
const PASSWORD = 'N3t pass=word;with,"odd" chars';

let why: string | null = !hostKernel || !hasQemu() ? 'needs qemu-system-x86_64 and a kernel in /boot (apt-get install qemu-system-x86 linux-image-cloud-amd64)' : null;
why ??= !hasGanesha() ? ganeshaSkipReason : null;
why ??= !hasSmbd() || !existsSync('/usr/bin/smbpasswd') ? 'needs Samba (apt-get install samba)' : null;
why ??= !['/usr/sbin/mount.nfs', '/sbin/mount.nfs'].some(existsSync) || !['/usr/sbin/mount.cifs', '/sbin/mount.cifs'].some(existsSync) ? 'needs mount.nfs and mount.cifs on the host, to pack into the rescue system (apt-get install nfs-common cifs-utils)' : null;

// both servers need their standard ports (the guest's mount helpers use the defaults)
why ??= (await nfsPortTaken()) ? 'something already listens on 127.0.0.1:2049' : (await port445Taken()) ? 'something already listens on 127.0.0.1:445' : null;

let work = '';
let out = '';
let src = '';
let src2 = '';
const nfsShare = () => join(work, 'nfs-share');
const smbShare = () => join(work, 'smb-share');
let nfs: NfsServer | undefined;
let smb: SmbServer | undefined;

/** The source tree: text, binary, empty, nested, odd names, a symlink and a hard link. */
function makeSource(dir: string): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'home/alice/Documents/deep/er'), { recursive: true });
  writeFileSync(join(dir, 'etc/hostname'), 'netdest-guest\n');
  writeFileSync(join(dir, 'etc/fstab'), 'UUID=x / ext4 defaults 0 1\n');
  let seed = createHash('sha256').update('lifeboat').digest();
  const chunks: Buffer[] = [];
  for (let i = 0; i < 3 * 1024 * 1024 / 32; i++) chunks.push((seed = createHash('sha256').update(seed).digest()));
  writeFileSync(join(dir, 'home/alice/random.bin'), Buffer.concat(chunks));
  writeFileSync(join(dir, 'home/alice/Documents/notes with spaces.txt'), 'x'.repeat(100_000));
  writeFileSync(join(dir, 'home/alice/Documents/été ☂.txt'), 'UTF-8\n');
  writeFileSync(join(dir, 'home/alice/Documents/deep/er/empty'), '');
  symlinkSync('../etc/hostname', join(dir, 'home/hostname-link'));
  linkSync(join(dir, 'etc/hostname'), join(dir, 'home/alice/hostname-hardlink'));
  chmodSync(join(dir, 'etc/fstab'), 0o640);
}

/** path → type, mode, size, content hash or link target (lost+found left out). */
function listing(root: string): Record<string, string> {
  const res: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const rel = relative(root, p);
      if (rel === 'lost+found') continue;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) res[rel] = `l ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        res[rel] = `d ${mode}`;
        walk(p);
      } else res[rel] = `f ${mode} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(root);
  return res;
}

const lines = (f: string) => readFileSync(join(out, f), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
const last = (name: string) => lines(`${name}.jsonl`).at(-1) ?? {};
const rc = (name: string) => readFileSync(join(out, `${name}.rc`), 'utf8').trim();
const txt = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '');

/** Every file under `dir`, as text (for the password search). */
function allText(dir: string): string {
  let s = '';
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) s += readFileSync(p, 'latin1') + '\n';
    }
  };
  walk(dir);
  return s;
}

describe.skipIf(why !== null)(`backups onto an NFS export and an SMB share, from inside qemu${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-netdest-');
    const t0 = Date.now();
    // the source system's disk: ext4 made from a tree, no loop device needed
    const tree = join(work, 'source');
    makeSource(tree);
    src = join(work, 'source.img');
    execFileSync('truncate', ['-s', '64M', src]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'netsrc', '-d', tree, src], { stdio: 'pipe' });
    // a second system, slow to archive (random data through xz -9), for the Ctrl-C run
    const tree2 = join(work, 'source2');
    mkdirSync(tree2);
    writeFileSync(join(tree2, 'random.bin'), randomBytes(24 * 1024 * 1024));
    src2 = join(work, 'source2.img');
    execFileSync('truncate', ['-s', '64M', src2]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'netsrc2', '-d', tree2, src2], { stdio: 'pipe' });
    mkdirSync(nfsShare(), { recursive: true });
    mkdirSync(smbShare(), { recursive: true });
    nfs = new NfsServer(join(work, 'nfs'), nfsShare(), '/sets', 'RW');
    await nfs.start();
    smb = new SmbServer(join(work, 'smb'), smbShare(), { name: USER, password: PASSWORD });
    await smb.start();
    const initrd = await buildTestInitrd(work, hostKernel);
    const lab = await makeLabDisk(work, {
      'net-dest-guest.sh': readFileSync(join(__dirname, 'net-dest-guest.sh'), 'utf8'),
      netdest: '. /lab/scripts/net-dest-guest.sh\n',
      'creds-good': `username=${USER}\npassword=${PASSWORD}\n`,
      'creds-wrong': `username=${USER}\npassword=not-${PASSWORD}\n`,
    });
    console.log(`net-dest in qemu: servers, initrd and lab disk ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const vm = new Vm({ kernel: hostKernel, initrd, targetDisk: lab, moreTargetDisks: [src, src2], memoryMiB: 1536, nic: true, append: 'console=ttyS0,115200 quiet panic=-1 rdinit=/lbtest-init lbtest.script=netdest' });
    try {
      const seconds = await vm.waitFor(/LBTEST-DONE rc=\S+/, 900_000);
      await Promise.race([vm.exited, new Promise((r) => setTimeout(r, 30_000))]);
      console.log(`net-dest in qemu: boot to power-off ${seconds.toFixed(1)} s, ${/LBTEST-DONE rc=\S+/.exec(vm.output)![0]}`);
    } finally {
      await vm.stop();
    }
    readLabDir(lab, join(work, 'lab'));
    out = join(work, 'lab', 'out');
  }, 1_200_000);

  afterAll(async () => {
    await stopAll();
    await nfs?.stop();
    smb?.stop();
    if (work) cleanupScratch();
  });

  it('the guest had the NFS and CIFS clients and the network', () => {
    expect(txt('filesystems.txt'), txt('netdest.log').slice(-3000)).toMatch(/nfs4/);
    expect(txt('filesystems.txt')).toMatch(/cifs/);
    expect(txt('helpers.txt')).toMatch(/mount\.nfs[\s\S]*mount\.cifs/);
    expect(txt('ip.txt')).toContain('10.0.2.15');
  });

  for (const [name, set] of [
    ['nfs', () => join(nfsShare(), 'nfs-set')],
    ['smb', () => join(smbShare(), 'host1', 'smb-set')],
  ] as const) {
    it(`${name}: the backup onto the share, then on the host the set verifies and its files are the source's`, async () => {
        expect(rc(name), txt(`${name}.err`).slice(-3000)).toBe('0');
      const result = last(name);
      const dest = name === 'nfs' ? 'nfs:10.0.2.2:/sets/nfs-set' : 'cifs://10.0.2.2/sets/host1/smb-set';
      expect(result).toMatchObject({ type: 'result', path: dest, archives: 1 });
      console.log(`net-dest in qemu: ${name}: ${result.bytesIn} bytes in, ${result.bytesOut} out, ${result.parts} part(s), ${txt(`${name}.seconds`).trim()} s in the guest`);
      const v = await runCli(['verify', set(), '--json']);
      expect(v.code, v.out.slice(-2000)).toBe(0);
      expect(v.last).toMatchObject({ type: 'result', ok: true });
      const to = join(work, `restored-${name}`);
      const r = await runCli(['restore', '--set', set(), '--files', '--to', to, '--json']);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      const want = listing(join(work, 'source'));
      expect(Object.keys(want).length).toBeGreaterThan(10);
      expect(listing(to)).toEqual(want);
      expect(statSync(join(to, 'etc/hostname')).ino).toBe(statSync(join(to, 'home/alice/hostname-hardlink')).ino);
      // nothing of the backup's temporary names, nothing mounted, no private folder left
      expect(readdirSync(join(set(), '..')).filter((e) => e.includes('partial'))).toEqual([]);
      expect(txt(`${name}.mounts`)).not.toMatch(/ (nfs4?|cifs) /);
      expect(txt(`${name}.run`).trim().split('\n').filter(Boolean)).toEqual(['/run/lifeboat']);
    });
  }

  it('the credentials files are gone and the password is in no argv, output, log or set', () => {
    const cmdlines = txt('cmdlines.txt');
    console.log(`net-dest in qemu: ${cmdlines.split('\n').length} command lines sampled; mount.cifs seen: ${cmdlines.includes('mount.cifs')}, mount.nfs seen: ${cmdlines.includes('mount.nfs')}`);
    expect(cmdlines).toContain('lifeboat');
    // the argv lifeboat gave mount.cifs, as its verbose log shows it: the credentials file's path
    const smbLog = txt('smb.err');
    console.log(`net-dest in qemu: ${[...txt('nfs.err').split('\n'), ...smbLog.split('\n')].filter((l) => /^(mount\.|mounted|unmounted)/.test(l)).join(' | ')}`);
    expect(smbLog).toMatch(/^mount\.cifs \/\/10\.0\.2\.2\/sets \/run\/lifeboat\/net-[0-9a-f]{12} -n -o credentials=\/run\/lifeboat\/cred-[0-9a-f]{12}\/credentials,/m);
    expect(smbLog).toMatch(/^unmounted cifs:\/\/10\.0\.2\.2\/sets\/host1\/smb-set$/m);
    const outputs = allText(out);
    expect(outputs.length).toBeGreaterThan(1000);
    expect(outputs).not.toContain(PASSWORD);
    expect(allText(smbShare())).not.toContain(PASSWORD);
    expect(allText(nfsShare())).not.toContain(PASSWORD);
    // the only credentials files in the guest's /tmp are the test's own; lifeboat's were under /run/lifeboat, now empty
    expect(txt('tmp-after.txt')).not.toMatch(/cred-[0-9a-f]{12}/);
    for (const n of ['nfs', 'smb', 'smb-wrong', 'smb-noshare', 'nfs-noexport', 'nfs-unreachable', 'smb-exists']) {
      expect(txt(`${n}.run`).trim().split('\n').filter(Boolean), n).toEqual(['/run/lifeboat']);
      expect(txt(`${n}.mounts`), n).not.toMatch(/ (nfs4?|cifs) /);
    }
  });

  it.each([
    ['smb-wrong', 'net-auth-refused', { server: '10.0.2.2', share: 'sets' }],
    ['smb-noshare', 'net-share-missing', { server: '10.0.2.2', share: 'nosuchshare' }],
    ['nfs-noexport', 'net-share-missing', { server: '10.0.2.2', share: '/nosuch/export/x' }],
    ['nfs-unreachable', 'net-unreachable', { server: '10.0.2.9' }],
    ['smb-exists', 'dest-not-empty', { path: 'cifs://10.0.2.2/sets/host1/smb-set' }],
  ] as const)('%s: refused with %s (exit 2), nothing written', (name, code, params) => {
    expect(rc(name), txt(`${name}.err`).slice(-2000)).toBe('2');
    expect(last(name)).toMatchObject({ type: 'error', code, params });
    console.log(`net-dest in qemu: ${name}: ${JSON.stringify(last(name)).slice(0, 300)} after ${txt(`${name}.seconds`).trim()} s`);
  });

  it('Ctrl-C mid-archive onto the NFS export: exit 130, the partial set removed, nothing mounted', () => {
    expect(txt('cancel.archiving').trim(), txt('cancel.err').slice(-2000)).not.toBe('0');
    expect(rc('cancel'), txt('cancel.err').slice(-2000)).toBe('130');
    expect(txt('cancel.mounts')).not.toMatch(/ (nfs4?|cifs) /);
    expect(txt('cancel.run').trim().split('\n').filter(Boolean)).toEqual(['/run/lifeboat']);
    expect(readdirSync(nfsShare()).filter((e) => e.includes('cancelled'))).toEqual([]);
  });

  it('the refused runs wrote nothing onto the shares', () => {
    expect(readdirSync(join(smbShare(), 'host1')).sort()).toEqual(['smb-set']);
    expect(readdirSync(nfsShare()).sort()).toEqual(['nfs-set']);
  });
});
