/**
 * "Backup again" onto an existing Lifeboat rescue stick (seed 004's backup-again): the
 * new set goes into sets/<id>/ on the stick's data partition and the oldest sets beyond
 * `keep` are removed. Nothing is repartitioned or formatted.
 *
 * The kernel, initramfs and boot loaders are never rewritten here: the stick records no
 * build manifest to compare against, and a rescue system that booted yesterday is better
 * left alone than rebuilt on a guess. To change the rescue system, remake the stick.
 *
 * Both layouts coexist: a set embedded when the stick was made sits in lifeboat/, later
 * ones in sets/<id>/; all count as sets for `keep`, ordered by their manifest's created
 * date, and the rescue system boots the newest (init.sh, has_set).
 *
 * The data partition may be ext4 or exFAT (usb-data.ts mounts either); sizes are counted
 * in the filesystem's own allocation unit, which on exFAT is up to 128 KiB a file.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { run, runJson } from '../run';
import { readManifest } from '../set/read';
import { checkSet } from './set-check';
import { partitionDevice } from './usb';
import { copyPlainTree, DATA_LABEL, isDataFs, mountData, type DataFs } from './usb-data';

/** The GPT partition names buildUsb writes, in order: what makes a stick a Lifeboat stick. */
const STICK_PARTITIONS = ['BIOS boot', 'LIFEBOAT-EFI', 'LIFEBOAT-DATA'];
const TMP_PREFIX = '.incoming-';

export interface StickSet {
  /** relative to the data partition's root: `lifeboat` (embedded at creation) or `sets/<id>` */
  dir: string;
  id: string;
  created: string;
  bytes: number;
}

export interface UsbAgainPlan {
  device: string;
  add: { id: string; created: string; dir: string; bytes: number; alreadyPresent: boolean };
  /** oldest first: what `keep` removes */
  remove: StickSet[];
  keep: StickSet[];
  freeBytes: number;
}

export interface UsbAgainResult extends UsbAgainPlan {
  freeBytesAfter: number;
  seconds: number;
}

export interface UsbAgainOptions {
  device: string;
  set: string;
  /** how many sets the stick holds afterwards, the new one included (≥ 1) */
  keep: number;
  /** the drive guard, run right before the stick is mounted for writing */
  usbGuard?: (device: string) => Promise<void>;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const notStick = (device: string, reason: string) => new LifeboatError('invalid-request', { field: device, reason }, `${device}: ${reason}`);

export interface StickData {
  partition: string;
  fs: DataFs;
}

/** Refuses anything but a stick buildUsb made: GPT, the three named partitions, an ext4 or exFAT LIFEBOAT data partition. */
export async function assertLifeboatStick(device: string): Promise<StickData> {
  let table: { partitiontable?: { label?: string; partitions?: { node: string; name?: string }[] } };
  try {
    table = await runJson('sfdisk', ['--json', device]);
  } catch {
    throw notStick(device, 'not a Lifeboat rescue stick (no partition table)');
  }
  const pt = table.partitiontable;
  const names = (pt?.partitions ?? []).map((p) => p.name ?? '');
  if (pt?.label !== 'gpt' || names.length !== STICK_PARTITIONS.length || names.some((n, i) => n !== STICK_PARTITIONS[i])) {
    throw notStick(device, `not a Lifeboat rescue stick (partitions: ${names.join(', ') || 'none'})`);
  }
  const data = partitionDevice(device, 3);
  // No udev on many systems: make sure the kernel has the partition nodes.
  if (!existsSync(data)) await run('partx', ['-u', device], { okExitCodes: [0, 1] });
  const probe = async (tag: string) => (await run('blkid', ['-p', '-o', 'value', '-s', tag, data], { okExitCodes: [0, 2] })).stdout.trim();
  const [type, label] = [await probe('TYPE'), await probe('LABEL')];
  if (!isDataFs(type) || label !== DATA_LABEL) throw notStick(device, `not a Lifeboat rescue stick (data partition: ${type || 'no filesystem'} ${label})`);
  return { partition: data, fs: type };
}

/** Bytes a tree takes on disk (allocated blocks), as `du` counts them. */
function diskBytes(path: string): number {
  const st = lstatSync(path);
  let n = st.blocks * 512;
  if (st.isDirectory()) for (const name of readdirSync(path)) n += diskBytes(join(path, name));
  return n;
}

/** What a copy of the set will take: every file rounded up to the stick's allocation unit, plus one unit a folder. */
function copyBytes(path: string, unit: number): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return Math.ceil(st.size / unit) * unit;
  let n = unit;
  for (const name of readdirSync(path)) n += copyBytes(join(path, name), unit);
  return n;
}

/** A folder name from a set id: ids are free text in the manifest. */
export const setFolder = (id: string) => 'sets/' + id.replace(/[^A-Za-z0-9._-]/g, '_');

/** The sets on a mounted data partition (unreadable manifests count as the oldest). */
export function listStickSets(root: string): StickSet[] {
  const dirs = ['lifeboat'];
  if (existsSync(join(root, 'sets'))) for (const n of readdirSync(join(root, 'sets'))) if (!n.startsWith(TMP_PREFIX)) dirs.push(`sets/${n}`);
  const sets: StickSet[] = [];
  for (const dir of dirs) {
    const file = join(root, dir, 'lifeboat.json');
    if (!existsSync(file)) continue;
    let m: { id?: unknown; created?: unknown } = {};
    try {
      m = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      /* a damaged manifest: listed, and oldest */
    }
    sets.push({ dir, id: typeof m.id === 'string' ? m.id : dir, created: typeof m.created === 'string' ? m.created : '', bytes: diskBytes(join(root, dir)) });
  }
  return sets;
}

