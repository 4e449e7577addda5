/**
 * The wire protocol between the unprivileged main process and the privileged helper.
 *
 * Newline-delimited JSON over the helper's stdin/stdout — no socket, so nothing else
 * on the machine can talk to a root process. Each request carries a numeric `id`
 * echoed by exactly one response; events (job progress, logs, completion) carry no
 * id. The helper parses every request against these schemas, whatever the main
 * process already checked: it trusts nobody above it.
 */
import { z } from 'zod';
import type { Drive } from './drive';
import type { ErrorInfo } from './errors';
import type { ImageInfo } from './image';
import type { InventoryView, StickInfo } from './media-make';
import type { FolderSizes } from './folder-sizes';
import type { CompressionEstimate } from './compression-estimate';
import type { ReviewedPlan } from './restore-sets';
import { requestSchemas, type Events } from './api';

/** Longest accepted request line; a longer one is refused before it is parsed. */
export const MAX_LINE_BYTES = 64 * 1024;

export const helperRequestSchemas = {
  'drives.list': requestSchemas['drives.list'],
  'image.inspect': requestSchemas['image.inspect'],
  'flash.start': requestSchemas['flash.start'],
  'job.cancel': requestSchemas['job.cancel'],
  'inventory.collect': requestSchemas['inventory.collect'],
  'folders.sizes': requestSchemas['folders.sizes'],
  'compression.estimate': requestSchemas['compression.estimate'],
  'media.make': requestSchemas['media.make'],
  'media.rescueOnly': requestSchemas['media.rescueOnly'],
  'media.stickInfo': requestSchemas['media.stickInfo'],
  'restore.plan': requestSchemas['restore.plan'],
  'restore.start': requestSchemas['restore.start'],
  'rehearse.start': requestSchemas['rehearse.start'],
  'helper.ping': z.object({}).strict(),
} as const;

export type HelperMethod = keyof typeof helperRequestSchemas;
export type HelperParams<M extends HelperMethod> = z.input<(typeof helperRequestSchemas)[M]>;

export interface HelperResults {
  'drives.list': Drive[];
  'image.inspect': ImageInfo;
  'flash.start': { jobId: string };
  'job.cancel': { cancelled: boolean };
  'inventory.collect': InventoryView;
  'folders.sizes': FolderSizes;
  'compression.estimate': CompressionEstimate;
  'media.make': { jobId: string };
  'media.rescueOnly': { jobId: string };
  'media.stickInfo': StickInfo;
  'restore.plan': ReviewedPlan;
  'restore.start': { jobId: string };
  'rehearse.start': { jobId: string };
  'helper.ping': { pid: number; uid: number };
}

export const HELPER_METHODS = Object.keys(helperRequestSchemas) as HelperMethod[];

export function isHelperMethod(value: unknown): value is HelperMethod {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(helperRequestSchemas, value);
}

/** The envelope of a request; `params` is checked against its method's schema afterwards. */
export const requestEnvelope = z
  .object({
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(64),
    params: z.record(z.unknown()).optional(),
  })
  .strict();

export interface HelperRequest<M extends HelperMethod = HelperMethod> {
  id: number;
  method: M;
  params: HelperParams<M>;
}

export type HelperResponse =
  | { id: number; result: unknown }
  /** `id` is null when the line could not be read far enough to know it */
  | { id: number | null; error: ErrorInfo };

export type HelperEventName = keyof Events;
export type HelperEvent = { [E in HelperEventName]: { event: E; payload: Events[E] } }[HelperEventName];

export type HelperMessage = HelperResponse | HelperEvent;

const errorInfoSchema = z.object({
  code: z.string(),
  params: z.record(z.union([z.string(), z.number()])),
  message: z.string(),
});

/** What the client accepts from the helper's stdout (it checks the helper too: a crash can print garbage). */
export const messageSchema = z.union([
  z.object({ id: z.number(), result: z.unknown() }).strict(),
  z.object({ id: z.number().nullable(), error: errorInfoSchema }).strict(),
  z.object({ event: z.enum(['job.progress', 'job.log', 'job.done']), payload: z.record(z.unknown()) }).strict(),
]);
