import { describe, expect, it } from 'vitest';
import type { Drive } from '../../shared/drive';
import type { ImageInfo } from '../../shared/image';
import { testDrive } from '../test-util/drive';
import { fakeTransport } from '../test-util/fake-transport';
import { createFlashStore } from './store';

const GB = 1e9;

/** A USB stick unless `extra` says otherwise. */
function drive(device: string, size = 16 * GB, extra: Partial<Drive> = {}): Drive {
  return testDrive(device, { description: `Stick ${device}`, size, removable: true, usb: true, transport: 'usb', ...extra });
}

const image: ImageInfo = {
  path: '/tmp/debian.img.gz',
  name: 'debian.img.gz',
  fileSize: 300e6,
  compression: 'gzip',
  innerName: null,
  size: 2 * GB,
  sizeIsEstimate: false,
  contentType: 'disk-image',
  partitionTable: null,
  bmap: null,
  sourceDevice: null,
};

async function storeWithImage(drives: Drive[][]) {
  let scan = 0;
  const fake = fakeTransport({
    'image.inspect': () => image,
    'drives.list': () => drives[Math.min(scan++, drives.length - 1)],
    'flash.start': () => ({ jobId: 'job-1' }),
  });
  const store = createFlashStore(fake.transport, { includeLoop: true });
  await store.getState().openImage(image.path);
  return { store, ...fake };
}

describe('flash store: selection by device path', () => {
  it('auto-selects a single eligible drive only', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb')]]);
    await store.getState().refreshDrives();
    expect(store.getState().selected).toEqual(['/dev/sdb']);
  });

  it('does not guess between two eligible drives', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb'), drive('/dev/sdc')]]);
    await store.getState().refreshDrives();
    expect(store.getState().selected).toEqual([]);
  });

  it('auto-selects the eligible one next to blocked and large drives', async () => {
    const { store } = await storeWithImage([
      [drive('/dev/sda', 500 * GB, { systemReasons: ['root'] }), drive('/dev/sdb', 1 * GB), drive('/dev/sdc', 1000 * GB), drive('/dev/sdd')],
    ]);
    await store.getState().refreshDrives();
    // sda is the system, sdb too small for 2 GB, sdc larger than a stick: only sdd is a safe pick
    expect(store.getState().selected).toEqual(['/dev/sdd']);
  });

  it('never auto-selects a single drive that is too small or the system', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb', 1 * GB)]]);
    await store.getState().refreshDrives();
    expect(store.getState().selected).toEqual([]);
    store.getState().toggleTarget('/dev/sdb');
    expect(store.getState().selected).toEqual([]);
  });

  it('selects several targets by id and keeps them across rescans', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb'), drive('/dev/sdc'), drive('/dev/sdd')]]);
    await store.getState().refreshDrives();
    store.getState().toggleTarget('/dev/sdc');
    store.getState().toggleTarget('/dev/sdd');
    await store.getState().refreshDrives();
    expect(store.getState().selected).toEqual(['/dev/sdc', '/dev/sdd']);
    store.getState().toggleTarget('/dev/sdc');
    expect(store.getState().selected).toEqual(['/dev/sdd']);
  });

  it('drops a selected drive that is no longer in the scan', async () => {
    const { store } = await storeWithImage([
      [drive('/dev/sdb'), drive('/dev/sdc')],
      [drive('/dev/sdc')],
    ]);
    await store.getState().refreshDrives();
    store.getState().toggleTarget('/dev/sdb');
    store.getState().toggleTarget('/dev/sdc');
    await store.getState().refreshDrives();
    expect(store.getState().selected).toEqual(['/dev/sdc']);
    expect(store.getState().drives.map((d) => d.device)).toEqual(['/dev/sdc']);
  });

  it('drops a selection that became blocked, and does not auto-select after the user chose', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb'), drive('/dev/sdc')], [drive('/dev/sdb', 16 * GB, { readOnly: true }), drive('/dev/sdc')]]);
    await store.getState().refreshDrives();
    store.getState().toggleTarget('/dev/sdb');
    await store.getState().refreshDrives();
    // sdb became read-only: dropped; sdc is now the only eligible drive but the user already chose once
    expect(store.getState().selected).toEqual([]);
  });

  it('keeps the object of an unchanged drive so its row does not re-render', async () => {
    const { store } = await storeWithImage([[drive('/dev/sdb'), drive('/dev/sdc')], [drive('/dev/sdc'), drive('/dev/sdb', 32 * GB)]]);
    await store.getState().refreshDrives();
    const [sdbBefore, sdcBefore] = store.getState().drives;
    await store.getState().refreshDrives();
    const [sdbAfter, sdcAfter] = store.getState().drives;
    expect(sdcAfter).toBe(sdcBefore);
    expect(sdbAfter).not.toBe(sdbBefore);
    expect(sdbAfter.size).toBe(32 * GB);
  });
});

describe('flash store: the job', () => {
  it('starts with the selected devices and ends on the result step', async () => {
    const { store, calls, emit } = await storeWithImage([[drive('/dev/sdb')]]);
    await store.getState().refreshDrives();
    store.getState().goToTargets();
    store.getState().goToConfirm();
    expect(store.getState().step.kind).toBe('confirm');
    await store.getState().start();
    expect(calls.find((c) => c.method === 'flash.start')?.req).toEqual({
      image: image.path,
      targets: ['/dev/sdb'],
      verify: true,
      includeLoop: true,
    });
    expect(store.getState().step).toEqual({ kind: 'flashing', jobId: 'job-1' });
    emit('job.progress', { jobId: 'job-1', kind: 'flash', phase: 'writing', bytes: 1, total: 2, speed: null, eta: null });
    expect(store.getState().progress?.bytes).toBe(1);
    emit('job.progress', { jobId: 'other', kind: 'flash', phase: 'writing', bytes: 9, total: 9, speed: null, eta: null });
    expect(store.getState().progress?.bytes).toBe(1);
    emit('job.done', {
      jobId: 'job-1',
      kind: 'flash',
      ok: false,
      error: { code: 'cancelled', params: {}, message: 'cancelled' },
    });
    expect(store.getState().step).toMatchObject({ kind: 'result', outcome: 'cancelled' });
  });
});