function planOn(root: string, device: string, set: string, keep: number): UsbAgainPlan {
  const manifest = readManifest(set);
  const dir = setFolder(manifest.id);
  const existing = listStickSets(root);
  const alreadyPresent = existing.some((s) => s.dir === dir);
  // Newest first; the new set is always kept, so the others share keep - 1 places.
  const others = existing.filter((s) => s.dir !== dir).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  const stats = statfsSync(root);
  // ext4 allocates 4 KiB blocks, exFAT whole clusters (4–128 KiB, by the stick's size).
  const unit = Math.max(4096, stats.bsize);
  return {
    device,
    add: { id: manifest.id, created: manifest.created, dir, bytes: alreadyPresent ? 0 : copyBytes(resolve(set), unit), alreadyPresent },
    keep: others.slice(0, keep - 1),
    remove: others.slice(keep - 1).reverse(),
    freeBytes: stats.bavail * stats.bsize,
  };
}

async function withData<T>(device: string, readOnly: boolean, fn: (root: string) => Promise<T>): Promise<T> {
  return withStickData(await assertLifeboatStick(device), readOnly, fn);
}

/** Runs `fn` on a Lifeboat stick's data partition mounted in a folder of its own, unmounted after. */
export async function withStickData<T>(data: StickData, readOnly: boolean, fn: (root: string) => Promise<T>): Promise<T> {
  const mnt = mkdtempSync(join(tmpdir(), 'lifeboat-stick-'));
  let mounted;
  try {
    // Looking must not write: read-only, and no journal replay for the plan.
    mounted = await mountData(data.partition, data.fs, mnt, { readOnly });
  } catch (err) {
    rmdirSync(mnt);
    throw err;
  }
  try {
    return await fn(mnt);
  } finally {
    await mounted.unmount();
    // rmdir, not a recursive rm: were the stick still mounted there, it would be emptied.
    try {
      rmdirSync(mnt);
    } catch {
      /* still mounted: leave it */
    }
  }
}

/** What `usbAgain` would do, read from the stick without writing (for the confirmation). */
export async function planUsbAgain(device: string, set: string, keep: number): Promise<UsbAgainPlan> {
  if (!(Number.isInteger(keep) && keep >= 1)) throw new LifeboatError('invalid-request', { field: '--keep', reason: '≥ 1' });
  return withData(device, true, async (root) => planOn(root, device, set, keep));
}

/** Adds a verified set to a Lifeboat stick and prunes the oldest beyond `keep`. */
export async function usbAgain(opts: UsbAgainOptions): Promise<UsbAgainResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  if (!(Number.isInteger(opts.keep) && opts.keep >= 1)) throw new LifeboatError('invalid-request', { field: '--keep', reason: '≥ 1' });
  // Recognise before anything else, so a wrong disk is refused with nothing done to it.
  await assertLifeboatStick(opts.device);
  await checkSet(opts.set, opts.signal);
  if (opts.usbGuard) await opts.usbGuard(opts.device);
  return withData(opts.device, false, async (root) => {
    // An earlier run that died mid-copy left a temporary folder: it never was a set.
    if (existsSync(join(root, 'sets'))) for (const n of readdirSync(join(root, 'sets'))) if (n.startsWith(TMP_PREFIX)) rmSync(join(root, 'sets', n), { recursive: true, force: true });
    const plan = planOn(root, opts.device, opts.set, opts.keep);
    const prunable = plan.remove.reduce((n, s) => n + s.bytes, 0);
    if (plan.add.bytes > plan.freeBytes + prunable) {
      throw new LifeboatError('target-too-small', { device: opts.device, size: plan.freeBytes + prunable, needed: plan.add.bytes, available: plan.freeBytes + prunable });
    }
    const prune = () => {
      for (const s of plan.remove) {
        log(`removing ${s.dir} (${s.id}, ${s.created})`);
        rmSync(join(root, s.dir), { recursive: true, force: true });
      }
    };
    // Old sets go first only when the new one cannot fit beside them: they were going anyway.
    const pruneFirst = plan.add.bytes > plan.freeBytes;
    if (pruneFirst) prune();
    if (!plan.add.alreadyPresent) {
      mkdirSync(join(root, 'sets'), { recursive: true });
      const tmp = join(root, 'sets', `${TMP_PREFIX}${Date.now()}`);
      try {
        copyPlainTree(opts.set, tmp);
        await run('sync', ['-f', tmp]);
        renameSync(tmp, join(root, plan.add.dir));
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new LifeboatError('dest-full', { path: opts.device }, undefined, { cause: err });
        throw err;
      }
      log(`added ${plan.add.dir}`);
    }
    if (!pruneFirst) prune();
    await run('sync', ['-f', root]);
    const stats = statfsSync(root);
    return { ...plan, freeBytesAfter: stats.bavail * stats.bsize, seconds: (Date.now() - t0) / 1000 };
  });
}
