/**
 * The privileged helper's dispatcher: one request line in, one response out, job
 * events pushed as they happen.
 *
 * Every line is treated as hostile: it is size-checked, parsed inside a try, its
 * envelope and params validated with the shared schemas, and any failure becomes a
 * structured error response — the process never dies on input. Jobs run
 * concurrently, each with its own AbortController, and are cancelled and awaited
 * on shutdown.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createJobContext, type JobContext } from '../engine/job';
import { listDrives } from '../engine/drives/scan';
import { claimTarget } from '../engine/drives/guard';
import { flashImage } from '../engine/flash';
import { inspectImage } from '../engine/image/inspect';
import { folderSizes } from '../engine/backup/folder-sizes';
import { FOLDER_SIZES_BUDGET_MS } from '../../shared/folder-sizes';
import { estimateCompression } from '../engine/backup/compression-estimate';
import { COMPRESSION_ESTIMATE_BUDGET_MS } from '../../shared/compression-estimate';
import { inventoryView, preflightMediaMake, runMediaMake, type MediaMakeParams } from './media-make';
import { preflightRescueOnly, runRescueOnly, type RescueOnlyParams } from './rescue-only';
import { stickInfo } from './stick-info';
import { RestorePlanner, reviewed, runRestore, type RestoreParams } from './restore-job';
import { rehearse } from '../engine/rehearse/rehearse';
import { hasQemu } from '../engine/rehearse/vm';
import { readManifest } from '../engine/set/read';
import { isForbiddenOutput } from '../../shared/media-make';
import { LifeboatError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { JobDone } from '../../shared/api';
import type { JobKind, JobProgress } from '../../shared/progress';
import type { FlashResult, ImageInfo } from '../../shared/image';
import {
  helperRequestSchemas,
  isHelperMethod,
  requestEnvelope,
  type HelperMessage,
  type HelperMethod,
  type HelperResults,
} from '../../shared/helper-protocol';

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

export interface HelperServerOptions {
  send(msg: HelperMessage): void;
  /** diagnostics, to stderr: stdout carries protocol lines only */
  log(line: string): void;
}

/** Reads an id from a request that failed validation, so the caller's pending call is answered. */
function salvageId(value: unknown): number | null {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as Record<string, unknown>).id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  return null;
}

/**
 * JSON.parse keeps `__proto__` as an own key, but copying such an object by
 * assignment (as schema parsers do) swaps the copy's prototype; no request has
 * a reason to carry these keys, so they are refused outright.
 */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new Error(`forbidden key "${key}"`);
  return value;
}

function invalid(reason: string, params: Record<string, string> = {}): LifeboatError {
  return new LifeboatError('invalid-request', { reason: reason.slice(0, 200), ...params });
}

/** A flash whose every target failed did not succeed, even though the engine returned. */
function flashOutcome(jobId: string, result: FlashResult, signal: AbortSignal): JobDone {
  const done = { kind: 'flash' as const, flash: result };
  if (signal.aborted) return { jobId, kind: 'flash', ok: false, error: new LifeboatError('cancelled').toInfo(), result: done };
  const failed = result.targets.filter((t) => !t.ok);
  if (result.targets.length > 0 && failed.length === result.targets.length) {
    const error: ErrorInfo = failed[0]?.error ?? new LifeboatError('write-failed', { device: failed[0]?.device ?? '' }).toInfo();
    return { jobId, kind: 'flash', ok: false, error, result: done };
  }
  return { jobId, kind: 'flash', ok: true, result: done };
}

export class HelperServer {
  private readonly jobs = new Map<string, RunningJob>();
  /** folder walks in progress: short, capped, but stopped at shutdown all the same */
  private readonly walks = new Set<AbortController>();
  /** the compression estimate running, if any: a new one replaces it */
  private compressionEstimate: AbortController | null = null;
  private readonly restorePlanner = new RestorePlanner();
  private closing = false;

  constructor(private readonly opts: HelperServerOptions) {}

