/**
 * `lifeboat restore`: puts a backup set back onto disks.
 *
 *   lifeboat restore --set SETDIR --target DEV[,DEV] [--map SRC=DST]... [--clone] [--dry-run]
 *                    [--include-loop] [--mount-root DIR] [--yes] [--json]
 *
 *   lifeboat restore --set SETDIR --files [PATTERN...] --to DIR [--in-place] [--yes]
 *
 * --files is file-level: all (no pattern) or the chosen paths/patterns into a folder,
 * the same job as `lifeboat files restore`.
 *
 * --dry-run shows the compiled plan — localized titles and the exact commands — and
 * touches nothing. Otherwise the targets are erased: without --yes a person must type
 * yes on a terminal, and a non-interactive run is refused (not-confirmed, exit 2).
 */
import { confirmErase } from '../confirm';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { RegisterCommand } from './index';
import { emitJson, progressPrinter, type CliIo } from '../output';
import { LifeboatError } from '../../../shared/errors';
import { formatBytes, parseSize } from '../../../shared/format';
import type { BackupSet } from '../../../shared/backup-set';
import type { RestorePlan } from '../../../shared/restore-plan';
import { stepTitle, warningText } from '../../../shared/restore-text';
import { createJobContext } from '../../engine/job';
import { readManifest } from '../../engine/set/read';
import { basesOf } from '../../engine/set/chain';
import { compilePlan } from '../../engine/restore/compile';
import { runPlan } from '../../engine/restore/execute';
import { commandLine } from '../../engine/restore/shell';
import { assignTargets, sourceDeviceOf } from '../../engine/restore/targets';
import { defaultMountRoot, measureTargets, recordedOrder, removeMountRoot } from '../../engine/restore/prepare';
import { assertWritableTarget, claimTarget } from '../../engine/drives/guard';
import { runFilesRestore } from './files';

interface RestoreFlags {
  set: string;
  target?: string;
  map: string[];
  size?: string[];
  clone?: boolean;
  dryRun?: boolean;
  includeLoop?: boolean;
  mountRoot?: string;
  yes?: boolean;
  json?: boolean;
  files?: boolean;
  to?: string;
  inPlace?: boolean;
}

function printPlan(io: CliIo, plan: RestorePlan): void {
  io.out(io.t('restore:cli.planTitle', { id: plan.setId }) + '\n');
  for (const t of plan.targets) {
    io.out(io.t('restore:cli.targetLine', { source: t.source, device: t.device, size: formatBytes(t.sizeBytes, io.lang), needed: formatBytes(t.neededBytes, io.lang) }) + '\n');
  }
  for (const w of plan.warnings) io.out(io.t('restore:cli.warning', { text: warningText(io.t, w) }) + '\n');
  plan.steps.forEach((s, i) => {
    io.out(io.t('restore:cli.stepLine', { n: i + 1, title: stepTitle(io.t, io.lang, s) }) + '\n');
    io.out(io.t('restore:cli.commandLine', { command: commandLine(s) }) + '\n');
  });
}

/** `--size /dev/sda2=40G` → { '/dev/sda2': bytes }: the expert's own sizes (Mondo and ReaR let you edit the layout). */
function parseSizes(io: CliIo, set: BackupSet, specs: string[]): Record<string, number> | undefined {
  if (!specs.length) return undefined;
  const recorded = new Set(set.layout.disks.flatMap((d) => d.table?.partitions.map((p) => p.node) ?? []));
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const i = spec.lastIndexOf('=');
    const node = spec.slice(0, i);
    const bytes = i > 0 ? parseSize(spec.slice(i + 1)) : null;
    if (!recorded.has(node) || bytes === null || bytes <= 0) throw new LifeboatError('invalid-request', { field: '--size', reason: io.t('restore:cli.badSize') });
    out[node] = bytes;
  }
  return out;
}

