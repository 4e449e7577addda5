/**
 * The job plumbing the journeys share: follow the events of one kind of job, hand the
 * store only those of the job it shows, and ask the host to cancel it.
 *
 * The host starts pushing a job's events as soon as it exists, which can be before the
 * start request answers with the job's id. Events for an id not yet known are kept
 * while a start is in flight and replayed once the store knows its job, so a fast
 * job's progress or end is not lost. Pure TypeScript: the stores use it, not React.
 */
import { RemoteError, type JobDone, type Transport } from '../../shared/api';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { JobKind, JobProgress } from '../../shared/progress';

/** What a failed request tells the user: the host's own error, or the local one. */
export function errorOf(err: unknown): ErrorInfo {
  return err instanceof RemoteError ? err.info : toErrorInfo(err);
}

/** The part of a journey's state that follows its job; the tracker keeps it. */
export interface JobState {
  starting: boolean;
  startError: ErrorInfo | null;
  progress: JobProgress | null;
  cancelling: boolean;
}

/** No job yet: where every journey's JobState starts. */
export const idleJob: JobState = { starting: false, startError: null, progress: null, cancelling: false };

/** How a store hears about the job it shows. */
export interface JobHandlers<S extends JobState> {
  /** the id of the job the journey shows, or null when it shows none */
  current(): string | null;
  /** merges into the store's state (its `setState`) */
  update(partial: Partial<S>): void;
  /** the job ended: the store shows its outcome */
  done(done: JobDone): void;
  /** only for journeys that show the job's log; without it, log lines are not followed */
  logged?(line: string): void;
}

/** The store actions that are the same in every journey; stores spread them in. */
export interface JobActions {
  cancel(): Promise<void>;
  jobProgressed(p: JobProgress): void;
  jobDone(done: JobDone): void;
}

export interface JobTracker<S extends JobState> {
  /**
   * Starts a job: `request` answers with the job's id, `shown(jobId)` is the state
   * that shows it (its step), `reset` what else the last run left to clear. What
   * arrived for the job meanwhile is then replayed; a failed request ends up in `startError`.
   */
  start(request: () => Promise<{ jobId: string }>, shown: (jobId: string) => Partial<S>, reset?: Partial<S>): Promise<void>;
  /** Routes a log line: applied if it is the current job's, kept if a start is in flight, else dropped. */
  logged(jobId: string, line: string): void;
  actions: JobActions;
}

interface Early {
  progress?: JobProgress;
  log: string[];
  done?: JobDone;
}

export function trackJobs<S extends JobState>(api: Transport, kind: JobKind, handlers: JobHandlers<S>): JobTracker<S> {
  // Events of a job can arrive before its start request answers with its id; they wait here.
  const early = new Map<string, Early>();
  let starting = false;
  const pending = (jobId: string) => early.get(jobId) ?? early.set(jobId, { log: [] }).get(jobId)!;
  const isCurrent = (jobId: string) => handlers.current() === jobId;
  // `update` takes the store's whole state; these literals only touch the JobState part.
  const update = (partial: Partial<JobState>) => handlers.update(partial as Partial<S>);

  const actions: JobActions = {
    async cancel() {
      const jobId = handlers.current();
      if (jobId === null) return;
      update({ cancelling: true });
      try {
        await api.invoke('job.cancel', { jobId });
      } catch (err) {
        update({ cancelling: false, startError: errorOf(err) });
      }
    },

    /** Applied if it is the current job's, kept if a start is in flight, else dropped. */
    jobProgressed(p) {
      if (isCurrent(p.jobId)) update({ progress: p });
      else if (starting) pending(p.jobId).progress = p;
    },

    jobDone(done) {
      if (isCurrent(done.jobId)) handlers.done(done);
      else if (starting) pending(done.jobId).done = done;
    },
  };

  const tracker: JobTracker<S> = {
    actions,

    async start(request, shown, reset) {
      handlers.update({ ...reset, starting: true, startError: null, progress: null, cancelling: false } as Partial<S>);
      starting = true;
      let jobId: string;
      try {
        ({ jobId } = await request());
      } catch (err) {
        starting = false;
        update({ starting: false, startError: errorOf(err) });
        return;
      }
      starting = false;
      handlers.update({ ...shown(jobId), starting: false } as Partial<S>);
      const waiting = early.get(jobId);
      early.clear();
      for (const line of waiting?.log ?? []) tracker.logged(jobId, line);
      if (waiting?.progress) actions.jobProgressed(waiting.progress);
      if (waiting?.done) actions.jobDone(waiting.done);
    },

    logged(jobId, line) {
      if (!handlers.logged) return;
      if (isCurrent(jobId)) handlers.logged(line);
      else if (starting) pending(jobId).log.push(line);
    },
  };

  // Every journey hears every job's events; only its own kind is routed. Log lines
  // carry no kind: the job id alone tells whose they are.
  api.on('job.progress', (p) => {
    if (p.kind === kind) actions.jobProgressed(p);
  });
  api.on('job.done', (d) => {
    if (d.kind === kind) actions.jobDone(d);
  });
  if (handlers.logged) api.on('job.log', (l) => tracker.logged(l.jobId, l.line));
  return tracker;
}
