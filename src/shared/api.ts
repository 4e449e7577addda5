/**
 * The one contract between the renderer and whatever serves it (Electron main through
 * the preload bridge, or the browser host over a WebSocket).
 *
 * `requestSchemas` lists every call with the zod schema of its request; `Responses`
 * gives each call's result type; `Events` lists what is pushed to the renderer. The
 * bridge, the IPC wiring, the host and the renderer client all derive their types
 * from here, so a call cannot exist on one side only.
 */
import { z } from 'zod';
import type { Drive } from './drive';
import type { ErrorInfo } from './errors';
import type { FlashResult, ImageInfo } from './image';
import type { JobKind, JobProgress } from './progress';

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Absolute paths only, bounded, no NUL: every path crossing a boundary is one of these. */
export const absPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.includes('\0'), { message: 'must be an absolute path' });

export const devicePath = z
  .string()
  .max(256)
  .regex(/^\/dev\/[A-Za-z0-9._\-/]+$/, 'must be a /dev path')
  .refine((p) => !p.includes('..'), { message: 'must not contain ..' });

export const requestSchemas = {
  'app.info': z.object({}).strict(),
  'settings.get': z.object({}).strict(),
  'settings.set': z.object({ language: z.enum(LANGUAGES).nullable().optional() }).strict(),
  'files.list': z.object({ dir: absPath.optional(), showHidden: z.boolean().optional() }).strict(),
  'drives.list': z
    .object({ includeLoop: z.boolean().optional(), all: z.boolean().optional() })
    .strict(),
  'image.inspect': z.object({ path: absPath }).strict(),
  'flash.start': z
    .object({
      image: absPath,
      targets: z.array(devicePath).min(1).max(16),
      verify: z.boolean(),
      /** loop devices count as sticks only when the caller asked for them (tests, power users) */
      includeLoop: z.boolean().optional(),
    })
    .strict(),
  'job.cancel': z.object({ jobId: z.string().min(1).max(128) }).strict(),
} as const;

export type Method = keyof typeof requestSchemas;
export type RequestOf<M extends Method> = z.input<(typeof requestSchemas)[M]>;

export interface AppInfo {
  version: string;
  isRoot: boolean;
  /** how privileged work runs: directly (already root) or through pkexec */
  helperMode: 'direct' | 'pkexec';
  /** the OS locale's language, used when the user has not chosen one */
  systemLanguage: Language;
  /** 'electron' or 'browser' (the browser host) */
  shell: 'electron' | 'browser';
  /** loop devices are offered as targets (a host started for tests, or a power user's choice) */
  showLoopDevices: boolean;
}

export interface Settings {
  language: Language | null;
}

export interface FileEntry {
  name: string;
  path: string;
  kind: 'file' | 'dir';
  size: number;
}

export interface FileListing {
  dir: string;
  parent: string | null;
  entries: FileEntry[];
}

export interface Responses {
  'app.info': AppInfo;
  'settings.get': Settings;
  'settings.set': Settings;
  'files.list': FileListing;
  'drives.list': Drive[];
  'image.inspect': ImageInfo;
  'flash.start': { jobId: string };
  'job.cancel': { cancelled: boolean };
}

/** The result of a finished job, pushed as `job.done`. */
export type JobDone =
  | { jobId: string; kind: JobKind; ok: true; result: JobResultOf }
  | { jobId: string; kind: JobKind; ok: false; error: ErrorInfo; result?: JobResultOf };

/** Results by job kind; more kinds join as their journeys land. */
export type JobResultOf = { kind: 'flash'; flash: FlashResult };

export interface Events {
  'job.progress': JobProgress;
  'job.log': { jobId: string; line: string };
  'job.done': JobDone;
}
export type EventName = keyof Events;

/** The API as the renderer sees it: one async function per method. */
export type Api = { [M in Method]: (req: RequestOf<M>) => Promise<Responses[M]> };

/** What a transport (preload bridge, WebSocket client) gives the renderer. */
export interface Transport {
  invoke<M extends Method>(method: M, req: RequestOf<M>): Promise<Responses[M]>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

export const METHODS = Object.keys(requestSchemas) as Method[];
export const EVENT_NAMES: EventName[] = ['job.progress', 'job.log', 'job.done'];

/** Parses a request against its schema; throws an `invalid-request` ErrorInfo-shaped error. */
export function parseRequest<M extends Method>(method: M, req: unknown): z.output<(typeof requestSchemas)[M]> {
  const schema = requestSchemas[method];
  const res = schema.safeParse(req ?? {});
  if (!res.success) {
    const issue = res.error.issues[0];
    throw Object.assign(new Error(`invalid request for ${method}: ${issue?.path.join('.')} ${issue?.message}`), {
      code: 'invalid-request' as const,
      params: { method, field: issue?.path.join('.') ?? '', reason: issue?.message ?? '' },
    });
  }
  return res.data as z.output<(typeof requestSchemas)[M]>;
}

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, value);
}

/** Marks a remote failure so callers can read its ErrorInfo. */
export class RemoteError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'RemoteError';
  }
}
