/**
 * A rescue USB stick: GPT with a BIOS boot partition (GRUB i386-pc core), a FAT32 EFI
 * system partition (GRUB EFI) and a data partition (ext4, or exFAT so Windows reads it
 * too: usb-data.ts) holding the kernel, the initramfs and backup sets, so the same stick
 * can take new sets over time.
 *
 * Only the data partition is mounted; the FAT partition is written with mtools. The caller must have passed the device through the drive guard. If a step
 * fails, the signatures are wiped so a half-made stick never looks usable.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../run';
import { renderGrubCfg, type BootMenuOptions } from './bootcfg';
import { buildGrubEfi } from './efi';
import { copyPlainTree, DATA_TYPE_GUID, GRUB_FS_MODULE, makeDataFs, mountData, type DataFs, type DataMount } from './usb-data';

export interface UsbInput {
  device: string;
  kernel: string;
  initrd: string;
  embedSet?: string;
  menu: Omit<BootMenuOptions, 'kernelPath' | 'initrdPath'>;
  mediumId: string;
  work: string;
  /** the data partition's filesystem (default ext4) */
  dataFs?: DataFs;
}

/** GPT type GUIDs: BIOS boot, EFI system, then the data partition's (usb-data.ts). */
const layout = (fs: DataFs) =>
  [
    'label: gpt',
    'size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="BIOS boot"',
    'size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="LIFEBOAT-EFI"',
    `type=${DATA_TYPE_GUID[fs]}, name="LIFEBOAT-DATA"`,
  ].join('\n');

/** /dev/sdb → /dev/sdb2, /dev/loop0 or /dev/nvme0n1 → …p2. */
export function partitionDevice(device: string, n: number): string {
  return /\d$/.test(device) ? `${device}p${n}` : `${device}${n}`;
}

async function waitForNode(path: string): Promise<void> {
  for (let i = 0; i < 50 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(path)) throw new Error(`${path} did not appear after partitioning`);
}

export async function buildUsb(input: UsbInput): Promise<void> {
  const { device } = input;
  const fs = input.dataFs ?? 'ext4';
  const esp = partitionDevice(device, 2);
  const data = partitionDevice(device, 3);
  const mnt = mkdtempSync(join(tmpdir(), 'lifeboat-usb-'));
  let mounted: DataMount | null = null;
  try {
    await run('wipefs', ['-a', '-q', device]);
    await run('sfdisk', ['-q', '--wipe', 'always', device], { input: layout(fs) + '\n' });
    // No udev here or in many live systems: ask the kernel for the partition nodes ourselves.
    await run('partx', ['-u', device], { okExitCodes: [0, 1] });
    await waitForNode(esp);
    await waitForNode(data);
    await run('mkfs.vfat', ['-F', '32', '-n', 'LBEFI', esp]);
    await makeDataFs(fs, data);

    mounted = await mountData(data, fs, mnt, { readOnly: false });
    mkdirSync(join(mnt, 'boot/grub'), { recursive: true });
    copyFileSync(input.kernel, join(mnt, 'boot/vmlinuz'));
    copyFileSync(input.initrd, join(mnt, 'boot/initrd.img'));
    const idFile = `/.lifeboat-${input.mediumId}`;
    writeFileSync(join(mnt, idFile), input.mediumId + '\n');
    if (input.embedSet) copyPlainTree(input.embedSet, join(mnt, 'lifeboat'));
    const grubCfg = renderGrubCfg({ ...input.menu, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img', searchFile: idFile });
    writeFileSync(join(mnt, 'boot/grub/grub.cfg'), grubCfg);
    // The core image must read the data partition to reach its modules and menu.
    await run('grub-install', ['--target=i386-pc', `--boot-directory=${join(mnt, 'boot')}`, `--modules=part_gpt ${GRUB_FS_MODULE[fs]} search serial`, '--locales=', '--fonts=', device]);
    const m = mounted;
    mounted = null;
    await m.unmount();

    const efi = await buildGrubEfi(input.work, grubCfg);
    await run('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT']);
    await run('mcopy', ['-i', esp, efi, '::/EFI/BOOT/BOOTX64.EFI']);
    await run('sync', []);
  } catch (err) {
    if (mounted) await mounted.unmount();
    mounted = null;
    await run('wipefs', ['-a', '-q', device], { okExitCodes: [0, 1] }).catch(() => undefined);
    throw err;
  } finally {
    if (mounted) await mounted.unmount();
    // rmdir, not a recursive rm: were the stick still mounted there, it would be emptied.
    try {
      rmdirSync(mnt);
    } catch {
      /* still mounted or already gone: leave it */
    }
  }
}
