/**
 * A small installed system that really boots, for rehearsal tests: GPT with a BIOS boot
 * partition and an ext4 root holding static busybox as init (a getty on the serial line
 * prints "login:"), the host's Debian kernel and initramfs, and GRUB for BIOS installed
 * by the host's grub-install. Booting it goes through the same chain as a Debian machine:
 * firmware → GRUB (MBR + core in the BIOS boot partition) → kernel → initramfs finding
 * root by UUID → /sbin/init.
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
  mkdirSync(mnt, { recursive: true });
  sh('mount "$1" "$2"', `${device}p2`, mnt);
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'boot/grub', 'root', 'tmp', 'run']) mkdirSync(join(mnt, d), { recursive: true });
  copyFileSync('/bin/busybox', join(mnt, 'bin/busybox'));
  for (const a of ['sh', 'mount', 'umount', 'getty', 'login', 'cat', 'ls', 'echo', 'hostname', 'poweroff', 'reboot']) symlinkSync('busybox', join(mnt, 'bin', a));
  symlinkSync('../bin/busybox', join(mnt, 'sbin/init'));
  writeFileSync(
    join(mnt, 'etc/inittab'),
    '::sysinit:/bin/mount -t proc proc /proc\n::sysinit:/bin/hostname lifeboat-rehearsal\nttyS0::respawn:/bin/getty -L 115200 ttyS0 vt100\n',
  );
  writeFileSync(join(mnt, 'etc/passwd'), 'root::0:0:root:/root:/bin/sh\n');
  writeFileSync(join(mnt, 'etc/group'), 'root::0:\n');
  writeFileSync(join(mnt, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 defaults 0 1\n`);
  writeFileSync(join(mnt, 'etc/issue'), 'Lifeboat rehearsal system \\n\n');
  copyFileSync(kernel, join(mnt, 'boot/vmlinuz'));
  copyFileSync(kernel.replace('vmlinuz-', 'initrd.img-'), join(mnt, 'boot/initrd.img'));
  writeFileSync(
    join(mnt, 'boot/grub/grub.cfg'),
    [
      'set timeout=0',
      'insmod part_gpt',
      'insmod ext2',
      `search --no-floppy --fs-uuid --set=root ${ROOT_UUID}`,
      `linux /boot/vmlinuz root=UUID=${ROOT_UUID} ro console=ttyS0,115200 quiet`,
      'initrd /boot/initrd.img',
      'boot',
      '',
    ].join('\n'),
  );
  sh('grub-install --target=i386-pc --boot-directory="$2" "$1" 2>&1', device, join(mnt, 'boot'));
}
