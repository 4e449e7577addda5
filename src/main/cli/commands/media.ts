/**
 * `lifeboat media`: builds rescue media.
 *
 *   lifeboat media --set SETDIR (--iso FILE | --usb DEVICE | --pxe DIR) [--embed] [--kernel FILE]
 *                  [--modules DIR] [--append "ARGS"] [--lang en|fr] [--timeout S] [--yes] [--json]
 *                  [--data-fs ext4|exfat]   (--usb only: the data partition's filesystem)
 *   lifeboat media --rescue-only --iso FILE
 *   lifeboat media --set SETDIR --iso FILE.iso --embed --split-media cd|dvd|SIZE
 *     → FILE-1.iso (boots), FILE-2.iso…: a set of discs of that size
 *   lifeboat media --profile FILE [any option above, which then wins over the profile]
 *   lifeboat media --usb DEVICE --set SETDIR --again [--keep N] [--yes] [--include-loop]
 *     → adds the set to an existing Lifeboat stick, keeps the newest N sets (default 3)
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import { createJobContext } from '../../engine/job';
import { buildMedia } from '../../engine/media/build';
import { assertWritableTarget, claimTarget } from '../../engine/drives/guard';
import { sourceDeviceOf } from '../../engine/image/source-device';
import { confirmErase } from '../confirm';
import type { Language } from '../../../shared/api';
import { discSizeText, type Profile } from '../../../shared/profile';
import { readProfile } from '../../services/profile';
import { planUsbAgain, usbAgain } from '../../engine/media/usb-again';
import type { CliIo } from '../output';
import { DEFAULT_KEEP } from '../../../shared/media-make';
import { NetDestSyntaxError, parseNetDest } from '../../../shared/net-dest';
import { withNetDest } from '../../engine/backup/net-dest';
import { readCredentialsFile } from './smb-credentials';

export interface MediaFlags {
  profile?: string;
  set?: string;
  iso?: string;
  usb?: string;
  pxe?: string;
  rescueOnly?: boolean;
  embed?: boolean;
  kernel?: string;
  modules?: string;
  append?: string;
  lang?: Language;
  timeout?: string;
  yes?: boolean;
  includeLoop?: boolean;
  splitMedia?: string;
  again?: boolean;
  keep?: string;
  dataFs?: 'ext4' | 'exfat';
  smbCredentials?: string;
}

/**
 * The flags with the profile's choices filled in where the command line is silent: the
 * set is the one the profile's backup writes, the output its ISO. A typed option wins.
 */
export function mediaFlagsOf(o: MediaFlags, cmd: Command, profile: Profile | null): MediaFlags {
  if (!profile) return o;
  const typed = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const m = profile.media;
  // The profile's output only when none is typed; a stick is never in a profile, so one is named here.
  const typedOutput = Boolean(o.iso || o.usb || o.pxe);
  return {
    ...o,
    set: o.set ?? (o.rescueOnly ? undefined : profile.backup.dest),
    iso: o.iso ?? (typedOutput ? undefined : m.iso),
    pxe: o.pxe ?? (typedOutput ? undefined : m.pxe),
    embed: typed('embed') ? o.embed : m.embed && !o.rescueOnly,
    lang: o.lang ?? m.lang,
    kernel: o.kernel ?? m.kernel,
    // The profile's data filesystem is for a stick being made; with another output it does not apply.
    dataFs: o.dataFs ?? (o.usb && !o.iso && !o.pxe && !o.again && !(m.again && !typed('again')) ? m.dataFs : undefined),
    // The wizard's disc set goes with the profile's ISO; "add to the stick" with the stick named here.
    splitMedia: o.splitMedia ?? (!typedOutput && m.iso && !o.rescueOnly && m.splitMedia !== undefined ? discSizeText(m.splitMedia) : undefined),
    again: typed('again') ? o.again : o.again || (o.usb && !o.iso && !o.pxe && m.again) || undefined,
    keep: o.keep ?? (o.usb && m.again && m.keep !== undefined ? String(m.keep) : undefined),
  };
}

