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
import { COMPRESSORS, MIN_SPLIT } from './backup-set';
import type { DoctorReport, InventoryView, MadeMedia, MadeSet, StickInfo } from './media-make';
import { FOLDER_SIZES_MAX_BUDGET_MS, type FolderSizes } from './folder-sizes';
import { COMPRESSION_ESTIMATE_MAX_BUDGET_MS, type CompressionEstimate } from './compression-estimate';
import type { FoundSet, RestoreRunResult, ReviewedPlan, SetSummary } from './restore-sets';
import { SIZE_MAX, SIZE_MIN, SIZES_MAX_COUNT } from './restore-sizes';
import { backupDestinationSchema, netDestTextSchema } from './net-dest';

/** What `rehearse` returns (engine/rehearse/rehearse.ts uses this type). */
export interface RehearseResult {
  ok: true;
  /** from starting the rescue machine to the end of its restore */
  restoreSeconds: number;
  /** from starting the restored machine to its login prompt */
  bootSeconds: number;
  totalSeconds: number;
  disks: number;
  /** the set was read from inside the ISO (otherwise from the set folder, as a virtual disk) */
  setEmbedded: boolean;
}

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

/** A restore's inputs: recorded disk → target device, both /dev paths. */
const restoreRequest = z
  .object({
    setDir: absPath,
    targets: z
      .record(devicePath, devicePath)
      .refine((t) => Object.keys(t).length >= 1 && Object.keys(t).length <= 16, { message: 'between 1 and 16 targets' }),
    /** new identities for the copy (partition table, partitions, filesystems) */
    clone: z.boolean(),
    /** loop devices count as disks only when the caller asked for them (tests, power users) */
    includeLoop: z.boolean().optional(),
    /**
     * recorded partition node → bytes the user chose (the sizes panel, `--size`); the helper
     * checks the node is a partition it creates, whose size may change, and that it fits
     */
    sizes: z
      .record(devicePath, z.number().int().min(SIZE_MIN).max(SIZE_MAX))
      .refine((s) => Object.keys(s).length <= SIZES_MAX_COUNT, { message: `at most ${SIZES_MAX_COUNT} sizes` })
      .optional(),
  })
  .strict();

/**
 * What "Make recovery media" sends: also the body of a profile file (see profile.ts).
 * The rescue medium is `kind` (absent: an ISO file) written to the field of that name;
 * `mediaOutputOf` (media-make.ts) checks that the two agree.
 */
