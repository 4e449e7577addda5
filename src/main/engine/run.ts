/**
 * The one way the engine runs external tools.
 *
 * Always an argv array, never a shell string: paths with spaces, quotes or newlines reach
 * the tool as they are. A failure throws a `ToolError` that keeps the argv, exit code and
 * stderr, so the real cause is never swallowed.
 *
 * `run` (a tool to completion, output collected) is node:child_process; only `spawnTool`
 * (long-running pipes, whose callers use execa's result object) loads execa, and only when
 * first called. Measured: loading execa costs a process about 8 MiB of memory, and a flash,
 * whose goal is ≤ 64 MiB in all (issue #2), runs only short tools (blockdev, lsblk, sfdisk).
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import type { ResultPromise } from 'execa';
import { LifeboatError } from '../../shared/errors';
import { findProgram, pathDirs } from './find-program';

export class ToolError extends LifeboatError {
  constructor(
    readonly tool: string,
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    signal?: string,
  ) {
    super(
      'tool-failed',
      { tool, exitCode: exitCode ?? -1, stderr: stderr.trim().slice(-2000) },
      `${tool} ${argv.join(' ')} failed (${signal ? 'signal ' + signal : 'exit ' + exitCode}): ${stderr.trim().slice(-2000)}`,
    );
    this.name = 'ToolError';
  }
}

export interface RunOptions {
  /** exit codes that count as success (default [0]) */
  okExitCodes?: number[];
  input?: string | Buffer;
  cwd?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** return stdout as a Buffer instead of a string */
  binary?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a tool to completion and returns its output; throws ToolError or tool-missing. */
export async function run(tool: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const ok = opts.okExitCodes ?? [0];
  if (opts.signal?.aborted) throw new LifeboatError('cancelled');
  const maxBuffer = 256 * 1024 * 1024;
  const { code, signal, stdout, stderr, timedOut, overflow } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: Buffer;
    stderr: Buffer;
    timedOut: boolean;
    overflow: boolean;
  }>((resolve, reject) => {
    const child = spawn(tool, [...argv], {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', ...opts.env },
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let overflow = false;
    const collect = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > maxBuffer) {
        overflow = true;
        child.kill('SIGTERM');
        return;
      }
      into.push(d);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, opts.timeoutMs)
      : null;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      if (e.code === 'ENOENT') reject(new LifeboatError('tool-missing', { tool }, `${tool} is not installed`));
      else reject(e);
    });
    // 'close', not 'exit': every byte of stdout and stderr has been read by then.
    child.on('close', (code, signal) => {
      cleanup();
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut, overflow });
    });
    if (opts.input !== undefined) {
      // A tool that exits without reading all of its input must not turn into an EPIPE crash.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
  if (opts.signal?.aborted) throw new LifeboatError('cancelled');
  const errText = stderr.toString();
  if (overflow) throw new ToolError(tool, argv, undefined, `${errText}\noutput larger than ${maxBuffer} bytes`, signal ?? undefined);
  if (timedOut || code === null) throw new ToolError(tool, argv, undefined, errText, signal ?? 'SIGTERM');
  if (!ok.includes(code)) throw new ToolError(tool, argv, code, errText);
  return { stdout: opts.binary ? (stdout as unknown as string) : stdout.toString(), stderr: errText, exitCode: code };
}

/** Runs a tool and parses its stdout as JSON. */
export async function runJson<T = unknown>(tool: string, argv: readonly string[], opts: RunOptions = {}): Promise<T> {
  const { stdout } = await run(tool, argv, opts);
  try {
    return JSON.parse(stdout) as T;
  } catch (err) {
    throw new ToolError(tool, argv, 0, `unparsable JSON output: ${(err as Error).message}`);
  }
}

/** Starts a long-running tool for streaming (pipes); the caller consumes stdio. */
export function spawnTool(
  tool: string,
  argv: readonly string[],
  opts: { signal?: AbortSignal; stdin?: 'pipe' | 'ignore'; env?: Record<string, string>; cwd?: string } = {},
): ResultPromise {
  // Loaded on first use (see the top of the file): esbuild bundles require() of this ESM package as a
  // lazily initialised module, and Node ≥ 20.19 (vitest) can require() ESM.
  const { execa } = require('execa') as typeof import('execa');
  return execa(tool, argv, {
    reject: false,
    buffer: false,
    stdin: opts.stdin ?? 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: opts.cwd,
    env: { LC_ALL: 'C', ...opts.env },
    cancelSignal: opts.signal,
  });
}

/**
 * Whether a tool is on PATH (for `doctor` and optional fast paths such as pigz): an
 * executable file of that name in one of PATH's folders, as `command -v` finds it for any
 * program. Looked up here rather than by a shell: starting `sh -c 'command -v …'` took
 * 11 ms, a third of a backup's whole inventory before its first byte is archived.
 */
export async function hasTool(tool: string): Promise<boolean> {
  return (tool.includes('/') ? findProgram([basename(tool)], [dirname(tool)]) : findProgram([tool], pathDirs())) !== null;
}
