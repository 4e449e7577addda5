/**
 * The helper's side of the Restore journey: compile the plan the user reviews, then run
 * exactly that plan once they confirmed.
 *
 * Measuring targets and the drive guard need root, so both calls live here. The plan
 * shown at review is kept (keyed by its inputs) and the job runs that very plan — in
 * clone mode a recompiled plan would carry other new UUIDs than the commands the user
 * read — unless a target's size changed in between, in which case it is compiled anew.
 */
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { JobDone, requestSchemas } from '../../shared/api';
import { LifeboatError, toErrorInfo } from '../../shared/errors';
import type { RestorePlan } from '../../shared/restore-plan';
import type { RestoreRunResult, ReviewedPlan } from '../../shared/restore-sets';
import type { DiskSizing } from '../../shared/restore-sizes';
import { assertWritableTarget, claimTarget } from '../engine/drives/guard';
import type { JobContext } from '../engine/job';
import { compileWithSizing } from '../engine/restore/compile';
import { basesOf } from '../engine/set/chain';
import { runPlan } from '../engine/restore/execute';
import { defaultMountRoot, measureTargets, removeMountRoot } from '../engine/restore/prepare';
import { sourceDeviceOf } from '../engine/restore/targets';
import { commandLine } from '../engine/restore/shell';
import { shq } from '../engine/restore/quote';
import { readManifest } from '../engine/set/read';

export type RestoreParams = z.output<(typeof requestSchemas)['restore.plan']>;

/** Plans kept for `restore.start`; a handful is plenty (one per review screen visited). */
const KEEP = 8;

/**
 * A step's command for a person to read: what the rescue script runs, except that an
 * extraction is shown as the plain pipeline (the script's failure bookkeeping around
 * it says nothing to a reader).
 */
export function displayCommand(s: RestorePlan['steps'][number]): string {
  const cmd = s.argv;
  if (Array.isArray(cmd) || !('pipeline' in cmd)) return commandLine(s, plainWord);
  return [['cat', ...cmd.input], ...cmd.pipeline].map((a) => a.map(plainWord).join(' ')).join(' | ');
}

/** Quotes a word only when the shell needs it: `wipefs -a /dev/sdb` reads better than `'wipefs' '-a' '/dev/sdb'`. */
function plainWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : shq(w);
}

/**
 * What the planner learnt while compiling a plan (the sizing behind each partition, the
 * user's sizes), kept beside the plan object rather than in it: the plan itself is what
 * the rescue system runs and stays as the schema describes it.
 */
const sizingOf = new WeakMap<RestorePlan, { sizing: DiskSizing[]; sizes: Record<string, number> }>();

/** Adds the readable commands, and the sizes panel's figures, to a plan. */
export function reviewed(plan: RestorePlan): ReviewedPlan {
  const extra = sizingOf.get(plan) ?? { sizing: [], sizes: {} };
  return { plan, commands: plan.steps.map(displayCommand), ...extra };
}

function keyOf(p: RestoreParams): string {
  const targets = Object.entries(p.targets).sort(([a], [b]) => a.localeCompare(b));
  // other sizes are another plan: the run must never use sizes the user did not review
  const sizes = Object.entries(p.sizes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([resolve(p.setDir), targets, p.clone, Boolean(p.includeLoop), sizes]);
}

/** Refuses a target named twice before anything is measured. */
function checkUnique(targets: Record<string, string>): void {
  const seen = new Set<string>();
  for (const dev of Object.values(targets)) {
    if (seen.has(dev)) throw new LifeboatError('target-duplicate', { device: dev });
    seen.add(dev);
  }
}

export class RestorePlanner {
  private readonly plans = new Map<string, RestorePlan>();

  /** Compiles the plan for these inputs after the drive guard accepted every target. */
  async plan(p: RestoreParams): Promise<RestorePlan> {
    const setDir = resolve(p.setDir);
    const set = readManifest(setDir);
    checkUnique(p.targets);
    const setSource = await sourceDeviceOf(setDir);
    // The guard's verdict now, so the review never shows a plan for a disk that will be refused.
    for (const dev of Object.values(p.targets)) {
      await assertWritableTarget(dev, { imageSize: null, imageSourceDevice: setSource, includeLoop: Boolean(p.includeLoop) });
    }
    const targets = await measureTargets(p.targets);
    // The sizes are checked again here, whatever the wizard said: the compiler refuses a size for
    // a partition it does not create (restore-size-unknown), one that must keep its size
    // (restore-size-locked), one below its data (restore-size-too-small), or sizes over the disk (target-too-small).
    const sizes = { ...(p.sizes ?? {}) };
    const { plan, sizing } = compileWithSizing(set, { setDir, targets, clone: p.clone, mountRoot: defaultMountRoot(Object.values(p.targets)), sizes, bases: basesOf(setDir) });
    sizingOf.set(plan, { sizing, sizes });
    const key = keyOf(p);
    this.plans.delete(key);
    this.plans.set(key, plan);
    while (this.plans.size > KEEP) this.plans.delete(this.plans.keys().next().value as string);
    return plan;
  }

  /** The plan the user reviewed for these inputs, if the targets still measure the same; a fresh one otherwise. */
  async planToRun(p: RestoreParams): Promise<RestorePlan> {
    const kept = this.plans.get(keyOf(p));
    if (kept) {
      const now = await measureTargets(p.targets);
      if (kept.targets.every((t) => now[t.source]?.device === t.device && now[t.source]?.sizeBytes === t.sizeBytes)) return kept;
    }
    return this.plan(p);
  }
}

/**
 * Runs a plan as a job. The guard runs inside the engine right before each target is
 * written: a fresh scan and the shared policy, then the target's filesystems are
 * unmounted (the user confirmed erasing exactly these disks).
 */
export async function runRestore(p: RestoreParams, plan: RestorePlan, ctx: JobContext, stepsDone: () => number): Promise<JobDone> {
  const setSource = await sourceDeviceOf(plan.setDir);
  const needed = new Map(plan.targets.map((t) => [t.device, t.neededBytes]));
  const result = (bytes: number, seconds: number): RestoreRunResult => ({
    steps: plan.steps.length,
    stepsDone: stepsDone(),
    bytes,
    seconds,
    targets: plan.targets,
  });
  const started = Date.now();
  try {
    const r = await runPlan(ctx, plan, {
      guard: async (device) => {
        await claimTarget(device, { imageSize: needed.get(device) ?? null, imageSourceDevice: setSource, includeLoop: Boolean(p.includeLoop) });
      },
    });
    return { jobId: ctx.jobId, kind: 'restore', ok: true, result: { kind: 'restore', restore: { ...result(r.bytes, r.seconds), stepsDone: r.steps } } };
  } catch (err) {
    const error = ctx.signal.aborted ? new LifeboatError('cancelled').toInfo() : toErrorInfo(err);
    return { jobId: ctx.jobId, kind: 'restore', ok: false, error, result: { kind: 'restore', restore: result(0, (Date.now() - started) / 1000) } };
  } finally {
    removeMountRoot(plan.mountRoot);
  }
}
