/**
 * The backup set manifest (`lifeboat.json`): what the set holds and how to check it.
 *
 * A set is plain tar streams through a standard compressor, split into parts; the
 * manifest records each part's size and sha256 so verify can name the first bad part,
 * and the layout so restore can rebuild the disks. Validated before it is written and
 * whenever it is read.
 */
import { z } from 'zod';
import { LayoutSchema } from './layout';

export const SET_FORMAT_VERSION = 1;

/**
 * The smallest archive part a person may ask for, in the app's requests and profiles and on
 * the command line: `--split 1` made one file per byte (1.7 million files for a 3 MB
 * archive, and a cancel that then took a quarter of an hour to remove them). The engine
 * itself takes smaller parts: tests use them to get several parts cheaply.
 */
export const MIN_SPLIT = 1024 * 1024;

export const COMPRESSORS = ['zstd', 'gzip', 'xz', 'bzip2', 'lz4', 'none'] as const;
export type Compressor = (typeof COMPRESSORS)[number];

/** The file extension each compressor's parts carry (`<id>.tar.<ext>.000`). */
export const COMPRESSOR_EXT: Record<Compressor, string> = {
  zstd: 'zst',
  gzip: 'gz',
  xz: 'xz',
  bzip2: 'bz2',
  lz4: 'lz4',
  none: '',
};

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A path inside the set: relative, no `..`, so a manifest cannot point outside its set. */
const SetPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the set');

export const PartSchema = z.object({
  /** relative to the set, e.g. `archives/root.tar.zst.000` */
  name: SetPath,
  size: z.number().int().nonnegative(),
  sha256: Sha256,
});
export type Part = z.infer<typeof PartSchema>;

/**
 * A raw partition image: the partition's bytes, start to end, through the set's
 * compressor and split like a tar stream. No block map: zero runs cost almost nothing
 * once compressed, and a plain byte stream restores without Lifeboat:
 *   cat archives/<id>.img.zst.* | zstd -dc | dd of=/dev/sdXN bs=4M conv=fsync
 */
export const RawSourceSchema = z.object({
  /** the recorded disk and the partition's number on it */
  disk: z.string(),
  number: z.number().int().positive(),
  node: z.string(),
  /** the partition's size: the decompressed stream is exactly this long */
  sizeBytes: z.number().int().positive(),
  /** what blkid saw in it, if anything (vfat, ntfs, BitLocker …) */
  fsType: z.string().optional(),
  /** the only image format so far: the partition's bytes as they are */
  format: z.literal('partition-bytes'),
});
export type RawSource = z.infer<typeof RawSourceSchema>;

export const ArchiveSchema = z
  .object({
    /** sets written before raw images existed have no kind: they hold tar streams only */
    kind: z.enum(['tar', 'raw']).default('tar'),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** relative to the source root: "/", "/home"; empty for a raw image (nothing is mounted) */
    mountpoint: z.string(),
    device: z.string(),
    fsType: z.string(),
    fsUuid: z.string().optional(),
    /** uncompressed stream bytes (tar stream, or the partition's size) */
    bytesIn: z.number().int().nonnegative(),
    files: z.number().int().nonnegative(),
    /** the tar options a restore needs to mirror (xattrs, acls, selinux) */
    tarFeatures: z.array(z.string()),
    parts: z.array(PartSchema).min(1),
    /** incremental sets: the tar --listed-incremental snapshot file, relative to the set */
    snapshot: SetPath.optional(),
    /** kind 'raw': the partition the image was read from */
    raw: RawSourceSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.kind === 'tar' && !a.mountpoint.startsWith('/')) ctx.addIssue({ code: 'custom', path: ['mountpoint'], message: 'a tar archive needs an absolute mountpoint' });
    if (a.kind === 'raw' && !a.raw) ctx.addIssue({ code: 'custom', path: ['raw'], message: 'a raw archive names its partition' });
  });
export type Archive = z.infer<typeof ArchiveSchema>;

export const BackupSetSchema = z.object({
  format: z.literal(SET_FORMAT_VERSION),
  id: z.string().min(1),
  created: z.string().datetime(),
  host: z.string(),
  tool: z.object({ name: z.literal('lifeboat'), version: z.string() }),
  kind: z.discriminatedUnion('type', [z.object({ type: z.literal('full') }), z.object({ type: z.literal('incremental'), base: z.string() })]),
  /** the root that was backed up, as given ("/" for the running system) */
  sourceRoot: z.string(),
  /** the patterns that were excluded, relative to the source root */
  excludes: z.array(z.string()),
  defaultExcludes: z.boolean(),
  compression: z.object({ tool: z.enum(COMPRESSORS), level: z.number().int().nullable(), ext: z.string() }),
  /** maximum part size in bytes */
  split: z.number().int().positive(),
  layout: LayoutSchema,
  archives: z.array(ArchiveSchema),
  /** partitions that would have been kept as raw images but were left out, and why */
  rawLeftOut: z.array(z.object({ device: z.string(), reason: z.enum(['no-raw', 'in-use', 'unreadable']) })).default([]),
});
export type BackupSet = z.infer<typeof BackupSetSchema>;
