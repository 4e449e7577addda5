/**
 * Boot loader steps: reinstall GRUB from inside the restored system (chroot with /dev,
 * /proc and /sys bound), regenerate its configuration and the initramfs so they name
 * the restored disks. Emitted only when the layout records something to boot from
 * (an ESP on UEFI, a BIOS boot partition or an MBR on BIOS); on BIOS, onto every disk
 * boot-disks.ts names (each member's disk of a mirrored /boot or /).
 *
 * These are the plan's only `sh` steps: whether a tool exists inside the restored
 * system is known only once its files are back, so each step tests for it and says
 * when it skips. Exercised in qemu (the rescue system), not on the build machines.
 */
import { posix } from 'node:path';
import type { RestoreStep } from '../../../shared/restore-plan';
import { shq } from './quote';

export interface BootInput {
  root: string;
  firmware: 'bios' | 'uefi';
  espDevice?: string;
  /** the ESP is already mounted at /boot/efi because it was archived */
  espMounted: boolean;
  /** BIOS: the target disks that get GRUB's boot code, in order (boot-disks.ts); none: nothing to reinstall */
  biosDisks: string[];
}

const has = (root: string, tool: string) => `chroot ${shq(root)} /bin/sh -c ${shq(`command -v ${tool}`)} >/dev/null 2>&1`;
const inRoot = (root: string, cmd: string) => `chroot ${shq(root)} ${cmd}`;

/**
 * Runs `cmd` with the firmware's variables (efivarfs) visible inside the restored root.
 * The /sys bind above is not recursive, so without this the restored system's own
 * grub-install cannot write its NVRAM boot entry and always falls back to the removable
 * path. Only where the session itself booted through UEFI; unmounted again whatever
 * `cmd` did, so the later unmount of /sys is not kept busy. The step's status is `cmd`'s.
 */
export function withEfivars(root: string, cmd: string): string {
  const ev = shq(posix.join(root, 'sys/firmware/efi/efivars'));
  return (
    `LB_EV=; if [ -d /sys/firmware/efi/efivars ] && [ -d ${ev} ] && mount -t efivarfs efivarfs ${ev} 2>/dev/null; then LB_EV=1; fi; ` +
    // `if` keeps a failing cmd from ending the script (set -e) before the unmount
    `if { ${cmd}; }; then LB_RC=0; else LB_RC=$?; fi; if [ -n "$LB_EV" ]; then umount ${ev}; fi; [ "$LB_RC" -eq 0 ]`
  );
}

export function bootSteps(b: BootInput): RestoreStep[] {
  const uefi = b.firmware === 'uefi' && Boolean(b.espDevice);
  const bios = b.firmware === 'bios' && b.biosDisks.length > 0;
  if (!uefi && !bios) return [];
  const r = b.root;
  const steps: RestoreStep[] = [];
  const base = { destructive: true, weight: 5 } as const;
  const binds = ['dev', 'proc', 'sys'].map((d) => posix.join(r, d));
  steps.push({ id: 'boot.mkdir', phase: 'boot', title: { key: 'steps.mkdir', params: { path: binds.join(' ') } }, argv: ['mkdir', '-p', ...binds], destructive: false, weight: 1 });
  for (const d of ['dev', 'proc', 'sys']) {
    const dir = posix.join(r, d);
    steps.push({ id: `boot.bind-${d}`, phase: 'boot', title: { key: 'steps.bind', params: { path: dir } }, argv: ['mount', '--bind', `/${d}`, dir], destructive: false, weight: 1, mounts: dir });
  }
  if (uefi && !b.espMounted) {
    const efi = posix.join(r, 'boot/efi');
    steps.push({ id: 'boot.mkdir-esp', phase: 'boot', title: { key: 'steps.mkdir', params: { path: efi } }, argv: ['mkdir', '-p', efi], destructive: false, weight: 1 });
    steps.push({ id: 'boot.mount-esp', phase: 'boot', title: { key: 'steps.mount', params: { device: b.espDevice!, path: efi } }, argv: ['mount', '-t', 'vfat', b.espDevice!, efi], destructive: true, weight: 1, mounts: efi });
  }
  const skip = (what: string) => `echo ${shq(`LIFEBOAT-SKIP ${what}: not in the restored system`)}`;
  // A system booted by GRUB whose own grub-install is not there to run (a minimal system,
  // or tools that do not run in this rescue kernel) still gets its boot code back: the
  // rescue system's grub-install writes it, keeping the restored /boot/grub/grub.cfg.
  const boot = posix.join(r, 'boot');
  const oursAvailable = `[ -d ${shq(posix.join(boot, 'grub'))} ] && command -v grub-install >/dev/null 2>&1`;
  const ours = (args: string) => `grub-install ${args} --boot-directory=${shq(boot)}`;
  if (uefi) {
    // --removable when the firmware's boot entries cannot be written (no efivars in a VM, odd firmware)
    const args = '--target=x86_64-efi --efi-directory=/boot/efi --recheck';
    steps.push({
      ...base,
      id: 'boot.grub-install',
      phase: 'boot',
      title: { key: 'steps.grubEfi', params: { device: b.espDevice! } },
      argv: {
        sh: withEfivars(
          r,
          `if ${has(r, 'grub-install')}; then ${inRoot(r, `grub-install ${args}`)} || ${inRoot(r, `grub-install ${args} --removable --no-nvram`)}; elif ${oursAvailable}; then ${ours(`--target=x86_64-efi --efi-directory=${shq(posix.join(r, 'boot/efi'))} --removable --no-nvram`)}; else ${skip('grub-install')}; fi`,
        ),
      },
    });
  } else {
    // one step per disk, so each shows, and fails, on its own; the first keeps the plain id
    b.biosDisks.forEach((disk, i) => {
      steps.push({
        ...base,
        id: i === 0 ? 'boot.grub-install' : `boot.grub-install.${i + 1}`,
        phase: 'boot',
        title: { key: 'steps.grubBios', params: { device: disk } },
        argv: {
          sh: `if ${has(r, 'grub-install')}; then ${inRoot(r, `grub-install --target=i386-pc --recheck ${shq(disk)}`)}; elif ${oursAvailable}; then ${ours(`--target=i386-pc ${shq(disk)}`)}; else ${skip('grub-install')}; fi`,
        },
      });
    });
  }
  steps.push({
    ...base,
    id: 'boot.grub-config',
    phase: 'boot',
    title: { key: 'steps.grubConfig', params: {} },
    argv: { sh: `if ${has(r, 'update-grub')}; then ${inRoot(r, 'update-grub')}; elif ${has(r, 'grub-mkconfig')}; then ${inRoot(r, 'grub-mkconfig -o /boot/grub/grub.cfg')}; else ${skip('update-grub')}; fi` },
  });
  steps.push({
    ...base,
    id: 'boot.initramfs',
    phase: 'boot',
    title: { key: 'steps.initramfs', params: {} },
    argv: { sh: `if ${has(r, 'update-initramfs')}; then ${inRoot(r, 'update-initramfs -u -k all')}; elif ${has(r, 'dracut')}; then ${inRoot(r, 'dracut --regenerate-all -f')}; else ${skip('update-initramfs')}; fi` },
  });
  return steps;
}
