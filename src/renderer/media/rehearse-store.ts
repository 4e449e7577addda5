/**
 * The rehearsal offered on the media journey's Done screen: the set just made is
 * restored from its ISO in a virtual machine, and the restored disk is booted to its
 * login prompt (engine/rehearse, run in the helper as a `rehearse` job).
 *
 * A store of its own rather than more fields on the media store: the media store's
 * JobState already follows the `media` job, and a second job on the same fields would
 * mix their progress. The media store owns one of these (`rehearsal`), so no new
 * wiring is needed to reach it. Components call the actions, never `set`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { RehearseResult, Transport } from '../../shared/api';
import type { ErrorInfo } from '../../shared/errors';
import { idleJob, trackJobs, type JobActions, type JobState } from '../app/job-tracker';

/** The engine's phases, in order; `rehearse.done` only closes the list. */
export const REHEARSE_PHASES = ['rehearse.prepare', 'rehearse.restore', 'rehearse.boot'] as const;

export type Rehearsal =
  | { kind: 'idle' }
  /** `startedAt`: when the job was known to run, for the elapsed time on screen */
  | { kind: 'running'; jobId: string; setDir: string; media: string; startedAt: number }
  | { kind: 'done'; outcome: 'ok' | 'failed' | 'cancelled'; setDir: string; media: string; result: RehearseResult | null; error: ErrorInfo | null };

export interface RehearseState extends JobState {
  rehearsal: Rehearsal;
}

export interface RehearseActions extends JobActions {
  /** Starts a rehearsal of this set and ISO; ignored while one starts or runs. */
  start(setDir: string, media: string): Promise<void>;
  /** Back to nothing shown; a running rehearsal is cancelled first (its VM must not outlive the screen). */
  reset(): void;
}

export type RehearseStore = StoreApi<RehearseState & RehearseActions>;

export function createRehearseStore(api: Transport, opts: { now?: () => number } = {}): RehearseStore {
  const now = opts.now ?? Date.now;
  const jobs = trackJobs<RehearseState>(api, 'rehearse', {
    current() {
      const r = store.getState().rehearsal;
      return r.kind === 'running' ? r.jobId : null;
    },
    update: (partial) => store.setState(partial),
    done(done) {
      const r = store.getState().rehearsal;
      if (r.kind !== 'running') return;
      const paths = { setDir: r.setDir, media: r.media };
      if (done.ok && done.result.kind === 'rehearse') {
        const { kind: _kind, ...result } = done.result;
        store.setState({ rehearsal: { kind: 'done', outcome: 'ok', ...paths, result, error: null }, cancelling: false });
      } else {
        // A job that says ok but carries another kind's result is not a rehearsal that passed.
        const error: ErrorInfo = done.ok ? { code: 'internal', params: { detail: 'the job ended without a rehearsal result' }, message: 'unexpected result' } : done.error;
        const outcome = error.code === 'cancelled' ? 'cancelled' : 'failed';
        store.setState({ rehearsal: { kind: 'done', outcome, ...paths, result: null, error }, cancelling: false });
      }
    },
  });

  const store: RehearseStore = createStore<RehearseState & RehearseActions>()((set, get) => ({
    rehearsal: { kind: 'idle' },
    ...idleJob,

    async start(setDir, media) {
      if (get().starting || get().rehearsal.kind === 'running') return;
      await jobs.start(
        () => api.invoke('rehearse.start', { setDir, media }),
        (jobId) => ({ rehearsal: { kind: 'running', jobId, setDir, media, startedAt: now() } }),
      );
    },

    ...jobs.actions,

    reset() {
      if (get().rehearsal.kind === 'running') void get().cancel();
      set({ rehearsal: { kind: 'idle' }, ...idleJob });
    },
  }));
  return store;
}
