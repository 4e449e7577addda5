import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../shared/api';
import type { Drive } from '../../shared/drive';
import type { RestorePlan } from '../../shared/restore-plan';
import type { ReviewedPlan, SetSummary } from '../../shared/restore-sets';
import { testDrive } from '../test-util/drive';
import { fakeTransport } from '../test-util/fake-transport';
import type { DiskSizing } from '../../shared/restore-sizes';
import { createRestoreStore, mappingComplete, MAX_LOG_LINES, sizeFields, sizesSettled } from './store';

const MB = 1e6;

/** An internal SATA disk unless `extra` says otherwise. */
function drive(device: string, size = 512 * MB, extra: Partial<Drive> = {}): Drive {
  return testDrive(device, { description: `Disk ${device}`, size, transport: 'sata', ...extra });
}

const summary: SetSummary = {
  dir: '/media/usb/set',
  id: 'set-1',
  host: 'alice-pc',
  created: '2026-11-25T10:00:00.000Z',
  kind: 'full',
  bytes: 40 * MB,
  archives: 1,
  base: null,
  sourceRoot: '/',
  compression: 'zstd',
  firmware: 'uefi',
  disks: [
    { device: '/dev/sda', sizeBytes: 256 * MB, model: null, table: 'gpt', partitions: [], holdsData: true, neededBytes: 200 * MB },
    { device: '/dev/sdb', sizeBytes: 64 * MB, model: null, table: 'gpt', partitions: [], holdsData: false, neededBytes: 10 * MB },
  ],
  archiveList: [],
  warnings: [],
  sourceDevice: '/dev/sdz',
};

const plan: RestorePlan = {
  setId: 'set-1',
  setDir: summary.dir,
  clone: false,
  mountRoot: '/tmp/lifeboat-restore/sdc',
  targets: [{ source: '/dev/sda', device: '/dev/sdc', sizeBytes: 512 * MB, neededBytes: 200 * MB }],
  mapping: [],
  steps: [
    { id: 'check.parts', phase: 'check', title: { key: 'steps.verifyParts', params: {} }, argv: ['true'], destructive: false, weight: 1 },
    { id: 'wipe.1', phase: 'wipe', title: { key: 'steps.wipe', params: {} }, argv: ['wipefs', '-a', '/dev/sdc'], destructive: true, weight: 1 },
  ],
  warnings: [],
};
const reviewed: ReviewedPlan = { plan, commands: ['true', 'wipefs -a /dev/sdc'], sizing: [], sizes: {} };

const MiB = 1024 * 1024;

/** What the helper answers for /dev/sda on /dev/sdc (512 MB): root scales, home takes the rest, ESP kept; sizes the user set are fixed. */
function sizingFor(sizes: Record<string, number> = {}): DiskSizing[] {
  const part = (n: number, mountpoint: string, planned: number, min: number, fixed: DiskSizing['partitions'][number]['fixed']) => ({
    node: `/dev/sda${n}`,
    number: n,
    target: `/dev/sdc${n}`,
    fsType: n === 1 ? 'vfat' : 'ext4',
    mountpoint,
    label: null,
    recordedBytes: planned,
    plannedBytes: sizes[`/dev/sda${n}`] ?? planned,
    startBytes: n * 100 * MiB,
    fixed: sizes[`/dev/sda${n}`] !== undefined ? ('user' as const) : fixed,
    minBytes: min,
    takesRest: n === 3 && sizes['/dev/sda3'] === undefined,
  });
  return [{ source: '/dev/sda', device: '/dev/sdc', sizeBytes: 512 * MB, spaceBytes: 480 * MiB, freeBytes: 0, partitions: [part(1, '/boot/efi', 32 * MiB, MiB, 'esp'), part(2, '/', 248 * MiB, 100 * MiB, null), part(3, '/home', 200 * MiB, 50 * MiB, null)] }];
}
const reviewedFor = (sizes: Record<string, number> = {}): ReviewedPlan => ({ ...reviewed, plan: { ...plan }, sizing: sizingFor(sizes), sizes });
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

