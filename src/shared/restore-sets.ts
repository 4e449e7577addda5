/**
 * What the Restore journey learns about backup sets before it plans anything: the sets
 * found on mounted filesystems, and one set's summary. Plain data, built in the main
 * process from a validated manifest, so the renderer never parses a manifest itself.
 */
import type { Warning } from './layout';
import type { PlanTarget, RestorePlan } from './restore-plan';
import type { DiskSizing } from './restore-sizes';

/** One set found by `restore.find`. */
export interface FoundSet {
  dir: string;
  id: string;
  host: string;
  /** ISO date */
  created: string;
  kind: 'full' | 'incremental';
  /** bytes of all archive parts (what the set takes on its medium) */
  bytes: number;
  archives: number;
}

export interface SetSummaryPartition {
  node: string;
  number: number;
  sizeBytes: number;
  /** GPT type GUID or MBR type byte, as recorded */
  type: string;
  name: string | null;
  fsType: string | null;
  mountpoint: string | null;
  label: string | null;
}

export interface SetSummaryDisk {
  device: string;
  sizeBytes: number;
  model: string | null;
  table: 'gpt' | 'dos' | null;
  partitions: SetSummaryPartition[];
  /** whether an archive lives on this disk: such a disk must get a target */
  holdsData: boolean;
  /** the smallest target that holds this disk's plan (data + margin + fixed partitions); null: cannot plan it */
  neededBytes: number | null;
}

export interface SetSummaryArchive {
  id: string;
  mountpoint: string;
  device: string;
  fsType: string;
  bytesIn: number;
  files: number;
  parts: number;
}

/** `restore.inspect`: a set as the user needs to see it before choosing targets. */
export interface SetSummary extends FoundSet {
  base: string | null;
  sourceRoot: string;
  compression: string;
  firmware: 'bios' | 'uefi';
  disks: SetSummaryDisk[];
  archiveList: SetSummaryArchive[];
  /** notes the backup recorded about the layout (`backup:warnings.<code>`) */
  warnings: Warning[];
  /** the block device holding the set: it can never be a target */
  sourceDevice: string | null;
}

/** What a finished (or failed) restore job reports. */
export interface RestoreRunResult {
  steps: number;
  /** steps that ran to the end (all of them on success) */
  stepsDone: number;
  bytes: number;
  seconds: number;
  targets: PlanTarget[];
}

/** `restore.plan`: the compiled plan and, step by step, the command it runs (as sh, for reading). */
export interface ReviewedPlan {
  plan: RestorePlan;
  commands: string[];
  /** per target disk with a partition table: each partition's recorded, planned and minimum size, and why it is fixed */
  sizing: DiskSizing[];
  /** the sizes the user chose that this plan was compiled with (recorded node → bytes) */
  sizes: Record<string, number>;
}
