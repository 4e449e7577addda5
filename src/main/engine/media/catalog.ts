/**
 * What the rescue media need from the host, in one list.
 *
 * The initramfs builder packs the `rescue` tools, the ISO/USB/PXE builders call the
 * `build` tools, and `lifeboat doctor` reports both from this same list, so the two can
 * never disagree about what is required. Package names let doctor tell people what to
 * install on Debian/Ubuntu, Fedora and Arch.
 */

export type MediaKind = 'iso' | 'usb' | 'pxe';

export interface Packages {
  debian: string;
  fedora: string;
  arch: string;
}

/** A program packed into the rescue system. */
export interface RescueTool {
  /** command name; the first of `names` found on the host is packed */
  names: string[];
  /** needed: a rescue system without it cannot restore a typical set */
  needed: boolean;
  /** argv that proves the tool runs (loader, libraries) — used by the in-VM self-test */
  probe: string[];
  /** exit codes the probe may end with (default [0]) */
  probeOk?: number[];
  packages: Packages;
  /** extra host files or folders the tool needs at run time (grub platform dirs) */
  data?: string[];
}

/** A program or file the build itself needs on the host. */
export interface BuildRequirement {
  id: string;
  /** a command on PATH, or an absolute file (the first existing one counts) */
  command?: string;
  files?: string[];
  media: MediaKind[];
  needed: boolean;
  packages: Packages;
}

const pkg = (debian: string, fedora = debian, arch = debian): Packages => ({ debian, fedora, arch });

export const RESCUE_TOOLS: RescueTool[] = [
  { names: ['sfdisk'], needed: true, probe: ['--version'], packages: pkg('fdisk', 'util-linux', 'util-linux') },
  { names: ['wipefs'], needed: true, probe: ['--version'], packages: pkg('util-linux') },
  { names: ['partx'], needed: false, probe: ['--version'], packages: pkg('util-linux') },
  { names: ['blkid'], needed: true, probe: ['-V'], packages: pkg('util-linux') },
  { names: ['lsblk'], needed: false, probe: ['--version'], packages: pkg('util-linux') },
  { names: ['findmnt'], needed: false, probe: ['--version'], packages: pkg('util-linux') },
  { names: ['losetup'], needed: false, probe: ['--version'], packages: pkg('mount', 'util-linux', 'util-linux') },
  { names: ['sgdisk'], needed: false, probe: ['--version'], packages: pkg('gdisk', 'gdisk', 'gptfdisk') },
  { names: ['parted'], needed: false, probe: ['--version'], packages: pkg('parted') },
  { names: ['mke2fs'], needed: true, probe: ['-V'], packages: pkg('e2fsprogs') },
  { names: ['mkfs.ext4'], needed: true, probe: ['-V'], packages: pkg('e2fsprogs') },
  { names: ['e2fsck'], needed: false, probe: ['-V'], packages: pkg('e2fsprogs') },
  { names: ['resize2fs'], needed: false, probe: ['-h'], probeOk: [1], packages: pkg('e2fsprogs') },
  { names: ['tune2fs'], needed: false, probe: [], probeOk: [1], packages: pkg('e2fsprogs') },
  { names: ['mkfs.vfat', 'mkfs.fat'], needed: true, probe: ['--help'], packages: pkg('dosfstools') },
  { names: ['mkfs.xfs'], needed: false, probe: ['-V'], packages: pkg('xfsprogs') },
  { names: ['xfs_repair'], needed: false, probe: ['-V'], packages: pkg('xfsprogs') },
  { names: ['mkfs.btrfs'], needed: false, probe: ['--version'], packages: pkg('btrfs-progs') },
  { names: ['btrfs'], needed: false, probe: ['--version'], packages: pkg('btrfs-progs') },
  { names: ['mkswap'], needed: true, probe: ['--version'], packages: pkg('util-linux') },
  { names: ['lvm'], needed: false, probe: ['version'], packages: pkg('lvm2') },
  { names: ['dmsetup'], needed: false, probe: ['--version'], packages: pkg('dmsetup', 'device-mapper', 'device-mapper') },
  { names: ['cryptsetup'], needed: false, probe: ['--version'], packages: pkg('cryptsetup-bin', 'cryptsetup', 'cryptsetup') },
  { names: ['mdadm'], needed: false, probe: ['--version'], packages: pkg('mdadm') },
  // GNU tar, not busybox's: sets carry xattrs, ACLs and sparse files.
  { names: ['tar'], needed: true, probe: ['--version'], packages: pkg('tar') },
  // Every decompressor a set may use must be in (ReaR #2241: a set made with one
  // compressor and a rescue system that lacks its decompressor cannot be restored).
  { names: ['zstd'], needed: true, probe: ['--version'], packages: pkg('zstd') },
  { names: ['xz'], needed: true, probe: ['--version'], packages: pkg('xz-utils', 'xz', 'xz') },
  { names: ['gzip'], needed: true, probe: ['--version'], packages: pkg('gzip') },
  { names: ['pigz'], needed: false, probe: ['--version'], packages: pkg('pigz') },
  { names: ['bzip2'], needed: true, probe: ['--help'], packages: pkg('bzip2') },
  { names: ['lz4'], needed: false, probe: ['--version'], packages: pkg('lz4') },
  // Proves the parts before anything is erased (restore.sh's lb_sha256c): several times
  // faster than busybox's sha256sum, which stands in where the host has no openssl.
  { names: ['openssl'], needed: false, probe: ['version'], packages: pkg('openssl') },
  {
    names: ['grub-install'],
    needed: true,
    probe: ['--version'],
    packages: pkg('grub2-common', 'grub2-tools', 'grub'),
    data: ['/usr/lib/grub/i386-pc', '/usr/lib/grub/x86_64-efi', '/usr/share/grub'],
  },
  { names: ['efibootmgr'], needed: false, probe: ['--version'], packages: pkg('efibootmgr') },
  { names: ['dialog', 'whiptail'], needed: false, probe: ['--version'], packages: pkg('dialog') },
  { names: ['mount.nfs'], needed: false, probe: ['-V'], packages: pkg('nfs-common', 'nfs-utils', 'nfs-utils') },
  { names: ['mount.cifs'], needed: false, probe: ['-V'], packages: pkg('cifs-utils') },
];

