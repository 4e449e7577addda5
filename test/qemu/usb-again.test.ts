/**
 * "Backup again" onto a rescue stick: a stick made by `lifeboat media --usb … --embed` on a
 * loop device, then three `--again --keep 2` runs with small sets. Checks what is on the
 * stick's data partition afterwards, that the boot files were not rewritten, that a disk
 * which is not a Lifeboat stick and a set that cannot fit are refused with nothing
 * changed, and (with qemu) that the rescue system boots the newest set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { runCli as cli } from '../util/cli';
import { hasQemu, stopAll, Vm } from './vm';
import { makeFakeSet } from './fake-set';
import { setsOnStick } from './stick-sets';

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const ok = canUseLoop() && Boolean(kernelName);
const why = `${loopSkipReason}; needs a kernel in /boot`;

let stick: LoopDevice | undefined;
let other: LoopDevice | undefined;
let dir = '';

const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const set = (n: number, partBytes?: number) => {
  const d = join(dir, `set-${n}`);
  if (!existsSync(d)) makeFakeSet(d, { id: `set-${n}`, created: `2026-01-0${n}T10:00:00.000Z`, partBytes });
  return d;
};

/** Mounts the stick's data partition read-only (no journal replay) for a look. */
function withData<T>(fn: (root: string) => T): T {
  const mnt = mkdtempSync(join(tmpdir(), 'lifeboat-again-look-'));
  execFileSync('mount', ['-t', 'ext4', '-o', 'ro,noload', `${stick!.device}p3`, mnt]);
  try {
    return fn(mnt);
  } finally {
    execFileSync('umount', [mnt]);
    rmdirSync(mnt);
  }
}

/** Which set is where on the stick: `dir → id`. */
const contents = () => withData(setsOnStick);

/** The boot files and their identity (hash, inode, mtime), plus the BIOS and EFI partitions' bytes. */
const bootState = () => ({
  files: withData((root) =>
    ['boot/vmlinuz', 'boot/initrd.img', 'boot/grub/grub.cfg', 'boot/grub/i386-pc/core.img'].map((f) => {
      const st = statSync(join(root, f));
      return { f, sha: sha(readFileSync(join(root, f))), ino: st.ino, mtime: st.mtimeMs };
    }),
  ),
  bios: sha(readFileSync(`${stick!.device}p1`)),
  esp: sha(readFileSync(`${stick!.device}p2`)),
});

const again = (setDir: string, extra: string[] = []) => cli(['media', '--usb', stick!.device, '--set', setDir, '--again', '--keep', '2', '--include-loop', '--yes', '--json', ...extra]);

afterAll(async () => {
  await stopAll();
  stick?.detach();
  other?.detach();
  cleanupScratch();
});

