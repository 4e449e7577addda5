/**
 * The GRUB EFI loader of the rescue media: `grub-mkstandalone` makes one BOOTX64.EFI
 * holding its modules and menu, and mtools puts it in a small FAT image (no mount, so
 * no root and no vfat driver needed on the build machine).
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run';

// Enough to find the medium, show a serial+screen menu and boot Linux; listing them keeps
// the loader around 1.3 MB instead of the 6 MB of a standalone image with every module.
// exfat: a USB stick's data partition may be exFAT (usb-data.ts).
const GRUB_MODULES = [
  'linux', 'normal', 'iso9660', 'part_gpt', 'part_msdos', 'fat', 'ext2', 'exfat', 'search', 'search_fs_file', 'search_label',
  'search_fs_uuid', 'serial', 'terminal', 'configfile', 'echo', 'test', 'all_video', 'efi_gop', 'efi_uga', 'gzio',
  'boot', 'ls', 'cat', 'reboot', 'halt', 'memdisk', 'tar', 'net', 'efinet', 'tftp', 'http',
];
const GRUB_PRELOAD = ['part_gpt', 'part_msdos', 'iso9660', 'fat', 'ext2', 'exfat', 'search', 'serial', 'terminal', 'normal', 'linux', 'all_video'];

/** Builds `BOOTX64.EFI` in `dir` with `grubCfg` as its built-in menu; returns its path. */
export async function buildGrubEfi(dir: string, grubCfg: string): Promise<string> {
  const cfg = join(dir, 'grub-embedded.cfg');
  writeFileSync(cfg, grubCfg);
  const out = join(dir, 'BOOTX64.EFI');
  await run('grub-mkstandalone', [
    '-O', 'x86_64-efi', '-o', out, '--locales=', '--fonts=', '--themes=',
    `--install-modules=${GRUB_MODULES.join(' ')}`, `--modules=${GRUB_PRELOAD.join(' ')}`,
    `boot/grub/grub.cfg=${cfg}`,
  ]);
  return out;
}

/** Makes a FAT image holding `EFI/BOOT/BOOTX64.EFI`; sized to the loader plus slack. */
export async function buildEfiImage(efiBinary: string, out: string): Promise<string> {
  const kib = Math.ceil(statSync(efiBinary).size / 1024) + 512;
  await run('mkfs.vfat', ['-C', '-n', 'LIFEBOAT', out, String(kib)]);
  await run('mmd', ['-i', out, '::/EFI', '::/EFI/BOOT']);
  await run('mcopy', ['-i', out, efiBinary, '::/EFI/BOOT/BOOTX64.EFI']);
  return out;
}
