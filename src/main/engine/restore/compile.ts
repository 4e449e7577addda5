/**
 * Compiles a backup set and the chosen targets into a restore plan.
 *
 * Pure: everything it needs is passed in (target sizes are measured by the caller), so
 * the same inputs give the same plan (clone mode's new identities come from `newUuid`,
 * which tests may fix). The plan is the only restore logic: the app runs its steps,
 * the rescue system runs them rendered as sh (shell.ts).
 */
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { BackupSet, Archive } from '../../../shared/backup-set';
import type { Disk, Filesystem, Layout, MdArray, Partition } from '../../../shared/layout';
import { LifeboatError } from '../../../shared/errors';
import { LOCKED_REASONS, type DiskSizing, type FixedReason } from '../../../shared/restore-sizes';
import { RestorePlanSchema, type Mapping, type PlanTarget, type PlanWarning, type RestorePlan, type RestoreStep, type Text } from '../../../shared/restore-plan';
import { partitionNode } from './nodes';
import { EXTENDED_TYPES, fitTable, MiB, type SizedPartition } from './sizing';
import { FS_FLOOR, mkfsArgv, mkswapArgv } from './mkfs';
import { bootSteps } from './boot';
import { BIOS_BOOT_GPT, biosBootDisks } from './boot-disks';
import { sfdiskScript } from './sfdisk';
import { decompressArgv, tarExtractArgv } from './extract-args';
import { archiveChain } from '../set/chain';
import { shq } from './quote';
import { lvmClashSh } from './lvm-conflicts';
import { mdClashSh, mdStopSh, type MdClaim } from './md-conflicts';
import { arrayBytes, mdAliases, mdCreateArgv, mdNode, mdSlots, mdSpareCount, mdSupported, mdUuidFrom, memberNeed } from './md';
import { rawSteps } from './raw';

export interface TargetSpec {
  device: string;
  sizeBytes: number;
  sectorSize?: number;
}

export interface CompileOptions {
  setDir: string;
  /** recorded disk device → the target that replaces it */
  targets: Record<string, TargetSpec>;
  /** new partition-table, partition and filesystem identities (a copy that can live next to the original) */
  clone?: boolean;
  /** where the restored filesystems are mounted while files are extracted */
  mountRoot: string;
  /** recorded partition node → bytes: sizes the user chose; such partitions are not scaled */
  sizes?: Record<string, number>;
  /** the source of new identities in clone mode */
  newUuid?: () => string;
  /**
   * What an incremental set stands on: its bases, oldest first (set/chain.ts's chain
   * without the set itself). An incremental archive holds only what changed since its base,
   * so each filesystem is restored base first, then every later archive in order, by
   * `tar --listed-incremental=/dev/null`, which also deletes what a later set no longer had
   * and follows renamed folders. A folder may hold "..": a set's restore.sh names its bases
   * beside "$LIFEBOAT_SET". Required for an incremental set: without it the compiler refuses
   * (restoring the changes alone lost every unchanged file).
   */
  bases?: Array<{ dir: string; set: BackupSet }>;
}

export const ESP_GPT = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
export { BIOS_BOOT_GPT };
const SWAP_TYPES = new Set(['0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', '82']);
const FIXED_TYPES = new Set([ESP_GPT, BIOS_BOOT_GPT, 'EF']);
/** room on top of the recorded data: files grow, filesystems need slack to stay healthy */
const DATA_MARGIN = 1.1;
/** filesystem metadata (journal, inode tables) on top of the data */
const FS_OVERHEAD = 8 * MiB;

const step = (s: Omit<RestoreStep, 'weight'> & { weight?: number }): RestoreStep => ({ weight: 1, ...s });
const text = (key: string, params: Text['params'] = {}): Text => ({ key, params });

/**
 * lvcreate activates the new LV and then wipes and zeroes it through /dev/VG/LV. By
 * default LVM leaves that node to udev's rules; the rescue system (busybox, no udev)
 * has none, so the node never appeared and every LVM restore failed there with
 * "/dev/VG/LV: not found: device not cleared" (found in qemu, test/qemu/lvm.test.ts).
 * LVM makes its nodes itself when told, which also works where udev runs: it then
 * tells udev's rules to leave those nodes alone.
 */
export const LVM_OWN_NODES = ['--config', 'activation { udev_sync = 0 udev_rules = 0 }'];

/** /dev/mapper/vg-lv and /dev/vg/lv name the same LV (dashes doubled in mapper names). */
function lvNames(vg: string, lv: string): string[] {
  const esc = (s: string) => s.replace(/-/g, '--');
  return [`/dev/${vg}/${lv}`, `/dev/mapper/${esc(vg)}-${esc(lv)}`];
}

/** "/" first, then shallower before deeper: a mount point must exist on its parent first. */
function byMountDepth(a: string, b: string): number {
  const depth = (m: string) => (m === '/' ? 0 : m.split('/').length);
  return depth(a) - depth(b) || a.localeCompare(b);
}

