import { describe, expect, it } from 'vitest';
import type { RequestOf } from '../../shared/api';
import type { Layout } from '../../shared/layout';
import type { DoctorReport, InventoryView, StickInfo, StickSet } from '../../shared/media-make';
import { fakeTransport } from '../test-util/fake-transport';
import { testDrive } from '../test-util/drive';
import type { MediaMakeRequest } from '../../shared/profile';
import { createMediaStore, isoPath, makeRequest, profilePathOf, reviewProblem, splitBytes, splitChoiceOf, tidyPath } from './store';
import { discChoiceOf, isAgain, needsStickConfirm, rescueOnlyRequest, rescueProblem, setsToRemove, sourceProblem, stateOfRequest } from './store';
import { commandText, rescueOnlyText } from '../../shared/profile';
import { absoluteOf, folderExclusion, sizeEstimate } from './store';
import type { FolderSizes } from '../../shared/folder-sizes';

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
      split: 4480 * 1024 ** 2,
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

  it('shows a refusal of media.make on the Review step', async () => {
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
    store.getState().goToReview();
    await store.getState().start();
    expect(store.getState().step.kind).toBe('review');
    expect(store.getState().startError?.code).toBe('dest-not-empty');
  });

  it('ignores flash jobs', async () => {
    const { store, emit } = await ready();
    await store.getState().start();
    emit('job.done', { jobId: 'media-1', kind: 'flash', ok: false, error: { code: 'cancelled', params: {}, message: '' } });
    expect(store.getState().step.kind).toBe('running');
  });
});

describe('media store: review and profiles', () => {
  it('reaches Review only when every step is ready', async () => {
    let report = doctorNoKernel;
    const t = setup(() => report);
    const a = t.store.getState();
    await a.loadInventory();
    a.goToBackup();
    a.setDest('/srv/set');
    a.goToRescue();
    await t.store.getState().checkDoctor();
    t.store.getState().goToReview();
    expect(t.store.getState().step.kind).toBe('rescue');
    report = doctorOk;
    await t.store.getState().checkDoctor();
    t.store.getState().setIso('/srv/set/inside.iso');
    t.store.getState().goToReview();
    expect(t.store.getState().step.kind).toBe('rescue');
    t.store.getState().setIso('');
    t.store.getState().goToReview();
    expect(t.store.getState().step.kind).toBe('review');
  });

  it('saves the request Start would send, beside the set unless told otherwise', async () => {
    const fake = fakeTransport({
      'inventory.collect': (req) => inventory(req.root),
      'media.doctor': () => doctorOk,
      'profile.save': (req) => ({ path: req.path }),
    });
    const store = createMediaStore(fake.transport, { lang: 'en' });
    await store.getState().loadInventory();
    store.getState().goToBackup();
    store.getState().setDest('/srv/set');
    store.getState().addExclude('*.iso');
    store.getState().goToRescue();
    await store.getState().checkDoctor();
    store.getState().goToReview();
    expect(profilePathOf(store.getState())).toBe('/srv/set-profile.json');
    await store.getState().saveProfile();
    expect(fake.calls.at(-1)).toEqual({ method: 'profile.save', req: { path: '/srv/set-profile.json', request: makeRequest(store.getState()) } });
    expect(store.getState().profileDone).toEqual({ action: 'saved', path: '/srv/set-profile.json' });
  });

  it('maps part sizes back to the choice that sends them', () => {
    for (const choice of ['none', 'cd', 'dvd', 'fat32', '1g'] as const) {
      const bytes = splitBytes({ split: choice, customSplit: '' })!;
      expect(splitChoiceOf(bytes)).toEqual({ split: choice, customSplit: '' });
    }
    expect(splitChoiceOf(3 * 1024 ** 2)).toEqual({ split: 'custom', customSplit: String(3 * 1024 ** 2) });
    expect(splitBytes(splitChoiceOf(3 * 1024 ** 2))).toBe(3 * 1024 ** 2);
  });

  it('loads a profile: reads its root again, restores every choice, checks its kernel', async () => {
    const saved: MediaMakeRequest = {
      root: '/mnt/other',
      dest: '/media/ext/nightly',
      compress: 'gzip',
      level: 2,
      split: 5 * 1024 ** 2,
      // /tmp/* dropped from the defaults, plus one pattern of the user's own
      excludes: ['/proc/*', '/lost+found/*', '*.vdi'],
      defaultExcludes: false,
      iso: '/media/ext/nightly-rescue.iso',
      embed: false,
      lang: 'en',
      kernel: '/boot/vmlinuz-6.1',
    };
    const fake = fakeTransport({
      'inventory.collect': (req) => inventory(req.root),
      'media.doctor': () => doctorOk,
      'profile.load': (req) => ({ path: req.path, request: saved }),
    });
    const store = createMediaStore(fake.transport, { lang: 'fr' });
    await store.getState().loadInventory();
    store.getState().setProfilePath('/home/me/nightly.json');
    await store.getState().loadProfile();
    const s = store.getState();
    expect(fake.calls.map((c) => c.method)).toEqual(['inventory.collect', 'profile.load', 'inventory.collect', 'media.doctor']);
    expect(fake.calls[2].req).toEqual({ root: '/mnt/other' });
    expect(fake.calls[3].req).toEqual({ media: 'iso', kernel: '/boot/vmlinuz-6.1' });
    expect(s).toMatchObject({ source: 'other', otherRoot: '/mnt/other', removedDefaults: ['/tmp/*'], excludes: ['*.vdi'], split: 'custom', iso: '', lang: 'en', langTouched: true });
    expect(s.profileDone).toEqual({ action: 'loaded', path: '/home/me/nightly.json' });
    // What Start would send now is what was saved.
    expect(makeRequest(s)).toEqual(saved);
  });

  it('says why a profile could not be loaded, and changes nothing', async () => {
    const fake = fakeTransport({
      'inventory.collect': (req) => inventory(req.root),
      'profile.load': () => {
        throw Object.assign(new Error('x'), { code: 'profile-version', params: { path: '/p.json', version: '2' } });
      },
    });
    const store = createMediaStore(fake.transport, { lang: 'en' });
    store.getState().setDest('/srv/set');
    store.getState().setProfilePath('/p.json');
    await store.getState().loadProfile();
    expect(store.getState().profileError?.code).toBe('profile-version');
    expect(store.getState().dest).toBe('/srv/set');
    expect(store.getState().profileBusy).toBe(false);
  });
});

