/**
 * The rescue media really boot: a rescue-only ISO and one with an embedded set, built
 * once each, booted in qemu (software emulation) as a CD under BIOS, as a raw disk under
 * BIOS, and under UEFI; the initramfs booted directly checks its packed tools, the French
 * menu and the unattended path. Boots are few and bounded: the CPU is shared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMedia, type MediaResult } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { hasQemu, ovmf, stopAll, Vm } from './vm';
import { makeFakeSet } from './fake-set';
import { hasSmbd, port445Taken, SmbServer } from './smb';
import { runCli as cli } from '../util/cli';

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const kernel = kernelName ? `/boot/${kernelName}` : '';
const canBoot = Boolean(kernelName) && hasQemu();
const why = 'needs qemu-system-x86_64 and a kernel in /boot (apt-get install qemu-system-x86 linux-image-cloud-amd64)';
const BOOT_MS = 90_000;

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-media-'));
const rescueIso = join(dir, 'rescue.iso');
const setIso = join(dir, 'with-set.iso');
let rescueBuildSeconds = 0;
let setBuild: MediaResult;
const initrd = join(dir, 'initrd.img');


afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canBoot)(`rescue media in qemu (${why})`, () => {
  beforeAll(async () => {
    const t0 = Date.now();
    const r = await cli(['media', '--rescue-only', '--iso', rescueIso, '--kernel', kernel, '--timeout', '0', '--lang', 'en']);
    rescueBuildSeconds = (Date.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`media --rescue-only failed (${r.code}): ${r.out}`);
    const set = join(dir, 'set');
    makeFakeSet(set);
    setBuild = await buildMedia({ iso: setIso, set, embed: true, kernel, lang: 'fr', timeout: 0 }, createJobContext('media'));
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', rescueIso, '-extract', '/boot/initrd.img', initrd], { stdio: 'ignore' });
    console.log(`rescue-only ISO: ${(statSync(rescueIso).size / 2 ** 20).toFixed(1)} MiB in ${rescueBuildSeconds.toFixed(1)} s; with set: ${(setBuild.bytes / 2 ** 20).toFixed(1)} MiB in ${setBuild.seconds.toFixed(1)} s`);
  });

  it('builds a small rescue-only ISO with its manifest, and nothing else left behind', () => {
    // 35 MiB, then openssl (with libssl and libcrypto, 2.1 MiB compressed) for the rescue's fast check of the parts
    expect(statSync(rescueIso).size).toBeLessThanOrEqual(38 * 2 ** 20);
    const manifest = JSON.parse(readFileSync(`${rescueIso}.manifest.json`, 'utf8'));
    expect(manifest.initramfs.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['sfdisk', 'mkfs.ext4', 'tar', 'zstd', 'grub-install']));
    const { present, builtin } = manifest.initramfs.modules;
    expect([...present, ...builtin]).toEqual(expect.arrayContaining(['isofs', 'ext4', 'sr_mod', 'virtio_blk']));
    expect(readdirSync(dir).filter((f) => f.includes('.work-'))).toEqual([]);
    // The printable recovery sheet comes with every medium, named after it.
    expect(readFileSync(`${rescueIso}.recovery-sheet.html`, 'utf8')).toContain('What to do when this computer no longer starts');
    expect(readFileSync(`${setIso}.recovery-sheet.html`, 'utf8')).toContain('Que faire quand cet ordinateur ne démarre plus');
    // Generous bound: the CPU is shared with other jobs; the bench reports the real figure.
    expect(rescueBuildSeconds).toBeLessThan(60);
  });

  it('boots as a CD under BIOS to the menu; the shell works on the serial console; power off ends the machine', async () => {
    const vm = new Vm({ cdrom: rescueIso });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`CD/BIOS: ready after ${ready.toFixed(1)} s`);
    await vm.waitFor('Your choice (1-5): ', 10_000);
    expect(vm.output).toContain('No backup was found');
    let from = vm.output.length;
    vm.send('3\n');
    await vm.waitFor('lifeboat# ', 20_000, from);
    // The same menu also runs on the screen (tty1), since the primary console is serial.
    vm.send('echo LB-$((6*7)) MENUS-$(ps | grep -c "[m]enu.sh"); tar --version | head -1\n');
    await vm.waitFor('LB-42 MENUS-2', 20_000, from);
    await vm.waitFor('tar (GNU tar)', 20_000, from);
    from = vm.output.length;
    vm.send('exit\n');
    await vm.waitFor('Your choice (1-5): ', 20_000, from);
    vm.send('5\n');
    expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 30_000))])).toBe('exited');
    await vm.stop();
  });

  it('boots the same kind of ISO written raw to a disk under BIOS, finds the embedded set, speaks French', async () => {
    const vm = new Vm({ disk: setIso });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`raw disk/BIOS: ready after ${ready.toFixed(1)} s`);
    expect(vm.output).toMatch(/Sauvegarde trouvée dans \/mnt\/dev-sd\w+\/lifeboat/);
    await vm.waitFor('Votre choix (1-5) : ', 10_000);
    expect(vm.output).toContain('Restaurer tout le système');
    await vm.stop();
  });

  it.skipIf(!ovmf())('boots under UEFI (OVMF) as a CD and finds the set on it', async () => {
    const vm = new Vm({ cdrom: setIso, uefi: true });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`CD/UEFI: ready after ${ready.toFixed(1)} s`);
    expect(vm.output).toMatch(/Sauvegarde trouvée dans \/mnt\/dev-sr0\/lifeboat/);
    await vm.stop();
  });

  it.skipIf(!ovmf())('boots under UEFI (OVMF) written raw to a disk', async () => {
    const vm = new Vm({ disk: rescueIso, uefi: true });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`raw disk/UEFI: ready after ${ready.toFixed(1)} s`);
    await vm.waitFor('Your choice (1-5): ', 20_000);
    const from = vm.output.length;
    vm.send('3\n');
    await vm.waitFor('lifeboat# ', 20_000, from);
    // The firmware's variables are mounted, so a restored system's grub-install can write its
    // boot entry (boot.ts withEfivars) and efibootmgr reads OVMF's entries.
    vm.send('echo EFIVARS-$(grep -c " efivarfs " /proc/mounts); efibootmgr | grep -c "^Boot0" | sed "s/^/ENTRIES-/"\n');
    await vm.waitFor(/ENTRIES-\d+/, 30_000, from);
    expect(vm.output.slice(from)).toContain('EFIVARS-1');
    expect(Number(/ENTRIES-(\d+)/.exec(vm.output.slice(from))![1])).toBeGreaterThan(0);
    await vm.stop();
  });

  it('runs every packed tool and loads every packed driver inside the rescue system; lifeboat.lang=fr and lifeboat.set=label: at boot', async () => {
    // The set is named by its volume label, as a person would for a stick among several disks.
    const vm = new Vm({ kernel, initrd, cdrom: setIso, append: 'console=ttyS0,115200 quiet lifeboat.selftest=1 lifeboat.lang=fr lifeboat.set=label:LIFEBOAT' });
    await vm.waitFor(/LIFEBOAT-SELFTEST-(OK|FAILED.*)/, BOOT_MS);
    expect(vm.output).toContain('Sauvegarde trouvée dans /mnt/dev-sr0/lifeboat');
    expect(vm.output).toContain('LIFEBOAT-SELFTEST-OK');
    await vm.waitFor('LIFEBOAT-RESCUE-READY', 30_000);
    await vm.waitFor('Votre choix (1-5) : ', 10_000);
    expect(vm.output).toContain('Lifeboat — menu de secours');
    await vm.stop();
  });

  it.skipIf(!existsSync('/usr/lib/PXELINUX/pxelinux.0'))('network-boots the PXE files under BIOS, gets an address by DHCP, reaches the menu (needs pxelinux)', async () => {
    const pxe = join(dir, 'pxe');
    const r = await cli(['media', '--rescue-only', '--pxe', pxe, '--kernel', kernel, '--timeout', '0', '--json']);
    expect(r.code).toBe(0);
    for (const f of ['vmlinuz', 'initrd.img', 'pxelinux.0', 'ldlinux.c32', 'pxelinux.cfg/default', 'grub/grub.cfg', 'grub/x86_64-efi/core.efi']) {
      expect(existsSync(join(pxe, f)), f).toBe(true);
    }
    const vm = new Vm({ tftp: { dir: pxe, bootfile: 'pxelinux.0' } });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`PXE/BIOS: ready after ${ready.toFixed(1)} s`);
    await vm.waitFor('Your choice (1-5): ', 10_000);
    const from = vm.output.length;
    vm.send('3\n');
    await vm.waitFor('lifeboat# ', 20_000, from);
    vm.send('ip -4 addr show | grep -q "inet 10.0.2.15/" && echo NET-$((1+1))-OK\n');
    await vm.waitFor('NET-2-OK', 20_000, from);
    await vm.stop();
  });

  it('unattended: finds the set on an SMB share after DHCP (when samba is here), refuses a set without a restore plan in plain words, powers off', async () => {
    // One boot for two paths: an unattended machine typically takes its set from the network.
    let smb: SmbServer | undefined;
    let setArg = '';
    const packed = JSON.parse(readFileSync(`${rescueIso}.manifest.json`, 'utf8')).initramfs.tools.map((t: { name: string }) => t.name);
    if (hasSmbd() && packed.includes('mount.cifs') && !(await port445Taken())) {
      const share = join(dir, 'share');
      makeFakeSet(join(share, 'nightly'));
      smb = new SmbServer(join(dir, 'smb'), share);
      await smb.start();
      setArg = ' lifeboat.set=cifs://10.0.2.2/sets/nightly';
    } else console.log('SMB part skipped: needs smbd and mount.cifs (apt-get install samba cifs-utils) and a free 127.0.0.1:445');
    try {
      const vm = new Vm({ nic: true, kernel, initrd, append: `console=ttyS0,115200 quiet lifeboat.restore=auto lifeboat.poweroff=1${setArg}` });
      await vm.waitFor('LIFEBOAT-RESTORE-FAILED: the backup set has no restore plan', BOOT_MS);
      if (smb) expect(vm.output).toContain('Backup found in /mnt/net/nightly');
      expect(await Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 30_000))])).toBe('exited');
      expect(vm.output).not.toContain('LIFEBOAT-RESTORE-OK');
      await vm.stop();
    } finally {
      smb?.stop();
    }
    // (more than the default: the SMB server may first wait for another test file's to stop)
  }, 300_000);
});
