/**
 * A small installed system that really boots, for rehearsal tests: GPT with a BIOS boot
 * partition and an ext4 root holding static busybox as init (a getty on the serial line
 * prints "login:"), the host's Debian kernel and initramfs, and GRUB for BIOS installed
 * by the host's grub-install. Booting it goes through the same chain as a Debian machine:
 * firmware → GRUB (MBR + core in the BIOS boot partition) → kernel → initramfs finding
 * root by UUID → /sbin/init. `buildUefiBootableSystem` is the same system installed for
 * UEFI (an ESP instead of the BIOS boot partition).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_UUID = '7e57b007-0000-4000-8000-000000000001';
export const LOGIN_PROMPT = 'lifeboat-rehearsal login:';

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** What the fixture needs on the host, or null when it can be built. */
export function bootableSystemMissing(kernel: string): string | null {
  const initrd = kernel.replace('vmlinuz-', 'initrd.img-');
  for (const [what, path] of [['busybox (busybox-static)', '/bin/busybox'], ['the kernel', kernel], ['its initramfs', initrd], ['GRUB for BIOS (grub-pc-bin)', '/usr/lib/grub/i386-pc/modinfo.sh']]) {
    try {
      execFileSync('test', ['-e', path!]);
    } catch {
      return `needs ${what} at ${path}`;
    }
  }
  return null;
}

/**
 * Lays the system out on `device` (a loop device) and mounts its root at `mnt`; the
 * caller adds files, backs it up and unmounts.
 */
export function buildBootableSystem(device: string, mnt: string, kernel: string): void {
  sh('printf "label: gpt\\nsize=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios\\ntype=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name=root\\n" | sfdisk -q "$1"', device);
  sh('partx -d "$1" 2>/dev/null; partx -a "$1"', device);
  sh('mkfs.ext4 -q -U "$2" -L lbroot "$1"', `${device}p2`, ROOT_UUID);
  populateRoot(mnt, `${device}p2`, kernel, 'lifeboat-rehearsal', `UUID=${ROOT_UUID} / ext4 defaults 0 1\n`);
  writeFileSync(join(mnt, 'boot/grub/grub.cfg'), grubCfg(ROOT_UUID));
  sh('grub-install --target=i386-pc --boot-directory="$2" "$1" 2>&1', device, join(mnt, 'boot'));
}

/** The UEFI variant: identities a test compares after a restore. */
export const UEFI_ROOT_UUID = '7e57b007-0000-4000-8000-0000000000e1';
/** the ESP's FAT volume id as blkid prints it (mkfs.vfat -i takes it without the dash) */
export const ESP_VOLUME_ID = '7E57-EF15';
export const UEFI_LOGIN_PROMPT = 'lifeboat-uefi login:';
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const GRUB_EFI = '/usr/lib/grub/x86_64-efi';

/** What the UEFI fixture needs on the host on top of the BIOS one, or null. */
export function uefiBootableSystemMissing(kernel: string): string | null {
  const base = bootableSystemMissing(kernel);
  if (base) return base;
  for (const [what, path] of [['GRUB for UEFI (grub-efi-amd64-bin)', `${GRUB_EFI}/modinfo.sh`], ['mkfs.vfat (dosfstools)', '/usr/sbin/mkfs.vfat'], ['mtools', '/usr/bin/mcopy']]) {
    try {
      execFileSync('test', ['-e', path!]);
    } catch {
      return `needs ${what} at ${path}`;
    }
  }
  return null;
}

/**
 * A system installed the way Debian installs one on a UEFI machine: GPT with an ESP
 * (FAT32) and an ext4 root; GRUB's EFI image in EFI/debian/grubx64.efi and, since a fresh
 * firmware has no boot entry naming it, again at the removable path EFI/BOOT/BOOTX64.EFI;
 * GRUB's modules and grub.cfg on the root in /boot/grub, found by the image through the
 * root's UUID. Booting it: OVMF → EFI/BOOT/BOOTX64.EFI → /boot/grub/grub.cfg → kernel →
 * initramfs finding root by UUID → /sbin/init.
 *
 * The host has no vfat driver, so the ESP is made and filled from outside with mkfs.vfat
 * and mtools, and is not mounted when the set is made: the backup keeps it as a raw
 * partition image, as it does for any unmounted ESP. /etc/fstab still lists it by its
 * volume id, as Debian's does: the raw image carries that id in its bytes, so a restore
 * gives it back unchanged (even in clone mode) and the restored fstab stays right. The
 * restore itself does not need the line: it mounts the ESP at /boot/efi by its new
 * partition node for grub-install. This busybox init mounts nothing from fstab, so the
 * line is there to be carried over as a real one would, not for this boot.
 *
 * `removableCopy: false` leaves EFI/BOOT out, as Debian's own grub-install does: such a
 * disk boots only through the firmware's boot entry, which stays behind in the old
 * machine's NVRAM — the case where only the restore's boot-loader step can make the
 * restored disk boot.
 *
 * GRUB's EFI image is made with grub-mkimage rather than grub-install, which refuses an
 * --efi-directory that is not a mounted FAT filesystem — the same image grub-install
 * would write without Secure Boot: a few built-in modules and a load.cfg that finds the
 * root by UUID and sets the prefix there.
 */