async function storeOnTargets(drives: Drive[], extra: Parameters<typeof fakeTransport>[0] = {}) {
  const fake = fakeTransport({
    'restore.inspect': () => summary,
    'drives.list': () => drives,
    'restore.plan': () => reviewed,
    'restore.start': () => ({ jobId: 'restore-1' }),
    'job.cancel': () => ({ cancelled: true }),
    ...extra,
  });
  const store = createRestoreStore(fake.transport, { includeLoop: true, replanDelayMs: 0 });
  await store.getState().openSet(summary.dir);
  store.getState().goToTargets();
  await store.getState().refreshDrives();
  return { store, ...fake };
}

describe('restore store', () => {
  it('opens a set and forgets what was chosen for the previous one', async () => {
    const { store } = await storeOnTargets([drive('/dev/sdc')]);
    expect(store.getState().step.kind).toBe('targets');
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    expect(store.getState().mapping).toEqual({ '/dev/sda': '/dev/sdc' });
    await store.getState().openSet(summary.dir);
    expect(store.getState().step.kind).toBe('set');
    expect(store.getState().mapping).toEqual({});
  });

  it('keeps an inspect failure on the find step with its error', async () => {
    const fake = fakeTransport({
      'restore.inspect': () => {
        throw new RemoteError({ code: 'set-invalid', params: { path: '/x', detail: 'lifeboat.json is missing' }, message: 'no' });
      },
    });
    const store = createRestoreStore(fake.transport, { includeLoop: false });
    await store.getState().openSet('/x');
    expect(store.getState().step.kind).toBe('find');
    expect(store.getState().setError?.code).toBe('set-invalid');
  });

  it('never maps a system drive, the drive holding the set, or one too small', async () => {
    const { store } = await storeOnTargets([
      drive('/dev/sdc'),
      drive('/dev/nvme0n1', 1e12, { systemReasons: ['root'] }),
      drive('/dev/sdz', 1e12),
      drive('/dev/sdd', 100 * MB),
    ]);
    for (const dev of ['/dev/nvme0n1', '/dev/sdz', '/dev/sdd']) {
      store.getState().chooseTarget('/dev/sda', dev);
      expect(store.getState().mapping).toEqual({});
    }
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    expect(store.getState().mapping).toEqual({ '/dev/sda': '/dev/sdc' });
  });

  it('gives a drive to one recorded disk only, and drops targets that vanish', async () => {
    const { store } = await storeOnTargets([drive('/dev/sdc'), drive('/dev/sdd')]);
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    store.getState().chooseTarget('/dev/sdb', '/dev/sdc');
    expect(store.getState().mapping).toEqual({ '/dev/sdb': '/dev/sdc' });
    expect(mappingComplete(summary, store.getState().mapping)).toBe(false);
    store.getState().chooseTarget('/dev/sda', '/dev/sdd');
    expect(mappingComplete(summary, store.getState().mapping)).toBe(true);
    store.getState().drivesScanned([drive('/dev/sdc')]);
    expect(store.getState().mapping).toEqual({ '/dev/sdb': '/dev/sdc' });
  });

  it('asks for the plan with the mapping and clone mode, and forgets it when they change', async () => {
    const { store, calls } = await storeOnTargets([drive('/dev/sdc')]);
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    store.getState().setClone(true);
    await store.getState().review();
    expect(calls.find((c) => c.method === 'restore.plan')?.req).toEqual({ setDir: summary.dir, targets: { '/dev/sda': '/dev/sdc' }, clone: true, includeLoop: true });
    expect(store.getState().step.kind).toBe('review');
    expect(store.getState().reviewed).toBe(reviewed);
    store.getState().setClone(false);
    expect(store.getState().reviewed).toBeNull();
  });

  it('shows a refused plan on the targets step', async () => {
    const { store } = await storeOnTargets([drive('/dev/sdc')], {
      'restore.plan': () => {
        throw new RemoteError({ code: 'target-too-small', params: { device: '/dev/sdc', needed: 300, available: 200, size: 200 }, message: 'small' });
      },
    });
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    await store.getState().review();
    expect(store.getState().step.kind).toBe('targets');
    expect(store.getState().planError?.code).toBe('target-too-small');
  });

  it('starts only once the erase box is ticked, then follows the job to its result', async () => {
    const { store, calls, emit } = await storeOnTargets([drive('/dev/sdc')]);
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    await store.getState().review();
    await store.getState().start();
    expect(calls.some((c) => c.method === 'restore.start')).toBe(false);
    store.getState().setConfirmed(true);
    await store.getState().start();
    expect(store.getState().step).toEqual({ kind: 'running', jobId: 'restore-1' });
    emit('job.progress', { jobId: 'restore-1', kind: 'restore', phase: 'wipe.1', bytes: 0, total: 0, speed: null, eta: null, items: { done: 1, total: 2 } });
    emit('job.progress', { jobId: 'other', kind: 'restore', phase: 'x', bytes: 0, total: 0, speed: null, eta: null, items: { done: 0, total: 9 } });
    expect(store.getState().progress?.items).toEqual({ done: 1, total: 2 });
    for (let i = 0; i < MAX_LOG_LINES + 5; i++) emit('job.log', { jobId: 'restore-1', line: `line ${i}` });
    expect(store.getState().log).toHaveLength(MAX_LOG_LINES);
    expect(store.getState().log.at(-1)).toBe(`line ${MAX_LOG_LINES + 4}`);
    const result = { steps: 2, stepsDone: 2, bytes: 10, seconds: 1, targets: plan.targets };
    emit('job.done', { jobId: 'restore-1', kind: 'restore', ok: true, result: { kind: 'restore', restore: result } });
    expect(store.getState().step).toEqual({ kind: 'result', outcome: 'done', result, error: null });
  });

  it('reports a cancelled job as cancelled, with how far it got', async () => {
    const { store, emit, calls } = await storeOnTargets([drive('/dev/sdc')]);
    store.getState().chooseTarget('/dev/sda', '/dev/sdc');
    await store.getState().review();
    store.getState().setConfirmed(true);
    await store.getState().start();
    await store.getState().cancel();
    expect(calls.find((c) => c.method === 'job.cancel')?.req).toEqual({ jobId: 'restore-1' });
    const result = { steps: 2, stepsDone: 1, bytes: 0, seconds: 1, targets: plan.targets };
    emit('job.done', { jobId: 'restore-1', kind: 'restore', ok: false, error: { code: 'cancelled', params: {}, message: 'cancelled' }, result: { kind: 'restore', restore: result } });
    expect(store.getState().step).toMatchObject({ kind: 'result', outcome: 'cancelled', result: { stepsDone: 1 } });
  });

  describe('partition sizes typed on the review', () => {
    async function onReview(extra: Parameters<typeof fakeTransport>[0] = {}) {
      const r = await storeOnTargets([drive('/dev/sdc')], { 'restore.plan': (req) => reviewedFor(req.sizes ?? {}), ...extra });
      r.store.getState().chooseTarget('/dev/sda', '/dev/sdc');
      await r.store.getState().review();
      const plans = () => r.calls.filter((c) => c.method === 'restore.plan').map((c) => (c.req as { sizes?: Record<string, number> }).sizes);
      return { ...r, plans };
    }

    it('asks for the plan again with a valid size, and runs with the sizes of the plan on screen', async () => {
      const { store, calls, plans } = await onReview();
      expect(sizesSettled(store.getState())).toBe(true);
      store.getState().setConfirmed(true);
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      // typed but not planned yet: the erase box is cleared and nothing can start
      expect(store.getState().confirmed).toBe(false);
      expect(sizesSettled(store.getState())).toBe(false);
      store.getState().setConfirmed(true);
      await store.getState().start();
      expect(calls.some((c) => c.method === 'restore.start')).toBe(false);
      await tick();
      expect(plans()).toEqual([undefined, { '/dev/sda2': 300 * MiB }]);
      expect(store.getState().reviewed?.sizes).toEqual({ '/dev/sda2': 300 * MiB });
      expect(sizesSettled(store.getState())).toBe(true);
      store.getState().setConfirmed(true);
      await store.getState().start();
      expect(calls.find((c) => c.method === 'restore.start')?.req).toEqual({ setDir: summary.dir, targets: { '/dev/sda': '/dev/sdc' }, clone: false, includeLoop: true, sizes: { '/dev/sda2': 300 * MiB } });
    });

    it('reads sizes in the language they were typed in', async () => {
      const { store, plans } = await onReview();
      store.getState().setSizeText('/dev/sda2', '0,25 Gio', 'fr');
      await tick();
      expect(plans().at(-1)).toEqual({ '/dev/sda2': 256 * MiB });
    });

    it.each([
      ['not a size', '/dev/sda2', 'lots', { code: 'unreadable' }],
      ['below what its files need', '/dev/sda2', '99 MiB', { code: 'below-min', min: 100 * MiB }],
      // 480 MiB of room: ESP 32, home at its 50 MiB minimum → 398 MiB at most
      ['more than the disk has left', '/dev/sda2', '399 MiB', { code: 'over-disk', available: 398 * MiB }],
      ['the EFI system partition', '/dev/sda1', '64 MiB', { code: 'locked', reason: 'esp' }],
    ])('says what is wrong with a size %s, asks nothing and blocks the run', async (_name, node, text, problem) => {
      const { store, calls, plans } = await onReview();
      store.getState().setSizeText(node, text, 'en');
      await tick();
      const s = store.getState();
      expect(sizeFields(s.sizeTexts, s.sizeLang, s.reviewed!.sizing).problems).toEqual({ [node]: problem });
      expect(plans()).toEqual([undefined]);
      store.getState().setConfirmed(true);
      await store.getState().start();
      expect(calls.some((c) => c.method === 'restore.start')).toBe(false);
    });

    it('counts the sizes typed together against the disk', async () => {
      const { store } = await onReview();
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      store.getState().setSizeText('/dev/sda3', '200 MiB', 'en');
      const s = store.getState();
      // 480 - 32 - 200 = 248 MiB left for root; 480 - 32 - 300 = 148 MiB left for home
      expect(sizeFields(s.sizeTexts, 'en', s.reviewed!.sizing).problems).toEqual({
        '/dev/sda2': { code: 'over-disk', available: 248 * MiB },
        '/dev/sda3': { code: 'over-disk', available: 148 * MiB },
      });
    });

    it('resets to the automatic sizes, and forgets typed sizes when another disk is chosen', async () => {
      const { store, plans } = await onReview();
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      await tick();
      store.getState().resetSizes();
      await tick();
      expect(plans()).toEqual([undefined, { '/dev/sda2': 300 * MiB }, undefined]);
      expect(store.getState().reviewed?.sizes).toEqual({});
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      store.getState().goToTargets();
      store.getState().chooseTarget('/dev/sda', null);
      store.getState().chooseTarget('/dev/sda', '/dev/sdc');
      expect(store.getState().sizeTexts).toEqual({});
    });

    it('keeps the sizes when the user goes back and reviews the same disks again', async () => {
      const { store, plans } = await onReview();
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      await tick();
      store.getState().goToTargets();
      await store.getState().review();
      expect(plans().at(-1)).toEqual({ '/dev/sda2': 300 * MiB });
      expect(store.getState().sizeTexts).toEqual({ '/dev/sda2': '300 MiB' });
    });

    it('shows the helper refusing the sizes, and runs nothing', async () => {
      const { store, calls } = await onReview({
        'restore.plan': (req) => {
          if (req.sizes) throw new RemoteError({ code: 'target-too-small', params: { device: '/dev/sdc', needed: 600 * MB, available: 512 * MB, size: 512 * MB }, message: 'small' });
          return reviewedFor();
        },
      });
      store.getState().setSizeText('/dev/sda2', '300 MiB', 'en');
      await tick();
      expect(store.getState().sizesError?.code).toBe('target-too-small');
      expect(store.getState().step.kind).toBe('review');
      store.getState().setConfirmed(true);
      await store.getState().start();
      expect(calls.some((c) => c.method === 'restore.start')).toBe(false);
    });
  });
});
