/**
 * The restore plan: the one description of a restore that every side shares.
 *
 * It is compiled once (src/main/engine/restore/compile.ts) from a backup set and the
 * chosen targets. The app executes its steps, the rescue system runs the very same
 * steps rendered as a POSIX sh script, and the UI shows them ("show the assembled
 * commands"). Validated with these schemas whenever it crosses a process boundary.
 */
import { z } from 'zod';

/** A translatable text: the i18n key (namespace `restore`) and its interpolation values. */
export const TextSchema = z.object({
  key: z.string(),
  params: z.record(z.union([z.string(), z.number()])).default({}),
});
export type Text = z.infer<typeof TextSchema>;

/**
 * What a step runs.
 * - an argv array: one program, no shell (the normal case);
 * - a pipeline: the input files concatenated into the first command, each command's
 *   stdout into the next (extraction: parts → decompressor → tar);
 * - `sh`: a shell snippet, only where a condition cannot be avoided (boot loader steps
 *   that depend on what the restored system holds).
 */
export const CommandSchema = z.union([
  z.array(z.string()).min(1),
  z.object({ pipeline: z.array(z.array(z.string()).min(1)).min(1), input: z.array(z.string()) }),
  z.object({ sh: z.string().min(1) }),
]);
export type Command = z.infer<typeof CommandSchema>;

export const PHASES = ['check', 'wipe', 'partition', 'format', 'mount', 'extract', 'configure', 'boot', 'finish'] as const;
export type Phase = (typeof PHASES)[number];

export const RestoreStepSchema = z.object({
  /** unique within the plan, stable, shell-safe ([a-z0-9._-]) */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  phase: z.enum(PHASES),
  title: TextSchema,
  argv: CommandSchema,
  /** text fed to the command's stdin (an sfdisk script, a checksum list) */
  stdin: z.string().optional(),
  /** exit codes that count as success (default [0]) */
  okExitCodes: z.array(z.number().int()).optional(),
  /** writes to a target: nothing destructive runs before every check passed */
  destructive: z.boolean(),
  /** relative cost, for progress: bytes for extraction, small constants otherwise */
  weight: z.number().nonnegative(),
  /** a directory this step mounts / unmounts, so a failed run can clean up what it mounted */
  mounts: z.string().optional(),
  unmounts: z.string().optional(),
  /**
   * Steps the app runs with its own code (typed errors, byte progress, cancellation);
   * the sh rendering runs `argv`, which does the same thing with standard tools.
   */
  native: z.enum(['verify-parts', 'check-target', 'check-lvm', 'check-md', 'extract']).optional(),
  /** for native steps: what they act on */
  archive: z.string().optional(),
  device: z.string().optional(),
  minBytes: z.number().int().nonnegative().optional(),
  /** verify-parts: every part with its recorded size and digest */
  parts: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() })).optional(),
  /** check-lvm: the volume groups and PV UUIDs the restore creates, and its whole-disk targets */
  lvm: z.object({ vgs: z.array(z.string()), pvUuids: z.array(z.string()), targets: z.array(z.string()) }).optional(),
  /** check-md: the MD arrays the restore creates (node and UUID), and its whole-disk targets */
  md: z.object({ arrays: z.array(z.object({ node: z.string(), uuid: z.string().optional() })), targets: z.array(z.string()) }).optional(),
});
export type RestoreStep = z.infer<typeof RestoreStepSchema>;

/** Where a recorded partition, filesystem or volume lands. */
export const MappingSchema = z.object({
  kind: z.enum(['disk', 'partition', 'md', 'lv']),
  source: z.string(),
  target: z.string(),
  /** bytes recorded / bytes planned */
  sourceBytes: z.number().int().nonnegative(),
  targetBytes: z.number().int().nonnegative(),
  /** whether the size was kept on purpose (ESP, BIOS boot, swap, small, overridden) */
  fixed: z.boolean().default(false),
  fsType: z.string().optional(),
  mountpoint: z.string().optional(),
  /** the identity the restored object gets (same as recorded, or new in clone mode) */
  uuid: z.string().optional(),
});
export type Mapping = z.infer<typeof MappingSchema>;

export const PlanTargetSchema = z.object({
  /** the recorded disk this target replaces */
  source: z.string(),
  device: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** the smallest size that holds the plan (used data + margin + fixed partitions) */
  neededBytes: z.number().int().nonnegative(),
});
export type PlanTarget = z.infer<typeof PlanTargetSchema>;

export const PlanWarningSchema = z.object({
  /** also the i18n key `restore:warnings.<code>` */
  code: z.string(),
  params: z.record(z.union([z.string(), z.number()])).default({}),
});
export type PlanWarning = z.infer<typeof PlanWarningSchema>;

export const RestorePlanSchema = z.object({
  setId: z.string(),
  setDir: z.string(),
  clone: z.boolean(),
  mountRoot: z.string(),
  targets: z.array(PlanTargetSchema),
  mapping: z.array(MappingSchema),
  steps: z.array(RestoreStepSchema),
  warnings: z.array(PlanWarningSchema),
});
export type RestorePlan = z.infer<typeof RestorePlanSchema>;