export const mediaMakeRequest = z
  .object({
    root: absPath,
    /** a folder, or an NFS export / SMB share as text (nfs:SERVER:/PATH, cifs://SERVER/SHARE/PATH): no secret */
    dest: z.union([absPath, netDestTextSchema]),
    /**
     * The destination with what mounting it needs (an SMB share's user and password): the
     * only place the password travels. Its text must be `dest`; required for an SMB share.
     * Never saved in a profile, never logged.
     */
    destination: backupDestinationSchema.optional(),
    compress: z.enum(COMPRESSORS),
    level: z.number().int().min(0).max(22).optional(),
    /** bytes per part; at least 1 MiB, so a typo cannot make millions of parts */
    split: z.number().int().min(MIN_SPLIT).max(Number.MAX_SAFE_INTEGER).optional(),
    /** root-relative paths or patterns; one tar --exclude each, so no NUL or line breaks */
    excludes: z
      .array(z.string().min(1).max(1024).refine((p) => !/[\0\n\r]/.test(p), { message: 'no control characters' }))
      .max(256),
    defaultExcludes: z.boolean(),
    kind: z.enum(['iso', 'usb', 'pxe']).optional(),
    iso: absPath.optional(),
    /** a whole USB stick, erased; checked by the drive guard like a flash target */
    usb: devicePath.optional(),
    /** a folder for network-boot files */
    pxe: absPath.optional(),
    embed: z.boolean(),
    lang: z.enum(LANGUAGES),
    /** the kernel the rescue system boots (default: the running kernel's /boot file) */
    kernel: absPath.optional(),
    /** loop devices count as sticks only when the caller asked for them (tests, power users) */
    includeLoop: z.boolean().optional(),
    /** USB only: the data partition's filesystem (exFAT so that Windows machines can read the sets) */
    dataFs: z.enum(['ext4', 'exfat']).optional(),
    /** ISO only: bytes per disc; a set of ISOs where disc 1 boots and the others hold further parts */
    splitMedia: z.number().int().min(64 * 1024 * 1024).max(Number.MAX_SAFE_INTEGER).optional(),
    /** USB only: add the new set to a Lifeboat stick made before (nothing repartitioned), keeping the newest `keep` */
    again: z.boolean().optional(),
    keep: z.number().int().min(1).max(100).optional(),
  })
  .strict();

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
  /** reads the layout of the system mounted at `root` (in the helper: some devices need root) */
  'inventory.collect': z.object({ root: absPath }).strict(),
  /**
   * the size of each child folder of `dir` (inside `root`), for the exclusion tree; in the
   * helper (system folders are root's alone to read), the walk capped at `budgetMs`
   */
  'folders.sizes': z
    .object({ root: absPath, dir: absPath, budgetMs: z.number().int().min(0).max(FOLDER_SIZES_MAX_BUDGET_MS).optional() })
    .strict(),
  /**
   * each compressor's ratio and speed on a sample of the system at `root` read as the backup
   * would (same exclusions), for the compression choice; in the helper, capped at `budgetMs`
   */
  'compression.estimate': z
    .object({
      root: absPath,
      excludes: mediaMakeRequest.shape.excludes.optional(),
      defaultExcludes: z.boolean().optional(),
      budgetMs: z.number().int().min(1000).max(COMPRESSION_ESTIMATE_MAX_BUDGET_MS).optional(),
    })
    .strict(),
  'media.doctor': z.object({ media: z.enum(['iso', 'usb', 'pxe']), kernel: absPath.optional() }).strict(),
  /** backs up `root` into a new set at `dest`, then builds a rescue ISO at `iso` */
  'media.make': mediaMakeRequest,
  /** builds the rescue ISO alone, no backup (`lifeboat media --rescue-only`): the set is found at restore time */
  'media.rescueOnly': z.object({ iso: absPath, lang: z.enum(LANGUAGES), kernel: absPath.optional() }).strict(),
  /** read only: whether a stick is a Lifeboat stick, and the sets on it (for "backup again") */
  'media.stickInfo': z.object({ device: devicePath, includeLoop: z.boolean().optional() }).strict(),
  /** writes the wizard's choices (a media.make request) as a profile file, for the CLI's --profile */
  'profile.save': z.object({ path: absPath, request: mediaMakeRequest }).strict(),
  /** reads and validates a profile file; answers the request it holds */
  'profile.load': z.object({ path: absPath }).strict(),
  /** looks for backup sets under `dirs` (default: mounted filesystems, /media, /mnt, /run/media, home) */
  'restore.find': z.object({ dirs: z.array(absPath).min(1).max(32).optional() }).strict(),
  /** one set's summary: host, date, recorded disks and what each needs */
  'restore.inspect': z.object({ setDir: absPath }).strict(),
  /** compiles the plan for the chosen targets (in the helper: measuring disks needs root) */
  'restore.plan': restoreRequest,
  /** runs the plan reviewed for the same inputs; the targets are erased */
  'restore.start': restoreRequest,
  /** restores the set from its rescue ISO in a virtual machine, then boots the result */
  'rehearse.start': z.object({ setDir: absPath, media: absPath }).strict(),
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
  /** qemu-system-x86_64 is installed, so a restore can be rehearsed in a virtual machine */
  canRehearse: boolean;
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
  'inventory.collect': InventoryView;
  'folders.sizes': FolderSizes;
  'compression.estimate': CompressionEstimate;
  'media.doctor': DoctorReport;
  'media.make': { jobId: string };
  'media.rescueOnly': { jobId: string };
  'media.stickInfo': StickInfo;
  'profile.save': { path: string };
  'profile.load': { path: string; request: z.output<typeof mediaMakeRequest> };
  'restore.find': FoundSet[];
  'restore.inspect': SetSummary;
  'restore.plan': ReviewedPlan;
  'restore.start': { jobId: string };
  'rehearse.start': { jobId: string };
}

/** The result of a finished job, pushed as `job.done`. */
export type JobDone =
  | { jobId: string; kind: JobKind; ok: true; result: JobResultOf }
  | { jobId: string; kind: JobKind; ok: false; error: ErrorInfo; result?: JobResultOf };

/** Results by job kind; more kinds join as their journeys land. */
export type JobResultOf =
  | { kind: 'flash'; flash: FlashResult }
  /** what a media job made; a set stays when only the ISO failed or was cancelled */
  | { kind: 'media'; backup: MadeSet | null; media: MadeMedia | null }
  /** how far a restore got; on failure `stepsDone` says which step stopped it */
  | { kind: 'restore'; restore: RestoreRunResult }
  /** a rehearsal that reached the restored system's login prompt, and how long each boot took */
  | ({ kind: 'rehearse' } & RehearseResult);

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
