import { describe, expect, it } from 'vitest';
import type { RehearseResult } from '../../shared/api';
import { fakeTransport } from '../test-util/fake-transport';
import { createRehearseStore } from './rehearse-store';
import { createMediaStore } from './store';

const result: RehearseResult = { ok: true, restoreSeconds: 62.5, bootSeconds: 21, totalSeconds: 84, disks: 1, setEmbedded: true };

function setup(start: () => { jobId: string } | Promise<{ jobId: string }> = () => ({ jobId: 'rehearse-1' })) {
  const fake = fakeTransport({ 'rehearse.start': start, 'job.cancel': () => ({ cancelled: true }) });
  const store = createRehearseStore(fake.transport, { now: () => 1_000 });
  return { store, ...fake };
}

describe('rehearse store', () => {
  it('starts the job with the set and ISO, follows its phases, and keeps the times on success', async () => {
    const { store, calls, emit } = setup();
    await store.getState().start('/backups/set', '/backups/set-rescue.iso');
    expect(calls).toEqual([{ method: 'rehearse.start', req: { setDir: '/backups/set', media: '/backups/set-rescue.iso' } }]);
    expect(store.getState().rehearsal).toEqual({ kind: 'running', jobId: 'rehearse-1', setDir: '/backups/set', media: '/backups/set-rescue.iso', startedAt: 1_000 });

    const step = { jobId: 'rehearse-1', kind: 'rehearse' as const, phase: 'rehearse.restore', bytes: 0, total: null, speed: null, eta: null, items: { done: 4, total: 9 }, detail: 'mkfs.1' };
    emit('job.progress', step);
    // Another job's events, even of the same kind, are not this rehearsal's.
    emit('job.progress', { ...step, jobId: 'rehearse-0', phase: 'rehearse.boot' });
    emit('job.progress', { ...step, kind: 'media', phase: 'media.image' });
    expect(store.getState().progress).toEqual(step);

    emit('job.done', { jobId: 'rehearse-1', kind: 'rehearse', ok: true, result: { kind: 'rehearse', ...result } });
    expect(store.getState().rehearsal).toEqual({ kind: 'done', outcome: 'ok', setDir: '/backups/set', media: '/backups/set-rescue.iso', result, error: null });
  });

  it('shows the failure the job reported, with its reason', async () => {
    const { store, emit } = setup();
    await store.getState().start('/s', '/s.iso');
    const error = { code: 'rehearse-restore-failed' as const, params: { reason: 'mkfs.1: no space' }, message: 'restore failed' };
    emit('job.done', { jobId: 'rehearse-1', kind: 'rehearse', ok: false, error });
    expect(store.getState().rehearsal).toMatchObject({ kind: 'done', outcome: 'failed', result: null, error });
  });

  it('a refused start stays on the button, with the refusal', async () => {
    const { store } = setup(() => {
      throw Object.assign(new Error('x'), { code: 'set-invalid' });
    });
    await store.getState().start('/s', '/s.iso');
    expect(store.getState().rehearsal.kind).toBe('idle');
    expect(store.getState().starting).toBe(false);
    expect(store.getState().startError).not.toBeNull();
  });

  it('cancels its own job and says cancelled', async () => {
    const { store, calls, emit } = setup();
    await store.getState().start('/s', '/s.iso');
    await store.getState().cancel();
    expect(calls.at(-1)).toEqual({ method: 'job.cancel', req: { jobId: 'rehearse-1' } });
    expect(store.getState().cancelling).toBe(true);
    emit('job.done', { jobId: 'rehearse-1', kind: 'rehearse', ok: false, error: { code: 'cancelled', params: {}, message: 'cancelled' } });
    expect(store.getState().rehearsal).toMatchObject({ kind: 'done', outcome: 'cancelled' });
    expect(store.getState().cancelling).toBe(false);
  });

  it('does not start a second rehearsal while one runs', async () => {
    const { store, calls } = setup();
    await store.getState().start('/s', '/s.iso');
    await store.getState().start('/s', '/s.iso');
    expect(calls.filter((c) => c.method === 'rehearse.start')).toHaveLength(1);
  });

  it('keeps an end that arrives before the start answers', async () => {
    let emitEarly: () => void = () => undefined;
    const { store, emit } = setup(async () => {
      emitEarly();
      return { jobId: 'rehearse-1' };
    });
    emitEarly = () => emit('job.done', { jobId: 'rehearse-1', kind: 'rehearse', ok: true, result: { kind: 'rehearse', ...result } });
    await store.getState().start('/s', '/s.iso');
    expect(store.getState().rehearsal).toMatchObject({ kind: 'done', outcome: 'ok', result });
  });

  it('is cancelled when the media journey starts over, so no VM outlives the screen', async () => {
    const fake = fakeTransport({ 'rehearse.start': () => ({ jobId: 'rehearse-7' }), 'job.cancel': () => ({ cancelled: true }) });
    const media = createMediaStore(fake.transport, { lang: 'en' });
    const rehearse = media.getState().rehearse;
    await rehearse.getState().start('/s', '/s.iso');
    media.getState().startOver();
    expect(fake.calls.at(-1)).toEqual({ method: 'job.cancel', req: { jobId: 'rehearse-7' } });
    expect(rehearse.getState().rehearsal.kind).toBe('idle');
    // Its end, arriving afterwards, no longer shows.
    fake.emit('job.done', { jobId: 'rehearse-7', kind: 'rehearse', ok: false, error: { code: 'cancelled', params: {}, message: '' } });
    expect(rehearse.getState().rehearsal.kind).toBe('idle');
  });
});
