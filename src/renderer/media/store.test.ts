import { describe, expect, it } from 'vitest';
import type { RequestOf } from '../../shared/api';
import type { Layout } from '../../shared/layout';
import type { DoctorReport, InventoryView } from '../../shared/media-make';
import { fakeTransport } from '../test-util/fake-transport';
import { createMediaStore, isoPath, makeRequest, splitBytes, tidyPath } from './store';

const layout: Layout = {
  disks: [{ device: '/dev/sda', sizeBytes: 500e9, table: null }],
  filesystems: [{ device: '/dev/sda', type: 'ext4', mountpoint: '/' }],
  swap: [],
  lvm: null,
  md: [],
  crypt: [],
  boot: { firmware: 'bios' },
  warnings: [],
};

function inventory(root: string): InventoryView {
  return { root, layout, warnings: [{ code: 'luks-not-restorable', params: { device: '/dev/sdb' } }], archived: ['/'], defaultExcludes: ['/proc/*', '/tmp/*', '/lost+found/*'] };
}

const doctorOk: DoctorReport = { ok: true, media: 'iso', items: [], missingModules: [] };
const doctorNoKernel: DoctorReport = {
  ok: false,
  media: 'iso',
  items: [{ group: 'kernel', id: 'kernel', found: false, needed: true, path: '/boot/vmlinuz-x', packages: { debian: 'a', fedora: 'b', arch: 'c' } }],
  missingModules: [],
};

function setup(doctor: (req: RequestOf<'media.doctor'>) => DoctorReport = () => doctorOk) {
  const fake = fakeTransport({
    'inventory.collect': (req) => inventory(req.root),
    'media.doctor': doctor,
    'media.make': () => ({ jobId: 'media-1' }),
    'job.cancel': () => ({ cancelled: true }),
  });
  const store = createMediaStore(fake.transport, { lang: 'fr' });
  return { store, ...fake };
}

/** Source read, destination typed, on the Rescue step with the doctor answered. */
async function ready(over: (s: ReturnType<typeof setup>['store']) => void = () => undefined) {
  const t = setup();
  const a = t.store.getState();
  a.chooseSource('other');
  a.setOtherRoot('/mnt/sys/');
  await a.loadInventory();
  a.goToBackup();
  a.setDest('/media/usb//backup/');
  over(t.store);
  t.store.getState().goToRescue();
  await t.store.getState().checkDoctor();
  return t;
}

describe('media store: paths and sizes', () => {
  it('tidies paths and puts the ISO beside the set by default', () => {
    expect(tidyPath(' /a//b/ ')).toBe('/a/b');
    expect(tidyPath('/')).toBe('/');
    expect(isoPath({ iso: '', dest: '/media/usb/set/' })).toBe('/media/usb/set-rescue.iso');
    expect(isoPath({ iso: '/x/r.iso', dest: '/media/usb/set' })).toBe('/x/r.iso');
    expect(isoPath({ iso: '', dest: '' })).toBe('');
  });

  it('turns split choices into bytes, refusing a custom size below 1 MiB', () => {
    expect(splitBytes({ split: 'cd', customSplit: '' })).toBe(700 * 1024 ** 2);
    expect(splitBytes({ split: 'fat32', customSplit: '' })).toBe(4 * 1024 ** 3 - 1);
    expect(splitBytes({ split: 'none', customSplit: '' })).toBe(Number.MAX_SAFE_INTEGER);
    expect(splitBytes({ split: 'custom', customSplit: '2G' })).toBe(2 * 1024 ** 3);
    expect(splitBytes({ split: 'custom', customSplit: '10k' })).toBeNull();
    expect(splitBytes({ split: 'custom', customSplit: 'big' })).toBeNull();
  });
});

