/**
 * Starts the privileged helper and talks to it: typed calls, pushed job events.
 *
 * As root (a live session, CI) the helper is spawned directly; otherwise through
 * pkexec, whose outcomes — the user dismissed the password dialog, no polkit agent
 * runs — become distinct typed errors instead of one vague "could not start"
 * (Etcher #4356). If the helper dies, every pending call is rejected and every
 * running job gets a synthetic failed `job.done`, so no screen waits forever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { LifeboatError, isErrorCode, type ErrorInfo } from '../../shared/errors';
import type { EventName, Events } from '../../shared/api';
import type { JobKind } from '../../shared/progress';
import {
  MAX_LINE_BYTES,
  messageSchema,
  type HelperMethod,
  type HelperParams,
  type HelperResults,
} from '../../shared/helper-protocol';

export interface HelperClientOptions {
  /** the helper bundle (default: dist/helper.cjs beside this bundle) */
  helperPath?: string;
  /** extra environment for a directly spawned helper (pkexec resets the environment) */
  env?: NodeJS.ProcessEnv;
  /** where the helper's stderr lines go (default: this process's stderr) */
  onStderr?: (line: string) => void;
  /** force pkexec even as root (tests of the elevation path) */
  forcePkexec?: boolean;
  /** the pkexec binary, for tests that stand in a fake one */
  pkexecPath?: string;
}

