/**
 * Which recorded disks get GRUB's BIOS boot code back.
 *
 * A BIOS boots the first disk it is set to and runs the code in that disk's MBR (and its
 * BIOS boot partition on GPT); GRUB there then reads its files from /boot, or from / when
 * /boot is no filesystem of its own. When those files sit on an MD array (or on LVM over
 * one), every disk holding a member is one the machine may have to boot from once another
 * has died, so each gets the boot code — what Debian's grub-pc does for a root on md
 * (grub-pc/install_devices lists every member's disk). With the code on the first disk
 * only, a mirrored system survives the loss of its second disk but not of its first.
 */
import type { Disk, Layout } from '../../../shared/layout';
import { mdAliases } from './md';

export const BIOS_BOOT_GPT = '21686148-6449-6E6F-744E-656564454649';

/**
 * Where grub-install can put its core image: after the MBR of a DOS table, in the BIOS
 * boot partition of a GPT one. A GPT disk without one makes grub-install stop ("embedding
 * is not possible"), and a whole-disk member has no room at all.
 */
export function canEmbed(disk: Disk): boolean {
  return disk.table?.label === 'dos' || Boolean(disk.table?.partitions.some((p) => p.type === BIOS_BOOT_GPT));
}

/** The partitions (or whole disks) a device's data lives on: through MD arrays (spares too: they take over) and LVM. */
export function underlyingNodes(layout: Layout, device: string, seen = new Set<string>()): string[] {
  if (seen.has(device)) return [];
  seen.add(device);
  const md = layout.md.find((a) => mdAliases(a).includes(device));
  if (md) return md.members.flatMap((m) => underlyingNodes(layout, m, seen));
  const esc = (s: string) => s.replace(/-/g, '--');
  const lv = layout.lvm?.lvs.find((l) => device === `/dev/${l.vg}/${l.name}` || device === `/dev/mapper/${esc(l.vg)}-${esc(l.name)}`);
  // the VG's PVs rather than the LV's segments: extents move (pvmove), the VG stays
  if (lv) return (layout.lvm?.pvs ?? []).filter((p) => p.vg === lv.vg).flatMap((p) => underlyingNodes(layout, p.name, seen));
  return [device];
}

/**
 * The disks, among `restored` (the recorded disks that have a target), that get the boot
 * code, in the order of the members (the first member's disk first, as before): every one
 * holding part of `bootDevice` that can take it. When none can (a root on a GPT disk
 * without a BIOS boot partition), the first restored disk that can: GRUB there still reads
 * /boot from the other disk.
 */
export function biosBootDisks(layout: Layout, bootDevice: string, restored: Disk[]): Disk[] {
  const holding: Disk[] = [];
  for (const node of underlyingNodes(layout, bootDevice)) {
    const disk = restored.find((d) => d.device === node || d.table?.partitions.some((p) => p.node === node));
    if (disk && !holding.includes(disk)) holding.push(disk);
  }
  const able = holding.filter(canEmbed);
  if (able.length) return able;
  const first = restored.find(canEmbed);
  return first ? [first] : [];
}
