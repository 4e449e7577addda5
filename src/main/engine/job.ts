/**
 * The context every long engine job receives: where to report progress and how to
 * learn it was cancelled. Engine modules take a `JobContext` rather than globals, so
 * the CLI, the helper and tests drive them alike.
 */
import { LifeboatError } from '../../shared/errors';
import type { JobKind, JobProgress } from '../../shared/progress';

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  progress(p: Omit<JobProgress, 'jobId' | 'kind'>): void;
  /** a line for the job log (shown in the UI's log pane, printed with --verbose) */
  log(line: string): void;
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new LifeboatError('cancelled');
}

let counter = 0;

/** Builds a context; used by the CLI, the helper and tests. */
export function createJobContext(
  kind: JobKind,
  opts: {
    signal?: AbortSignal;
    onProgress?: (p: JobProgress) => void;
    onLog?: (line: string) => void;
    jobId?: string;
  } = {},
): JobContext {
  const jobId = opts.jobId ?? `${kind}-${process.pid}-${++counter}`;
  return {
    jobId,
    signal: opts.signal ?? new AbortController().signal,
    progress: (p) => opts.onProgress?.({ ...p, jobId, kind }),
    log: (line) => opts.onLog?.(line),
  };
}
