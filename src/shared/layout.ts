/**
 * The recorded disk layout of a system: what restore needs to rebuild the disks.
 *
 * Read by the inventory from real tools (sfdisk, blkid, tune2fs, lvm, mdadm …), stored in
 * a backup set's manifest and in `layout/layout.json`, and read back by restore and the
 * rescue system, so every value is validated with these schemas when it is read from disk.
 */
import { z } from 'zod';

/** Something the inventory saw but cannot record or restore; shown to the user, never dropped. */
export const WarningSchema = z.object({
  /** also the i18n key `backup:warnings.<code>` */
  code: z.string(),
  params: z.record(z.union([z.string(), z.number()])).default({}),
});
export type Warning = z.infer<typeof WarningSchema>;

export const PartitionSchema = z.object({
  node: z.string(),
  number: z.number().int().positive(),
  /** in sectors of the table's sector size */
  start: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  /** GPT type GUID (upper case) or MBR type byte in hex ("83", "ef") */
  type: z.string(),
  uuid: z.string().optional(),
  name: z.string().optional(),
  attrs: z.string().optional(),
  bootable: z.boolean().optional(),
});
export type Partition = z.infer<typeof PartitionSchema>;

export const PartitionTableSchema = z.object({
  label: z.enum(['gpt', 'dos']),
  id: z.string(),
  firstlba: z.number().int().optional(),
  lastlba: z.number().int().optional(),
  sectorsize: z.number().int().positive(),
  partitions: z.array(PartitionSchema),
});
export type PartitionTable = z.infer<typeof PartitionTableSchema>;

export const DiskSchema = z.object({
  device: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** null: the filesystem or PV sits on the whole disk, without a partition table */
  table: PartitionTableSchema.nullable(),
  model: z.string().optional(),
});
export type Disk = z.infer<typeof DiskSchema>;

export const Ext4ParamsSchema = z.object({
  blockSize: z.number().int(),
  inodeSize: z.number().int(),
  inodeCount: z.number().int(),
  blockCount: z.number().int(),
  /** bytes per inode, what `mkfs.ext4 -i` takes */
  bytesPerInode: z.number().int(),
  reservedBlockCount: z.number().int(),
  features: z.array(z.string()),
  revision: z.string().optional(),
});
export type Ext4Params = z.infer<typeof Ext4ParamsSchema>;

export const XfsParamsSchema = z.object({
  blockSize: z.number().int(),
  inodeSize: z.number().int(),
  sectorSize: z.number().int(),
  agCount: z.number().int(),
  dataBlocks: z.number().int(),
  logBlocks: z.number().int(),
  features: z.record(z.number()),
});
export type XfsParams = z.infer<typeof XfsParamsSchema>;

export const BtrfsSubvolumeSchema = z.object({ id: z.number().int(), topLevel: z.number().int(), path: z.string() });

export const FilesystemSchema = z.object({
  device: z.string(),
  type: z.string(),
  uuid: z.string().optional(),
  label: z.string().optional(),
  partuuid: z.string().optional(),
  /** relative to the backed-up root ("/", "/home"), when mounted there */
  mountpoint: z.string().optional(),
  options: z.string().optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  usedBytes: z.number().int().nonnegative().optional(),
  ext: Ext4ParamsSchema.optional(),
  xfs: XfsParamsSchema.optional(),
  vfat: z.object({ fatSize: z.string().optional(), volumeId: z.string().optional() }).optional(),
  btrfs: z.object({ subvolumes: z.array(BtrfsSubvolumeSchema) }).optional(),
});
export type Filesystem = z.infer<typeof FilesystemSchema>;

export const SwapSchema = z.object({
  device: z.string(),
  kind: z.enum(['partition', 'file']),
  sizeBytes: z.number().int().nonnegative().optional(),
  uuid: z.string().optional(),
  label: z.string().optional(),
});
export type Swap = z.infer<typeof SwapSchema>;

export const LvmSchema = z.object({
  pvs: z.array(z.object({ name: z.string(), vg: z.string(), sizeBytes: z.number(), freeBytes: z.number(), uuid: z.string() })),
  vgs: z.array(z.object({ name: z.string(), uuid: z.string(), sizeBytes: z.number(), freeBytes: z.number(), extentBytes: z.number() })),
  lvs: z.array(z.object({ name: z.string(), vg: z.string(), uuid: z.string(), sizeBytes: z.number(), segtype: z.string(), devices: z.array(z.string()) })),
});
export type Lvm = z.infer<typeof LvmSchema>;

export const MdArraySchema = z.object({
  /** the kernel's node (/dev/md127) */
  device: z.string(),
  level: z.string(),
  metadata: z.string().optional(),
  /** mdadm's form: four groups of 8 hex digits joined by ":" */
  uuid: z.string().optional(),
  /** the /dev/md/ name (MD_DEVNAME: "root" for /dev/md/root) */
  name: z.string().optional(),
  /** the name in the superblock ("host:root", MD_NAME): what mdadm.conf's name= matches */
  superName: z.string().optional(),
  raidDevices: z.number().int().optional(),
  /** in role order (slot 0, 1, …), spares last */
  members: z.array(z.string()),
  /** the members that are spares */
  spares: z.array(z.string()).optional(),
  /** the array's size and chunk size (0: none, as RAID1 has), from /sys/block/mdX */
  sizeBytes: z.number().int().nonnegative().optional(),
  chunkBytes: z.number().int().nonnegative().optional(),
});
export type MdArray = z.infer<typeof MdArraySchema>;

export const CryptSchema = z.object({ device: z.string(), name: z.string().optional(), backing: z.array(z.string()) });

export const BootSchema = z.object({
  firmware: z.enum(['bios', 'uefi']),
  /** the EFI system partition's device, when there is one */
  esp: z.string().optional(),
  efibootmgr: z.string().optional(),
  fstab: z.string().optional(),
  crypttab: z.string().optional(),
});
export type Boot = z.infer<typeof BootSchema>;

export const LayoutSchema = z.object({
  disks: z.array(DiskSchema),
  filesystems: z.array(FilesystemSchema),
  swap: z.array(SwapSchema),
  lvm: LvmSchema.nullable(),
  md: z.array(MdArraySchema),
  crypt: z.array(CryptSchema),
  boot: BootSchema,
  warnings: z.array(WarningSchema),
});
export type Layout = z.infer<typeof LayoutSchema>;
