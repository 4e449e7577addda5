/**
 * Records the layout of the system mounted at a root: filesystems, the block devices
 * beneath them, partition tables, volume managers, swap and boot.
 *
 * Every raw tool output is kept (written to `layout/` in a set) so a person can check
 * what the layout was read from. Anything Lifeboat cannot record or restore becomes a
 * warning; nothing is dropped silently.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import type { Disk, Filesystem, Layout, Lvm, MdArray, Swap, Warning } from '../../../shared/layout';
import { LayoutSchema } from '../../../shared/layout';
import { hasTool, run } from '../run';
import { ESP_GPT_TYPE, ESP_MBR_TYPE, parseBlkidExport, parseSfdisk } from './parse/block';
import { parseBtrfsSubvolumes, parseTune2fs, parseXfsInfo } from './parse/fs';
import { parseFindmnt, parseFstab, parseProcSwaps, splitSource, VIRTUAL_FS, type MountEntry } from './parse/mounts';
import { parseLvm, parseMdadmExport } from './parse/volumes';
import { dmName, kernelName, mdChunkBytes, partitionsOf, stack, uefiFirmware, type DeviceNode } from './sysfs';
import { bootFirmware } from './firmware';

export interface Inventory {
  layout: Layout;
  /** file name in layout/ → the tool's output */
  raw: Record<string, string>;
  warnings: Warning[];
  /** the absolute mount points of the filesystems to archive, by their root-relative mountpoint */
  mounts: Array<{ mountpoint: string; absolute: string; filesystem: Filesystem }>;
}

const READ_ONLY_IMAGE_FS = new Set(['squashfs', 'iso9660', 'udf', 'erofs']);

const FINDMNT_COLUMNS = 'TARGET,SOURCE,FSTYPE,OPTIONS,SIZE,USED';

/** "/srv/root" + "/srv/root/home" → "/home". */
export function relativeMountpoint(root: string, target: string): string | null {
  if (target === root) return '/';
  const prefix = root === '/' ? '/' : root + '/';
  return target.startsWith(prefix) ? '/' + target.slice(prefix.length) : null;
}

