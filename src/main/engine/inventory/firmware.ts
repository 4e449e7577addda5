/**
 * The firmware the recorded system boots with. For the running system, the one that
 * started this machine. For an installed system mounted elsewhere (an offline backup from
 * a live session, another machine's disk), this machine's firmware proves nothing — a live
 * stick is often started in BIOS mode on a UEFI machine — so the installed GRUB says: its
 * platform folder in /boot/grub is x86_64-efi (with an ESP to boot from) or i386-pc. Only
 * when both or neither are there does this machine's firmware decide.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { uefiFirmware } from './sysfs';

export function bootFirmware(root: string, hasEsp: boolean, running: 'uefi' | 'bios' = uefiFirmware() ? 'uefi' : 'bios'): 'uefi' | 'bios' {
  if (root === '/') return running;
  const efi = existsSync(join(root, 'boot/grub/x86_64-efi'));
  const pc = existsSync(join(root, 'boot/grub/i386-pc'));
  if (efi && !pc && hasEsp) return 'uefi';
  if (pc && !efi) return 'bios';
  return running;
}
