/**
 * Runs a restore plan: the steps the plan compiler made, in order, with progress.
 *
 * Nothing destructive runs before every check passed: the set's parts are re-hashed
 * and every target passes the shared drive guard and is large enough. Cancellation is
 * honoured between steps and kills a running extraction. On failure or cancel, what
 * the run mounted is unmounted. A run interrupted halfway can simply be run again: the
 * plan wipes the targets and starts over (mounts a killed run left under the mount
 * root are removed first).
 */
import { readFileSync } from 'node:fs';
import { LifeboatError } from '../../../shared/errors';
import { SpeedMeter } from '../../../shared/progress';
import type { RestorePlan, RestoreStep } from '../../../shared/restore-plan';
import { throwIfCancelled, type JobContext } from '../job';
import { run } from '../run';
import { runPipeline } from './extract';
import { partitionNode, partitionNumberOf } from './nodes';
import { partGuard, verifyParts, type PartIdentity } from './parts';
import { assertNoLvmClash } from './lvm-conflicts';
import { assertNoMdClash } from './md-conflicts';

export interface RunPlanOptions {
  /** throws when a target must not be written (assertWritableTarget from drives/guard) */
  guard: (device: string) => Promise<void>;
}

export interface RunPlanResult {
  steps: number;
  bytes: number;
  seconds: number;
  /** wall seconds spent in each plan phase (check, wipe, …, extract, finish): what the checks cost */
  phases: Partial<Record<RestoreStep['phase'], number>>;
  /** wall seconds of each step, by step id */
  stepSeconds: Record<string, number>;
}

/** Whether `source` is the disk itself or one of its partitions (sda → sda1, loop0 → loop0p1). */
export function onDisk(source: string, disk: string): boolean {
  // named as the kernel names them (nodes.ts): loop1's partitions are loop1p1…, never
  // loop11 — a different disk, which an optional "p" had taken for one of loop1's partitions
  return source === disk || source === partitionNode(disk, partitionNumberOf(source));
}

/**
 * Filesystems or swap of the target in use right now: writing under them would corrupt
 * both. The app and the CLI unmount a confirmed target in their guard (as flashing
 * does); whatever is still mounted here (busy, or mounted again since) is refused.
 */
function inUse(disk: string): string[] {
  const used: string[] = [];
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ');
    const dash = f.indexOf('-');
    if (dash > 0 && onDisk(f[dash + 2], disk)) used.push(f[4]);
  }
  for (const l of readFileSync('/proc/swaps', 'utf8').split('\n').slice(1)) {
    const dev = l.split(/\s+/)[0];
    if (dev && onDisk(dev, disk)) used.push(`swap ${dev}`);
  }
  return used;
}

/** Mount points at or below `root`, deepest first, read from the kernel now. */
export function mountsUnder(root: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescape(l.split(' ')[4]));
  const prefix = root.endsWith('/') ? root : root + '/';
  return [...new Set(points.filter((m) => m === root || m.startsWith(prefix)))].sort((a, b) => b.length - a.length);
}

async function unmount(dir: string): Promise<void> {
  try {
    await run('umount', [dir]);
  } catch {
    // busy (a shell left in it): detach it lazily rather than leave it mounted
    await run('umount', ['-l', dir]).catch(() => undefined);
  }
}

async function blockSize(device: string): Promise<number> {
  try {
    return Number((await run('blockdev', ['--getsize64', device])).stdout.trim());
  } catch {
    throw new LifeboatError('target-missing', { device });
  }
}

function describeCommand(s: RestoreStep): string {
  const a = s.argv;
  if (Array.isArray(a)) return a[0];
  if ('sh' in a) return 'sh';
  return a.pipeline.map((c) => c[0]).join(' | ');
}

