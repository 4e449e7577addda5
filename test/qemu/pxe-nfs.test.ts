/**
 * Network boot with the backup set on NFS (issue #4). A real disk (GPT, ext4 root, swap)
 * is backed up with the real backup engine into a folder that a user-space NFSv4 server
 * (NFS-Ganesha) on the host exports; `lifeboat media --pxe` writes the network boot files
 * with `lifeboat.set=nfs:10.0.2.2:/sets/nightly`, and qemu boots them under BIOS from its
 * built-in TFTP server. The boot files hold no set: the rescue system gets an address by
 * DHCP, mounts the export and says which set it found on which mount. Then an unattended
 * boot restores from the export onto a blank virtual disk, which the host reads back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, scratchDir, type LoopDevice } from '../util/loop';
import { hostKernel, loopQemuSkipReason, ovmf, stopAll, Vm } from './vm';
import { expectRestored, makeSmallSystem, type SmallSystem } from './small-system';
import { ganeshaSkipReason, hasGanesha, NfsServer, nfsPortTaken } from './nfs';
import { runCli as cli } from '../util/cli';

const MiB = 1024 * 1024;
const SIZE = 128 * MiB;
// The test's CPU is shared with other qemu tests: software-emulated boots take 2–3× longer then.
const BOOT_MS = 240_000;
const SET_ARG = 'lifeboat.set=nfs:10.0.2.2:/sets/nightly';

const kernel = hostKernel;
const why =
  loopQemuSkipReason() ??
  (!existsSync('/usr/lib/PXELINUX/pxelinux.0')
      ? 'needs pxelinux (apt-get install pxelinux)'
      : !['/usr/sbin/mount.nfs', '/sbin/mount.nfs'].some((p) => existsSync(p))
        ? 'needs mount.nfs on the host, to pack into the rescue system (apt-get install nfs-common)'
        : !hasGanesha()
          ? ganeshaSkipReason
          : (await nfsPortTaken())
            ? 'something already listens on 127.0.0.1:2049, where the test would serve NFS'
            : null);

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const exitsWithin = (vm: Vm, ms: number) => Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), ms))]);

let work = '';
const loops: LoopDevice[] = [];
let nfs: NfsServer | undefined;
let setDir = '';
let setId = '';
let sys: SmallSystem;

describe.skipIf(why !== null)(`PXE boot with the set on NFS in qemu${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-pxe-nfs-');
    // The export holds a folder of sets, as a backup server would.
    mkdirSync(join(work, 'share'));
    setDir = join(work, 'share/nightly');
    sys = await makeSmallSystem({
      work,
      sizeBytes: SIZE,
      rootMiB: 80,
      rootUuid: '0f5e0000-1111-4222-8333-444455556666',
      swapUuid: '0f5e0000-aaaa-4bbb-8ccc-dddddddddddd',
      hostname: 'restored-over-nfs',
      setDir,
      split: 2 * MiB,
    });
    loops.push(sys.source);
    setId = JSON.parse(readFileSync(join(setDir, 'lifeboat.json'), 'utf8')).id;
    mkdirSync(join(work, 'nfs'));
    nfs = new NfsServer(join(work, 'nfs'), join(work, 'share'), '/sets');
    await nfs.start();
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    await nfs?.stop();
    for (const l of loops) l.detach();
    cleanupScratch();
  });

  it('network-boots under BIOS, mounts the set from the NFS export, reads every part of it over NFS, reaches the menu', async () => {
    const pxe = join(work, 'pxe-menu');
    const t0 = Date.now();
    // --set without --embed: the set is checked and described on the recovery sheet, and stays on the server.
    const r = await cli(['media', '--set', setDir, '--pxe', pxe, '--kernel', kernel, '--timeout', '0', '--lang', 'en', '--append', SET_ARG, '--json']);
    expect(r.code, r.out).toBe(0);
    console.log(`PXE files with the set on NFS: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const cfg = readFileSync(join(pxe, 'pxelinux.cfg/default'), 'utf8');
    expect(cfg).toContain(`lifeboat.net=dhcp ${SET_ARG}`);
    expect(readFileSync(join(pxe, 'grub/grub.cfg'), 'utf8')).toContain(SET_ARG);
    expect(sh('find "$1" -name lifeboat.json', pxe)).toBe('');

    const vm = new Vm({ tftp: { dir: pxe, bootfile: 'pxelinux.0' } });
    // READY comes after the search, found or not, so a set that was not reached fails here at once.
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS);
    console.log(`PXE/BIOS with the set on NFS: ready after ${ready.toFixed(1)} s`);
    // The set's own id, and the type and source of its mount as the guest's kernel reports them.
    const found = /LIFEBOAT-SET-FOUND (\S+) (\S+) (\S+)/.exec(vm.output);
    expect(found?.slice(1), vm.tail()).toEqual([setId, 'nfs4', '10.0.2.2:/sets/nightly']);
    expect(vm.output).toContain('Backup found in /mnt/net');
    await vm.waitFor('Your choice (1-5): ', 20_000);
    let from = vm.output.length;
    vm.send('3\n');
    await vm.waitFor('lifeboat# ', 30_000, from);
    // Every byte of the set crosses the network: the checksums are verified in the guest.
    vm.send('(cd /mnt/net && sha256sum -c SHA256SUMS >/dev/null) && echo SUMS-$((40+2))-OK || echo SUMS-$((40+2))-BAD\n');
    await vm.waitFor(/SUMS-42-(OK|BAD)/, 120_000, from);
    expect(vm.output.slice(from)).toContain('SUMS-42-OK');
    from = vm.output.length;
    vm.send('exit\n');
    await vm.waitFor('Your choice (1-5): ', 30_000, from);
    vm.send('5\n');
    expect(await exitsWithin(vm, 60_000)).toBe('exited');
    await vm.stop();
  }, 600_000);

  // UEFI network boot is a different chain: the firmware's own PXE (iPXE's EFI driver in
  // qemu) fetches GRUB's netboot image made by grub-mknetdir, and GRUB fetches the kernel
  // and initramfs over TFTP by its own grub.cfg — none of which the BIOS boot above used.
  it.skipIf(!ovmf())(`network-boots under UEFI through GRUB's netboot image and finds the set on the export${ovmf() ? '' : ' (needs OVMF: apt-get install ovmf)'}`, async () => {
    const pxe = join(work, 'pxe-uefi');
    const r = await cli(['media', '--rescue-only', '--pxe', pxe, '--kernel', kernel, '--timeout', '0', '--lang', 'fr', '--append', SET_ARG, '--json']);
    expect(r.code, r.out).toBe(0);
    expect(existsSync(join(pxe, 'grub/x86_64-efi/core.efi'))).toBe(true);
    const vm = new Vm({ uefi: true, tftp: { dir: pxe, bootfile: 'grub/x86_64-efi/core.efi' } });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', BOOT_MS + 120_000);
    console.log(`PXE/UEFI with the set on NFS: ready after ${ready.toFixed(1)} s`);
    // iPXE's EFI build fetched GRUB, which printed its banner: this was not a BIOS boot.
    expect(vm.output).toMatch(/core\.efi[\s\S]*GRUB/);
    const found = /LIFEBOAT-SET-FOUND (\S+) (\S+) (\S+)/.exec(vm.output);
    expect(found?.slice(1), vm.tail()).toEqual([setId, 'nfs4', '10.0.2.2:/sets/nightly']);
    // --lang fr: the menu speaks French from the first line
    await vm.waitFor('Votre choix (1-5)', 30_000);
    await vm.stop();
  }, 600_000);

  it('restores unattended from the NFS export onto a blank disk: same table, same UUIDs, same files; then powers off', async () => {
    const pxe = join(work, 'pxe-auto');
    const r = await cli(['media', '--rescue-only', '--pxe', pxe, '--kernel', kernel, '--lang', 'en', '--append', `${SET_ARG} lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1`, '--json']);
    expect(r.code, r.out).toBe(0);
    const disk = join(work, 'blank.img');
    writeFileSync(disk, '');
    truncateSync(disk, SIZE);
    const vm = new Vm({ tftp: { dir: pxe, bootfile: 'pxelinux.0' }, targetDisk: disk });
    const seconds = await vm.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, BOOT_MS + 120_000);
    expect(vm.output, vm.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(vm.output).toMatch(new RegExp(`LIFEBOAT-SET-FOUND ${setId} nfs4 10\\.0\\.2\\.2:/sets/nightly`));
    expect(await exitsWithin(vm, 60_000)).toBe('exited');
    console.log(`PXE restore from NFS in qemu: RESTORE-OK after ${seconds.toFixed(1)} s`);

    expectRestored(sys, disk, loops);
  }, 600_000);
});
