/**
 * A rescue stick with an exFAT data partition (`lifeboat media --usb … --data-fs exfat`),
 * so Windows can read the sets. Made on a loop device with the CLI from a real backup of
 * a small system; then, on the host: the filesystem and the GPT type Windows needs,
 * "backup again" onto it keeping the newest N, a set holding a symbolic link refused
 * before anything is written; in qemu: the stick boots under BIOS and UEFI and the rescue
 * system finds the set on the exFAT partition, and an unattended restore from it gives
 * back the system. This machine's kernel has no exfat driver: the host side goes through
 * exfat-fuse (usb-data.ts), the rescue kernel uses its exfat module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupScratch, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { runCli as cli } from '../util/cli';
import { hostKernel, loopQemuSkipReason, ovmf, stopAll, Vm } from './vm';
import { makeFakeSet } from './fake-set';
import { expectRestored, makeSmallSystem, type SmallSystem } from './small-system';
import { mountData } from '../../src/main/engine/media/usb-data';
import { setsOnStick } from './stick-sets';

const MiB = 1024 * 1024;
const SIZE = 160 * MiB;
const hasExfatTools = ['/usr/sbin/mkfs.exfat', '/sbin/mkfs.exfat'].some(existsSync) && ['/usr/sbin/mount.exfat-fuse', '/sbin/mount.exfat-fuse'].some(existsSync);
const why = loopQemuSkipReason() ?? (hasExfatTools ? null : 'needs mkfs.exfat and mount.exfat-fuse (apt-get install exfatprogs exfat-fuse)');

const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

let work = '';
let stick: LoopDevice | undefined;
let stickFile = '';
let sys: SmallSystem;
let setId = '';
let initrd = '';
const loops: LoopDevice[] = [];
const hostMounts = new Set<string>();
/** Without the kernel's exfat driver (this machine), the product must have gone through FUSE. */
const kernelHasExfat = readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim() === 'exfat');

const fakeSet = (n: number) => {
  const d = join(work, `set-${n}`);
  if (!existsSync(d)) makeFakeSet(d, { id: `set-${n}`, created: `2026-01-0${n}T10:00:00.000Z` });
  return d;
};

/** Mounts the stick's data partition read-only with the product's own module, for a look. */
async function withData<T>(fn: (root: string) => T): Promise<T> {
  const mnt = mkdtempSync(join(tmpdir(), 'lifeboat-exfat-look-'));
  const m = await mountData(`${stick!.device}p3`, 'exfat', mnt, { readOnly: true });
  hostMounts.add(m.via);
  try {
    return fn(mnt);
  } finally {
    await m.unmount();
    rmdirSync(mnt);
  }
}

/** Which set is where on the stick: `dir → id`. */
const contents = () => withData(setsOnStick);

const again = (setDir: string) => cli(['media', '--usb', stick!.device, '--set', setDir, '--again', '--keep', '2', '--include-loop', '--yes', '--json']);

afterAll(async () => {
  await stopAll();
  stick?.detach();
  for (const l of loops) l.detach();
  cleanupScratch();
});