interface Pending {
  method: HelperMethod;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Listener = (payload: never) => void;

/** pkexec's documented exit codes (pkexec(1)). */
const PKEXEC_DISMISSED = 126;
const PKEXEC_NOT_AUTHORIZED = 127;

function asErrorInfo(value: unknown): ErrorInfo {
  const v = value as Partial<ErrorInfo>;
  if (v && isErrorCode(v.code)) return { code: v.code, params: v.params ?? {}, message: v.message ?? v.code };
  return { code: 'internal', params: { detail: JSON.stringify(value).slice(0, 500) }, message: 'malformed helper error' };
}

/** The command line that runs the helper with the right privileges. */
export function helperCommand(opts: {
  helperPath: string;
  isRoot: boolean;
  execPath: string;
  isElectron: boolean;
  forcePkexec?: boolean;
  pkexecPath?: string;
}): { file: string; args: string[]; elevated: boolean } {
  if (opts.isRoot && !opts.forcePkexec) return { file: opts.execPath, args: [opts.helperPath], elevated: false };
  // pkexec clears the environment, so Electron's "behave as Node" switch must travel in argv.
  const runner = opts.isElectron ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', opts.execPath] : [opts.execPath];
  return { file: opts.pkexecPath ?? 'pkexec', args: [...runner, opts.helperPath], elevated: true };
}

export class HelperClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly jobs = new Map<string, JobKind>();
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private exited: Promise<void>;
  private deadError: LifeboatError | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly elevated: boolean,
    onStderr: (line: string) => void,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', onStderr);
    // A write after the helper died raises EPIPE here; the exit handler reports it.
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
  }

  /** Spawns the helper and waits until it answers a ping (after the password prompt, if any). */
  static async start(opts: HelperClientOptions = {}): Promise<HelperClient> {
    const helperPath = opts.helperPath ?? join(__dirname, 'helper.cjs');
    const isElectron = Boolean(process.versions.electron);
    const cmd = helperCommand({
      helperPath,
      isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
      execPath: process.execPath,
      isElectron,
      forcePkexec: opts.forcePkexec,
      pkexecPath: opts.pkexecPath,
    });
    const env = { ...process.env, ...opts.env, ...(isElectron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
    const stderrTail: string[] = [];
    const onStderr = (line: string) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      (opts.onStderr ?? ((l: string) => process.stderr.write(`helper: ${l}\n`)))(line);
    };

    const child = spawn(cmd.file, cmd.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (err) => resolve(err));
    });
    if (spawned) {
      throw new LifeboatError('helper-start-failed', { detail: `${cmd.file}: ${spawned.message}` }, undefined, { cause: spawned });
    }
    const client = new HelperClient(child, cmd.elevated, onStderr);
    try {
      await client.call('helper.ping', {});
    } catch (err) {
      await client.exited;
      throw client.startError(child.exitCode, child.signalCode, stderrTail, err);
    }
    return client;
  }

  /** Turns an early exit into the elevation outcome it means. */
  private startError(code: number | null, signal: string | null, stderr: string[], cause: unknown): LifeboatError {
    if (this.elevated && code === PKEXEC_DISMISSED) return new LifeboatError('helper-elevation-cancelled', {}, undefined, { cause });
    if (this.elevated && code === PKEXEC_NOT_AUTHORIZED) {
      return new LifeboatError('helper-no-polkit-agent', { detail: stderr.join('\n').slice(-500) }, undefined, { cause });
    }
    return new LifeboatError(
      'helper-start-failed',
      { detail: `exit ${code ?? signal}: ${stderr.join('\n').slice(-500)}` },
      undefined,
      { cause },
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls a helper method; rejects with the helper's LifeboatError or `helper-died`. */
  call<M extends HelperMethod>(method: M, params: HelperParams<M>): Promise<HelperResults[M]> {
    if (this.deadError) return Promise.reject(this.deadError);
    const id = this.nextId++;
    const line = JSON.stringify({ id, method, params }) + '\n';
    // The helper answers an over-long line without its id; refuse it here so the call cannot hang.
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
      return Promise.reject(new LifeboatError('request-too-large', { bytes: Buffer.byteLength(line), limit: MAX_LINE_BYTES }));
    }
    return new Promise<HelperResults[M]>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(line);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set!.delete(listener as Listener);
  }

  /** Closes stdin (the helper cancels its jobs and exits) and waits for it to go. */
  async close(graceMs = 60_000): Promise<void> {
    if (!this.deadError) this.child.stdin!.end();
    // The helper cancels its jobs first (a write is stopped at the next chunk); one that
    // hangs past the grace period is killed rather than keeping the app from quitting.
    const timer = setTimeout(() => {
      try {
        this.child.kill('SIGKILL');
      } catch {
        /* a pkexec'd root process may not be ours to signal */
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (p: Events[E]) => void)(payload);
      } catch (err) {
        process.stderr.write(`lifeboat: helper event listener failed: ${(err as Error).stack ?? err}\n`);
      }
    }
  }

  private onLine(line: string): void {
    let msg;
    try {
      msg = messageSchema.parse(JSON.parse(line));
    } catch {
      // The helper only prints protocol lines; anything else is a bug worth seeing, not a crash.
      process.stderr.write(`lifeboat: unreadable helper line: ${line.slice(0, 200)}\n`);
      return;
    }
    if ('event' in msg) {
      const payload = msg.payload as never as Events[EventName];
      if (msg.event === 'job.done') this.jobs.delete((payload as Events['job.done']).jobId);
      this.emit(msg.event, payload as never);
      return;
    }
    if (msg.id === null) {
      process.stderr.write(`lifeboat: helper refused a request line: ${JSON.stringify(msg)}\n`);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if ('error' in msg) {
      p.reject(LifeboatError.fromInfo(asErrorInfo(msg.error)));
      return;
    }
    if (p.method === 'flash.start') {
      const jobId = (msg.result as { jobId?: unknown })?.jobId;
      if (typeof jobId === 'string') this.jobs.set(jobId, 'flash');
    }
    p.resolve(msg.result);
  }

  private onExit(code: number | null, signal: string | null): void {
    this.deadError = new LifeboatError('helper-died', { exitCode: code ?? -1, signal: signal ?? '' });
    for (const p of this.pending.values()) p.reject(this.deadError);
    this.pending.clear();
    // Jobs that never reported their end get one now, so their screens can move on.
    const error = this.deadError.toInfo();
    for (const [jobId, kind] of [...this.jobs]) this.emit('job.done', { jobId, kind, ok: false, error });
    this.jobs.clear();
  }
}