  /** Handles one request line; resolves once its response has been sent. */
  async handleLine(line: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(line, refuseProtoKeys);
    } catch (err) {
      this.opts.send({ id: null, error: invalid(`not JSON: ${(err as Error).message}`).toInfo() });
      return;
    }
    const env = requestEnvelope.safeParse(raw);
    if (!env.success) {
      const issue = env.error.issues[0];
      this.opts.send({ id: salvageId(raw), error: invalid(`${issue?.path.join('.')}: ${issue?.message}`).toInfo() });
      return;
    }
    const { id, method } = env.data;
    if (!isHelperMethod(method)) {
      this.opts.send({ id, error: new LifeboatError('unknown-method', { method: method.slice(0, 64) }).toInfo() });
      return;
    }
    const parsed = helperRequestSchemas[method].safeParse(env.data.params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      this.opts.send({ id, error: invalid(`${field}: ${issue?.message}`, { method, field }).toInfo() });
      return;
    }
    try {
      const result = await this.dispatch(method, parsed.data);
      this.opts.send({ id, result });
    } catch (err) {
      this.opts.log(`helper: ${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.opts.send({ id, error: toErrorInfo(err) });
    }
  }

  /** Answers a line that was too long to read. */
  refuseTooLong(bytes: number, limit: number): void {
    this.opts.send({ id: null, error: new LifeboatError('request-too-large', { bytes, limit }).toInfo() });
  }

  private async dispatch<M extends HelperMethod>(method: M, params: unknown): Promise<HelperResults[M]> {
    type R = HelperResults[M];
    switch (method) {
      case 'helper.ping':
        return { pid: process.pid, uid: typeof process.getuid === 'function' ? process.getuid() : -1 } as R;
      case 'drives.list': {
        const p = params as { includeLoop?: boolean; all?: boolean };
        return (await listDrives({ includeLoop: p.includeLoop, all: p.all })) as R;
      }
      case 'image.inspect':
        return (await inspectImage((params as { path: string }).path)) as R;
      case 'flash.start':
        return this.startFlash(params as { image: string; targets: string[]; verify: boolean; includeLoop?: boolean }) as R;
      case 'inventory.collect':
        return (await inventoryView((params as { root: string }).root)) as R;
      case 'folders.sizes':
        return (await this.measureFolders(params as { root: string; dir: string; budgetMs?: number })) as R;
      case 'compression.estimate':
        return (await this.estimateCompression(params as { root: string; excludes?: string[]; defaultExcludes?: boolean; budgetMs?: number })) as R;
      case 'media.make':
        return this.startMediaMake(params as MediaMakeParams) as R;
      case 'media.rescueOnly':
        return this.startRescueOnly(params as RescueOnlyParams) as R;
      case 'media.stickInfo':
        return (await stickInfo(params as { device: string; includeLoop?: boolean })) as R;
      case 'restore.plan':
        return reviewed(await this.restorePlanner.plan(params as RestoreParams)) as R;
      case 'restore.start':
        return (await this.startRestore(params as RestoreParams)) as R;
      case 'rehearse.start':
        return this.startRehearse(params as { setDir: string; media: string }) as R;
      case 'job.cancel': {
        const job = this.jobs.get((params as { jobId: string }).jobId);
        if (!job || job.controller.signal.aborted) return { cancelled: false } as R;
        job.controller.abort();
        return { cancelled: true } as R;
      }
    }
    throw new LifeboatError('unknown-method', { method });
  }

  private startFlash(p: { image: string; targets: string[]; verify: boolean; includeLoop?: boolean }): { jobId: string } {
    if (this.closing) throw new LifeboatError('cancelled');
    const unique = new Set(p.targets);
    if (unique.size !== p.targets.length) {
      const dup = p.targets.find((t, i) => p.targets.indexOf(t) !== i) ?? '';
      throw new LifeboatError('target-duplicate', { device: dup });
    }
    const includeLoop = Boolean(p.includeLoop);
    // The guard runs inside the engine right before each target is opened: a fresh
    // scan and the shared policy, then the drive's filesystems are unmounted.
    const guard = async (device: string, imageInfo: ImageInfo): Promise<void> => {
      await claimTarget(device, { imageSize: imageInfo.size, imageSourceDevice: imageInfo.sourceDevice, includeLoop });
    };
    return this.startJob('flash', async (ctx, signal) =>
      flashOutcome(ctx.jobId, await flashImage(ctx, { image: p.image, targets: p.targets, verify: p.verify, guard }), signal),
    );
  }

  /**
   * Sizes one level of the exclusion tree. Answered directly (not a job): the walk is
   * capped in time, and the engine refuses a folder outside the root even through a symlink.
   */
  private async measureFolders(p: { root: string; dir: string; budgetMs?: number }) {
    if (this.closing) throw new LifeboatError('cancelled');
    const controller = new AbortController();
    this.walks.add(controller);
    try {
      return await folderSizes({ root: p.root, dir: p.dir, budgetMs: p.budgetMs ?? FOLDER_SIZES_BUDGET_MS, signal: controller.signal });
    } finally {
      this.walks.delete(controller);
    }
  }

  /**
   * Measures each compressor on a sample of the root, answered directly like the folder
   * sizes (capped in time). One at a time: a newer request (the user changed the
   * exclusions) cancels the one running, whose caller gets `cancelled`, so the cores are
   * never shared by two measures that would both report a wrong speed.
   */
  private async estimateCompression(p: { root: string; excludes?: string[]; defaultExcludes?: boolean; budgetMs?: number }) {
    if (this.closing) throw new LifeboatError('cancelled');
    this.compressionEstimate?.abort();
    const controller = new AbortController();
    this.compressionEstimate = controller;
    this.walks.add(controller);
    try {
      return await estimateCompression({
        root: p.root,
        excludes: p.excludes,
        defaultExcludes: p.defaultExcludes,
        budgetMs: p.budgetMs ?? COMPRESSION_ESTIMATE_BUDGET_MS,
        signal: controller.signal,
      });
    } finally {
      this.walks.delete(controller);
      if (this.compressionEstimate === controller) this.compressionEstimate = null;
    }
  }

  /** Backup then rescue ISO as one job; refused up front when its paths or kernel are wrong. */
  private startMediaMake(p: MediaMakeParams): { jobId: string } {
    if (this.closing) throw new LifeboatError('cancelled');
    preflightMediaMake(p);
    // the backup needs the cores, and would make the estimate's speeds wrong anyway
    this.compressionEstimate?.abort();
    return this.startJob('media', (ctx) => runMediaMake(p, ctx));
  }

  /** The rescue ISO alone, as a media job (no backup phases); refused up front like media.make. */
  private startRescueOnly(p: RescueOnlyParams): { jobId: string } {
    if (this.closing) throw new LifeboatError('cancelled');
    preflightRescueOnly(p);
    return this.startJob('media', (ctx) => runRescueOnly(p, ctx));
  }

  /**
   * Runs the reviewed plan as a job. Answered only once the plan is known to be valid
   * (set readable, targets accepted by the guard), so a refusal is the answer itself.
   */
  private async startRestore(p: RestoreParams): Promise<{ jobId: string }> {
    if (this.closing) throw new LifeboatError('cancelled');
    const plan = await this.restorePlanner.planToRun(p);
    if (this.closing) throw new LifeboatError('cancelled');
    let stepsDone = 0;
    return this.startJob('restore', (ctx) => runRestore(p, plan, ctx, () => stepsDone), (progress) => {
      stepsDone = progress.items?.done ?? stepsDone;
    });
  }

  /**
   * Restores the set from its ISO in a virtual machine and boots the result, as a job.
   * The paths are checked first, so a wrong one is the answer itself rather than a job
   * that fails a second later: the helper runs as root and reads whatever it is handed,
   * so kernel folders are refused even through a symlink.
   */
  private startRehearse(p: { setDir: string; media: string }): { jobId: string } {
    if (this.closing) throw new LifeboatError('cancelled');
    const real = (field: string, path: string): string => {
      const abs = resolve(path);
      const target = existsSync(abs) ? realpathSync(abs) : abs;
      if (isForbiddenOutput(abs) || isForbiddenOutput(target)) {
        throw new LifeboatError('invalid-request', { field, reason: 'inside /proc, /sys or /dev' }, `${field}: inside /proc, /sys or /dev`);
      }
      return target;
    };
    const setDir = real('setDir', p.setDir);
    const media = real('media', p.media);
    if (!existsSync(media) || !statSync(media).isFile()) throw new LifeboatError('image-missing', { path: media });
    // set-invalid, with the reason, when the folder holds no readable lifeboat.json.
    const set = readManifest(setDir);
    if (set.layout.disks.length === 0) throw new LifeboatError('set-invalid', { path: setDir, detail: 'no disk recorded' });
    if (!hasQemu()) throw new LifeboatError('rehearse-needs-qemu');
    return this.startJob('rehearse', async (ctx) => {
      const result = await rehearse(ctx, { setDir, media });
      return { jobId: ctx.jobId, kind: 'rehearse', ok: true, result: { kind: 'rehearse', ...result } };
    });
  }

  /**
   * Runs `work` as a job: its context sends progress and log events, it starts on the
   * next turn (so the `{jobId}` answer is on the wire before any job event), and however
   * it ends — a result, a failure it returns or throws, a cancellation — exactly one
   * `job.done` goes out and the job leaves the table.
   */
  private startJob(kind: JobKind, work: (ctx: JobContext, signal: AbortSignal) => Promise<JobDone>, onProgress?: (p: JobProgress) => void): { jobId: string } {
    const controller = new AbortController();
    const ctx = createJobContext(kind, {
      signal: controller.signal,
      onProgress: (payload) => {
        onProgress?.(payload);
        this.opts.send({ event: 'job.progress', payload });
      },
      onLog: (line) => this.opts.send({ event: 'job.log', payload: { jobId: ctx.jobId, line } }),
    });
    const done = (async () => {
      await new Promise((r) => setImmediate(r));
      let payload: JobDone;
      try {
        payload = await work(ctx, controller.signal);
        if (!payload.ok && payload.error.code !== 'cancelled') this.opts.log(`helper: job ${ctx.jobId} failed: ${payload.error.message}`);
      } catch (err) {
        const error = controller.signal.aborted ? new LifeboatError('cancelled').toInfo() : toErrorInfo(err);
        if (!controller.signal.aborted) this.opts.log(`helper: job ${ctx.jobId} failed: ${(err as Error)?.stack ?? String(err)}`);
        payload = { jobId: ctx.jobId, kind, ok: false, error };
      }
      this.jobs.delete(ctx.jobId);
      this.opts.send({ event: 'job.done', payload });
    })();
    this.jobs.set(ctx.jobId, { controller, done });
    return { jobId: ctx.jobId };
  }

  get runningJobs(): number {
    return this.jobs.size;
  }

  /** Stops taking jobs, cancels the running ones and waits for them to clean up. */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const w of this.walks) w.abort();
    const running = [...this.jobs.values()];
    for (const j of running) j.controller.abort();
    await Promise.all(running.map((j) => j.done));
  }
}
