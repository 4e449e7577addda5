/**
 * The rescue media put a system back: a real disk (GPT, ext4 root, swap) is backed up
 * with the real backup engine, the set is embedded in a rescue ISO, and the ISO boots
 * in qemu with a blank virtual disk and `lifeboat.restore=auto`. The rescue system runs
 * the set's restore.sh (the compiled plan rendered as sh) with dash; afterwards the host
 * reads the virtual disk back: the partition table, the filesystem UUIDs and every file
 * must be the source's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { runBackup } from '../../src/main/engine/backup/backup';
import { snapshotTree, type Entry } from '../../src/main/engine/backup/tree-snapshot';
import { buildMedia } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { hasQemu, stopAll, Vm } from './vm';

const MiB = 1024 * 1024;
const SIZE = 160 * MiB;
const ROOT_UUID = '5e7f0000-1111-4222-8333-444455556666';
const SWAP_UUID = '5e7f0000-aaaa-4bbb-8ccc-dddddddddddd';
const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const kernel = kernelName ? `/boot/${kernelName}` : '';
const why = !canUseLoop()
  ? loopSkipReason
  : !kernelName || !hasQemu()
    ? 'needs qemu-system-x86_64 and a kernel in /boot (apt-get install qemu-system-x86 linux-image-cloud-amd64)'
    : null;

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const table = (dev: string) => JSON.parse(sh('sfdisk --json "$1"', dev)).partitiontable as { label: string; id: string; partitions: Array<Record<string, unknown>> };
const strip = (t: ReturnType<typeof table>) => ({ ...t, device: undefined, partitions: t.partitions.map((p) => ({ ...p, node: undefined })) });

let work = '';
let src: LoopDevice | null = null;
const loops: LoopDevice[] = [];
let setDir = '';
let iso = '';
let initrd = '';
let want: Map<string, Entry>;
let srcTable: ReturnType<typeof table>;

describe.skipIf(why !== null)(`restore from the rescue media in qemu${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-rescue-restore-');
    src = makeLoop(SIZE, { dir: work });
    loops.push(src);
    sh('printf "label: gpt\\n,100MiB,L\\n,,S\\n" | sfdisk --quiet "$1"', src.device);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', src.device);
    sh('mkfs.ext4 -q -U "$2" -L rootfs "$1"', `${src.device}p1`, ROOT_UUID);
    sh('mkswap -U "$2" -L swap "$1" >/dev/null', `${src.device}p2`, SWAP_UUID);
    const root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${src.device}p1`, root);
    try {
      mkdirSync(join(root, 'etc'));
      writeFileSync(join(root, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 defaults 0 1\nUUID=${SWAP_UUID} none swap sw 0 0\n`);
      writeFileSync(join(root, 'etc/hostname'), 'restored-by-lifeboat\n');
      mkdirSync(join(root, 'home/anna/Documents'), { recursive: true });
      writeFileSync(join(root, 'home/anna/Documents/lettre à Zoé.txt'), 'Bonjour\n');
      writeFileSync(join(root, 'home/anna/photo.bin'), randomBytes(3 * MiB));
      linkSync(join(root, 'home/anna/photo.bin'), join(root, 'home/anna/photo-link.bin'));
      symlinkSync('Documents', join(root, 'home/anna/docs'));
      writeFileSync(join(root, 'sparse.img'), '');
      truncateSync(join(root, 'sparse.img'), 20 * MiB);
      sh('setfattr -n user.lifeboat -v kept "$1"', join(root, 'etc/hostname'));
      setDir = join(work, 'set');
      await runBackup({ dest: setDir, root, compress: 'zstd', split: 2 * MiB }, createJobContext('backup'));
      want = snapshotTree(root, (rel) => rel === 'lost+found' || rel.startsWith('lost+found/'));
    } finally {
      sh('umount "$1"', root);
    }
    srcTable = table(src.device);
    expect(existsSync(join(setDir, 'restore.sh'))).toBe(true);
    iso = join(work, 'rescue.iso');
    await buildMedia({ iso, set: setDir, embed: true, kernel, lang: 'en', timeout: 0 }, createJobContext('media'));
    initrd = join(work, 'initrd.img');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/initrd.img', initrd], { stdio: 'ignore' });
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    for (const l of loops) {
      try {
        sh('partx -d "$1" 2>/dev/null || true', l.device);
      } catch {
        /* already gone */
      }
      l.detach();
    }
    cleanupScratch();
  });

  it('restores unattended onto a blank disk: same table, same UUIDs, same files; then powers off', async () => {
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({
      kernel,
      initrd,
      cdrom: iso,
      targetDisk: disk,
      memoryMiB: 1024,
      append: 'console=ttyS0,115200 quiet lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1',
    });
    const seconds = await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 300_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toMatch(/LIFEBOAT-STEP \d+\/\d+/);
    expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 60_000))])).toBe('exited');
    console.log(`rescue restore in qemu: RESTORE-OK after ${seconds.toFixed(1)} s`);

    const target = makeLoop(SIZE, { file: disk });
    loops.push(target);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', target.device);
    expect(strip(table(target.device))).toEqual(strip(srcTable));
    expect(sh('blkid -p -s UUID -o value "$1"', `${target.device}p1`).trim()).toBe(ROOT_UUID);
    expect(sh('blkid -p -s UUID -o value "$1"', `${target.device}p2`).trim()).toBe(SWAP_UUID);
    const mnt = join(work, 'restored');
    mkdirSync(mnt);
    sh('mount -o ro "$1" "$2"', `${target.device}p1`, mnt);
    try {
      const got = snapshotTree(mnt, (rel) => rel === 'lost+found' || rel.startsWith('lost+found/'));
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, v] of want) expect(got.get(k), k).toEqual(v);
      expect(readFileSync(join(mnt, 'etc/hostname'), 'utf8')).toBe('restored-by-lifeboat\n');
    } finally {
      sh('umount "$1"', mnt);
    }
  }, 420_000);
});
