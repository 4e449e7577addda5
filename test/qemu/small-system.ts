/**
 * The small "installed system" the rescue-side restore tests share: a GPT loop disk with
 * an ext4 root and a swap partition, a few files that are easy to get wrong (a UTF-8
 * name, random bytes, a hard link, a symlink, an xattr), backed up with the real engine;
 * and the check that a restored disk image is that system again — same partition table,
 * same UUIDs, every file the same (type, mode, owner, size, mtime, content, links, xattrs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import { makeLoop, type LoopDevice } from '../util/loop';
import { runBackup } from '../../src/main/engine/backup/backup';
import { snapshotTree, type Entry } from '../../src/main/engine/backup/tree-snapshot';
import { createJobContext } from '../../src/main/engine/job';

const MiB = 1024 * 1024;

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
type Table = { label: string; id: string; partitions: Array<Record<string, unknown>> };
const table = (dev: string): Table => JSON.parse(sh('sfdisk --json "$1"', dev)).partitiontable;
// the device names differ between the source and the restored image
const strip = (t: Table) => ({ ...t, device: undefined, partitions: t.partitions.map((p) => ({ ...p, node: undefined })) });
const skipLostFound = (rel: string) => rel === 'lost+found' || rel.startsWith('lost+found/');

export interface SmallSystemOptions {
  work: string;
  sizeBytes: number;
  rootMiB: number;
  rootUuid: string;
  swapUuid: string;
  hostname: string;
  /** where the set goes */
  setDir: string;
  /** bytes per part */
  split: number;
  /** more files, written before the backup */
  extra?: (root: string) => void;
}

export interface SmallSystem {
  source: LoopDevice;
  want: Map<string, Entry>;
  table: Table;
  opts: SmallSystemOptions;
}

export async function makeSmallSystem(o: SmallSystemOptions): Promise<SmallSystem> {
  const source = makeLoop(o.sizeBytes, { dir: o.work });
  sh(`printf "label: gpt\\n,${o.rootMiB}MiB,L\\n,,S\\n" | sfdisk --quiet "$1"`, source.device);
  sh('partx -d "$1" 2>/dev/null; partx -a "$1"', source.device);
  sh('mkfs.ext4 -q -U "$2" -L rootfs "$1"', `${source.device}p1`, o.rootUuid);
  sh('mkswap -U "$2" -L swap "$1" >/dev/null', `${source.device}p2`, o.swapUuid);
  const root = join(o.work, 'root');
  mkdirSync(root);
  sh('mount "$1" "$2"', `${source.device}p1`, root);
  let want: Map<string, Entry>;
  try {
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/fstab'), `UUID=${o.rootUuid} / ext4 defaults 0 1\nUUID=${o.swapUuid} none swap sw 0 0\n`);
    writeFileSync(join(root, 'etc/hostname'), `${o.hostname}\n`);
    mkdirSync(join(root, 'home/anna/Documents'), { recursive: true });
    writeFileSync(join(root, 'home/anna/Documents/lettre à Zoé.txt'), 'Bonjour\n');
    writeFileSync(join(root, 'home/anna/photo.bin'), randomBytes(3 * MiB));
    linkSync(join(root, 'home/anna/photo.bin'), join(root, 'home/anna/photo-link.bin'));
    symlinkSync('Documents', join(root, 'home/anna/docs'));
    sh('setfattr -n user.lifeboat -v kept "$1"', join(root, 'etc/hostname'));
    o.extra?.(root);
    await runBackup({ dest: o.setDir, root, compress: 'zstd', split: o.split }, createJobContext('backup'));
    want = snapshotTree(root, skipLostFound);
  } finally {
    sh('umount "$1"', root);
  }
  expect(existsSync(join(o.setDir, 'restore.sh'))).toBe(true);
  return { source, want, table: table(source.device), opts: o };
}

/** Reads a restored disk image back on the host and compares it with the system. */
export function expectRestored(sys: SmallSystem, diskFile: string, loops: LoopDevice[]): void {
  const target = makeLoop(sys.opts.sizeBytes, { file: diskFile });
  loops.push(target);
  sh('partx -d "$1" 2>/dev/null; partx -a "$1"', target.device);
  expect(strip(table(target.device))).toEqual(strip(sys.table));
  expect(sh('blkid -p -s UUID -o value "$1"', `${target.device}p1`).trim()).toBe(sys.opts.rootUuid);
  expect(sh('blkid -p -s UUID -o value "$1"', `${target.device}p2`).trim()).toBe(sys.opts.swapUuid);
  const mnt = join(sys.opts.work, `restored-${loops.length}`);
  mkdirSync(mnt);
  sh('mount -o ro "$1" "$2"', `${target.device}p1`, mnt);
  try {
    const got = snapshotTree(mnt, skipLostFound);
    expect([...got.keys()].sort()).toEqual([...sys.want.keys()].sort());
    for (const [k, v] of sys.want) expect(got.get(k), k).toEqual(v);
    expect(readFileSync(join(mnt, 'etc/hostname'), 'utf8')).toBe(`${sys.opts.hostname}\n`);
  } finally {
    sh('umount "$1"', mnt);
  }
}
