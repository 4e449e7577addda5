/**
 * Runs an extraction pipeline natively: the parts are read in order into the first
 * command (decompressor), whose output feeds tar. Cancelling kills every stage. Each
 * stage's exit status is checked (a corrupt stream can make the decompressor fail
 * while tar exits 0).
 *
 * No byte passes through Node: Node opens the parts and hands the open files to the
 * children, and the stages are joined by kernel pipes, exactly as `cat parts | zstd -dc |
 * tar -x` in a shell. (Copying the compressed and the decompressed stream through Node
 * cost a core's worth of CPU on a 2-core machine.) One part becomes the first stage's
 * stdin; several are read by `cat` from the inherited descriptors, so what is read is
 * exactly the files Node opened (and the caller checked), whatever is renamed meanwhile.
 * Progress is the read offset of the one open file (shared with the child), or what `cat`
 * has read so far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, type BigIntStats } from 'node:fs';
import type { Readable } from 'node:stream';
import { LifeboatError } from '../../../shared/errors';
import { ToolError } from '../run';

export interface PipelineOptions {
  /** receives the last stage's output (otherwise it is discarded) */
  onStdout?: (d: Buffer) => void;
  /** exit codes of the last stage that count as success (tar --compare exits 1 on differences) */
  okExitCodes?: number[];
  /**
   * Called with each input file's identity (fstat of the descriptor the tools read)
   * before the tools start and again once they are done: throws to refuse the run
   * (a part changed since it was hashed). See execute.ts.
   */
  checkInput?: (path: string, fd: number, st: BigIntStats, when: 'before' | 'after') => Promise<void>;
}

interface Stage {
  tool: string;
  args: string[];
  proc: ChildProcess;
  stderr: string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
}

/** The shared read offset of an open file, from the kernel (0 when /proc is not there). */
function offsetOf(fd: number): number {
  try {
    const m = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Bytes a process has read so far (rchar of /proc/PID/io; 0 when not readable). */
function readCount(pid: number): number {
  try {
    const m = /^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function startStage(tool: string, args: string[], stdio: Array<'pipe' | 'ignore' | number | Readable>, signal: AbortSignal): Stage {
  const proc = spawn(tool, args, { stdio: stdio as never, env: { ...process.env, LC_ALL: 'C' }, signal, killSignal: 'SIGTERM' });
  const stage: Stage = {
    tool,
    args,
    proc,
    stderr: '',
    done: new Promise((res) => {
      let error: NodeJS.ErrnoException | undefined;
      // 'error' is also emitted for an abort (AbortError): the exit that follows is what counts
      proc.on('error', (e) => {
        error = e as NodeJS.ErrnoException;
        if (proc.pid === undefined) res({ code: null, signal: null, error });
      });
      proc.on('close', (code, sig) => res({ code, signal: sig, error }));
    }),
  };
  proc.stderr?.on('data', (d: Buffer) => {
    stage.stderr = (stage.stderr + d.toString()).slice(-4000);
  });
  return stage;
}

export async function runPipeline(input: string[], pipeline: string[][], signal: AbortSignal, onBytes: (n: number) => void, opts: PipelineOptions = {}): Promise<number> {
  if (signal.aborted) throw new LifeboatError('cancelled');
  const fds: number[] = [];
  const stages: Stage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    for (const file of input) fds.push(openSync(file, 'r'));
    // (rchar, below, also counts the few bytes of libraries cat reads: progress stops at the parts' size)
    const total = fds.reduce((s, fd) => s + fstatSync(fd).size, 0);
    if (opts.checkInput) for (let i = 0; i < fds.length; i++) await opts.checkInput(input[i], fds[i], fstatSync(fds[i], { bigint: true }), 'before');

    // the stages, first to last, each reading the previous one's stdout through a kernel pipe
    const commands = fds.length === 1 ? pipeline : [['cat', ...fds.map((_, i) => `/proc/self/fd/${i + 3}`)], ...pipeline];
    let prev: Readable | number | 'ignore' = fds.length === 1 ? fds[0] : 'ignore';
    commands.forEach(([tool, ...args], i) => {
      const last = i === commands.length - 1;
      const extra = i === 0 && fds.length > 1 ? fds : [];
      const stdout = last && !opts.onStdout ? 'ignore' : 'pipe';
      const stage = startStage(tool, args, [prev, stdout, 'pipe', ...extra], signal);
      // the child holds its own copy of the pipe: Node's end is closed before it reads a byte
      if (typeof prev === 'object') prev.destroy();
      stages.push(stage);
      prev = stage.proc.stdout ?? 'ignore';
    });
    if (opts.onStdout) (prev as unknown as Readable).on('data', opts.onStdout);

    let reported = 0;
    // `cat` re-opens /proc/self/fd/N (the same files, its own offsets): its read count is the progress
    const cat = fds.length > 1 ? stages[0].proc.pid : undefined;
    const poll = () => {
      const at = Math.min(total, cat === undefined ? offsetOf(fds[0]) : readCount(cat));
      if (at > reported) {
        onBytes(at - reported);
        reported = at;
      }
    };
    timer = setInterval(poll, 250);
    const results = await Promise.all(stages.map((s) => s.done));
    clearInterval(timer);
    if (signal.aborted) throw new LifeboatError('cancelled');

    const failed = results.map((r, i) => {
      const ok = i === stages.length - 1 ? (opts.okExitCodes ?? [0]) : [0];
      return r.error?.code === 'ENOENT' || !ok.includes(r.code ?? -1);
    });
    // An earlier stage killed by SIGPIPE while every later one succeeded only says that the
    // next one stopped reading: tar stops at the archive's end marker and may exit before the
    // zero padding after it is written. Whether it got all it needed, its own status says
    // (as the rescue's sh rendering does with 141).
    for (let i = stages.length - 2; i >= 0; i--) if (results[i].signal === 'SIGPIPE' && !failed.slice(i + 1).some(Boolean)) failed[i] = false;
    // a stage killed by SIGPIPE stopped because a later one died: that later one is the cause
    const culprit = results.findIndex((r, i) => failed[i] && !(r.signal === 'SIGPIPE' && failed.slice(i + 1).some(Boolean)));
    if (culprit >= 0) {
      const s = stages[culprit];
      const r = results[culprit];
      if (r.error?.code === 'ENOENT') throw new LifeboatError('tool-missing', { tool: s.tool });
      throw new ToolError(s.tool, s.args, r.code ?? undefined, s.stderr, r.signal ?? undefined);
    }
    // the rest at the end: a fast run ends before the first poll
    if (total > reported) onBytes(total - reported);
    if (opts.checkInput) for (let i = 0; i < fds.length; i++) await opts.checkInput(input[i], fds[i], fstatSync(fds[i], { bigint: true }), 'after');
    return results[stages.length - 1].code ?? 0;
  } catch (err) {
    if (signal.aborted) throw new LifeboatError('cancelled');
    throw err;
  } finally {
    clearInterval(timer);
    // on an error before every stage ended (a refused part), no child is left running
    for (const s of stages) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM');
    for (const fd of fds) closeSync(fd);
  }
}