export const registerMedia: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('media')
    .description(io.t('media:command.description'))
    .option('--profile <file>', io.t('media:command.profile'))
    .option('--set <dir>', io.t('media:command.set'))
    .option('--smb-credentials <file>', io.t('backup:command.smbCredentials'))
    .option('--iso <file>', io.t('media:command.iso'))
    .option('--usb <device>', io.t('media:command.usb'))
    .option('--pxe <dir>', io.t('media:command.pxe'))
    .option('--rescue-only', io.t('media:command.rescueOnly'))
    .option('--embed', io.t('media:command.embed'))
    .option('--no-embed', io.t('media:command.noEmbed'))
    .option('--kernel <file>', io.t('media:command.kernel'))
    .option('--modules <dir>', io.t('media:command.modules'))
    .option('--append <args>', io.t('media:command.append'))
    .addOption(new Option('--lang <lang>', io.t('media:command.lang')).choices(['en', 'fr']))
    .option('--timeout <seconds>', io.t('media:command.timeout'))
    .option('--yes', io.t('media:command.yes'))
    .option('--include-loop', io.t('media:command.includeLoop'))
    .option('--split-media <size>', io.t('media:command.splitMedia'))
    .option('--again', io.t('media:command.again'))
    .option('--keep <n>', io.t('media:command.keep'))
    .addOption(new Option('--data-fs <fs>', io.t('media:command.dataFs')).choices(['ext4', 'exfat']))
    .option('--json', io.t('media:command.json'))
    .action(async (flags: MediaFlags, cmd: Command) => {
      const profile = flags.profile ? readProfile(flags.profile) : null;
      const o = mediaFlagsOf(flags, cmd, profile);
      // A set on an NFS export or SMB share (what `lifeboat backup --dest nfs:…|cifs://…`
      // wrote) is mounted privately while the medium is built, as the backup did.
      let net;
      try {
        net = o.set ? parseNetDest(o.set) : null;
      } catch (err) {
        if (err instanceof NetDestSyntaxError) throw new LifeboatError('net-dest-invalid', { dest: err.text, reason: err.reason });
        throw err;
      }
      if (o.smbCredentials !== undefined && net?.kind !== 'smb') throw new LifeboatError('invalid-request', { field: '--smb-credentials', reason: 'only with --set cifs://SERVER/SHARE/PATH' });
      if (net) {
        const credentials = o.smbCredentials !== undefined ? readCredentialsFile(o.smbCredentials) : undefined;
        const log = (l: string) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n');
        await withNetDest(net, { credentials, signal, log }, (dir) => runMedia({ ...o, set: dir }, flags, cmd, profile));
        return;
      }
      await runMedia(o, flags, cmd, profile);
    });

  async function runMedia(o: MediaFlags, flags: MediaFlags, cmd: Command, profile: Profile | null): Promise<void> {
    const outputs = [o.iso, o.usb, o.pxe].filter(Boolean).length;
    const refuse = (field: string, reason: string) => {
      throw new LifeboatError('invalid-request', { field, reason }, `${field}: ${reason}`);
    };
    if (o.keep !== undefined && !o.again) refuse('--keep', io.t('media:keepNeedsAgain'));
    // Only a stick being made has a data partition to format: not an ISO or PXE folder,
    // and not --again, which keeps the stick's filesystem whichever it is.
    if (o.dataFs && (!o.usb || o.iso || o.pxe || o.again)) throw new LifeboatError('media-data-fs-needs-usb', { fs: o.dataFs });
    if (o.again) {
      if (!o.usb || o.iso || o.pxe) refuse('--again', io.t('media:againNeedsUsb'));
      if (!o.set) refuse('--set', io.t('media:needSet'));
      if (flags.kernel || flags.modules || o.splitMedia || o.rescueOnly || (flags.embed && cmd.getOptionValueSource('embed') === 'cli')) refuse('--again', io.t('media:againKeepsRescue'));
      const keep = o.keep === undefined ? DEFAULT_KEEP : Number(o.keep);
      if (!(Number.isInteger(keep) && keep >= 1 && keep <= 100)) refuse('--keep', io.t('media:keepRange'));
      await backupAgain(io, signal, { device: o.usb!, set: o.set!, keep, yes: o.yes, includeLoop: Boolean(o.includeLoop) });
      setExitCode(0);
      return;
    }
    if (outputs === 0 && profile?.media.kind === 'usb') refuse('--usb', io.t('media:profileNeedsUsb'));
    if (outputs !== 1) refuse('--iso/--usb/--pxe', io.t('media:needOutput'));
    if (!o.set && !o.rescueOnly) refuse('--set', io.t('media:needSet'));
    if (o.embed && !o.set) refuse('--embed', io.t('media:embedNeedsSet'));
    const timeout = o.timeout !== undefined ? Number(o.timeout) : undefined;
    if (timeout !== undefined && !(timeout >= 0 && timeout <= 600)) refuse('--timeout', '0…600');
    if (o.splitMedia !== undefined && (!o.iso || !o.embed)) refuse('--split-media', io.t('media:splitNeedsIsoEmbed'));

    // A stick is erased: the same drive rules as flashing, checked before asking and
    // again (on a fresh scan) by the engine right before it writes.
    let usbGuard: ((device: string) => Promise<void>) | undefined;
    if (o.usb) {
      const includeLoop = Boolean(o.includeLoop);
      const policy = { imageSize: null, imageSourceDevice: o.set ? await sourceDeviceOf(o.set) : null, includeLoop };
      const drive = await assertWritableTarget(o.usb, policy);
      await confirmErase(io, {
        yes: o.yes,
        question: io.t('media:confirmUsb', { device: drive.device, description: drive.description, size: formatBytes(drive.size, io.lang) }),
        signal,
      });
      usbGuard = async (device) => {
        await claimTarget(device, policy);
      };
    }

    const printer = progressPrinter(io);
    const ctx = createJobContext('media', {
      signal,
      onProgress: printer.update,
      onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
    });
    try {
      const result = await buildMedia(
        {
          set: o.set,
          embed: o.embed,
          iso: o.iso,
          pxe: o.pxe,
          usb: o.usb,
          usbGuard,
          dataFs: o.dataFs,
          kernel: o.kernel,
          modules: o.modules,
          append: o.append,
          lang: o.lang ?? io.lang,
          timeout,
          splitMedia: o.splitMedia,
        },
        ctx,
      );
      printer.stop();
      if (io.json) emitJson(io, { type: 'result', ...result });
      else {
        io.out(io.t('media:done', { path: result.path, size: formatBytes(result.bytes, io.lang), seconds: result.seconds.toFixed(1) }) + '\n');
        for (const d of result.discs ?? []) io.out(io.t('media:disc', { index: d.index, count: result.discs!.length, path: d.path, label: d.label, size: formatBytes(d.bytes, io.lang), parts: d.parts }) + '\n');
        io.out(io.t('media:manifest', { path: result.manifestPath }) + '\n');
        io.out(io.t('media:sheetDone', { path: result.sheetPdfPath ?? result.sheetPath }) + '\n');
        if (result.missingTools.length) io.out(io.t('media:missingTools', { tools: result.missingTools.join(', ') }) + '\n');
      }
      setExitCode(0);
    } finally {
      printer.stop();
    }
  }
};

