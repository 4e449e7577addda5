/**
 * `lifeboat flash`: writes an image onto one or more drives, then verifies them.
 *
 *   lifeboat flash IMAGE TARGET... [--yes] [--no-verify] [--include-loop] [--json]
 *
 * Every target passes the drive guard twice: once here, so the confirmation lists only
 * drives that may be written, and again inside the engine just before it is opened
 * (the list may be stale by the time a person answers).
 */
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { confirmErase } from '../confirm';
import { describeError, emitJson, progressPrinter, type CliIo } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatBytes, formatDuration } from '../../../shared/format';
import type { Drive } from '../../../shared/drive';
import type { FlashResult, ImageInfo } from '../../../shared/image';
import { createJobContext } from '../../engine/job';
import { inspectImage } from '../../engine/image/inspect';
import { FLASH_THREADS, flashImage } from '../../engine/flash';
import { assertWritableTarget, unmountDrive } from '../../engine/drives/guard';

interface FlashFlags {
  yes?: boolean;
  verify: boolean;
  includeLoop?: boolean;
  json?: boolean;
}

/**
 * V8 settings for a flash, whose goal is ≤ 64 MiB of peak memory (issue #2) in a process
 * where Node alone takes about 39 MiB. Measured on a 1 GiB write + verify (bench/flash.sh):
 * - no optimising compiler (TurboFan): a flash's JavaScript only moves buffers between
 *   system calls, and compiling its hot loops cost about 9 MiB (compiler zones and the
 *   compiler's own code paged in) for no measured speed;
 * - a young generation that keeps the size it has when the flash starts (two 1 MiB
 *   semi-spaces) instead of doubling up to 2 × 16 MiB: the short-lived objects of a flash
 *   (progress events, promises) are few. That is --semi-space-growth-factor=1, which V8 reads
 *   each time it would grow the young generation. --max-semi-space-size, set here before, is
 *   read only when the heap is set up: set at run time it did nothing (v8.getHeapSpaceStatistics():
 *   the young generation still doubled to 2 × 2 MiB in the first second of a write + verify on
 *   the throttled stick, where more promises outlive a scavenge);
 * - --optimize-for-size: the old generation is collected sooner; with the read-back running
 *   beside the writing (verify.ts) V8's heap otherwise grew from 14 to 18 MiB for a .gz or
 *   .xz image (peak 68 → 65.5 MiB for .xz, 67.9 → 64.7 for .gz, same speed, paired runs).
 * Set here, for this command only: the other commands keep V8's defaults.
 */
function lowMemoryV8(): void {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--optimize-for-size');
}

/**
 * Enough libuv threads that the read-back always has one (FLASH_THREADS says why). libuv reads
 * UV_THREADPOOL_SIZE when its pool starts, at the first fs call, which comes after this; a
 * value the user set is kept (the engine then reads back with more reads in flight).
 */
function enoughThreads(): void {
  process.env.UV_THREADPOOL_SIZE ??= String(FLASH_THREADS);
}

/** Lists what will be erased, then asks (see ../confirm.ts). */
async function confirm(io: CliIo, image: ImageInfo, drives: Drive[], signal: AbortSignal): Promise<void> {
  io.err(io.t('flash:cli.confirmImage', { name: image.name, size: image.size !== null ? formatBytes(image.size, io.lang) : '?' }) + '\n');
  io.err(io.t('flash:cli.confirmErase', { count: drives.length }) + '\n');
  for (const d of drives) io.err(`  ${d.device}  ${d.description}  ${formatBytes(d.size, io.lang)}\n`);
  await confirmErase(io, { question: io.t('flash:cli.confirmQuestion'), signal });
}

function printSummary(io: CliIo, result: FlashResult, verify: boolean): void {
  for (const t of result.targets) {
    if (t.ok) io.out(`✓ ${t.device}: ${io.t(verify ? 'flash:cli.okVerified' : 'flash:cli.okUnverified')}\n`);
    else io.out(`✗ ${t.device}: ${t.error ? describeError(io.t, t.error) : io.t('flash:cli.failed')}\n`);
  }
  io.out(io.t('flash:cli.summary', { bytes: formatBytes(result.bytes, io.lang), duration: formatDuration(result.durationMs / 1000, io.lang) }) + '\n');
  if (result.sha256) io.out(io.t('flash:cli.sha256', { sha256: result.sha256 }) + '\n');
}

export const registerFlash: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('flash')
    .description(io.t('flash:cli.description'))
    .argument('<image>', io.t('flash:cli.image'))
    .argument('<targets...>', io.t('flash:cli.targets'))
    .option('--yes', io.t('flash:cli.yes'))
    .option('--no-verify', io.t('flash:cli.noVerify'))
    .option('--include-loop', io.t('flash:cli.includeLoop'))
    .option('--json', io.t('flash:cli.json'))
    .action(async (image: string, targets: string[], o: FlashFlags) => {
      lowMemoryV8();
      enoughThreads();
      const includeLoop = Boolean(o.includeLoop);
      const check = (device: string, img: ImageInfo) =>
        assertWritableTarget(device, { imageSize: img.size, imageSourceDevice: img.sourceDevice, includeLoop });

      if (!o.yes) {
        if (!io.interactive || io.json) throw new LifeboatError('not-confirmed');
        // Checked before asking, so the question lists only drives that may be written; with --yes
        // the engine's guard below is the one check (a drive scan is not free).
        const info = await inspectImage(image, signal);
        const drives: Drive[] = [];
        for (const t of targets) drives.push(await check(t, info));
        await confirm(io, info, drives, signal);
      }

      const printer = progressPrinter(io);
      const ctx = createJobContext('flash', {
        signal,
        // The CLI's phase names live under cli:phases.flash.*, like media's.
        onProgress: (p) => printer.update({ ...p, phase: `flash.${p.phase}` }),
        onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
      });
      try {
        const result = await flashImage(ctx, {
          image,
          targets,
          verify: o.verify,
          // Re-checked at the moment of writing; a mounted stick is unmounted first, as Etcher does.
          guard: async (device, img) => unmountDrive(await check(device, img)),
        });
        printer.stop();
        if (io.json) emitJson(io, { type: 'result', ...result });
        else printSummary(io, result, o.verify);
        setExitCode(result.targets.every((t) => t.ok) ? 0 : 1);
      } finally {
        printer.stop();
      }
    });
};
