/**
 * The API behind the renderer, shared by the Electron main (IPC) and the browser host
 * (WebSocket): one handler per method of the contract in `src/shared/api.ts`.
 *
 * What needs no privilege runs here, as the user: settings, the file browser, image
 * inspection and the drive list (as Etcher does, so the password prompt appears only
 * when something is about to be written). Writing goes to the privileged helper,
 * started on first use; its events are forwarded to the renderer unchanged.
 */
import {
  isMethod,
  parseRequest,
  type AppInfo,
  type EventName,
  type Events,
  type Method,
  type Responses,
} from '../../shared/api';
import { LifeboatError } from '../../shared/errors';
import { languageFromLocale } from '../../shared/i18n';
import { listDrives } from '../engine/drives/scan';
import { inspectImage } from '../engine/image/inspect';
import { runDoctor } from '../engine/media/doctor';
import { hasQemu } from '../engine/rehearse/vm';
import { APP_VERSION } from '../version';
import { listFolder } from './files';
import { readProfile, writeProfile } from './profile';
import { requestFromProfile } from '../../shared/profile';
import { defaultFindRoots, findSets, inspectSet } from './restore-sets';
import { readSettings, settingsPath, writeSettings } from './settings';

/** What the service needs of the privileged helper (HelperClient satisfies it). */
export interface PrivilegedBackend {
  call(method: 'flash.start', params: Parameters<ApiHandlers['flash.start']>[0]): Promise<Responses['flash.start']>;
  call(method: 'job.cancel', params: { jobId: string }): Promise<Responses['job.cancel']>;
  call(method: 'inventory.collect', params: { root: string }): Promise<Responses['inventory.collect']>;
  call(method: 'folders.sizes', params: Parameters<ApiHandlers['folders.sizes']>[0]): Promise<Responses['folders.sizes']>;
  call(method: 'compression.estimate', params: Parameters<ApiHandlers['compression.estimate']>[0]): Promise<Responses['compression.estimate']>;
  call(method: 'media.make', params: Parameters<ApiHandlers['media.make']>[0]): Promise<Responses['media.make']>;
  call(method: 'media.rescueOnly', params: Parameters<ApiHandlers['media.rescueOnly']>[0]): Promise<Responses['media.rescueOnly']>;
  call(method: 'media.stickInfo', params: Parameters<ApiHandlers['media.stickInfo']>[0]): Promise<Responses['media.stickInfo']>;
  call(method: 'restore.plan', params: Parameters<ApiHandlers['restore.plan']>[0]): Promise<Responses['restore.plan']>;
  call(method: 'restore.start', params: Parameters<ApiHandlers['restore.start']>[0]): Promise<Responses['restore.start']>;
  call(method: 'rehearse.start', params: Parameters<ApiHandlers['rehearse.start']>[0]): Promise<Responses['rehearse.start']>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  close(): Promise<void>;
}

type ApiHandlers = { [M in Method]: (req: ReturnType<typeof parseRequest<M>>) => Promise<Responses[M]> };

export interface ApiServiceOptions {
  shell: AppInfo['shell'];
  /** starts (once) and returns the privileged helper */
  startBackend: () => Promise<PrivilegedBackend>;
  /** pushes an event to the renderer(s) */
  emit: <E extends EventName>(event: E, payload: Events[E]) => void;
  env?: NodeJS.ProcessEnv;
}

export interface ApiService {
  /** Validates and runs one call; throws LifeboatError (or RemoteError-shaped) on failure. */
  handle(method: unknown, req: unknown): Promise<unknown>;
  info: AppInfo;
  close(): Promise<void>;
}

export function systemLanguage(env: NodeJS.ProcessEnv): AppInfo['systemLanguage'] {
  // POSIX precedence: LC_ALL overrides LC_MESSAGES overrides LANG.
  return languageFromLocale(env.LC_ALL || env.LC_MESSAGES || env.LANG);
}