const tick = () => new Promise((r) => setTimeout(r, 0));

/** What the helper says of a stick: /dev/sde is a Lifeboat stick with three sets, the others are not. */
const stickSets: StickSet[] = [
  { dir: 'lifeboat', id: 'host-2026-09-01', created: '2026-09-01T10:00:00Z', bytes: 3e9 },
  { dir: 'sets/host-2026-11-01', id: 'host-2026-11-01', created: '2026-11-01T10:00:00Z', bytes: 3.2e9 },
  { dir: 'sets/host-2026-10-01', id: 'host-2026-10-01', created: '2026-10-01T10:00:00Z', bytes: 3.1e9 },
];
function stickAnswer(device: string): StickInfo {
  return device === '/dev/sde' ? { device, lifeboat: true, sets: stickSets, freeBytes: 20e9 } : { device, lifeboat: false, reason: 'not a Lifeboat rescue stick (partitions: none)' };
}

const stick = testDrive('/dev/sdc', { description: 'SanDisk Ultra', size: 16e9, usb: true, removable: true });
const system = testDrive('/dev/sda', { size: 500e9, systemReasons: ['root'] });
const readOnly = testDrive('/dev/sdd', { size: 8e9, readOnly: true });
const lifeboatStick = testDrive('/dev/sde', { description: 'Kingston DataTraveler', size: 32e9, usb: true, removable: true });

async function at(kind: 'usb' | 'pxe') {
  const doctors: Array<RequestOf<'media.doctor'>> = [];
  const scan = { drives: [system, stick, readOnly, lifeboatStick] };
  const fake = fakeTransport({
    'inventory.collect': (req) => inventory(req.root),
    'media.doctor': (req) => (doctors.push(req), { ...doctorOk, media: req.media }),
    'drives.list': () => scan.drives,
    'media.make': () => ({ jobId: 'media-1' }),
    'media.stickInfo': (req) => stickAnswer(req.device),
  });
  const store = createMediaStore(fake.transport, { lang: 'en' });
  await store.getState().loadInventory();
  store.getState().goToBackup();
  store.getState().setDest('/srv/set');
  store.getState().goToRescue();
  await store.getState().checkDoctor();
  store.getState().setMediaKind(kind);
  await tick();
  return { store, fake, doctors, scan };
}