/**
 * `--again`: a new set onto an existing stick. Only the pruned old sets are erased, so
 * the question lists them; the drive rules are the same as for making the stick.
 */
async function backupAgain(io: CliIo, signal: AbortSignal, a: { device: string; set: string; keep: number; yes?: boolean; includeLoop: boolean }): Promise<void> {
  const policy = { imageSize: null, imageSourceDevice: await sourceDeviceOf(a.set), includeLoop: a.includeLoop };
  const drive = await assertWritableTarget(a.device, policy);
  const plan = await planUsbAgain(drive.device, a.set, a.keep);
  const removed = plan.remove.map((s) => io.t('media:againSet', { id: s.id, created: s.created, dir: s.dir })).join('\n');
  await confirmErase(io, {
    yes: a.yes,
    question: plan.remove.length
      ? io.t('media:confirmAgain', { device: drive.device, description: drive.description, id: plan.add.id, keep: a.keep, count: plan.remove.length }) + '\n' + removed + '\n' + io.t('media:confirmAgainAsk')
      : io.t('media:confirmAgainNoRemoval', { device: drive.device, description: drive.description, id: plan.add.id }) + ' ' + io.t('media:confirmAgainAsk'),
    signal,
  });
  const result = await usbAgain({
    device: drive.device,
    set: a.set,
    keep: a.keep,
    signal,
    usbGuard: async (device) => {
      await claimTarget(device, policy);
    },
    log: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
  });
  if (io.json) {
    emitJson(io, { type: 'result', ...result });
    return;
  }
  io.out(io.t(result.add.alreadyPresent ? 'media:againPresent' : 'media:againAdded', { id: result.add.id, dir: result.add.dir, device: result.device, size: formatBytes(result.add.bytes, io.lang) }) + '\n');
  for (const s of result.remove) io.out(io.t('media:againRemoved', { id: s.id, created: s.created, dir: s.dir }) + '\n');
  io.out(io.t('media:againKept', { count: result.keep.length + 1, free: formatBytes(result.freeBytesAfter, io.lang), seconds: result.seconds.toFixed(1) }) + '\n');
}