export async function collectInventory(rootArg: string): Promise<Inventory> {
  const root = resolve(rootArg);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new LifeboatError('root-invalid', { path: rootArg });
  const raw: Record<string, string> = {};
  const warnings: Warning[] = [];
  const warn = (code: string, params: Record<string, string | number> = {}) => warnings.push({ code, params });

  // all mounts as a list; then the filesystem holding root (root may be a plain folder)
  const all = (await run('findmnt', ['-J', '-b', '-l', '-o', FINDMNT_COLUMNS])).stdout;
  raw['findmnt.json'] = all;
  let mounts = parseFindmnt(all).filter((m) => relativeMountpoint(root, m.target) !== null);
  if (!mounts.some((m) => m.target === root)) {
    const holder = (await run('findmnt', ['-J', '-b', '-o', FINDMNT_COLUMNS, '-T', root])).stdout;
    raw['findmnt-root.json'] = holder;
    mounts = [...parseFindmnt(holder).map((m) => ({ ...m, target: root })), ...mounts];
  }
  try {
    raw['lsblk.json'] = (await run('lsblk', ['-J', '-b', '-O'])).stdout;
  } catch (err) {
    warn('tool-output-missing', { tool: 'lsblk', detail: (err as Error).message.slice(0, 200) });
  }

  const filesystems: Filesystem[] = [];
  const archived: Inventory['mounts'] = [];
  const diskNames = new Set<string>();
  const lvmSeen = new Set<string>();
  const md: MdArray[] = [];
  const crypt: Layout['crypt'] = [];
  const seenDevices = new Set<string>();

  const blkid = async (device: string): Promise<Record<string, string>> => {
    const name = device.replace(/^\/dev\//, '').replace(/\//g, '_');
    try {
      // exit 2: nothing recognised on the device — a valid answer, not a failure
      const out = (await run('blkid', ['-p', '-o', 'export', device], { okExitCodes: [0, 2] })).stdout;
      raw[`blkid-${name}.txt`] = out;
      return parseBlkidExport(out);
    } catch (err) {
      warn('tool-output-missing', { tool: 'blkid', device, detail: (err as Error).message.slice(0, 200) });
      return {};
    }
  };

  const noteStack = async (nodes: DeviceNode[], device: string) => {
    for (const n of nodes) {
      if (n.kind === 'disk') diskNames.add(n.name);
      else if (n.kind === 'lvm') lvmSeen.add(n.name);
      else if (n.kind === 'crypt') {
        crypt.push({ device: `/dev/${n.name}`, name: dmName(n.name), backing: n.parents.map((p) => `/dev/${p}`) });
        warn('luks-not-restorable', { device });
      } else if (n.kind === 'dm') warn('dm-unknown', { device: `/dev/${n.name}`, name: dmName(n.name) ?? '' });
      else if (n.kind === 'md' && !md.some((a) => a.device === `/dev/${n.name}`)) {
        try {
          const out = (await run('mdadm', ['--detail', '--export', `/dev/${n.name}`])).stdout;
          raw[`mdadm-${n.name}.txt`] = out;
          // size and chunk from sysfs: `--export` gives neither
          const chunk = mdChunkBytes(n.name);
          md.push({ ...parseMdadmExport(`/dev/${n.name}`, out), sizeBytes: n.sizeBytes, ...(chunk !== undefined ? { chunkBytes: chunk } : {}) });
        } catch (err) {
          warn('md-unreadable', { device: `/dev/${n.name}`, detail: (err as Error).message.slice(0, 200) });
        }
      }
    }
  };

  for (const m of mounts) {
    const mountpoint = relativeMountpoint(root, m.target)!;
    const { device, subtree } = splitSource(m.source);
    if (VIRTUAL_FS.has(m.fstype)) continue;
    // read-only images (snaps, a mounted ISO) come back from their packages, not from a backup
    if (!device.startsWith('/dev/') || READ_ONLY_IMAGE_FS.has(m.fstype)) {
      warn('fs-not-archived', { mountpoint, fstype: m.fstype, source: m.source });
      continue;
    }
    if (seenDevices.has(device) || subtree) {
      // the same filesystem twice (a bind mount): its data is archived once, where it is mounted whole
      warn('bind-mount-skipped', { mountpoint, source: m.source });
      continue;
    }
    seenDevices.add(device);
    const fs = await describeFilesystem(device, m, mountpoint, blkid, raw, warn);
    filesystems.push(fs);
    archived.push({ mountpoint, absolute: m.target, filesystem: fs });
    const name = kernelName(device);
    if (name) await noteStack(stack(name), device);
    else warn('device-unknown', { device });
  }

  // partition tables of the disks involved, and every partition on them (swap, ESP, unmounted filesystems)
  const disks: Disk[] = [];
  for (const d of [...diskNames].sort()) {
    const device = `/dev/${d}`;
    const sizeBytes = stack(d)[0]?.sizeBytes ?? 0;
    let table: Disk['table'] = null;
    try {
      const out = (await run('sfdisk', ['--json', device])).stdout;
      raw[`sfdisk-${d}.json`] = out;
      try {
        table = parseSfdisk(out);
      } catch (err) {
        warn('table-unsupported', { device, detail: (err as Error).message.slice(0, 200) });
      }
    } catch {
      // no partition table: the filesystem (or PV) is on the whole disk
    }
    disks.push({ device, sizeBytes, table });
    for (const p of partitionsOf(d)) {
      const node = `/dev/${p}`;
      if (seenDevices.has(node)) continue;
      seenDevices.add(node);
      const id = await blkid(node);
      if (id.TYPE && id.TYPE !== 'swap' && !['LVM2_member', 'linux_raid_member', 'crypto_LUKS'].includes(id.TYPE)) {
        filesystems.push({ device: node, type: id.TYPE, uuid: id.UUID, label: id.LABEL, partuuid: id.PART_ENTRY_UUID, ...vfatInfo(id) });
        warn('fs-not-mounted', { device: node, fstype: id.TYPE });
      } else if (id.TYPE === 'crypto_LUKS') warn('luks-not-restorable', { device: node });
    }
  }

  const swap = collectSwap(root, disks, raw);
  const lvm = lvmSeen.size ? await collectLvm(raw, warn) : null;
  const boot = await collectBoot(root, disks, filesystems, raw, warn);

  const layout = LayoutSchema.parse({ disks, filesystems, swap, lvm, md, crypt, boot, warnings });
  return { layout, raw, warnings, mounts: archived };
}

function vfatInfo(id: Record<string, string>): Partial<Filesystem> {
  if (id.TYPE !== 'vfat') return {};
  // FAT12/16 report SEC_TYPE=msdos; FAT32 reports VERSION=FAT32
  return { vfat: { fatSize: id.VERSION ?? id.SEC_TYPE, volumeId: id.UUID } };
}

async function describeFilesystem(
  device: string,
  m: MountEntry,
  mountpoint: string,
  blkid: (d: string) => Promise<Record<string, string>>,
  raw: Record<string, string>,
  warn: (code: string, params?: Record<string, string | number>) => void,
): Promise<Filesystem> {
  const id = await blkid(device);
  // without udev, blkid -p is the only source of UUIDs; say so when it cannot read the device
  if (!id.TYPE) warn('fs-unidentified', { device, fstype: m.fstype });
  const fs: Filesystem = {
    device,
    type: id.TYPE ?? m.fstype,
    uuid: id.UUID,
    label: id.LABEL,
    partuuid: id.PART_ENTRY_UUID,
    mountpoint,
    options: m.options,
    sizeBytes: m.size ?? undefined,
    usedBytes: m.used ?? undefined,
    ...vfatInfo(id),
  };
  const key = device.replace(/^\/dev\//, '').replace(/\//g, '_');
  const tool = /^ext[234]$/.test(fs.type) ? 'tune2fs' : fs.type === 'xfs' ? 'xfs_info' : 'btrfs';
  try {
    if (/^ext[234]$/.test(fs.type)) {
      const out = (await run('tune2fs', ['-l', device])).stdout;
      raw[`tune2fs-${key}.txt`] = out;
      fs.ext = parseTune2fs(out);
    } else if (fs.type === 'xfs') {
      const out = (await run('xfs_info', [m.target])).stdout;
      raw[`xfs_info-${key}.txt`] = out;
      fs.xfs = parseXfsInfo(out);
    } else if (fs.type === 'btrfs') {
      const out = (await run('btrfs', ['subvolume', 'list', m.target])).stdout;
      raw[`btrfs-subvolumes-${key}.txt`] = out;
      fs.btrfs = { subvolumes: parseBtrfsSubvolumes(out) };
      if (fs.btrfs.subvolumes.length) warn('btrfs-subvolumes', { device, count: fs.btrfs.subvolumes.length });
    } else if (fs.type !== 'vfat') {
      warn('fs-params-unknown', { device, fstype: fs.type });
    }
  } catch (err) {
    warn('tool-output-missing', { device, tool, detail: (err as Error).message.slice(0, 200) });
  }
  return fs;
}

function collectSwap(root: string, disks: Disk[], raw: Record<string, string>): Swap[] {
  const swap: Swap[] = [];
  // /proc/swaps describes the running system only; for an offline root, its fstab and its disks do
  if (root === '/' && existsSync('/proc/swaps')) {
    const text = readFileSync('/proc/swaps', 'utf8');
    raw['proc-swaps.txt'] = text;
    for (const s of parseProcSwaps(text)) {
      swap.push({ device: s.filename, kind: s.type === 'file' ? 'file' : 'partition', sizeBytes: s.sizeBytes });
    }
  }
  for (const d of disks) {
    for (const p of d.table?.partitions ?? []) {
      const id = parseBlkidExport(raw[`blkid-${p.node.replace(/^\/dev\//, '')}.txt`] ?? '');
      if (id.TYPE !== 'swap') continue;
      const known = swap.find((s) => s.device === p.node);
      const entry = { device: p.node, kind: 'partition' as const, uuid: id.UUID, label: id.LABEL, sizeBytes: p.size * d.table!.sectorsize };
      if (known) Object.assign(known, entry);
      else swap.push(entry);
    }
  }
  const fstab = join(root, 'etc/fstab');
  if (existsSync(fstab)) {
    for (const e of parseFstab(readFileSync(fstab, 'utf8'))) {
      if (e.vfstype === 'swap' && e.spec.startsWith('/') && !e.spec.startsWith('/dev/') && !swap.some((s) => s.device === e.spec)) {
        swap.push({ device: e.spec, kind: 'file' });
      }
    }
  }
  return swap;
}

async function collectLvm(raw: Record<string, string>, warn: (code: string, params?: Record<string, string | number>) => void): Promise<Lvm | null> {
  try {
    const pvs = (await run('lvm', ['pvs', '--reportformat', 'json', '--units', 'b', '-o', 'pv_name,vg_name,pv_size,pv_free,pv_uuid'])).stdout;
    const vgs = (await run('lvm', ['vgs', '--reportformat', 'json', '--units', 'b', '-o', 'vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,pv_count,lv_count'])).stdout;
    const lvs = (await run('lvm', ['lvs', '--reportformat', 'json', '--units', 'b', '-o', 'lv_name,vg_name,lv_uuid,lv_size,lv_attr,segtype,devices'])).stdout;
    Object.assign(raw, { 'pvs.json': pvs, 'vgs.json': vgs, 'lvs.json': lvs });
    const lvm = parseLvm(pvs, vgs, lvs);
    for (const lv of lvm.lvs) if (lv.segtype !== 'linear' && lv.segtype !== 'striped') warn('lvm-segtype', { lv: `${lv.vg}/${lv.name}`, segtype: lv.segtype });
    return lvm;
  } catch (err) {
    warn('lvm-unreadable', { detail: (err as Error).message.slice(0, 200) });
    return null;
  }
}

async function collectBoot(
  root: string,
  disks: Disk[],
  filesystems: Filesystem[],
  raw: Record<string, string>,
  warn: (code: string, params?: Record<string, string | number>) => void,
): Promise<Layout['boot']> {
  const byType = disks.flatMap((d) => (d.table?.partitions ?? []).filter((p) => p.type === ESP_GPT_TYPE || p.type === ESP_MBR_TYPE)).map((p) => p.node);
  const byMount = filesystems.find((f) => f.mountpoint === '/boot/efi' && f.type === 'vfat')?.device;
  const esp = byMount ?? byType[0];
  const firmware = bootFirmware(root, Boolean(esp));
  const boot: Layout['boot'] = { firmware, esp };
  if (firmware === 'uefi') {
    // the boot entries live in this machine's NVRAM: none to read from a session started by BIOS
    if (uefiFirmware()) {
      if (await hasTool('efibootmgr')) {
        try {
          boot.efibootmgr = (await run('efibootmgr', ['-v'])).stdout;
          raw['efibootmgr.txt'] = boot.efibootmgr;
        } catch (err) {
          warn('tool-output-missing', { tool: 'efibootmgr', detail: (err as Error).message.slice(0, 200) });
        }
      } else warn('tool-missing-efibootmgr');
    }
    if (!esp) warn('esp-not-found');
  }
  for (const f of ['fstab', 'crypttab'] as const) {
    const p = join(root, 'etc', f);
    if (existsSync(p)) {
      boot[f] = readFileSync(p, 'utf8');
      raw[f] = boot[f]!;
    }
  }
  return boot;
}