describe('media store: where the rescue system goes', () => {

  it('a stick: only non-system, writable drives are offered; the doctor checks for a stick', async () => {
    const { store, doctors } = await at('usb');
    expect(doctors.at(-1)).toEqual({ media: 'usb' });
    expect(store.getState().drives?.map((d) => d.device)).toEqual(['/dev/sda', '/dev/sdc', '/dev/sdd', '/dev/sde']);
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('rescue');
    // A system drive cannot be chosen even if asked for by name.
    store.getState().setUsbDevice('/dev/sda');
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('rescue');
    store.getState().setUsbDevice('/dev/sdc');
    // Whether it is a Lifeboat stick is read first: it decides what is offered.
    expect(rescueProblem(store.getState())).toBe('stickReading');
    await tick();
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('review');
    expect(makeRequest(store.getState())).toMatchObject({ kind: 'usb', usb: '/dev/sdc', embed: true, dataFs: 'ext4' });
    expect(makeRequest(store.getState())).not.toHaveProperty('iso');
  });

  it('a stick is erased only after the user confirmed it, and a new choice asks again', async () => {
    const { store, fake } = await at('usb');
    store.getState().setUsbDevice('/dev/sdc');
    await tick();
    store.getState().goToReview();
    expect(reviewProblem(store.getState())).toBe('usbNotConfirmed');
    await store.getState().start();
    expect(fake.calls.some((c) => c.method === 'media.make')).toBe(false);
    store.getState().setUsbConfirmed(true);
    expect(reviewProblem(store.getState())).toBeNull();
    store.getState().setUsbDevice('/dev/sdc');
    expect(store.getState().usbConfirmed).toBe(false);
    store.getState().setUsbConfirmed(true);
    await store.getState().start();
    expect(fake.calls.find((c) => c.method === 'media.make')?.req).toMatchObject({ kind: 'usb', usb: '/dev/sdc' });
  });

  it('a stick that went away between two scans is no longer chosen', async () => {
    const { store, scan } = await at('usb');
    store.getState().setUsbDevice('/dev/sdc');
    store.getState().setUsbConfirmed(true);
    scan.drives = [system];
    await store.getState().loadDrives();
    expect(store.getState()).toMatchObject({ usbDevice: '', usbConfirmed: false });
    expect(reviewProblem(store.getState())).toBe('usbRequired');
  });

  it('network boot files: a folder beside the set by default, never a set inside them', async () => {
    const { store, doctors } = await at('pxe');
    expect(doctors.at(-1)).toEqual({ media: 'pxe' });
    expect(makeRequest(store.getState())).toMatchObject({ kind: 'pxe', pxe: '/srv/set-pxe', embed: false });
    store.getState().setPxe('/srv');
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('rescue');
    store.getState().setPxe('/srv/set/pxe');
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('rescue');
    store.getState().setPxe('/tftp/lifeboat');
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('review');
    expect(reviewProblem(store.getState())).toBeNull();
  });

  it('a profile for a stick brings the kind back, and the user picks the stick again', async () => {
    const saved: MediaMakeRequest = { root: '/', dest: '/srv/set', compress: 'zstd', excludes: [], defaultExcludes: true, kind: 'usb', embed: true, lang: 'en' };
    const fake = fakeTransport({
      'inventory.collect': (req) => inventory(req.root),
      'media.doctor': (req) => ({ ...doctorOk, media: req.media }),
      'drives.list': () => [system, stick],
      'profile.load': (req) => ({ path: req.path, request: saved }),
    });
    const store = createMediaStore(fake.transport, { lang: 'en' });
    store.getState().setProfilePath('/p.json');
    await store.getState().loadProfile();
    expect(store.getState()).toMatchObject({ mediaKind: 'usb', usbDevice: '', usbConfirmed: false });
    expect(fake.calls.map((c) => c.method)).toEqual(['profile.load', 'inventory.collect', 'media.doctor', 'drives.list']);
    expect(fake.calls[2].req).toEqual({ media: 'usb' });
    expect(reviewProblem(store.getState())).toBe('usbRequired');
  });
});