export function createApiService(opts: ApiServiceOptions): ApiService {
  const env = opts.env ?? process.env;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Loop devices stand in for USB sticks in tests; only a host started with this flag shows them.
  const showLoopDevices = env.LIFEBOAT_SHOW_LOOP === '1';
  const info: AppInfo = {
    version: APP_VERSION,
    isRoot,
    helperMode: isRoot ? 'direct' : 'pkexec',
    systemLanguage: systemLanguage(env),
    shell: opts.shell,
    showLoopDevices,
    // Looked up once: the Done screen offers a rehearsal only where one can run.
    canRehearse: hasQemu(),
  };
  const file = settingsPath(env);

  let backend: Promise<PrivilegedBackend> | null = null;
  const getBackend = (): Promise<PrivilegedBackend> => {
    if (!backend) {
      backend = opts.startBackend().then((b) => {
        for (const name of ['job.progress', 'job.log', 'job.done'] as const) {
          b.on(name, (payload) => opts.emit(name, payload as never));
        }
        return b;
      });
      // A failed start (password dialog dismissed) must not stick: the next click tries again.
      backend.catch(() => {
        backend = null;
      });
    }
    return backend;
  };

  const handlers: ApiHandlers = {
    'app.info': async () => info,
    'settings.get': async () => readSettings(file),
    'settings.set': async (req) => writeSettings({ ...readSettings(file), ...('language' in req ? { language: req.language ?? null } : {}) }, file),
    'files.list': async (req) => listFolder(req.dir, { showHidden: req.showHidden, home: env.HOME }),
    'drives.list': async (req) => listDrives({ includeLoop: showLoopDevices && req.includeLoop !== false, all: req.all }),
    'image.inspect': async (req) => inspectImage(req.path),
    'flash.start': async (req) => (await getBackend()).call('flash.start', { ...req, includeLoop: showLoopDevices && req.includeLoop !== false }),
    // Reading some devices (blkid -p, tune2fs) needs root, so the inventory runs in the helper.
    'inventory.collect': async (req) => (await getBackend()).call('inventory.collect', req),
    // System folders (/root, /var/lib/…) are root's alone to read: sizes come from the helper too.
    'folders.sizes': async (req) => (await getBackend()).call('folders.sizes', req),
    // Sampled from the same system folders as the sizes: in the helper, for the same reason.
    'compression.estimate': async (req) => (await getBackend()).call('compression.estimate', req),
    // The doctor only looks for programs and files: no privilege, no password prompt.
    'media.doctor': async (req) => runDoctor({ media: req.media, kernel: req.kernel }),
    // A stick is a flash target like any other: loop devices only when this host shows them.
    'media.make': async (req) =>
      (await getBackend()).call('media.make', { ...req, ...(req.kind === 'usb' ? { includeLoop: showLoopDevices && req.includeLoop !== false } : {}) }),
    // The ISO is written as root, like media.make's: same helper, same job events.
    'media.rescueOnly': async (req) => (await getBackend()).call('media.rescueOnly', req),
    // Reading a stick's data partition means mounting it: root's. Loop devices only when this host shows them.
    'media.stickInfo': async (req) => (await getBackend()).call('media.stickInfo', { ...req, includeLoop: showLoopDevices && req.includeLoop !== false }),
    // A profile is the user's own file: read and written as the user, no password prompt.
    'profile.save': async (req) => writeProfile(req.path, req.request),
    'profile.load': async (req) => ({ path: req.path, request: requestFromProfile(readProfile(req.path)) }),
    // Finding and reading sets needs no privilege: the password prompt waits for the disks.
    'restore.find': async (req) => findSets(req.dirs ?? defaultFindRoots(env.HOME)),
    'restore.inspect': async (req) => inspectSet(req.setDir),
    // Measuring targets and the drive guard need root; loop devices only when this host shows them.
    'restore.plan': async (req) => (await getBackend()).call('restore.plan', { ...req, includeLoop: showLoopDevices && req.includeLoop !== false }),
    'restore.start': async (req) => (await getBackend()).call('restore.start', { ...req, includeLoop: showLoopDevices && req.includeLoop !== false }),
    // In the helper, as the media job that wrote them: the set and the ISO may be root's alone to read.
    'rehearse.start': async (req) => (await getBackend()).call('rehearse.start', req),
    'job.cancel': async (req) => {
      if (!backend) return { cancelled: false };
      return (await getBackend()).call('job.cancel', req);
    },
  };

  return {
    info,
    async handle(method, req) {
      if (!isMethod(method)) throw new LifeboatError('unknown-method', { method: String(method).slice(0, 64) });
      const parsed = parseRequest(method, req);
      return (handlers[method] as (r: unknown) => Promise<unknown>)(parsed);
    },
    async close() {
      if (backend) await (await backend.catch(() => null))?.close();
    },
  };
}