function inside(root: string, mountpoint: string): string {
  return mountpoint === '/' ? root : posix.join(root, mountpoint);
}

function newVolumeId(uuid: string): string {
  const hex = uuid.replace(/-/g, '').slice(0, 8).toUpperCase();
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

export function compilePlan(set: BackupSet, opts: CompileOptions): RestorePlan {
  return compileWithSizing(set, opts).plan;
}

/** The plan and, per target disk with a partition table, what sizing decided and why (the wizard's sizes panel). */
export function compileWithSizing(set: BackupSet, opts: CompileOptions): { plan: RestorePlan; sizing: DiskSizing[] } {
  const sizing: DiskSizing[] = [];
  const layout: Layout = set.layout;
  const newUuid = opts.newUuid ?? randomUUID;
  const clone = Boolean(opts.clone);
  const warnings: PlanWarning[] = [];
  const mapping: Mapping[] = [];
  const steps: RestoreStep[] = [];
  const targets: PlanTarget[] = [];
  const archiveOf = new Map<string, Archive>();
  /** partition node → its raw image: written back byte for byte, never mkfs'd nor resized */
  const rawOf = new Map<string, Archive>();
  for (const a of set.archives) (a.kind === 'raw' ? rawOf : archiveOf).set(a.device, a);
  const tarArchives = set.archives.filter((a) => a.kind !== 'raw');
  if (set.kind.type === 'incremental' && opts.bases === undefined) throw new LifeboatError('set-invalid', { path: opts.setDir, detail: `its base set ${set.kind.base} was not found next to it` });
  const bases = set.kind.type === 'incremental' ? (opts.bases ?? []) : [];
  /** a filesystem's archives along the chain, base first, this set's last (set/chain.ts archiveChain) */
  const chainOf = (a: Archive) => {
    const dirs = [...bases.map((b) => ({ dir: b.dir, tool: b.set.compression.tool, setId: b.set.id })), { dir: opts.setDir, tool: set.compression.tool, setId: set.id }];
    return archiveChain([...bases.map((b) => b.set), set], a).map(({ index, archive }) => ({ ...dirs[index], archive }));
  };
  // string joins, not posix.join: a base's folder may be "<set>/../<base>" (restore.sh)
  const partPath = (dir: string, name: string) => `${dir.replace(/\/+$/, '')}/${name}`;
  for (const l of set.rawLeftOut) warnings.push({ code: 'raw-left-out', params: { device: l.device } });
  for (const w of layout.warnings) warnings.push({ code: 'layout', params: { ...w.params, code: w.code } });
  if (layout.crypt.length) warnings.push({ code: 'crypt-not-restored', params: { devices: layout.crypt.map((c) => c.device).join(', ') } });

  // --- which recorded disks are replaced, and by what
  // A target named for a disk the set does not have is the mistake to report, before the
  // recorded disk it was meant for is reported as left without a target.
  for (const src of Object.keys(opts.targets)) {
    if (!layout.disks.some((d) => d.device === src)) throw new LifeboatError('restore-disk-unknown', { disk: src, known: layout.disks.map((d) => d.device).join(', ') });
  }
  const disks: Array<{ disk: Disk; target: TargetSpec; index: number }> = [];
  const seenTargets = new Set<string>();
  for (const disk of layout.disks) {
    const target = opts.targets[disk.device];
    if (!target) {
      // a disk holding only raw images (a second disk with Windows) may be left out: said, not refused
      for (const a of rawOf.values()) if (a.raw!.disk === disk.device) warnings.push({ code: 'raw-not-restored', params: { archive: a.id, device: a.device } });
      const holdsData = tarArchives.some((a) => a.device === disk.device || disk.table?.partitions.some((p) => p.node === a.device));
      if (holdsData) throw new LifeboatError('restore-disk-unmapped', { disk: disk.device });
      warnings.push({ code: 'disk-skipped', params: { disk: disk.device } });
      continue;
    }
    if (seenTargets.has(target.device)) throw new LifeboatError('target-duplicate', { device: target.device });
    seenTargets.add(target.device);
    disks.push({ disk, target, index: disks.length + 1 });
  }
  // --- MD arrays: refused before anything when they cannot be made again on these targets
  const mdOfMember = new Map<string, MdArray>();
  for (const md of layout.md) {
    if (!mdSupported(md)) throw new LifeboatError('restore-md-unsupported', { array: md.device, level: md.level, metadata: md.metadata ?? '?' });
    for (const m of md.members) {
      const owner = layout.disks.find((d) => d.device === m || d.table?.partitions.some((p) => p.node === m));
      if (!owner || !disks.some(({ disk }) => disk === owner)) throw new LifeboatError('restore-md-member-unmapped', { array: mdNode(md), member: m, disk: owner?.device ?? m });
      mdOfMember.set(m, md);
    }
  }

  const fsByDevice = new Map<string, Filesystem>(layout.filesystems.map((f) => [f.device, f]));
  const swapByDevice = new Map(layout.swap.filter((s) => s.kind === 'partition').map((s) => [s.device, s]));
  const pvs = layout.lvm?.pvs ?? [];
  const lvs = layout.lvm?.lvs ?? [];

  /** what a filesystem's data needs, with margin and the mkfs floor */
  const fsNeed = (fs: Filesystem | undefined): number => {
    if (!fs) return 0;
    const archive = archiveOf.get(fs.device);
    const data = fs.usedBytes ?? archive?.bytesIn ?? 0;
    if (!archive && fs.usedBytes === undefined) return FS_FLOOR[fs.type] ?? MiB;
    return Math.max(FS_FLOOR[fs.type] ?? MiB, Math.ceil(data * DATA_MARGIN) + FS_OVERHEAD);
  };
  const lvNeed = (lv: (typeof lvs)[number]): number => {
    const fs = lvNames(lv.vg, lv.name).map((n) => fsByDevice.get(n)).find(Boolean);
    return fs ? fsNeed(fs) : lv.sizeBytes;
  };
  /** what a device's contents need: a raw image, a filesystem, a PV's share of its VG, an md member's share of its array */
  const contentNeed = (node: string): number => {
    const raw = rawOf.get(node);
    if (raw) return raw.raw!.sizeBytes;
    const fs = fsByDevice.get(node);
    if (fs) return fsNeed(fs);
    const pv = pvs.find((v) => v.name === node);
    if (pv) {
      const vgPvs = pvs.filter((v) => v.vg === pv.vg).length;
      return Math.ceil(lvs.filter((l) => l.vg === pv.vg).reduce((s, l) => s + lvNeed(l), 0) / vgPvs) + 4 * MiB;
    }
    const md = mdOfMember.get(node);
    if (md) return memberNeed(md, Math.max(0, ...mdAliases(md).map(contentNeed)));
    return 0;
  };
  const partNeed = (p: Partition): number => contentNeed(p.node);

  /** why a partition keeps its size; null: it scales with the disk */
  const reasonOf = (p: Partition, disk: Disk): FixedReason | null => {
    if (rawOf.has(p.node)) return 'raw';
    if (p.type === ESP_GPT || p.type === 'EF') return 'esp';
    if (p.type === BIOS_BOOT_GPT) return 'bios-boot';
    if (opts.sizes?.[p.node] !== undefined) return 'user';
    if (SWAP_TYPES.has(p.type) || swapByDevice.has(p.node)) return 'swap';
    if (p.size * disk.table!.sectorsize < disk.sizeBytes / 100) return 'small';
    return null;
  };
  // A size for a partition that is not created, or whose size must not change, is refused, not ignored.
  for (const [node, bytes] of Object.entries(opts.sizes ?? {})) {
    const owner = disks.find(({ disk }) => disk.table?.partitions.some((p) => p.node === node && !(disk.table!.label === 'dos' && EXTENDED_TYPES.has(p.type))));
    if (!owner) {
      const known = disks.flatMap(({ disk }) => (disk.table?.partitions ?? []).filter((p) => !(disk.table!.label === 'dos' && EXTENDED_TYPES.has(p.type))).map((p) => p.node));
      throw new LifeboatError('restore-size-unknown', { partition: node, known: known.join(', ') });
    }
    const reason = reasonOf(owner.disk.table!.partitions.find((p) => p.node === node)!, owner.disk);
    if (reason && LOCKED_REASONS.has(reason)) throw new LifeboatError('restore-size-locked', { partition: node, reason });
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new LifeboatError('invalid-request', { field: 'sizes', reason: node });
  }

  // --- sizes and identities of everything that will be created
  const sized = new Map<string, { disk: Disk; target: TargetSpec; parts: SizedPartition[] }>();
  /** recorded device (partition node or whole disk) → target device */
  const devMap = new Map<string, string>();
  const devBytes = new Map<string, number>();
  for (const { disk, target } of disks) {
    const tss = target.sectorSize ?? disk.table?.sectorsize ?? 512;
    if (!disk.table) {
      devMap.set(disk.device, target.device);
      devBytes.set(disk.device, target.sizeBytes);
      const fs = fsByDevice.get(disk.device);
      const needed = fsNeed(fs);
      if (needed > target.sizeBytes) throw new LifeboatError('target-too-small', { device: target.device, needed, available: target.sizeBytes, size: target.sizeBytes });
      targets.push({ source: disk.device, device: target.device, sizeBytes: target.sizeBytes, neededBytes: needed });
      mapping.push({ kind: 'disk', source: disk.device, target: target.device, sourceBytes: disk.sizeBytes, targetBytes: target.sizeBytes, fixed: false });
      continue;
    }
    const small = disk.sizeBytes / 100;
    const fit = fitTable({
      device: target.device,
      table: disk.table,
      recordedBytes: disk.sizeBytes,
      targetBytes: target.sizeBytes,
      targetSectorSize: tss,
      fixed: (p) => rawOf.has(p.node) || FIXED_TYPES.has(p.type) || SWAP_TYPES.has(p.type) || swapByDevice.has(p.node) || p.size * disk.table!.sectorsize < small,
      minBytes: partNeed,
      overrides: opts.sizes,
    });
    const dos = disk.table.label === 'dos';
    const shown = fit.partitions.filter((sp) => !(dos && EXTENDED_TYPES.has(sp.source.type)));
    const end = Math.max(0, ...fit.partitions.map((sp) => (sp.start + sp.size) * tss));
    sizing.push({
      source: disk.device,
      device: target.device,
      sizeBytes: target.sizeBytes,
      spaceBytes: fit.spaceBytes,
      // GPT keeps its backup header in the last 33 sectors: not free for a partition
      freeBytes: Math.max(0, target.sizeBytes - end - (disk.table.label === 'gpt' ? 33 * tss : 0)),
      partitions: shown.map((sp) => {
        const fs = fsByDevice.get(sp.source.node);
        const swap = swapByDevice.get(sp.source.node);
        return {
          node: sp.source.node,
          number: sp.source.number,
          target: partitionNode(target.device, sp.source.number),
          fsType: fs?.type ?? (swap ? 'swap' : null),
          mountpoint: fs?.mountpoint ?? null,
          label: fs?.label ?? swap?.label ?? null,
          recordedBytes: sp.source.size * disk.table!.sectorsize,
          plannedBytes: sp.size * tss,
          startBytes: sp.start * tss,
          fixed: sp.fixed ? (reasonOf(sp.source, disk) ?? 'small') : null,
          minBytes: sp.minBytes,
          takesRest: sp.takesRest,
        };
      }),
    });
    sized.set(disk.device, { disk, target, parts: fit.partitions });
    targets.push({ source: disk.device, device: target.device, sizeBytes: target.sizeBytes, neededBytes: fit.neededBytes });
    mapping.push({ kind: 'disk', source: disk.device, target: target.device, sourceBytes: disk.sizeBytes, targetBytes: target.sizeBytes, fixed: false });
    for (const sp of fit.partitions) {
      const node = partitionNode(target.device, sp.source.number);
      devMap.set(sp.source.node, node);
      devBytes.set(sp.source.node, sp.size * tss);
    }
  }

  // md arrays: their nodes and (estimated) sizes on the new members; PVs and filesystems on them map here
  const mdPlanned = layout.md.map((md) => {
    const node = mdNode(md);
    const members = md.members.map((m) => devMap.get(m)!);
    const bytes = arrayBytes(md, md.members.slice(0, md.members.length - mdSpareCount(md)).map((m) => devBytes.get(m) ?? 0));
    for (const a of mdAliases(md)) {
      devMap.set(a, node);
      devBytes.set(a, bytes);
    }
    return { md, node, members, bytes, uuid: md.uuid };
  });

  // identities: the recorded ones, or new ones in clone mode
  const fsUuid = new Map<string, string | undefined>();
  const partUuid = new Map<string, string | undefined>();
  const idChanges: Array<[string, string]> = [];
  const ident = (recorded: string | undefined, fresh: () => string): string | undefined => {
    if (!clone || !recorded) return recorded;
    const next = fresh();
    idChanges.push([recorded, next]);
    return next;
  };
  for (const f of layout.filesystems) {
    // a raw image carries its filesystem's identity inside its bytes: clone mode cannot change it
    if (rawOf.has(f.device)) {
      fsUuid.set(f.device, f.uuid);
      if (clone && f.uuid) warnings.push({ code: 'raw-identity-kept', params: { device: f.device, fstype: f.type, uuid: f.uuid } });
      continue;
    }
    fsUuid.set(f.device, ident(f.uuid, () => (f.type === 'vfat' ? newVolumeId(newUuid()) : newUuid())));
  }
  for (const s of layout.swap) fsUuid.set(s.device, ident(s.uuid, newUuid));
  for (const { parts } of sized.values()) for (const sp of parts) partUuid.set(sp.source.node, ident(sp.source.uuid?.toLowerCase(), newUuid)?.toUpperCase());
  /** md UUIDs that change in clone mode, in mdadm's form: mdadm.conf (and a dracut command line) name them */
  const mdChanges: Array<[string, string]> = [];
  for (const p of mdPlanned) {
    if (!clone || !p.md.uuid) continue;
    p.uuid = mdUuidFrom(newUuid());
    mdChanges.push([p.md.uuid.toLowerCase(), p.uuid]);
  }

  // --- check: nothing destructive runs before the set and the targets are proven good
  // every part the plan reads, the bases' included
  const allParts = [
    ...tarArchives.flatMap((a) => chainOf(a).slice(0, -1)).flatMap((l) => l.archive.parts.map((p) => ({ ...p, path: partPath(l.dir, p.name) }))),
    ...set.archives.flatMap((a) => a.parts.map((p) => ({ ...p, path: partPath(opts.setDir, p.name) }))),
  ];
  const partBytes = allParts.reduce((s, p) => s + p.size, 0);
  steps.push(
    step({
      id: 'verify-parts',
      phase: 'check',
      title: text('steps.verifyParts', { count: allParts.length, bytes: partBytes }),
      argv: ['sha256sum', '-c', '-'],
      stdin: allParts.map((p) => `${p.sha256}  ${p.path}\n`).join(''),
      destructive: false,
      weight: Math.max(1, partBytes / 4),
      native: 'verify-parts',
      parts: allParts.map((p) => ({ path: p.path, size: p.size, sha256: p.sha256 })),
    }),
  );
  for (const t of targets) {
    steps.push(
      step({
        id: `check-target.${targets.indexOf(t) + 1}`,
        phase: 'check',
        title: text('steps.checkTarget', { device: t.device, bytes: t.neededBytes }),
        // sh: the device must exist and be at least as large as the plan needs
        argv: { sh: `test -b ${shq(t.device)} && test "$(blockdev --getsize64 ${shq(t.device)})" -ge ${t.neededBytes}` },
        destructive: false,
        native: 'check-target',
        device: t.device,
        minBytes: t.neededBytes,
      }),
    );
  }

  // LVM names are machine-wide: a VG or PV UUID the restore recreates that sits on another
  // attached disk would stop pvcreate/vgcreate after the wipe (lvm-conflicts.ts)
  const restoredVgs = (layout.lvm?.vgs ?? []).filter((vg) => pvs.filter((p) => p.vg === vg.name).every((p) => devMap.has(p.name)));
  if (restoredVgs.length) {
    const claim = {
      vgs: restoredVgs.map((vg) => vg.name),
      pvUuids: clone ? [] : pvs.filter((p) => restoredVgs.some((vg) => vg.name === p.vg)).map((p) => p.uuid),
      targets: targets.map((t) => t.device),
    };
    steps.push(step({ id: 'check-lvm', phase: 'check', title: text('steps.checkLvm', { vgs: claim.vgs.join(', ') }), argv: { sh: lvmClashSh(claim) }, destructive: false, native: 'check-lvm', lvm: claim }));
  }
  // md: an array running from another disk must not share an identity with one the restore creates (md-conflicts.ts)
  if (mdPlanned.length) {
    const claim: MdClaim = { arrays: mdPlanned.map((p) => ({ node: p.node, ...(p.uuid ? { uuid: p.uuid } : {}) })), targets: targets.map((t) => t.device) };
    steps.push(step({ id: 'check-md', phase: 'check', title: text('steps.checkMd', { arrays: claim.arrays.map((a) => a.node).join(', ') }), argv: { sh: mdClashSh(claim) }, destructive: false, native: 'check-md', md: claim }));
    // arrays still running on the targets (a run being repeated) hold their partitions: wipefs could not erase them
    steps.push(step({ id: 'md-stop', phase: 'wipe', title: text('steps.mdStop', { devices: claim.targets.join(', ') }), argv: { sh: mdStopSh(claim.targets) }, destructive: true }));
  }

  // --- wipe and partition
  for (const { disk, target, index } of disks) {
    steps.push(step({ id: `wipe.${index}`, phase: 'wipe', title: text('steps.wipe', { device: target.device }), argv: ['wipefs', '-a', target.device], destructive: true, device: target.device }));
    const s = sized.get(disk.device);
    if (!s) continue;
    const table = disk.table!;
    const labelId = clone ? (table.label === 'gpt' ? newUuid().toUpperCase() : `0x${newUuid().replace(/-/g, '').slice(0, 8)}`) : table.id;
    if (clone) idChanges.push([table.id, labelId]);
    steps.push(
      step({
        id: `partition.${index}`,
        phase: 'partition',
        title: text('steps.partition', { device: target.device, label: table.label, count: s.parts.length }),
        // no re-read here: without udev the kernel's view is refreshed by partx below, the same way everywhere
        argv: ['sfdisk', '-q', '--no-reread', '--no-tell-kernel', target.device],
        stdin: sfdiskScript(table, labelId, s.parts, (sp) => partUuid.get(sp.source.node), target.sectorSize ?? table.sectorsize),
        destructive: true,
        weight: 2,
        device: target.device,
      }),
    );
    steps.push(step({ id: `forget-parts.${index}`, phase: 'partition', title: text('steps.forgetParts', { device: target.device }), argv: ['partx', '-d', target.device], okExitCodes: [0, 1], destructive: true, device: target.device }));
    steps.push(step({ id: `add-parts.${index}`, phase: 'partition', title: text('steps.addParts', { device: target.device }), argv: ['partx', '-a', target.device], destructive: true, device: target.device }));
    const nodes = s.parts.filter((sp) => !(table.label === 'dos' && EXTENDED_TYPES.has(sp.source.type))).map((sp) => devMap.get(sp.source.node)!);
    // old signatures at the new partitions' offsets would confuse blkid and the restored system
    if (nodes.length) steps.push(step({ id: `wipe-parts.${index}`, phase: 'partition', title: text('steps.wipeParts', { device: target.device }), argv: ['wipefs', '-a', ...nodes], destructive: true, device: target.device }));
    for (const sp of s.parts) {
      const fs = fsByDevice.get(sp.source.node);
      mapping.push({
        kind: 'partition',
        source: sp.source.node,
        target: devMap.get(sp.source.node)!,
        sourceBytes: sp.source.size * table.sectorsize,
        targetBytes: devBytes.get(sp.source.node)!,
        fixed: sp.fixed,
        fsType: fs?.type ?? (swapByDevice.has(sp.source.node) ? 'swap' : undefined),
        mountpoint: fs?.mountpoint,
        uuid: partUuid.get(sp.source.node),
      });
    }
  }

  // --- raw images, byte for byte onto their partitions (before any mkfs: nothing else writes there)
  rawSteps(set, rawOf, devMap, devBytes, opts.setDir, steps);

  // --- md arrays on the new partitions, before what sits on them (PVs, filesystems)
  for (const p of mdPlanned) {
    const slots = mdSlots(p.md);
    const spares = mdSpareCount(p.md);
    const active = p.members.slice(0, p.members.length - spares);
    const members: Array<string | null> = [...active, ...Array<null>(Math.max(0, slots - active.length)).fill(null), ...p.members.slice(p.members.length - spares)];
    if (active.length < slots) warnings.push({ code: 'md-degraded', params: { array: p.node, members: active.length, slots } });
    const id = `md-create.${p.node.replace(/^\/dev\//, '').toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`;
    steps.push(step({ id, phase: 'format', title: text('steps.mdCreate', { array: p.node, level: p.md.level, members: p.members.join(', ') }), argv: mdCreateArgv(p.md, { node: p.node, members, uuid: p.uuid }), destructive: true, weight: 2, device: p.node }));
    mapping.push({ kind: 'md', source: p.md.device, target: p.node, sourceBytes: p.md.sizeBytes ?? 0, targetBytes: p.bytes, fixed: false, ...(p.uuid ? { uuid: p.uuid } : {}) });
  }

  // --- LVM: PVs on the new partitions, the VGs, LVs scaled with their PVs
  if (layout.lvm) {
    for (const vg of layout.lvm.vgs) {
      const vgPvs = pvs.filter((p) => p.vg === vg.name);
      const newPvs = vgPvs.map((p) => devMap.get(p.name)).filter((d): d is string => Boolean(d));
      if (newPvs.length !== vgPvs.length) {
        warnings.push({ code: 'vg-not-restored', params: { vg: vg.name } });
        continue;
      }
      vgPvs.forEach((p, i) => {
        const argv = ['lvm', 'pvcreate', '-ff', '-y'];
        if (!clone) argv.push('--uuid', p.uuid, '--norestorefile');
        argv.push(newPvs[i]);
        steps.push(step({ id: `pvcreate.${vg.name}.${i + 1}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-'), phase: 'format', title: text('steps.pvcreate', { device: newPvs[i] }), argv, destructive: true }));
      });
      const vgId = vg.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
      steps.push(step({ id: `vgcreate.${vgId}`, phase: 'format', title: text('steps.vgcreate', { vg: vg.name }), argv: ['lvm', 'vgcreate', '-y', '-s', `${vg.extentBytes}b`, vg.name, ...newPvs], destructive: true }));
      const oldBytes = vgPvs.reduce((s, p) => s + p.sizeBytes, 0);
      const newBytes = vgPvs.reduce((s, p) => s + (devBytes.get(p.name) ?? p.sizeBytes), 0) - vgPvs.length * 4 * MiB;
      const scale = oldBytes > 0 ? newBytes / oldBytes : 1;
      const ext = vg.extentBytes || 4 * MiB;
      const vgLvs = lvs.filter((l) => l.vg === vg.name);
      const lvBytes = new Map(vgLvs.map((lv) => [lv, Math.max(Math.ceil(lvNeed(lv) / ext) * ext, Math.floor((lv.sizeBytes * scale) / ext) * ext)]));
      const sum = [...lvBytes.values()].reduce((a, b) => a + b, 0);
      // LVs clamped at what their data needs may no longer fit the smaller VG
      if (sum > newBytes) throw new LifeboatError('target-too-small', { device: newPvs.join(', '), needed: sum + vgPvs.length * 4 * MiB, available: newBytes + vgPvs.length * 4 * MiB, size: newBytes + vgPvs.length * 4 * MiB });
      for (const lv of vgLvs) {
        const bytes = lvBytes.get(lv)!;
        const lvId = `${vgId}.${lv.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`;
        steps.push(step({ id: `lvcreate.${lvId}`, phase: 'format', title: text('steps.lvcreate', { vg: vg.name, lv: lv.name, bytes }), argv: ['lvm', 'lvcreate', ...LVM_OWN_NODES, '-y', '-Wy', '-Zy', '-L', `${bytes}b`, '-n', lv.name, vg.name], destructive: true }));
        for (const n of lvNames(lv.vg, lv.name)) {
          devMap.set(n, `/dev/${lv.vg}/${lv.name}`);
          devBytes.set(n, bytes);
        }
        mapping.push({ kind: 'lv', source: `${lv.vg}/${lv.name}`, target: `/dev/${lv.vg}/${lv.name}`, sourceBytes: lv.sizeBytes, targetBytes: bytes, fixed: false });
      }
    }
  }

  // --- filesystems and swap
  let n = 0;
  for (const fs of layout.filesystems) {
    if (rawOf.has(fs.device)) continue;
    const dev = devMap.get(fs.device);
    if (!dev) {
      if (archiveOf.has(fs.device)) warnings.push({ code: 'fs-not-restored', params: { device: fs.device, mountpoint: fs.mountpoint ?? '' } });
      continue;
    }
    // inodes for every file the chain may bring back (an incremental archive alone holds only the changed ones)
    const own = archiveOf.get(fs.device);
    const files = own ? chainOf(own).reduce((n, l) => n + (l.archive.files ?? 0), 0) : undefined;
    const argv = mkfsArgv(fs, { device: dev, sizeBytes: devBytes.get(fs.device) ?? 0, uuid: fsUuid.get(fs.device), label: fs.label, files });
    if (!argv) {
      warnings.push({ code: 'fs-type-unsupported', params: { device: fs.device, fstype: fs.type } });
      continue;
    }
    steps.push(step({ id: `mkfs.${++n}`, phase: 'format', title: text('steps.mkfs', { device: dev, fstype: fs.type, label: fs.label ?? '' }), argv, destructive: true, weight: 3, device: dev }));
  }
  for (const sw of layout.swap.filter((s) => s.kind === 'partition')) {
    const dev = devMap.get(sw.device);
    if (!dev) continue;
    steps.push(step({ id: `mkswap.${++n}`, phase: 'format', title: text('steps.mkswap', { device: dev }), argv: mkswapArgv({ device: dev, sizeBytes: devBytes.get(sw.device) ?? 0, uuid: fsUuid.get(sw.device), label: sw.label }), destructive: true, device: dev }));
  }

  // --- mount in mountpoint order, extract in the same order (a child's own root entry then wins)
  const restorable = tarArchives.filter((a) => devMap.has(a.device)).sort((a, b) => byMountDepth(a.mountpoint, b.mountpoint));
  for (const a of tarArchives) if (!devMap.has(a.device)) warnings.push({ code: 'archive-not-restored', params: { archive: a.id, mountpoint: a.mountpoint } });
  const mounted: string[] = [];
  for (const a of restorable) {
    const dir = inside(opts.mountRoot, a.mountpoint);
    const dev = devMap.get(a.device)!;
    steps.push(step({ id: `mkdir.${a.id}`, phase: 'mount', title: text('steps.mkdir', { path: dir }), argv: ['mkdir', '-p', dir], destructive: false }));
    steps.push(step({ id: `mount.${a.id}`, phase: 'mount', title: text('steps.mount', { device: dev, path: dir }), argv: ['mount', '-t', a.fsType, dev, dir], destructive: true, mounts: dir }));
    mounted.push(dir);
    const fs = fsByDevice.get(a.device);
    const subvols = [...(fs?.btrfs?.subvolumes ?? [])].sort((x, y) => x.path.split('/').length - y.path.split('/').length);
    subvols.forEach((sv, i) => {
      steps.push(step({ id: `subvolume.${a.id}.${i + 1}`, phase: 'mount', title: text('steps.subvolume', { path: posix.join(dir, sv.path) }), argv: ['btrfs', 'subvolume', 'create', posix.join(dir, sv.path)], destructive: true }));
    });
  }
  for (const a of restorable) {
    const dir = inside(opts.mountRoot, a.mountpoint);
    const chain = chainOf(a);
    chain.forEach((link, k) => {
      const last = k === chain.length - 1;
      const bytes = link.archive.parts.reduce((s, p) => s + p.size, 0);
      const decompress = decompressArgv(link.tool);
      // an incremental chain is replayed as tar replays it: deletions and renames included
      const tar = [...tarExtractArgv(link.archive.tarFeatures, dir), ...(chain.length > 1 ? ['--listed-incremental=/dev/null'] : [])];
      steps.push(
        step({
          id: last ? `extract.${a.id}` : `extract.${a.id}.base${k + 1}`,
          phase: 'extract',
          // along a chain, which set each step reads (the archive's id is the same in all of them)
          title:
            chain.length > 1
              ? text('steps.extractChain', { archive: link.archive.id, mountpoint: a.mountpoint, bytes: link.archive.bytesIn, set: link.setId, n: k + 1, count: chain.length })
              : text('steps.extract', { archive: link.archive.id, mountpoint: a.mountpoint, bytes: link.archive.bytesIn }),
          argv: { pipeline: [...(decompress ? [decompress] : []), tar], input: link.archive.parts.map((p) => partPath(link.dir, p.name)) },
          destructive: true,
          weight: Math.max(1, bytes),
          native: 'extract',
          archive: link.archive.id,
        }),
      );
    });
  }

  // --- the restored system must find its new identities
  const rootArchive = restorable.find((a) => a.mountpoint === '/');
  if (clone && idChanges.length && rootArchive && layout.boot.fstab) {
    const fstab = posix.join(opts.mountRoot, 'etc/fstab');
    const exprs = idChanges.flatMap(([from, to]) => {
      const pairs = new Set([`${from}\u0000${to}`, `${from.toLowerCase()}\u0000${to.toLowerCase()}`, `${from.toUpperCase()}\u0000${to.toUpperCase()}`]);
      return [...pairs].flatMap((p) => {
        const [a, b] = p.split('\u0000');
        return ['-e', `s/${a.replace(/[^0-9A-Za-z-]/g, '')}/${b.replace(/[^0-9A-Za-z-]/g, '')}/g`];
      });
    });
    steps.push(step({ id: 'fstab', phase: 'configure', title: text('steps.fstab', { path: fstab }), argv: ['sed', '-i', ...exprs, fstab], destructive: true }));
  }
  // new md UUIDs: the restored system assembles its arrays by the UUIDs in mdadm.conf (and,
  // with dracut, rd.md.uuid= on the kernel command line); the boot steps below then
  // regenerate the GRUB menu and the initramfs, which carries a copy of mdadm.conf
  if (mdChanges.length && rootArchive) {
    const files = ['etc/mdadm/mdadm.conf', 'etc/mdadm.conf', 'etc/default/grub'].map((f) => shq(posix.join(opts.mountRoot, f)));
    const exprs = mdChanges.flatMap(([from, to]) => [from, from.toUpperCase()].map((f) => `-e ${shq(`s/${f}/${to}/g`)}`)).join(' ');
    steps.push(step({ id: 'mdadm-conf', phase: 'configure', title: text('steps.mdadmConf'), argv: { sh: `for f in ${files.join(' ')}; do if [ -f "$f" ]; then sed -i ${exprs} "$f"; fi; done` }, destructive: true }));
  }

  // --- boot loader, only when the layout records one to reinstall
  if (rootArchive) {
    const espNode = layout.boot.esp;
    const espArchive = espNode ? restorable.find((a) => a.device === espNode) : undefined;
    // BIOS: GRUB's boot code on every disk holding /boot (or /), each member's disk when that
    // is an array — any of them may be the one left to boot from (boot-disks.ts)
    const grubReads = restorable.find((a) => a.mountpoint === '/boot') ?? rootArchive;
    const biosDisks = biosBootDisks(layout, grubReads.device, disks.map(({ disk }) => disk)).map((d) => disks.find(({ disk }) => disk === d)!.target.device);
    // UEFI: the loader goes to the one ESP the layout records, as before. An ESP on an md
    // RAID1 (metadata 1.0, so the firmware reads each member as plain FAT) is that array:
    // grub-install writes through md onto every member, and should it fail to make its
    // NVRAM entry for an md device, the step's second try takes the removable path, which
    // the firmware finds on any member. Separate ESPs per disk that the distribution keeps
    // in step (Debian's grub-efi/install_devices) are not recognised as such: the others
    // come back from their archives or raw images as they were, with the loader they held.
    const boot = bootSteps({
      root: opts.mountRoot,
      firmware: layout.boot.firmware,
      espDevice: espNode ? devMap.get(espNode) : undefined,
      espMounted: Boolean(espArchive),
      biosDisks,
    });
    for (const s of boot) {
      steps.push(s);
      if (s.mounts) mounted.push(s.mounts);
    }
  }

  // --- flush, then unmount everything in reverse
  steps.push(step({ id: 'sync', phase: 'finish', title: text('steps.sync'), argv: ['sync'], destructive: false }));
  [...mounted].reverse().forEach((dir, i) => {
    steps.push(step({ id: `umount.${i + 1}`, phase: 'finish', title: text('steps.umount', { path: dir }), argv: ['umount', dir], destructive: false, unmounts: dir }));
  });

  const plan = RestorePlanSchema.parse({ setId: set.id, setDir: opts.setDir, clone, mountRoot: opts.mountRoot, targets, mapping, steps, warnings });
  return { plan, sizing };
}