/** Kernel modules the rescue system loads at boot (missing ones are tolerated and listed). */
export const RESCUE_MODULES = {
  storage: [
    'ata_piix', 'ata_generic', 'pata_acpi', 'ahci', 'nvme', 'virtio_blk', 'virtio_scsi', 'virtio_pci', 'sd_mod',
    'sr_mod', 'usb_storage', 'uas', 'xhci_pci', 'xhci_hcd', 'ehci_pci', 'ehci_hcd', 'ohci_pci', 'uhci_hcd',
    'mmc_block', 'sdhci_pci', 'sdhci_acpi', 'hid_generic', 'usbhid',
  ],
  // exfat: the data partition of a stick made with --data-fs exfat
  filesystems: ['ext4', 'vfat', 'exfat', 'nls_cp437', 'nls_ascii', 'nls_iso8859_1', 'nls_utf8', 'xfs', 'btrfs', 'isofs', 'squashfs', 'overlay', 'nfs', 'nfsv3', 'nfsv4', 'cifs', 'efivarfs'],
  network: ['virtio_net', 'e1000', 'e1000e', 'r8169', 'igb', 'af_packet'],
  // SMB3 signing and encryption need these; the CPU-specific ones (aesni_intel) fail to
  // load on CPUs without the instructions, so the generic ones come too.
  crypto: ['cmac', 'gcm', 'ccm', 'ctr', 'ghash_generic', 'gf128mul', 'ecb', 'cbc', 'aes_generic', 'sha256_generic', 'sha512_generic', 'md4', 'des_generic', 'aesni_intel', 'sha256_ssse3', 'sha512_ssse3'],
  mapper: ['dm_mod', 'dm_crypt', 'md_mod', 'raid0', 'raid1', 'raid10', 'raid456', 'linear'],
} as const;

export const ALL_RESCUE_MODULES: readonly string[] = [
  ...RESCUE_MODULES.storage,
  ...RESCUE_MODULES.filesystems,
  ...RESCUE_MODULES.network,
  ...RESCUE_MODULES.crypto,
  ...RESCUE_MODULES.mapper,
];