describe('media store: the steps', () => {
  it('will not leave Source before the layout of that root was read', async () => {
    const { store, calls } = setup();
    store.getState().goToBackup();
    expect(store.getState().step.kind).toBe('source');
    await store.getState().loadInventory();
    expect(calls.at(-1)).toEqual({ method: 'inventory.collect', req: { root: '/' } });
    // Switching to another root makes the running system's layout stale.
    store.getState().chooseSource('other');
    store.getState().setOtherRoot('/mnt');
    store.getState().goToBackup();
    expect(store.getState().step.kind).toBe('source');
    await store.getState().loadInventory();
    store.getState().goToBackup();
    expect(store.getState().step.kind).toBe('backup');
  });

  it('refuses a relative or missing destination and a bad custom split', async () => {
    const { store } = setup();
    await store.getState().loadInventory();
    store.getState().goToBackup();
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('backup');
    store.getState().setDest('backups');
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('backup');
    store.getState().setDest('/');
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('backup');
    store.getState().setDest('/srv/set');
    store.getState().setSplit('custom');
    store.getState().setCustomSplit('lots');
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('backup');
    store.getState().setCustomSplit('700M');
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('rescue');
  });

  it('sends exactly what the screens showed', async () => {
    const { store, calls } = await ready((s) => {
      s.getState().setCompress('xz');
      s.getState().setLevel(9);
      s.getState().setSplit('dvd');
      expect(s.getState().addExclude(' *.iso ')).toBe(true);
      expect(s.getState().addExclude('*.iso')).toBe(false);
      expect(s.getState().addExclude('a\nb')).toBe(false);
    });
    await store.getState().start();
    expect(calls.find((c) => c.method === 'media.make')?.req).toEqual({
      root: '/mnt/sys',
      dest: '/media/usb/backup',
      compress: 'xz',
      level: 9,
      split: Math.floor(4.7 * 1024 ** 3),
      excludes: ['*.iso'],
      defaultExcludes: true,
      iso: '/media/usb/backup-rescue.iso',
      embed: true,
      lang: 'fr',
    });
    expect(store.getState().step).toEqual({ kind: 'running', jobId: 'media-1' });
  });

  it('sends the kept defaults as plain excludes once one default is taken out', async () => {
    const { store } = await ready((s) => {
      s.getState().toggleDefaultExclude('/tmp/*');
      s.getState().addExclude('/srv/scratch');
    });
    expect(makeRequest(store.getState())).toMatchObject({ defaultExcludes: false, excludes: ['/proc/*', '/lost+found/*', '/srv/scratch'] });
    // Putting it back returns to the engine's own defaults.
    store.getState().toggleDefaultExclude('/tmp/*');
    expect(makeRequest(store.getState())).toMatchObject({ defaultExcludes: true, excludes: ['/srv/scratch'] });
  });

  it('the level resets with the compressor, and "none" sends no level', async () => {
    const { store } = await ready((s) => {
      s.getState().setLevel(19);
      s.getState().setCompress('none');
    });
    expect(store.getState().level).toBeNull();
    expect(makeRequest(store.getState())).not.toHaveProperty('level');
  });

  it('blocks on a missing kernel until another one checks out', async () => {
    let report = doctorNoKernel;
    const t = setup(() => report);
    const a = t.store.getState();
    await a.loadInventory();
    a.goToBackup();
    a.setDest('/srv/set');
    a.goToRescue();
    await new Promise((r) => setTimeout(r, 0));
    expect(t.store.getState().doctor?.ok).toBe(false);
    await t.store.getState().start();
    expect(t.calls.some((c) => c.method === 'media.make')).toBe(false);
    t.store.getState().setKernel('/boot/vmlinuz-6.1');
    report = doctorOk;
    await t.store.getState().checkDoctor();
    expect(t.calls.at(-1)).toEqual({ method: 'media.doctor', req: { media: 'iso', kernel: '/boot/vmlinuz-6.1' } });
    await t.store.getState().start();
    expect(t.calls.find((c) => c.method === 'media.make')?.req).toMatchObject({ kernel: '/boot/vmlinuz-6.1' });
  });

  it('refuses an ISO inside the set or not named .iso', async () => {
    const { store, calls } = await ready();
    store.getState().setIso('/media/usb/backup/rescue.iso');
    await store.getState().start();
    store.getState().setIso('/media/usb/rescue.img');
    await store.getState().start();
    expect(calls.some((c) => c.method === 'media.make')).toBe(false);
  });

  it('the rescue menu follows the UI language until the user picks one', () => {
    const { store } = setup();
    expect(store.getState().lang).toBe('fr');
    store.getState().followUiLanguage('en');
    expect(store.getState().lang).toBe('en');
    store.getState().setLang('fr');
    store.getState().followUiLanguage('en');
    expect(store.getState().lang).toBe('fr');
  });
});

describe('media store: the job', () => {
  it('follows its own job and ends on Done with what was made', async () => {
    const { store, emit } = await ready();
    await store.getState().start();
    emit('job.progress', { jobId: 'media-1', kind: 'media', phase: 'backup.archive', bytes: 5, total: 10, speed: null, eta: null });
    emit('job.progress', { jobId: 'other', kind: 'media', phase: 'media.image', bytes: 0, total: null, speed: null, eta: null });
    expect(store.getState().progress?.phase).toBe('backup.archive');
    const backup = { path: '/media/usb/backup', id: 'x', archives: 1, parts: 2, bytesIn: 10, bytesOut: 5, seconds: 1, warnings: [] };
    const media = { kind: 'iso' as const, path: '/media/usb/backup-rescue.iso', bytes: 40, seconds: 2, manifestPath: '/m.json', missingTools: [], missingModules: [] };
    emit('job.done', { jobId: 'media-1', kind: 'media', ok: true, result: { kind: 'media', backup, media } });
    expect(store.getState().step).toEqual({ kind: 'done', outcome: 'done', backup, media, error: null });
  });

  it('says cancelled, keeping what the job reported as kept', async () => {
    const { store, emit, calls } = await ready();
    await store.getState().start();
    await store.getState().cancel();
    expect(calls.at(-1)).toEqual({ method: 'job.cancel', req: { jobId: 'media-1' } });
    emit('job.done', {
      jobId: 'media-1',
      kind: 'media',
      ok: false,
      error: { code: 'cancelled', params: {}, message: 'cancelled' },
      result: { kind: 'media', backup: null, media: null },
    });
    expect(store.getState().step).toMatchObject({ kind: 'done', outcome: 'cancelled', backup: null, media: null });
  });

  it('shows a refusal of media.make on the Rescue step', async () => {
    const fake = fakeTransport({
      'inventory.collect': (req) => inventory(req.root),
      'media.doctor': () => doctorOk,
      'media.make': () => {
        throw Object.assign(new Error('x'), { code: 'dest-not-empty', params: { path: '/srv/set' } });
      },
    });
    const store = createMediaStore(fake.transport, { lang: 'en' });
    await store.getState().loadInventory();
    store.getState().goToBackup();
    store.getState().setDest('/srv/set');
    store.getState().goToRescue();
    await store.getState().checkDoctor();
    await store.getState().start();
    expect(store.getState().step.kind).toBe('rescue');
    expect(store.getState().startError?.code).toBe('dest-not-empty');
  });

  it('ignores flash jobs', async () => {
    const { store, emit } = await ready();
    await store.getState().start();
    emit('job.done', { jobId: 'media-1', kind: 'flash', ok: false, error: { code: 'cancelled', params: {}, message: '' } });
    expect(store.getState().step.kind).toBe('running');
  });
});