describe('media store: the folder tree and the size estimate', () => {
  const level = (dir: string, files: number, children: [string, number, { capped?: boolean; mountpoint?: boolean }?][]): FolderSizes => ({
    root: '/mnt/sys',
    dir,
    files,
    children: children.map(([name, size, o]) => ({ name, size, capped: o?.capped ?? false, mountpoint: o?.mountpoint ?? false })),
  });
  const tree: Record<string, FolderSizes> = {
    '/mnt/sys': level('/mnt/sys', 100, [['home', 5000], ['proc', 9e12, { mountpoint: true }], ['srv', 20_000], ['tmp', 300], ['var', 700, { capped: true }]]),
    '/mnt/sys/home': level('/mnt/sys/home', 0, [['alice', 4000], ['bob', 1200]]),
    '/mnt/sys/home/alice': level('/mnt/sys/home/alice', 3000, [['.cache', 1000]]),
    '/mnt/sys/home/bob': level('/mnt/sys/home/bob', 1200, []),
    '/mnt/sys/srv': level('/mnt/sys/srv', 20_000, []),
  };

  async function onBackup(sizes: (req: RequestOf<'folders.sizes'>) => FolderSizes | Promise<FolderSizes> = (req) => tree[req.dir]) {
    const fake = fakeTransport({
      'inventory.collect': (req) => ({ ...inventory(req.root), defaultExcludes: ['/proc/*', '/tmp/*', '/home/*/.cache/*'] }),
      'folders.sizes': sizes,
    });
    const store = createMediaStore(fake.transport, { lang: 'en' });
    store.getState().chooseSource('other');
    store.getState().setOtherRoot('/mnt/sys');
    await store.getState().loadInventory();
    store.getState().goToBackup();
    await settle();
    return { store, ...fake };
  }
  // Each level read may ask for the next ones the rules need: a few turns settle them all.
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  };

  it('reads the root level on the backup step, and a folder when it is opened, by absolute path', async () => {
    expect(absoluteOf('/', '/')).toBe('/');
    expect(absoluteOf('/', '/var')).toBe('/var');
    expect(absoluteOf('/mnt/sys', '/')).toBe('/mnt/sys');
    expect(absoluteOf('/mnt/sys', '/home/alice')).toBe('/mnt/sys/home/alice');
    const { store, calls } = await onBackup();
    const dirs = () => calls.filter((c) => c.method === 'folders.sizes').map((c) => (c.req as { dir: string }).dir);
    // The root, then what /home/*/.cache/* needs to be seen: /home and each user's folder.
    expect(calls.find((c) => c.method === 'folders.sizes')?.req).toEqual({ root: '/mnt/sys', dir: '/mnt/sys' });
    expect(dirs()).toEqual(['/mnt/sys', '/mnt/sys/home', '/mnt/sys/home/alice', '/mnt/sys/home/bob']);
    expect(store.getState().expanded).toEqual([]);
    store.getState().toggleFolder('/srv');
    await settle();
    expect(store.getState().expanded).toEqual(['/srv']);
    expect(dirs().at(-1)).toBe('/mnt/sys/srv');
    // Opened, closed and opened again, or already read for the rules: not asked again.
    store.getState().toggleFolder('/srv');
    store.getState().toggleFolder('/srv');
    store.getState().toggleFolder('/home');
    expect(store.getState().folders['/home']).toMatchObject({ status: 'loaded', children: [{ name: 'alice' }, { name: 'bob' }] });
    expect(dirs()).toHaveLength(5);
    // A pattern typed for a folder deeper down: its parents are measured for the estimate.
    store.getState().addExclude('/var/log/journal/*');
    expect(dirs().at(-1)).toBe('/mnt/sys/var');
  });

  it('a ticked folder is one of the user’s patterns, sent as such; unticking takes it back', async () => {
    const { store } = await onBackup();
    store.getState().toggleFolderExclude('/srv');
    expect(store.getState().excludes).toEqual(['/srv/*']);
    expect(folderExclusion(store.getState(), '/srv')).toEqual({ by: 'ticked', pattern: '/srv/*' });
    store.getState().setDest('/media/usb/set');
    expect(makeRequest(store.getState())).toMatchObject({ defaultExcludes: true, excludes: ['/srv/*'] });
    // A pattern typed by hand for the same folder is the same box.
    store.getState().toggleFolderExclude('/srv');
    expect(store.getState().excludes).toEqual([]);
    store.getState().addExclude('/srv/*');
    expect(folderExclusion(store.getState(), '/srv')?.by).toBe('ticked');
  });

  it('shows the folders the default chips leave out, and follows the chips', async () => {
    const { store } = await onBackup();
    expect(folderExclusion(store.getState(), '/tmp')).toEqual({ by: 'default', pattern: '/tmp/*' });
    expect(folderExclusion(store.getState(), '/home/alice/.cache')).toEqual({ by: 'default', pattern: '/home/*/.cache/*' });
    expect(folderExclusion(store.getState(), '/home/alice')).toBeNull();
    store.getState().toggleDefaultExclude('/tmp/*');
    expect(folderExclusion(store.getState(), '/tmp')).toBeNull();
    // Another filesystem the backup does not take (/proc here) is never counted.
    expect(folderExclusion(store.getState(), '/proc', true)).toEqual({ by: 'default', pattern: '/proc/*' });
    store.getState().toggleDefaultExclude('/proc/*');
    expect(folderExclusion(store.getState(), '/proc', true)).toEqual({ by: 'otherFs' });
    store.getState().addExclude('/srv');
    expect(folderExclusion(store.getState(), '/srv')).toEqual({ by: 'pattern', pattern: '/srv' });
  });

  it('estimates the size left: the root less what is left out, opened folders by their own level', async () => {
    // Before the rules' folders are read, /home counts whole.
    let answer: (() => void)[] = [];
    const slow = await onBackup((req) => (req.dir === '/mnt/sys' ? tree[req.dir] : new Promise((r) => answer.push(() => r(tree[req.dir])))));
    expect(sizeEstimate(slow.store.getState())).toEqual({ bytes: 100 + 5000 + 20_000 + 700, excluded: 300, atLeast: true, measuring: true });
    while (answer.length) {
      const now = answer;
      answer = [];
      now.forEach((a) => a());
      await settle();
    }
    const { store } = slow;
    // files 100 + alice 3000 (her cache left out by default) + bob 1200 + srv 20 000 + var 700 (capped);
    // /tmp left out by default, /proc another filesystem.
    expect(sizeEstimate(store.getState())).toEqual({ bytes: 25_000, excluded: 1300, atLeast: true, measuring: false });
    store.getState().toggleFolderExclude('/srv');
    expect(sizeEstimate(store.getState())).toMatchObject({ bytes: 5000, excluded: 21_300 });
    store.getState().toggleDefaultExclude('/tmp/*');
    store.getState().toggleDefaultExclude('/home/*/.cache/*');
    expect(sizeEstimate(store.getState())).toMatchObject({ bytes: 6300, excluded: 20_000 });
    // A ticked folder takes its whole subtree out, whatever was read below it.
    store.getState().toggleFolderExclude('/home');
    expect(sizeEstimate(store.getState())).toEqual({ bytes: 100 + 700 + 300, excluded: 20_000 + 5000, atLeast: true, measuring: false });
    store.getState().toggleFolderExclude('/var');
    expect(sizeEstimate(store.getState())?.atLeast).toBe(false);
  });

  it('says nothing before the root is measured, keeps an error to retry, and drops the answer of a root left behind', async () => {
    let fail = true;
    const { store, calls } = await onBackup((req) => {
      if (fail) throw Object.assign(new Error('boom'), { code: 'internal', params: {} });
      return tree[req.dir];
    });
    expect(store.getState().folders['/']).toMatchObject({ status: 'error' });
    expect(sizeEstimate(store.getState())).toBeNull();
    fail = false;
    store.getState().toggleFolder('/home');
    await settle();
    expect(store.getState().folders['/home']?.status).toBe('loaded');
    // A slow answer for /mnt/sys arriving after the user chose another root is dropped.
    let release: () => void = () => undefined;
    const slow = await onBackup((req) => new Promise((r) => (release = () => r(tree[req.dir]))));
    void calls;
    slow.store.getState().setOtherRoot('/mnt/other');
    await slow.store.getState().loadInventory();
    expect(slow.store.getState().folders).toEqual({});
    release();
    await settle();
    expect(slow.store.getState().folders).toEqual({});
  });
});