describe.skipIf(!ok)(`lifeboat media --usb --again (${why})`, () => {
  let boot0: ReturnType<typeof bootState>;

  beforeAll(async () => {
    dir = scratchDir('lifeboat-usb-again-');
    // 256 MiB: a ~190 MiB data partition (kernel and initramfs included), so a 200 MiB set cannot fit even after pruning.
    stick = makeLoop(256 * 2 ** 20, { dir });
    const made = await cli(['media', '--usb', stick.device, '--set', set(1), '--embed', '--include-loop', '--yes', '--kernel', `/boot/${kernelName}`, '--timeout', '0', '--json']);
    expect(made.code, made.out).toBe(0);
    // no space held back for a root user the stick never has
    expect(execFileSync('tune2fs', ['-l', `${stick.device}p3`], { encoding: 'utf8' })).toMatch(/^Reserved block count:\s+0$/m);
    boot0 = bootState();
  }, 300_000);

  it('adds each set in sets/<id>, keeps the two newest (the embedded one counts), and leaves the boot files alone', async () => {
    expect(contents()).toEqual({ lifeboat: 'set-1' });
    const t0 = Date.now();
    const r2 = await again(set(2));
    expect(r2.code, r2.out).toBe(0);
    expect(r2.last).toMatchObject({ type: 'result', add: { id: 'set-2', dir: 'sets/set-2', alreadyPresent: false }, remove: [] });
    expect(contents()).toEqual({ lifeboat: 'set-1', 'sets/set-2': 'set-2' });

    const r3 = await again(set(3));
    expect(r3.code, r3.out).toBe(0);
    // The set embedded at creation is the oldest: pruned like any other.
    expect(r3.last).toMatchObject({ remove: [{ id: 'set-1', dir: 'lifeboat' }] });
    expect(contents()).toEqual({ 'sets/set-2': 'set-2', 'sets/set-3': 'set-3' });

    const r4 = await again(set(4));
    expect(r4.code, r4.out).toBe(0);
    expect(r4.last).toMatchObject({ remove: [{ id: 'set-2', dir: 'sets/set-2' }] });
    expect(contents()).toEqual({ 'sets/set-3': 'set-3', 'sets/set-4': 'set-4' });
    console.log(`three --again runs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The copy is the set, byte for byte.
    withData((root) => {
      for (const f of ['lifeboat.json', 'SHA256SUMS', 'archives/root.tar.zst.000']) expect(sha(readFileSync(join(root, 'sets/set-4', f)))).toBe(sha(readFileSync(join(set(4), f))));
    });
    expect(bootState()).toEqual(boot0);
  }, 120_000);

  it('refuses a set that cannot fit even after pruning, before removing anything (exit 2)', async () => {
    const before = contents();
    const r = await again(set(5, 200 * 2 ** 20));
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'target-too-small' });
    expect(contents()).toEqual(before);
  }, 60_000);

  it('removes the old sets first when the new one only fits without them (--keep 1)', async () => {
    const free = ((await again(set(7, 1))).last as { freeBytesAfter: number }).freeBytesAfter;
    expect(contents()).toEqual({ 'sets/set-4': 'set-4', 'sets/set-7': 'set-7' });
    // 60 % of the free space: fits now, and the next one of the same size fits only once this one is gone.
    const big = Math.floor(free * 0.6);
    const r7 = await again(set(8, big));
    expect(r7.code, r7.out).toBe(0);
    expect(contents()).toEqual({ 'sets/set-7': 'set-7', 'sets/set-8': 'set-8' });
    const r9 = await cli(['media', '--usb', stick!.device, '--set', set(9, big), '--again', '--keep', '1', '--include-loop', '--yes', '--json']);
    expect(r9.code, r9.out).toBe(0);
    expect(r9.last).toMatchObject({ add: { id: 'set-9' }, remove: [{ id: 'set-7' }, { id: 'set-8' }] });
    expect(contents()).toEqual({ 'sets/set-9': 'set-9' });
    withData((root) => expect(sha(readFileSync(join(root, 'sets/set-9/archives/root.tar.zst.000')))).toBe(sha(readFileSync(join(set(9), 'archives/root.tar.zst.000')))));
    console.log(`free on the data partition: ${(free / 2 ** 20).toFixed(0)} MiB; a ${(big / 2 ** 20).toFixed(0)} MiB set added in ${(r9.last as { seconds: number }).seconds.toFixed(1)} s`);
    expect(bootState()).toEqual(boot0);
  }, 120_000);

  it('lists the sets it would remove when it cannot ask, and refuses (exit 2, nothing changed)', async () => {
    const before = contents();
    const r = await cli(['media', '--usb', stick!.device, '--set', set(6, 4096), '--again', '--keep', '2', '--include-loop', '--json']);
    expect(r.code).toBe(2);
    expect(r.last).toMatchObject({ code: 'not-confirmed' });
    expect(contents()).toEqual(before);
  });

  it('refuses a disk that is not a Lifeboat stick, with nothing written (exit 2)', async () => {
    other = makeLoop(64 * 2 ** 20, { dir });
    // A GPT disk with an ext4 partition: a plausible stick, but not one Lifeboat made.
    execFileSync('sfdisk', ['-q', other.device], { input: 'label: gpt\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="DATA"\n' });
    execFileSync('partx', ['-u', other.device]);
    execFileSync('mkfs.ext4', ['-q', '-L', 'LIFEBOAT', `${other.device}p1`]);
    const before = sha(readFileSync(other.device));
    const r = await cli(['media', '--usb', other.device, '--set', set(6, 4096), '--again', '--include-loop', '--yes', '--json']);
    expect(r.code, r.out).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'invalid-request' });
    expect(r.out).toContain('not a Lifeboat rescue stick');
    // Options that would change the rescue system are refused in this mode, as is --keep alone.
    expect((await cli(['media', '--usb', other.device, '--set', set(6, 4096), '--again', '--kernel', '/boot/x', '--include-loop', '--yes'])).code).toBe(2);
    expect((await cli(['media', '--usb', other.device, '--set', set(6, 4096), '--keep', '2', '--include-loop', '--yes'])).code).toBe(2);
    expect(sha(readFileSync(other.device))).toBe(before);
    // And a blank disk (no partition table at all).
    const blank = makeLoop(16 * 2 ** 20, { dir });
    try {
      const b = await cli(['media', '--usb', blank.device, '--set', set(6, 4096), '--again', '--include-loop', '--yes', '--json']);
      expect(b.code).toBe(2);
      expect(sha(readFileSync(blank.device))).toBe(sha(Buffer.alloc(16 * 2 ** 20)));
    } finally {
      blank.detach();
    }
  });

  it.skipIf(!hasQemu())('boots the stick under BIOS and the rescue system picks the newest set by date (needs qemu)', async () => {
    // An older set added last: the rescue system must go by the manifests' dates, not by what came last.
    const r = await cli(['media', '--usb', stick!.device, '--set', set(6, 4096), '--again', '--keep', '2', '--include-loop', '--yes']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Backup set set-6 added to ${stick!.device} in sets/set-6`);
    expect(r.out).toContain('The stick now holds 2 sets');
    expect(contents()).toEqual({ 'sets/set-6': 'set-6', 'sets/set-9': 'set-9' });
    const file = stick!.file;
    stick!.detach();
    stick = undefined;
    const vm = new Vm({ disk: file });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', 120_000);
    console.log(`USB/BIOS after --again: ready after ${ready.toFixed(1)} s`);
    expect(vm.output).toMatch(/LIFEBOAT-SET-FOUND set-9 ext4 \/dev\/sda3/);
    expect(vm.output).toMatch(/Backup found in \/mnt\/dev-sda3\/sets\/set-9/);
    expect(vm.output).toMatch(/2 backups are on this medium: the newest is used/);
    await vm.stop();
  }, 180_000);
});
