/**
 * The one way the engine runs external tools.
 *
 * Always an argv array through execa, never a shell string: paths with spaces, quotes
 * or newlines reach the tool as they are. A failure throws a `ToolError` that keeps the
 * argv, exit code and stderr, so the real cause is never swallowed.
 */
import { execa, type Options as ExecaOptions, type ResultPromise } from 'execa';
import { LifeboatError } from '../../shared/errors';

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
  const res = await execa(tool, argv, {
    reject: false,
    input: opts.input,
    cwd: opts.cwd,
    env: { LC_ALL: 'C', ...opts.env },
    cancelSignal: opts.signal,
    timeout: opts.timeoutMs,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  } satisfies ExecaOptions);
  if (res.failed && (res as { code?: string }).code === 'ENOENT') {
    throw new LifeboatError('tool-missing', { tool }, `${tool} is not installed`);
  }
  if (res.isCanceled) throw new LifeboatError('cancelled');
  const exitCode = res.exitCode ?? -1;
  if (!ok.includes(exitCode)) {
    throw new ToolError(tool, argv, res.exitCode, String(res.stderr ?? ''), res.signal ?? undefined);
  }
  return { stdout: String(res.stdout ?? ''), stderr: String(res.stderr ?? ''), exitCode };
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

/** Whether a tool is on PATH (for `doctor` and optional fast paths such as pigz). */
export async function hasTool(tool: string): Promise<boolean> {
  const res = await execa('sh', ['-c', 'command -v "$1"', 'sh', tool], { reject: false });
  return res.exitCode === 0;
}