describe('media store: the rescue system only', () => {
  it('skips the system and the backup, builds an ISO through media.rescueOnly, and shows that one command', async () => {
    const fake = fakeTransport({
      'media.doctor': (req) => ({ ...doctorOk, media: req.media }),
      'media.rescueOnly': () => ({ jobId: 'media-7' }),
    });
    const store = createMediaStore(fake.transport, { lang: 'fr' });
    store.getState().setMediaKind('usb');
    await tick();
    store.getState().setRescueOnly(true);
    // No system to read: the Source step lets the user go on at once, straight to the rescue step.
    expect(sourceProblem(store.getState())).toBeNull();
    store.getState().goToRescue();
    expect(store.getState().step.kind).toBe('rescue');
    // Only an ISO (`--rescue-only --iso`), and its path must be typed: there is no set to put it beside.
    expect(store.getState().mediaKind).toBe('iso');
    expect(rescueProblem(store.getState())).toBe('isoRequired');
    await store.getState().checkDoctor();
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('rescue');
    store.getState().setIso('/srv/rescue//lifeboat.iso');
    store.getState().setKernel('/boot/vmlinuz-6.1');
    store.getState().goToReview();
    expect(store.getState().step.kind).toBe('review');
    expect(reviewProblem(store.getState())).toBeNull();
    expect(rescueOnlyRequest(store.getState())).toEqual({ iso: '/srv/rescue/lifeboat.iso', lang: 'fr', kernel: '/boot/vmlinuz-6.1' });
    expect(rescueOnlyText(rescueOnlyRequest(store.getState()))).toBe('lifeboat media --rescue-only --iso /srv/rescue/lifeboat.iso --lang fr --kernel /boot/vmlinuz-6.1');
    await store.getState().start();
    expect(fake.calls.filter((c) => c.method.startsWith('media.') && c.method !== 'media.doctor')).toEqual([
      { method: 'media.rescueOnly', req: { iso: '/srv/rescue/lifeboat.iso', lang: 'fr', kernel: '/boot/vmlinuz-6.1' } },
    ]);
    expect(store.getState().step).toEqual({ kind: 'running', jobId: 'media-7' });
  });
});