export const registerRestore: RegisterCommand = (program: Command, io, signal, setExitCode) => {
  program
    .command('restore')
    .description(io.t('restore:cli.description'))
    .requiredOption('--set <dir>', io.t('restore:cli.set'))
    .option('--target <devices>', io.t('restore:cli.target'))
    .option('--map <src=dst>', io.t('restore:cli.map'), (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--size <partition=size>', io.t('restore:cli.size'), (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--clone', io.t('restore:cli.clone'))
    .option('--dry-run', io.t('restore:cli.dryRun'))
    .option('--include-loop', io.t('restore:cli.includeLoop'))
    .option('--mount-root <dir>', io.t('restore:cli.mountRoot'))
    .option('--files', io.t('restore:cli.files'))
    .option('--to <dir>', io.t('backup:files.to'))
    .option('--in-place', io.t('backup:files.inPlace'))
    .option('--yes', io.t('restore:cli.yes'))
    .option('--json', io.t('restore:cli.json'))
    .argument('[patterns...]', io.t('restore:cli.patterns'))
    .action(async (patterns: string[], o: RestoreFlags) => {
      if (o.files) {
        if (!o.to) throw new LifeboatError('invalid-request', { field: '--to', reason: io.t('restore:cli.filesNeedTo') });
        if (o.target || o.map.length) throw new LifeboatError('invalid-request', { field: '--files', reason: io.t('restore:cli.filesNoTarget') });
        return runFilesRestore(io, signal, setExitCode, patterns, { set: o.set, to: o.to, inPlace: o.inPlace, yes: o.yes });
      }
      if (patterns.length || o.to || o.inPlace) throw new LifeboatError('invalid-request', { field: '--files', reason: io.t('restore:cli.patternsNeedFiles') });
      const setDir = resolve(o.set);
      const set = readManifest(setDir);
      const maps = o.map.map((m): [string, string] => {
        const i = m.indexOf('=');
        if (i <= 0 || i === m.length - 1) throw new LifeboatError('invalid-request', { field: '--map', reason: io.t('restore:cli.badMap') });
        return [m.slice(0, i), m.slice(i + 1)];
      });
      const list = (o.target ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!list.length && !maps.length) throw new LifeboatError('invalid-request', { field: '--target', reason: io.t('restore:cli.needTarget') });
      // --target fills the disks that hold backed-up data first
      const recorded = recordedOrder(set);
      const free = recorded.filter((d) => !maps.some(([s]) => s === d));
      if (list.length > free.length) {
        throw new LifeboatError('invalid-request', { field: '--target', reason: io.t('restore:cli.tooManyTargets', { count: recorded.length, given: list.length + maps.length }) });
      }
      const pairs = assignTargets(recorded, list, maps);
      // the drive guard's verdict before a target is measured (as the app's planner does): the
      // system disk is refused as such (target-system, exit 2), not by whatever measuring it
      // ran into; a dry run only prints, so it may be planned for any disk
      // the disk the set is read from: never a target (asked once, for this check and the run's guard)
      const setSource = o.dryRun ? null : await sourceDeviceOf(setDir);
      if (!o.dryRun) {
        for (const dev of Object.values(pairs)) await assertWritableTarget(dev, { imageSize: null, imageSourceDevice: setSource, includeLoop: Boolean(o.includeLoop) });
      }
      const targets = await measureTargets(pairs);
      const mountRoot = o.mountRoot ? resolve(o.mountRoot) : defaultMountRoot(Object.values(pairs));
      const plan = compilePlan(set, { setDir, targets, clone: o.clone, mountRoot, sizes: parseSizes(io, set, o.size ?? []), bases: basesOf(setDir) });

      if (o.dryRun) {
        if (io.json) emitJson(io, { type: 'plan', plan });
        else printPlan(io, plan);
        setExitCode(0);
        return;
      }
      if (!o.yes) {
        if (!io.interactive || io.json) throw new LifeboatError('not-confirmed');
        printPlan(io, plan);
        const devices = plan.targets.map((t) => `${t.device} (${formatBytes(t.sizeBytes, io.lang)})`).join(', ');
        await confirmErase(io, { question: io.t('restore:cli.confirm', { devices }), signal });
      }

      const needed = new Map(plan.targets.map((t) => [t.device, t.neededBytes]));
      const printer = io.json ? progressPrinter(io) : null;
      let lastStep = '';
      const ctx = createJobContext('restore', {
        signal,
        onProgress: (p) => {
          printer?.update(p);
          if (!io.json && p.phase !== lastStep && p.items) {
            lastStep = p.phase;
            const s = plan.steps[p.items.done];
            if (s && s.id === p.phase) io.err(io.t('restore:cli.running', { n: p.items.done + 1, total: p.items.total, title: stepTitle(io.t, io.lang, s) }) + '\n');
          }
        },
        onLog: (l) => process.env.LIFEBOAT_VERBOSE && io.err(l + '\n'),
      });
      try {
        const result = await runPlan(ctx, plan, {
          // as in the app and as flash does: the person confirmed erasing exactly these
          // disks, so filesystems still mounted from them are unmounted, not left to fail
          guard: async (device) => {
            await claimTarget(device, { imageSize: needed.get(device) ?? null, imageSourceDevice: setSource, includeLoop: Boolean(o.includeLoop) });
          },
        });
        if (io.json) emitJson(io, { type: 'result', steps: result.steps, bytes: result.bytes, seconds: result.seconds, phases: result.phases, stepSeconds: result.stepSeconds, targets: plan.targets });
        else io.out(io.t('restore:cli.done', { steps: result.steps, seconds: result.seconds.toFixed(1) }) + '\n');
        setExitCode(0);
      } finally {
        printer?.stop();
        // the mount root this run made, now empty; a user-given one stays
        if (!o.mountRoot) removeMountRoot(mountRoot);
      }
    });
};