export async function runPlan(ctx: JobContext, plan: RestorePlan, opts: RunPlanOptions): Promise<RunPlanResult> {
  const started = Date.now();
  const total = plan.steps.length;
  const extractTotal = plan.steps.filter((s) => s.native === 'extract').reduce((sum, s) => sum + s.weight, 0);
  const meter = new SpeedMeter();
  let extracted = 0;
  const mounted: string[] = [];
  let checked = false;
  // the parts as the check step hashed them, and what each must hash to: the extraction checks against both
  const proven = new Map<string, PartIdentity>();
  const expected = new Map(plan.steps.flatMap((s) => s.parts ?? []).map((p) => [p.path, p.sha256]));
  const phases: RunPlanResult['phases'] = {};
  const stepSeconds: Record<string, number> = {};

  const report = (i: number, s: RestoreStep, detail?: string) => {
    const { speed } = meter.update(extracted);
    ctx.progress({
      phase: s.id,
      bytes: extracted,
      total: extractTotal,
      speed,
      eta: meter.eta(extracted, extractTotal),
      items: { done: i, total },
      detail: detail ?? s.title.key,
    });
  };

  try {
    for (let i = 0; i < plan.steps.length; i++) {
      const s = plan.steps[i];
      throwIfCancelled(ctx.signal);
      if (s.destructive && !checked) {
        // every check step precedes the first destructive one (the compiler orders them so); make sure of it
        const pending = plan.steps.slice(i).filter((x) => x.phase === 'check');
        if (pending.length) throw new LifeboatError('internal', { detail: `check step ${pending[0].id} after a destructive step` });
        checked = true;
        // a run killed earlier may have left filesystems mounted where this one mounts
        for (const m of mountsUnder(plan.mountRoot)) await unmount(m);
      }
      report(i, s);
      ctx.log(`[${i + 1}/${total}] ${s.id}`);
      const stepStarted = performance.now();
      try {
        await runStep(ctx, s, opts, plan.mountRoot, { proven, expected }, (n) => {
          extracted += n;
          report(i, s);
        });
      } catch (err) {
        if (err instanceof LifeboatError && (err.code !== 'tool-failed' || ctx.signal.aborted)) throw ctx.signal.aborted ? new LifeboatError('cancelled') : err;
        const detail = err instanceof LifeboatError ? String(err.params.stderr ?? err.message) : (err as Error).message;
        throw new LifeboatError('restore-step-failed', { step: s.id, command: describeCommand(s), detail: detail.trim().slice(-1000) }, undefined, { cause: err });
      }
      stepSeconds[s.id] = (performance.now() - stepStarted) / 1000;
      phases[s.phase] = (phases[s.phase] ?? 0) + stepSeconds[s.id];
      if (s.mounts) mounted.push(s.mounts);
      if (s.unmounts) mounted.splice(mounted.lastIndexOf(s.unmounts), 1);
    }
    ctx.progress({ phase: 'done', bytes: extracted, total: extractTotal, speed: null, eta: 0, items: { done: total, total } });
    return { steps: total, bytes: extracted, seconds: (Date.now() - started) / 1000, phases, stepSeconds };
  } finally {
    // on success this list is empty; after a failure or cancel nothing stays mounted
    for (const dir of mounted.reverse()) {
      ctx.log(`cleanup: umount ${dir}`);
      await unmount(dir);
    }
  }
}

interface PartsState {
  proven: Map<string, PartIdentity>;
  expected: Map<string, string>;
}

async function runStep(ctx: JobContext, s: RestoreStep, opts: RunPlanOptions, mountRoot: string, parts: PartsState, onBytes: (n: number) => void): Promise<void> {
  if (s.native === 'verify-parts') {
    for (const [path, id] of await verifyParts(s.parts ?? [], ctx.signal, () => undefined)) parts.proven.set(path, id);
    return;
  }
  if (s.native === 'check-lvm') {
    await assertNoLvmClash(s.lvm!, ctx.signal);
    return;
  }
  if (s.native === 'check-md') {
    await assertNoMdClash(s.md!, ctx.signal);
    return;
  }
  if (s.native === 'check-target') {
    const device = s.device!;
    await opts.guard(device);
    // mounts under the plan's own mount root are what a killed earlier run left: removed before writing
    const ours = new Set(mountsUnder(mountRoot));
    const used = inUse(device).filter((m) => !ours.has(m));
    if (used.length) throw new LifeboatError('target-mounted', { device, detail: used.join(', ') });
    const size = await blockSize(device);
    if (size < (s.minBytes ?? 0)) throw new LifeboatError('target-too-small', { device, needed: s.minBytes ?? 0, available: size, size });
    return;
  }
  const cmd = s.argv;
  if (!Array.isArray(cmd) && 'pipeline' in cmd) {
    // the tools read the parts straight from disk, not through Node: what they read is checked to be what was hashed
    await runPipeline(cmd.input, cmd.pipeline, ctx.signal, onBytes, { checkInput: partGuard(parts.proven, parts.expected, ctx.signal) });
    return;
  }
  const [tool, ...args] = Array.isArray(cmd) ? cmd : ['sh', '-c', cmd.sh];
  const res = await run(tool, args, { input: s.stdin, okExitCodes: s.okExitCodes, signal: ctx.signal });
  if (res.stdout.trim()) ctx.log(res.stdout.trim());
}