describe.skipIf(why !== null)(`rescue stick with an exFAT data partition${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-usb-exfat-');
    const setDir = join(work, 'set');
    sys = await makeSmallSystem({
      work,
      sizeBytes: SIZE,
      rootMiB: 100,
      rootUuid: '5e7f0000-2222-4222-8333-444455556666',
      swapUuid: '5e7f0000-bbbb-4bbb-8ccc-dddddddddddd',
      hostname: 'restored-from-exfat',
      setDir,
      split: 2 * MiB,
    });
    loops.push(sys.source);
    setId = JSON.parse(readFileSync(join(setDir, 'lifeboat.json'), 'utf8')).id;
    stick = makeLoop(400 * MiB, { dir: work });
    stickFile = stick.file;
    const made = await cli(['media', '--usb', stick.device, '--set', setDir, '--embed', '--data-fs', 'exfat', '--include-loop', '--yes', '--kernel', hostKernel, '--timeout', '0', '--json']);
    expect(made.code, made.out).toBe(0);
    initrd = join(work, 'initrd.img');
    await withData((root) => copyFileSync(join(root, 'boot/initrd.img'), initrd));
  }, 600_000);

  it('is exFAT, labelled LIFEBOAT, on a "Microsoft basic data" GPT partition; the embedded set is byte for byte the set', async () => {
    const probe = execFileSync('blkid', ['-p', '-o', 'export', `${stick!.device}p3`], { encoding: 'utf8' });
    console.log(`blkid -p ${stick!.device}p3:\n${probe.trim()}`);
    expect(probe).toMatch(/^TYPE=exfat$/m);
    expect(probe).toMatch(/^LABEL=LIFEBOAT$/m);
    expect(probe).toMatch(/^PART_ENTRY_TYPE=ebd0a0a2-b9e5-4433-87c0-68b6b72699c7$/m);
    expect(probe).toMatch(/^PART_ENTRY_NAME=LIFEBOAT-DATA$/m);
    const table = JSON.parse(execFileSync('sfdisk', ['--json', stick!.device], { encoding: 'utf8' })).partitiontable;
    expect(table.label).toBe('gpt');
    expect(table.partitions.map((p: { type: string }) => p.type)).toEqual(['21686148-6449-6E6F-744E-656564454649', 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7']);
    // The filesystem is sound by exFAT's own checker (read-only check).
    execFileSync('fsck.exfat', ['-n', `${stick!.device}p3`], { stdio: 'pipe' });
    console.log(`host kernel exfat driver: ${kernelHasExfat ? 'yes' : 'no'}; the data partition was mounted via ${[...hostMounts].join(', ')}`);
    expect([...hostMounts]).toEqual([kernelHasExfat ? 'kernel' : 'fuse']);
    const set = join(work, 'set');
    await withData((root) => {
      for (const f of readdirSync(join(set, 'archives'))) expect(sha(readFileSync(join(root, 'lifeboat/archives', f))), f).toBe(sha(readFileSync(join(set, 'archives', f))));
      expect(readFileSync(join(root, 'lifeboat/SHA256SUMS'), 'utf8')).toBe(readFileSync(join(set, 'SHA256SUMS'), 'utf8'));
      expect(existsSync(join(root, 'boot/vmlinuz')) && existsSync(join(root, 'boot/grub/i386-pc/core.img'))).toBe(true);
    });
  });

  it('refuses --data-fs except when a stick is made (exit 2, media-data-fs-needs-usb, nothing written)', async () => {
    const iso = await cli(['media', '--set', join(work, 'set'), '--iso', join(work, 'x.iso'), '--data-fs', 'exfat', '--json']);
    expect(iso.code, iso.out).toBe(2);
    expect(iso.last).toMatchObject({ type: 'error', code: 'media-data-fs-needs-usb' });
    expect(existsSync(join(work, 'x.iso'))).toBe(false);
    const before = await contents();
    const ag = await cli(['media', '--usb', stick!.device, '--set', fakeSet(2), '--again', '--data-fs', 'ext4', '--include-loop', '--yes', '--json']);
    expect(ag.code, ag.out).toBe(2);
    expect(ag.last).toMatchObject({ code: 'media-data-fs-needs-usb' });
    process.env.LIFEBOAT_LANG = 'fr';
    const fr = await cli(['media', '--set', join(work, 'set'), '--pxe', join(work, 'pxe'), '--data-fs', 'exfat']).finally(() => delete process.env.LIFEBOAT_LANG);
    expect(fr.code, fr.out).toBe(2);
    expect(fr.out).toContain('ne se choisit que pour une clé USB');
    expect(await contents()).toEqual(before);
  });

  it('backup again onto the exFAT stick adds sets/<id> and keeps the newest 2', async () => {
    expect(await contents()).toEqual({ lifeboat: setId });
    const r2 = await again(fakeSet(2));
    expect(r2.code, r2.out).toBe(0);
    expect(r2.last).toMatchObject({ type: 'result', add: { id: 'set-2', dir: 'sets/set-2', alreadyPresent: false }, remove: [] });
    expect(await contents()).toEqual({ lifeboat: setId, 'sets/set-2': 'set-2' });
    // The embedded set is today's, the added ones are dated January: set-2 is now the oldest.
    const r3 = await again(fakeSet(3));
    expect(r3.code, r3.out).toBe(0);
    expect(r3.last).toMatchObject({ add: { id: 'set-3' }, remove: [{ id: 'set-2', dir: 'sets/set-2' }] });
    expect(await contents()).toEqual({ lifeboat: setId, 'sets/set-3': 'set-3' });
    await withData((root) => {
      for (const f of ['lifeboat.json', 'SHA256SUMS', 'archives/root.tar.zst.000']) expect(sha(readFileSync(join(root, 'sets/set-3', f)))).toBe(sha(readFileSync(join(fakeSet(3), f))));
      // no temporary folder left behind
      expect(readdirSync(join(root, 'sets'))).toEqual(['set-3']);
    });
    console.log(`exFAT stick after two --again --keep 2: ${JSON.stringify(await contents())}, free ${((r3.last as { freeBytesAfter: number }).freeBytesAfter / MiB).toFixed(0)} MiB`);
  }, 180_000);

  it('refuses a set holding a symbolic link (exFAT has none) before writing anything (exit 2, set-invalid)', async () => {
    const d = join(work, 'set-linked');
    cpSync(fakeSet(4), d, { recursive: true });
    symlinkSync('lifeboat.json', join(d, 'notes'));
    const before = await contents();
    const r = await cli(['media', '--usb', stick!.device, '--set', d, '--again', '--keep', '2', '--include-loop', '--yes', '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'set-invalid' });
    expect(r.out).toContain('notes: a symbolic link');
    expect(await contents()).toEqual(before);
    await withData((root) => expect(readdirSync(join(root, 'sets'))).toEqual(['set-3']));
  }, 60_000);

  it('boots under BIOS and the rescue system finds the newest set on the exFAT partition', async () => {
    stick!.detach();
    stick = undefined;
    const vm = new Vm({ disk: stickFile });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', 180_000);
    console.log(`exFAT stick, BIOS: ready after ${ready.toFixed(1)} s`);
    expect(vm.output, vm.tail()).toMatch(new RegExp(`LIFEBOAT-SET-FOUND ${setId} exfat /dev/sda3`));
    expect(vm.output).toMatch(/Backup found in \/mnt\/dev-sda3\/lifeboat/);
    expect(vm.output).toMatch(/2 backups are on this medium: the newest is used/);
    await vm.stop();
  }, 240_000);

  it.skipIf(!ovmf())('boots under UEFI and finds the set on the exFAT partition (needs OVMF)', async () => {
    const vm = new Vm({ disk: stickFile, uefi: true });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', 180_000);
    console.log(`exFAT stick, UEFI: ready after ${ready.toFixed(1)} s`);
    expect(vm.output, vm.tail()).toMatch(new RegExp(`LIFEBOAT-SET-FOUND ${setId} exfat /dev/sda3`));
    await vm.stop();
  }, 240_000);

  it('restores unattended from the set on the exFAT stick onto a blank disk', async () => {
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    // The stick's own kernel and initramfs, booted directly to pass the restore arguments.
    const vm = new Vm({
      kernel: hostKernel,
      initrd,
      disk: stickFile,
      targetDisk: disk,
      memoryMiB: 1024,
      append: 'console=ttyS0,115200 quiet lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1',
    });
    const seconds = await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, 360_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toMatch(new RegExp(`LIFEBOAT-SET-FOUND ${setId} exfat /dev/sda3`));
    expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 60_000))])).toBe('exited');
    console.log(`restore from the exFAT stick in qemu: RESTORE-OK after ${seconds.toFixed(1)} s`);
    expectRestored(sys, disk, loops);
  }, 480_000);
});
