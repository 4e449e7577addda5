/**
 * Network boot files: pxelinux for BIOS PXE and a GRUB net directory for UEFI PXE
 * (`grub-mknetdir`), both booting the same kernel and initramfs.
 *
 * The backup set then comes from the network: the boot entries carry the
 * `lifeboat.set=nfs:SERVER:/PATH` or `cifs://SERVER/SHARE/PATH` the caller appends, and
 * the rescue system asks DHCP for an address first.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run';
import { renderGrubCfg, renderIsolinuxCfg, type BootMenuOptions } from './bootcfg';
import { requiredFile } from './iso';

export interface PxeInput {
  kernel: string;
  initrd: string;
  menu: Omit<BootMenuOptions, 'kernelPath' | 'initrdPath'>;
  /** the folder to fill (the TFTP root, or a folder under it) */
  out: string;
}

export async function buildPxe(input: PxeInput): Promise<void> {
  mkdirSync(join(input.out, 'pxelinux.cfg'), { recursive: true });
  copyFileSync(input.kernel, join(input.out, 'vmlinuz'));
  copyFileSync(input.initrd, join(input.out, 'initrd.img'));
  copyFileSync(requiredFile('pxelinux.0'), join(input.out, 'pxelinux.0'));
  copyFileSync(requiredFile('ldlinux.c32'), join(input.out, 'ldlinux.c32'));
  // The network is needed to reach the set, so every entry asks for DHCP.
  const append = ['lifeboat.net=dhcp', input.menu.append].filter(Boolean).join(' ');
  const menu = { ...input.menu, append };
  const pxe = renderIsolinuxCfg({ ...menu, kernelPath: 'vmlinuz', initrdPath: 'initrd.img' });
  writeFileSync(join(input.out, 'pxelinux.cfg/default'), pxe.cfg.replace('DISPLAY /isolinux/boot.txt', 'DISPLAY boot.txt'));
  writeFileSync(join(input.out, 'boot.txt'), pxe.display);
  await run('grub-mknetdir', [`--net-directory=${input.out}`, '--subdir=grub', '--locales=', '--fonts=', '--themes=']);
  writeFileSync(join(input.out, 'grub/grub.cfg'), renderGrubCfg({ ...menu, kernelPath: '/vmlinuz', initrdPath: '/initrd.img' }));
}