describe('media store: disc sets, the stick’s filesystem, backup again', () => {
  it('an ISO as CD- or DVD-size discs sends their real capacity, only with the set inside', async () => {
    const { store } = await ready();
    expect(makeRequest(store.getState())).not.toHaveProperty('splitMedia');
    store.getState().setDiscs('cd');
    // 360,000 sectors of 2048 bytes: a CD-R of 80 minutes, as the engine plans discs.
    expect(makeRequest(store.getState()).splitMedia).toBe(737_280_000);
    expect(commandText(makeRequest(store.getState()))).toContain('--split-media cd');
    store.getState().setDiscs('dvd');
    expect(makeRequest(store.getState()).splitMedia).toBe(2_295_104 * 2048);
    expect(commandText(makeRequest(store.getState()))).toContain('--split-media dvd');
    // Discs carry the set: without it inside, one ISO whatever the choice said.
    store.getState().setEmbed(false);
    expect(makeRequest(store.getState())).not.toHaveProperty('splitMedia');
    store.getState().setEmbed(true);
    // A profile read back shows the same choice.
    expect(discChoiceOf(makeRequest(store.getState()).splitMedia)).toEqual({ discs: 'dvd', customDiscs: '' });
    expect(stateOfRequest(makeRequest(store.getState()), []).discs).toBe('dvd');
    // Another size, as `--split-media SIZE` takes: at least 64 MiB (the request refuses less).
    store.getState().setDiscs('custom');
    store.getState().setCustomDiscs('63M');
    expect(rescueProblem(store.getState())).toBe('discsInvalid');
    store.getState().setCustomDiscs('100M');
    expect(rescueProblem(store.getState())).toBeNull();
    expect(makeRequest(store.getState()).splitMedia).toBe(100 * 2 ** 20);
    expect(commandText(makeRequest(store.getState()))).toContain('--split-media 100M');
    expect(discChoiceOf(100 * 2 ** 20)).toEqual({ discs: 'custom', customDiscs: '100M' });
    expect(discChoiceOf(undefined)).toEqual({ discs: 'one', customDiscs: '' });
  });

  it('a stick made afresh names its data filesystem: exFAT goes on the command line', async () => {
    const { store } = await at('usb');
    store.getState().setUsbDevice('/dev/sdc');
    await tick();
    expect(store.getState().usbMode).toBe('erase');
    store.getState().setDataFs('exfat');
    const req = makeRequest(store.getState());
    expect(req).toMatchObject({ kind: 'usb', usb: '/dev/sdc', dataFs: 'exfat' });
    expect(req).not.toHaveProperty('again');
    expect(commandText(req)).toMatch(/--usb \/dev\/sdc \\\n {2}--embed \\\n {2}--lang en \\\n {2}--data-fs exfat$/);
    expect(needsStickConfirm(store.getState())).toBe(true);
  });

  it('a Lifeboat stick: adding a set is offered first; the sets beyond `keep` are named and must be confirmed', async () => {
    const { store, fake } = await at('usb');
    store.getState().setKernel('/boot/vmlinuz-other');
    store.getState().setUsbDevice('/dev/sde');
    await tick();
    expect(fake.calls.find((c) => c.method === 'media.stickInfo')?.req).toEqual({ device: '/dev/sde' });
    expect(store.getState()).toMatchObject({ usbMode: 'again', keep: 3 });
    expect(isAgain(store.getState())).toBe(true);
    // Keeping 3 with the new one: the oldest of the three goes.
    expect(setsToRemove(store.getState()).map((x) => x.id)).toEqual(['host-2026-09-01']);
    store.getState().setKeep(2);
    expect(setsToRemove(store.getState()).map((x) => x.id)).toEqual(['host-2026-09-01', 'host-2026-10-01']);
    store.getState().goToReview();
    expect(reviewProblem(store.getState())).toBe('usbNotConfirmed');
    // Nothing of the rescue system is rebuilt: no kernel, no filesystem; the set is on the stick.
    const req = makeRequest(store.getState());
    expect(req).toMatchObject({ kind: 'usb', usb: '/dev/sde', again: true, keep: 2, embed: true });
    expect(req).not.toHaveProperty('kernel');
    expect(req).not.toHaveProperty('dataFs');
    expect(commandText(req).split(' &&\n')[1]).toBe(['lifeboat media \\', '  --set /srv/set \\', '  --usb /dev/sde \\', '  --again \\', '  --keep 2'].join('\n'));
    store.getState().setUsbConfirmed(true);
    await store.getState().start();
    expect(fake.calls.find((c) => c.method === 'media.make')?.req).toMatchObject({ again: true, keep: 2 });
  });

  it('adding a set builds no rescue system: a doctor that misses build tools does not block it, but does block erasing the stick', async () => {
    const { store } = await at('usb');
    store.getState().setUsbDevice('/dev/sde');
    await tick();
    expect(isAgain(store.getState())).toBe(true);
    store.setState({ doctor: { ok: false, media: 'usb', items: [], missingModules: [] } });
    expect(rescueProblem(store.getState())).toBeNull();
    store.getState().setUsbMode('erase');
    expect(rescueProblem(store.getState())).toBe('doctorMissing');
  });

  it('keeping every set asks nothing; erasing the Lifeboat stick instead asks again and names a filesystem', async () => {
    const { store } = await at('usb');
    store.getState().setUsbDevice('/dev/sde');
    await tick();
    store.getState().setKeep(4);
    expect(setsToRemove(store.getState())).toEqual([]);
    expect(needsStickConfirm(store.getState())).toBe(false);
    store.getState().goToReview();
    expect(reviewProblem(store.getState())).toBeNull();
    store.getState().setKeep(0);
    expect(store.getState().keep).toBe(4);
    store.getState().setUsbMode('erase');
    expect(isAgain(store.getState())).toBe(false);
    expect(reviewProblem(store.getState())).toBe('usbNotConfirmed');
    expect(makeRequest(store.getState())).toMatchObject({ dataFs: 'ext4' });
    expect(makeRequest(store.getState())).not.toHaveProperty('again');
    // Another stick: what was read of the first one no longer counts.
    store.getState().setUsbDevice('/dev/sdc');
    expect(store.getState().stick).toBeNull();
    await tick();
    expect(store.getState()).toMatchObject({ usbMode: 'erase', stick: { lifeboat: false } });
  });
});