export const BUILD_REQUIREMENTS: BuildRequirement[] = [
  { id: 'busybox', files: ['/bin/busybox', '/usr/bin/busybox'], media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('busybox-static', 'busybox', 'busybox') },
  // /bin/sh of the rescue system: busybox ash would run its applets instead of the packed tools.
  { id: 'dash or bash', files: ['/usr/bin/dash', '/bin/dash', '/usr/bin/bash', '/bin/bash'], media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('dash', 'bash', 'bash') },
  { id: 'zstd', command: 'zstd', media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('zstd') },
  { id: 'depmod', command: 'depmod', media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('kmod') },
  { id: 'ldd', command: 'ldd', media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('libc-bin', 'glibc-common', 'glibc') },
  { id: 'xorriso', command: 'xorriso', media: ['iso'], needed: true, packages: pkg('xorriso', 'xorriso', 'libisoburn') },
  { id: 'isolinux.bin', files: ['/usr/lib/ISOLINUX/isolinux.bin', '/usr/lib/syslinux/bios/isolinux.bin', '/usr/share/syslinux/isolinux.bin'], media: ['iso'], needed: true, packages: pkg('isolinux', 'syslinux', 'syslinux') },
  { id: 'isohdpfx.bin', files: ['/usr/lib/ISOLINUX/isohdpfx.bin', '/usr/lib/syslinux/bios/isohdpfx.bin', '/usr/share/syslinux/isohdpfx.bin'], media: ['iso'], needed: true, packages: pkg('isolinux', 'syslinux', 'syslinux') },
  { id: 'ldlinux.c32', files: ['/usr/lib/syslinux/modules/bios/ldlinux.c32', '/usr/lib/syslinux/bios/ldlinux.c32', '/usr/share/syslinux/ldlinux.c32'], media: ['iso', 'pxe'], needed: true, packages: pkg('syslinux-common', 'syslinux', 'syslinux') },
  { id: 'pxelinux.0', files: ['/usr/lib/PXELINUX/pxelinux.0', '/usr/lib/syslinux/bios/pxelinux.0', '/usr/share/syslinux/pxelinux.0'], media: ['pxe'], needed: true, packages: pkg('pxelinux', 'syslinux-tftpboot', 'syslinux') },
  { id: 'grub-mkstandalone', command: 'grub-mkstandalone', media: ['iso', 'pxe'], needed: true, packages: pkg('grub-common', 'grub2-tools', 'grub') },
  { id: 'grub-x86_64-efi', files: ['/usr/lib/grub/x86_64-efi/modinfo.sh'], media: ['iso', 'usb', 'pxe'], needed: true, packages: pkg('grub-efi-amd64-bin', 'grub2-efi-x64-modules', 'grub') },
  { id: 'grub-i386-pc', files: ['/usr/lib/grub/i386-pc/modinfo.sh'], media: ['usb'], needed: true, packages: pkg('grub-pc-bin', 'grub2-pc-modules', 'grub') },
  { id: 'grub-install', command: 'grub-install', media: ['usb'], needed: true, packages: pkg('grub2-common', 'grub2-tools', 'grub') },
  { id: 'mkfs.vfat', command: 'mkfs.vfat', media: ['iso', 'usb'], needed: true, packages: pkg('dosfstools') },
  { id: 'mtools', command: 'mcopy', media: ['iso'], needed: true, packages: pkg('mtools') },
  { id: 'sfdisk', command: 'sfdisk', media: ['usb'], needed: true, packages: pkg('fdisk', 'util-linux', 'util-linux') },
  { id: 'mkfs.ext4', command: 'mkfs.ext4', media: ['usb'], needed: true, packages: pkg('e2fsprogs') },
  // Only for a stick with an exFAT data partition (--data-fs exfat); FUSE mounts it where the kernel has no exfat driver.
  { id: 'mkfs.exfat', command: 'mkfs.exfat', media: ['usb'], needed: false, packages: pkg('exfatprogs') },
  { id: 'mount.exfat-fuse', command: 'mount.exfat-fuse', media: ['usb'], needed: false, packages: pkg('exfat-fuse', 'fuse-exfat', 'fuse-exfat') },
  { id: 'qemu-system-x86_64', command: 'qemu-system-x86_64', media: ['iso', 'usb', 'pxe'], needed: false, packages: pkg('qemu-system-x86', 'qemu-system-x86', 'qemu-system-x86') },
  { id: 'ovmf', files: ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/x64/OVMF_CODE.fd'], media: ['iso', 'usb', 'pxe'], needed: false, packages: pkg('ovmf', 'edk2-ovmf', 'edk2-ovmf') },
];

/** The packages that provide the kernel image and its modules, for doctor's hints. */
export const KERNEL_PACKAGES: Packages = pkg('linux-image-amd64', 'kernel-core', 'linux');