export function buildUefiBootableSystem(device: string, mnt: string, kernel: string, work: string, opts: { removableCopy?: boolean } = {}): void {
  sh(`printf "label: gpt\\nsize=40MiB, type=${ESP_TYPE}, name=esp\\ntype=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name=root\\n" | sfdisk -q "$1"`, device);
  sh('partx -d "$1" 2>/dev/null; partx -a "$1"', device);
  const esp = `${device}p1`;
  sh('mkfs.vfat -F 32 -i "$2" "$1" >/dev/null', esp, ESP_VOLUME_ID.replace('-', ''));
  sh('mkfs.ext4 -q -U "$2" -L lbroot "$1"', `${device}p2`, UEFI_ROOT_UUID);
  populateRoot(
    mnt,
    `${device}p2`,
    kernel,
    'lifeboat-uefi',
    `UUID=${UEFI_ROOT_UUID} / ext4 defaults 0 1\nUUID=${ESP_VOLUME_ID} /boot/efi vfat umask=0077 0 1\n`,
  );
  mkdirSync(join(mnt, 'boot/efi'), { recursive: true });
  writeFileSync(join(mnt, 'boot/grub/grub.cfg'), grubCfg(UEFI_ROOT_UUID));
  // grub-install copies the platform's modules next to grub.cfg; the image loads `normal` and the rest from there
  const mods = join(mnt, 'boot/grub/x86_64-efi');
  mkdirSync(mods, { recursive: true });
  sh('cp "$1"/*.mod "$1"/*.lst "$2"/', GRUB_EFI, mods);
  const loadCfg = join(work, 'load.cfg');
  writeFileSync(loadCfg, `search.fs_uuid ${UEFI_ROOT_UUID} root\nset prefix=($root)'/boot/grub'\n`);
  const image = join(work, 'grubx64.efi');
  sh('grub-mkimage -O x86_64-efi -d "$1" -c "$2" -p /boot/grub -o "$3" part_gpt ext2 search_fs_uuid', GRUB_EFI, loadCfg, image);
  // mtools refuses a device whose FAT geometry it does not expect unless told to trust it
  const m = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const removable = opts.removableCopy ?? true;
  const steps: [string, string[]][] = [
    ['mmd', ['-i', esp, '::/EFI', '::/EFI/debian', ...(removable ? ['::/EFI/BOOT'] : [])]],
    ['mcopy', ['-i', esp, image, '::/EFI/debian/grubx64.efi']],
  ];
  if (removable) steps.push(['mcopy', ['-i', esp, image, '::/EFI/BOOT/BOOTX64.EFI']]);
  for (const [cmd, args] of steps) execFileSync(cmd, args, { env: m, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Mounts the fresh root filesystem at `mnt` and fills it: busybox init, a getty, the kernel. */
function populateRoot(mnt: string, rootDevice: string, kernel: string, hostname: string, fstab: string): void {
  mkdirSync(mnt, { recursive: true });
  sh('mount "$1" "$2"', rootDevice, mnt);
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'boot/grub', 'root', 'tmp', 'run']) mkdirSync(join(mnt, d), { recursive: true });
  copyFileSync('/bin/busybox', join(mnt, 'bin/busybox'));
  for (const a of ['sh', 'mount', 'umount', 'getty', 'login', 'cat', 'ls', 'echo', 'hostname', 'poweroff', 'reboot']) symlinkSync('busybox', join(mnt, 'bin', a));
  symlinkSync('../bin/busybox', join(mnt, 'sbin/init'));
  writeFileSync(
    join(mnt, 'etc/inittab'),
    `::sysinit:/bin/mount -t proc proc /proc\n::sysinit:/bin/hostname ${hostname}\nttyS0::respawn:/bin/getty -L 115200 ttyS0 vt100\n`,
  );
  writeFileSync(join(mnt, 'etc/passwd'), 'root::0:0:root:/root:/bin/sh\n');
  writeFileSync(join(mnt, 'etc/group'), 'root::0:\n');
  writeFileSync(join(mnt, 'etc/fstab'), fstab);
  writeFileSync(join(mnt, 'etc/issue'), 'Lifeboat rehearsal system \\n\n');
  copyFileSync(kernel, join(mnt, 'boot/vmlinuz'));
  copyFileSync(kernel.replace('vmlinuz-', 'initrd.img-'), join(mnt, 'boot/initrd.img'));
}

function grubCfg(rootUuid: string): string {
  return [
    'set timeout=0',
    'insmod part_gpt',
    'insmod ext2',
    `search --no-floppy --fs-uuid --set=root ${rootUuid}`,
    `linux /boot/vmlinuz root=UUID=${rootUuid} ro console=ttyS0,115200 quiet`,
    'initrd /boot/initrd.img',
    'boot',
    '',
  ].join('\n');
}
