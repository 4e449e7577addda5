/**
 * `lifeboat rehearse`: proves a backup restores before the disaster does.
 *
 * It boots the rescue media's own kernel and initramfs in qemu (software emulation when
 * KVM is missing) with blank virtual disks the size of the recorded ones and the
 * unattended arguments, waits for `LIFEBOAT-RESTORE-OK`, then boots the first restored
 * disk on its own — under UEFI firmware (OVMF) when the set records a system that starts
 * that way — and waits for a login prompt on the serial console. Nothing on the
 * host's disks is touched: the virtual disks are sparse files in a scratch folder,
 * removed at the end.
 *
 * The media's kernel and initramfs are booted directly (rather than through the ISO's
 * boot menu) so the unattended arguments can be given whatever the menu says; the set
 * is read from the ISO when it is embedded, otherwise from the set folder handed to the
 * machine as a read-only virtual FAT disk.
 *
 * `lifeboat.rehearsal=1` has the rescue system add the serial console to the restored
 * disks' GRUB kernel lines (assets/rescue/rehearsal.sh): a desktop's boot entries name no
 * serial console, so its kernel and getty would otherwise never reach the only screen
 * this VM has, and every rehearsal of a real system would end in a timeout.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RehearseResult } from '../../../shared/api';
import { LifeboatError } from '../../../shared/errors';
import { throwIfCancelled, type JobContext } from '../job';
import { run } from '../run';
import { readManifest } from '../set/read';
import { waitForLogin } from './boot-watch';
import { hasQemu, ovmf, Vm } from './vm';

export interface RehearseOptions {
  setDir: string;
  /** the rescue ISO made by `lifeboat media` */
  media: string;
  /** per boot, for the rescue restore and for the restored system */
  timeoutSeconds?: number;
  memoryMiB?: number;
}

// the whole line: output arrives in pieces, and a reason cut in half would be reported
const DONE = /LIFEBOAT-RESTORE-(OK|FAILED: ?([^\r\n]*))\r?\n/;
const STEP = /LIFEBOAT-STEP (\d+)\/(\d+) (\S+)/g;

async function isoHas(iso: string, path: string): Promise<boolean> {
  const r = await run('xorriso', ['-indev', iso, '-find', path, '-maxdepth', '0'], { okExitCodes: [0, 1, 5, 32] });
  return r.stdout.includes(path);
}

export async function rehearse(ctx: JobContext, opts: RehearseOptions): Promise<RehearseResult> {
  if (!hasQemu()) throw new LifeboatError('rehearse-needs-qemu');
  const set = readManifest(opts.setDir);
  if (!existsSync(opts.media) || !statSync(opts.media).isFile()) throw new LifeboatError('image-missing', { path: opts.media });
  if (set.layout.disks.length === 0) throw new LifeboatError('set-invalid', { path: opts.setDir, detail: 'no disk recorded' });
  // A system that starts through UEFI has its restored disk booted under UEFI: started by the
  // BIOS, that disk (an ESP, no BIOS boot code) would fail where its machine would not. The
  // rescue machine itself stays on the BIOS: qemu's direct kernel boot under OVMF leaves the
  // IDE CD unseen by Linux (no sr0, so no embedded set), and the restore does not depend on
  // the firmware it runs under (GRUB for UEFI falls back to the removable path, no NVRAM).
  const uefi = set.layout.boot.firmware === 'uefi';
  if (uefi && !ovmf()) throw new LifeboatError('rehearse-needs-ovmf');
  const timeoutMs = (opts.timeoutSeconds ?? 600) * 1000;
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'lifeboat-rehearse-'));
  const vms: Vm[] = [];
  const onAbort = () => void Promise.all(vms.map((v) => v.stop()));
  ctx.signal.addEventListener('abort', onAbort);
  try {
    ctx.progress({ phase: 'rehearse.prepare', bytes: 0, total: null, speed: null, eta: null });
    const kernel = join(work, 'vmlinuz');
    const initrd = join(work, 'initrd.img');
    await run('xorriso', ['-osirrox', 'on', '-indev', opts.media, '-extract', '/boot/vmlinuz', kernel, '-extract', '/boot/initrd.img', initrd]);
    const setEmbedded = await isoHas(opts.media, '/lifeboat/lifeboat.json');
    // Blank disks the size of the recorded ones: sparse files, so a 1 TB disk costs nothing.
    const disks = set.layout.disks.map((_, i) => join(work, `disk${i}.img`));
    for (const [i, d] of set.layout.disks.entries()) await run('truncate', ['-s', String(d.sizeBytes), disks[i]!]);
    const targets = disks.map((_, i) => `/dev/vd${String.fromCharCode(97 + i)}`).join(',');
    throwIfCancelled(ctx.signal);

    ctx.progress({ phase: 'rehearse.restore', bytes: 0, total: null, speed: null, eta: null });
    const rescue = new Vm({
      kernel,
      initrd,
      cdrom: opts.media,
      targetDisk: disks[0],
      moreTargetDisks: disks.slice(1),
      // The set, when not inside the ISO, as a read-only FAT disk of the set folder.
      readOnlyFolder: setEmbedded ? undefined : opts.setDir,
      memoryMiB: opts.memoryMiB ?? 1024,
      append: `console=ttyS0,115200 quiet lifeboat.restore=auto lifeboat.target=${targets} lifeboat.poweroff=1 lifeboat.rehearsal=1`,
    });
    vms.push(rescue);
    let seenSteps = 0;
    const poll = setInterval(() => {
      const steps = [...rescue.output.matchAll(STEP)];
      if (steps.length > seenSteps) {
        seenSteps = steps.length;
        const last = steps[steps.length - 1]!;
        ctx.progress({ phase: 'rehearse.restore', bytes: 0, total: null, speed: null, eta: null, items: { done: Number(last[1]), total: Number(last[2]) }, detail: last[3] });
      }
    }, 500);
    try {
      await rescue.waitFor(DONE, timeoutMs).catch((err: Error) => {
        throwIfCancelled(ctx.signal);
        throw new LifeboatError('rehearse-restore-failed', { reason: rescue.alive ? `no result within ${timeoutMs / 1000} s` : 'the rescue system stopped without a result' });
      });
    } finally {
      clearInterval(poll);
    }
    const done = DONE.exec(rescue.output)!;
    if (done[1] !== 'OK') {
      ctx.log(rescue.tail());
      throw new LifeboatError('rehearse-restore-failed', { reason: done[2] || 'unknown' });
    }
    const restoreSeconds = (Date.now() - started) / 1000;
    // It powers itself off (lifeboat.poweroff=1); a machine that does not is stopped.
    await Promise.race([rescue.exited, new Promise((r) => setTimeout(r, 60_000))]);
    await rescue.stop();
    throwIfCancelled(ctx.signal);

    ctx.progress({ phase: 'rehearse.boot', bytes: 0, total: null, speed: null, eta: null });
    const bootStarted = Date.now();
    const restored = new Vm({ disk: disks[0], uefi, memoryMiB: opts.memoryMiB ?? 1024 });
    vms.push(restored);
    await waitForLogin(restored, timeoutMs).catch((err: Error) => {
      throwIfCancelled(ctx.signal);
      ctx.log(restored.tail());
      throw err;
    });
    const bootSeconds = (Date.now() - bootStarted) / 1000;
    await restored.stop();
    ctx.progress({ phase: 'rehearse.done', bytes: 0, total: null, speed: null, eta: null });
    return { ok: true, restoreSeconds, bootSeconds, totalSeconds: (Date.now() - started) / 1000, disks: disks.length, setEmbedded };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await Promise.all(vms.map((v) => v.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}
