import { describe, expect, it } from 'vitest';
import { RemoteError, type JobDone } from '../../shared/api';
import type { JobProgress } from '../../shared/progress';
import { fakeTransport, type Answers } from '../test-util/fake-transport';
import { trackJobs, type JobState } from './job-tracker';

const progress = (jobId: string, bytes: number): JobProgress => ({ jobId, kind: 'restore', phase: 'x', bytes, total: 10, speed: null, eta: null });
const done = (jobId: string): JobDone => ({ jobId, kind: 'restore', ok: false, error: { code: 'cancelled', params: {}, message: '' } });

type State = JobState & { current: string | null };

/**
 * A tracker over a fake host, with a plain object for the store's state and a list of
 * what reached it. By default the start request answers only when the test says so.
 */
function setup(opts: { withLog?: boolean; answers?: Answers } = {}) {
  let answer: (jobId: string) => void = () => undefined;
  const fake = fakeTransport(
    opts.answers ?? {
      'restore.start': () => new Promise<{ jobId: string }>((resolve) => (answer = (jobId) => resolve({ jobId }))),
      'job.cancel': () => ({ cancelled: true }),
    },
  );
  const state: State = { current: null, starting: false, startError: null, progress: null, cancelling: false };
  const seen: string[] = [];
  const jobs = trackJobs<State>(fake.transport, 'restore', {
    current: () => state.current,
    update(partial) {
      Object.assign(state, partial);
      if (partial.progress) seen.push(`progress ${partial.progress.jobId} ${partial.progress.bytes}`);
    },
    done: (d) => seen.push(`done ${d.jobId}`),
    ...(opts.withLog === false ? {} : { logged: (line: string) => seen.push(`log ${line}`) }),
  });
  const start = () =>
    jobs.start(
      () => fake.transport.invoke('restore.start', { setDir: '/s', targets: {}, clone: false, includeLoop: true }),
      (jobId) => ({ current: jobId }),
    );
  return { ...fake, jobs, state, seen, start, answer: (jobId: string) => answer(jobId) };
}

describe('job tracker', () => {
  it('replays what arrived before the start answered: log, latest progress, then the end', async () => {
    const { emit, seen, state, start, answer } = setup();
    const started = start();
    expect(state.starting).toBe(true);
    emit('job.progress', progress('job-1', 1));
    emit('job.log', { jobId: 'job-1', line: 'a' });
    emit('job.progress', progress('job-1', 2));
    emit('job.log', { jobId: 'job-1', line: 'b' });
    emit('job.done', done('job-1'));
    emit('job.progress', progress('someone-else', 9));
    expect(seen).toEqual([]);
    answer('job-1');
    await started;
    expect(state).toMatchObject({ current: 'job-1', starting: false, startError: null });
    expect(seen).toEqual(['log a', 'log b', 'progress job-1 2', 'done job-1']);
  });

  it('routes only the current job of its own kind, and drops strangers when nothing is starting', () => {
    const { emit, seen, state } = setup();
    state.current = 'job-1';
    emit('job.progress', progress('job-1', 3));
    emit('job.progress', { ...progress('job-1', 4), kind: 'flash' });
    emit('job.progress', progress('job-2', 5));
    emit('job.log', { jobId: 'job-2', line: 'not ours' });
    emit('job.log', { jobId: 'job-1', line: 'ours' });
    emit('job.done', { ...done('job-1'), kind: 'media' });
    emit('job.done', done('job-1'));
    expect(seen).toEqual(['progress job-1 3', 'log ours', 'done job-1']);
  });

  it('does not follow the log of a journey that shows none', () => {
    const { emit, seen, state } = setup({ withLog: false });
    state.current = 'job-1';
    emit('job.log', { jobId: 'job-1', line: 'a' });
    expect(seen).toEqual([]);
  });

  it('shows why a start failed, and stops keeping events', async () => {
    const { emit, seen, state, start } = setup({ answers: {} });
    await start();
    expect(state).toMatchObject({ current: null, starting: false, startError: { code: 'internal' } });
    emit('job.progress', progress('job-1', 1));
    expect(seen).toEqual([]);
  });

  it('cancels the current job only', async () => {
    const { jobs, calls, state } = setup();
    await jobs.actions.cancel();
    expect(calls).toEqual([]);
    state.current = 'job-1';
    await jobs.actions.cancel();
    expect(calls).toEqual([{ method: 'job.cancel', req: { jobId: 'job-1' } }]);
    expect(state).toMatchObject({ cancelling: true, startError: null });
  });

  it('says why the host would not cancel', async () => {
    const error = { code: 'internal' as const, params: {}, message: 'gone' };
    const { jobs, state } = setup({
      answers: {
        'job.cancel': () => {
          throw new RemoteError(error);
        },
      },
    });
    state.current = 'job-1';
    await jobs.actions.cancel();
    expect(state).toMatchObject({ cancelling: false, startError: error });
  });
});
