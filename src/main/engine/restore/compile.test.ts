/**
 * The plan compiler on layouts recorded from real loop devices (fixtures/record.ts):
 * same size, larger, smaller, too small; GPT and MBR; clone mode. Where loop devices
 * can be made, the partition steps are applied to a real disk and the table read back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compilePlan } from './compile';
import { recordedLayout, readTable, runArgvStep, setAround } from './test-util';
import { canUseLoop, cleanupScratch, isRoot, loopSkipReason, makeLoop } from '../../../../test/util/loop';
import { LifeboatError } from '../../../shared/errors';
import type { RestorePlan } from '../../../shared/restore-plan';
import { LayoutSchema } from '../../../shared/layout';
import { parseLvm } from '../inventory/parse/volumes';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 1024 * 1024;
const gpt = setAround(recordedLayout('gpt'));
const mbr = setAround(recordedLayout('mbr'));
const GPT_SIZE = gpt.layout.disks[0].sizeBytes;
const MBR_SIZE = mbr.layout.disks[0].sizeBytes;

const plan = (set = gpt, size = GPT_SIZE, extra: { clone?: boolean; device?: string } = {}) =>
  compilePlan(set, {
    setDir: '/media/backup/set 1',
    mountRoot: '/mnt/lifeboat',
    targets: { [set.layout.disks[0].device]: { device: extra.device ?? '/dev/loop9', sizeBytes: size } },
    clone: extra.clone,
    newUuid: (() => {
      let i = 0;
      return () => `abcdef0${i}-1111-4222-8333-${String(++i).padStart(12, '0')}`;
    })(),
  });

const part = (p: RestorePlan, node: string) => p.mapping.find((m) => m.kind === 'partition' && m.source === node)!;

function applyPartitioning(p: RestorePlan) {
  for (const s of p.steps.filter((s) => s.phase === 'wipe' || s.phase === 'partition')) runArgvStep(s);
}

afterAll(() => cleanupScratch());

describe('compilePlan on the recorded GPT disk (ESP, root, home, swap)', () => {
  it('keeps every partition exactly on a disk of the same size', () => {
    const p = plan();
    const rec = gpt.layout.disks[0].table!.partitions;
    for (const r of rec) {
      const m = part(p, r.node);
      expect(m.target).toBe(`/dev/loop9p${r.number}`);
      expect(m.targetBytes).toBe(r.size * 512);
    }
    const sf = p.steps.find((s) => s.id === 'partition.1')!;
    expect(sf.stdin).toContain('label-id: 5B1F2C3D-0000-4000-8000-00000000B001');
    expect(sf.stdin).toContain('p2 : start=67584, size=491520, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=5B1F2C3D-0000-4000-8000-0000000000F2, name="root", attrs="LegacyBIOSBootable"');
  });

  it('orders the steps: checks, then wipe, partition, format, mount, extract, finish; nothing destructive before the checks', () => {
    const p = plan();
    const firstDestructive = p.steps.findIndex((s) => s.destructive);
    const lastCheck = p.steps.map((s) => s.phase).lastIndexOf('check');
    expect(lastCheck).toBeLessThan(firstDestructive);
    expect(p.steps[0].native).toBe('verify-parts');
    const ids = p.steps.map((s) => s.id);
    expect(ids.indexOf('mount.root')).toBeLessThan(ids.indexOf('mount.home'));
    expect(ids.indexOf('extract.root')).toBeLessThan(ids.indexOf('extract.home'));
    expect(ids.indexOf('mount.home')).toBeLessThan(ids.indexOf('extract.root'));
    // unmount in reverse: /home before /
    const um = p.steps.filter((s) => s.unmounts).map((s) => s.unmounts);
    expect(um.indexOf('/mnt/lifeboat/home')).toBeLessThan(um.indexOf('/mnt/lifeboat'));
    const ext = p.steps.find((s) => s.id === 'extract.root')!.argv as { pipeline: string[][]; input: string[] };
    expect(ext.input).toEqual(['/media/backup/set 1/archives/a0.tar.zst.000']);
    expect(ext.pipeline[0]).toEqual(['zstd', '-q', '-d', '-c']);
    expect(ext.pipeline[1]).toEqual(expect.arrayContaining(['tar', '-x', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '-C', '/mnt/lifeboat']));
  });

  it('recreates filesystems with their recorded identity and parameters, dropping runtime-only ext4 features', () => {
    const p = plan();
    const root = p.steps.find((s) => Array.isArray(s.argv) && s.argv.includes('/dev/loop9p2') && s.argv[0] === 'mkfs.ext4')!.argv as string[];
    expect(root).toEqual(expect.arrayContaining(['-U', '11111111-2222-4333-8444-555555555555', '-L', 'lbroot', '-b', '1024', '-I', '256', '-i', '8192', '-m', '2']));
    const o = root[root.indexOf('-O') + 1];
    expect(o.startsWith('none,has_journal')).toBe(true);
    expect(o).not.toContain('needs_recovery');
    const esp = p.steps.find((s) => Array.isArray(s.argv) && s.argv[0] === 'mkfs.vfat')!.argv;
    expect(esp).toEqual(['mkfs.vfat', '-F', '32', '-i', '1234ABCD', '-n', 'LBESP', '/dev/loop9p1']);
    const swap = p.steps.find((s) => Array.isArray(s.argv) && s.argv[0] === 'mkswap')!.argv;
    expect(swap).toEqual(['mkswap', '-f', '-U', '0f0f0f0f-1111-4222-8333-444444444444', '-L', 'lbswap', '/dev/loop9p4']);
  });

  it('on a disk twice as large: ESP and swap keep their size, root and home grow in proportion', () => {
    const p = plan(gpt, 2 * GPT_SIZE);
    expect(part(p, '/dev/loopGp1').targetBytes).toBe(32 * MiB);
    expect(part(p, '/dev/loopGp4').targetBytes).toBe(78 * MiB);
    const root = part(p, '/dev/loopGp2').targetBytes;
    const home = part(p, '/dev/loopGp3').targetBytes;
    expect(root / (240 * MiB)).toBeGreaterThan(1.9);
    expect(home / (160 * MiB)).toBeGreaterThan(1.9);
    // the proportions between the scaled partitions stay
    expect(root / home).toBeCloseTo(240 / 160, 1);
    // everything fits inside the usable area of the target
    const total = [1, 2, 3, 4].reduce((s, n) => s + part(p, `/dev/loopGp${n}`).targetBytes, 0);
    expect(total + MiB + 33 * 512).toBeLessThanOrEqual(2 * GPT_SIZE);
    expect(2 * GPT_SIZE - (total + MiB)).toBeLessThan(2 * MiB);
  });

  it('on a disk half as large that still holds the data: root and home shrink, ESP and swap stay', () => {
    const p = plan(gpt, GPT_SIZE / 2);
    expect(part(p, '/dev/loopGp1').targetBytes).toBe(32 * MiB);
    expect(part(p, '/dev/loopGp4').targetBytes).toBe(78 * MiB);
    expect(part(p, '/dev/loopGp2').targetBytes).toBeLessThan(240 * MiB);
    expect(part(p, '/dev/loopGp2').targetBytes).toBeGreaterThan(3163136 * 1.1);
    expect(p.targets[0].neededBytes).toBeLessThanOrEqual(GPT_SIZE / 2);
  });

  it('refuses a disk too small for the recorded data, with the numbers', () => {
    let err: unknown;
    try {
      plan(gpt, 100 * MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LifeboatError);
    const e = err as LifeboatError;
    expect(e.code).toBe('target-too-small');
    expect(e.params.available).toBe(100 * MiB);
    // ESP 32 MiB + swap 78 MiB alone exceed it
    expect(Number(e.params.needed)).toBeGreaterThan(110 * MiB);
    expect(e.params.device).toBe('/dev/loop9');
  });

  it('in clone mode gives new identities everywhere and rewrites fstab', () => {
    const p = plan(gpt, GPT_SIZE, { clone: true });
    const sf = p.steps.find((s) => s.id === 'partition.1')!.stdin!;
    expect(sf).not.toContain('5B1F2C3D');
    const root = p.steps.find((s) => Array.isArray(s.argv) && s.argv.includes('/dev/loop9p2') && s.argv[0] === 'mkfs.ext4')!.argv as string[];
    expect(root[root.indexOf('-U') + 1]).not.toBe('11111111-2222-4333-8444-555555555555');
    const fstab = p.steps.find((s) => s.id === 'fstab')!;
    expect(fstab.argv).toEqual(expect.arrayContaining(['sed', '-i', '/mnt/lifeboat/etc/fstab']));
    expect((fstab.argv as string[]).join(' ')).toContain('s/11111111-2222-4333-8444-555555555555/');
    expect(p.steps.some((s) => s.id === 'fstab')).toBe(true);
    expect(plan().steps.some((s) => s.id === 'fstab')).toBe(false);
  });

  it('names partitions of sda-like disks without "p"', () => {
    const p = plan(gpt, GPT_SIZE, { device: '/dev/sdb' });
    expect(part(p, '/dev/loopGp2').target).toBe('/dev/sdb2');
    const nvme = plan(gpt, GPT_SIZE, { device: '/dev/nvme0n1' });
    expect(part(nvme, '/dev/loopGp2').target).toBe('/dev/nvme0n1p2');
  });

  it('refuses a target for a disk the backup does not have', () => {
    expect(() => compilePlan(gpt, { setDir: '/s', mountRoot: '/m', targets: { '/dev/nope': { device: '/dev/loop9', sizeBytes: GPT_SIZE } } })).toThrow(/restore-disk/);
  });
});

describe('compilePlan on the recorded MBR disk (bootable primary, extended, logicals)', () => {
  it('keeps the boot flag, the extended partition and the logical numbers', () => {
    const p = plan(mbr, MBR_SIZE);
    const sf = p.steps.find((s) => s.id === 'partition.1')!.stdin!;
    expect(sf).toContain('label: dos');
    expect(sf).toContain('label-id: 0x0badcafe');
    expect(sf).toContain('p1 : start=2048, size=204800, type=83, bootable');
    expect(sf).toContain('p2 : start=206848, size=1226752, type=5');
    expect(sf).toContain('p5 : start=208896, size=655360, type=83');
  });

  it('on a larger disk the logicals grow and the extended partition still wraps them', () => {
    const p = plan(mbr, 2 * MBR_SIZE);
    const sf = p.steps.find((s) => s.id === 'partition.1')!.stdin!;
    const row = (n: number) => {
      const m = new RegExp(`p${n} : start=(\\d+), size=(\\d+)`).exec(sf)!;
      return { start: Number(m[1]), end: Number(m[1]) + Number(m[2]) };
    };
    expect(row(2).start).toBeLessThan(row(5).start);
    expect(row(2).end).toBeGreaterThanOrEqual(row(6).end);
    expect(row(6).end * 512).toBeLessThanOrEqual(2 * MBR_SIZE);
    expect(part(p, '/dev/loopMp5').targetBytes).toBeGreaterThan(1.9 * 320 * MiB);
  });
});

describe.skipIf(!canUseLoop())(`partition steps on real loop devices (${loopSkipReason})`, () => {
  const cases: Array<[string, typeof gpt, number]> = [
    ['GPT, same size', gpt, GPT_SIZE],
    ['GPT, twice as large', gpt, 2 * GPT_SIZE],
    ['GPT, half as large', gpt, GPT_SIZE / 2],
    ['MBR, same size', mbr, MBR_SIZE],
    ['MBR, twice as large', mbr, 2 * MBR_SIZE],
  ];
  for (const [name, set, size] of cases) {
    it(`${name}: sfdisk reads back the planned table and the partition nodes exist`, () => {
      const loop = makeLoop(size);
      try {
        const p = plan(set, size, { device: loop.device });
        applyPartitioning(p);
        const table = readTable(loop.device);
        const rec = set.layout.disks[0].table!;
        expect(table.label).toBe(rec.label);
        expect(table.id.toLowerCase()).toBe(rec.id.toLowerCase());
        expect(table.partitions.map((x) => x.node)).toEqual(rec.partitions.map((r) => r.node.replace(/\/dev\/loop[GM]/, loop.device)));
        for (const r of rec.partitions) {
          const got = table.partitions.find((x) => x.node === `${loop.device}p${r.number}`)!;
          expect(got.type.toUpperCase()).toBe(r.type);
          expect(got.uuid).toBe(r.uuid);
          expect(got.name).toBe(r.name);
          expect(got.attrs).toBe(r.attrs);
          expect(got.bootable).toBe(r.bootable);
          if (r.type !== '5') expect(got.size * 512).toBe(part(p, r.node).targetBytes);
          if (size === set.layout.disks[0].sizeBytes) expect([got.start, got.size]).toEqual([r.start, r.size]);
        }
        // the kernel knows the new partitions: the nodes the next steps format exist
        for (const r of rec.partitions) expect(() => runArgvStep({ id: 'x', phase: 'check', title: { key: 'x', params: {} }, argv: ['test', '-b', `${loop.device}p${r.number}`], destructive: false, weight: 1 })).not.toThrow();
      } finally {
        try {
          runArgvStep({ id: 'x', phase: 'finish', title: { key: 'x', params: {} }, argv: ['partx', '-d', loop.device], okExitCodes: [0, 1], destructive: false, weight: 1 });
        } finally {
          loop.detach();
        }
      }
    });
  }
});

describe('compilePlan with LVM (metadata recorded from a real PV; no device-mapper here, so the plan only)', () => {
  const fx = (f: string) => readFileSync(join(__dirname, '../inventory/fixtures', f), 'utf8');
  const lvm = parseLvm(fx('pvs.json'), fx('vgs.json'), fx('lvs.json'));
  const pvBytes = lvm.pvs[0].sizeBytes;
  const layout = LayoutSchema.parse({
    disks: [{ device: '/dev/loopPV', sizeBytes: 200 * MiB, table: null }],
    // the filesystem on the LV: these two entries are what the inventory records for a mounted LV
    filesystems: [
      { device: '/dev/mapper/lbvg-root', type: 'ext4', uuid: '11111111-2222-4333-8444-555555555555', mountpoint: '/', usedBytes: 20 * MiB },
      { device: '/dev/mapper/lbvg-home', type: 'ext4', uuid: '66666666-7777-4888-8999-aaaaaaaaaaaa', mountpoint: '/home', usedBytes: 4 * MiB },
    ],
    swap: [],
    lvm,
    md: [],
    crypt: [],
    boot: { firmware: 'bios' },
    warnings: [],
  });
  const set = setAround(layout);
  const lvPlan = (size: number) => compilePlan(set, { setDir: '/s', mountRoot: '/m', targets: { '/dev/loopPV': { device: '/dev/sdz', sizeBytes: size } } });
  const lvSize = (p: RestorePlan, name: string) => p.mapping.find((m) => m.kind === 'lv' && m.source === `lbvg/${name}`)!.targetBytes;

  it('recreates PV (same UUID), VG (same extent size) and LVs before formatting them', () => {
    const p = lvPlan(200 * MiB);
    const argv = p.steps.map((s) => (Array.isArray(s.argv) ? s.argv.join(' ') : ''));
    const i = (re: RegExp) => argv.findIndex((a) => re.test(a));
    expect(argv[i(/pvcreate/)]).toBe(`lvm pvcreate -ff -y --uuid ${lvm.pvs[0].uuid} --norestorefile /dev/sdz`);
    expect(argv[i(/vgcreate/)]).toBe('lvm vgcreate -y -s 4194304b lbvg /dev/sdz');
    expect(i(/pvcreate/)).toBeLessThan(i(/vgcreate/));
    expect(i(/vgcreate/)).toBeLessThan(i(/lvcreate .* -n root/));
    expect(i(/lvcreate .* -n root/)).toBeLessThan(i(/mkfs.ext4 .*\/dev\/lbvg\/root/));
    // the VG must not exist on another attached disk: checked before the first destructive step
    const chk = p.steps.find((s) => s.id === 'check-lvm')!;
    expect(chk).toMatchObject({ phase: 'check', native: 'check-lvm', destructive: false, lvm: { vgs: ['lbvg'], pvUuids: [expect.any(String)], targets: p.targets.map((t) => t.device) } });
    expect(p.steps.indexOf(chk)).toBeLessThan(p.steps.findIndex((s) => s.destructive));
    // LVM makes /dev/lbvg/root itself: the rescue system has no udev to do it (test/qemu/lvm.test.ts)
    expect(p.steps[i(/lvcreate .* -n root/)].argv).toEqual(['lvm', 'lvcreate', '--config', 'activation { udev_sync = 0 udev_rules = 0 }', '-y', '-Wy', '-Zy', '-L', `${lvSize(p, 'root')}b`, '-n', 'root', 'lbvg']);
    expect(p.steps.find((s) => s.id === 'mount.root')!.argv).toEqual(['mount', '-t', 'ext4', '/dev/lbvg/root', '/m']);
  });

  it('scales the LVs with the disk, in whole extents, and refuses when their data no longer fits', () => {
    const big = lvPlan(2 * pvBytes);
    expect(lvSize(big, 'root') / (60 * MiB)).toBeGreaterThan(1.85);
    expect(lvSize(big, 'home') / (40 * MiB)).toBeGreaterThan(1.85);
    expect(lvSize(big, 'root') % (4 * MiB)).toBe(0);
    const small = lvPlan(pvBytes / 2);
    expect(lvSize(small, 'root')).toBeLessThan(60 * MiB);
    expect(lvSize(small, 'root')).toBeGreaterThanOrEqual(20 * MiB * 1.1);
    expect(lvSize(small, 'root') + lvSize(small, 'home')).toBeLessThanOrEqual(pvBytes / 2);
    expect(() => lvPlan(40 * MiB)).toThrow(expect.objectContaining({ code: 'target-too-small' }));
  });
});

describe('boot loader steps', () => {
  const uefi = setAround({ ...recordedLayout('gpt'), boot: { ...recordedLayout('gpt').boot, firmware: 'uefi' } });
  const p = compilePlan(uefi, { setDir: '/s', mountRoot: '/mnt/lb', targets: { '/dev/loopG': { device: '/dev/sdb', sizeBytes: GPT_SIZE } } });
  const ids = p.steps.map((s) => s.id);

  it('on UEFI with an ESP: binds /dev /proc /sys, mounts the ESP, reinstalls GRUB after the files are back, and unmounts it all', () => {
    expect(ids.indexOf('boot.bind-dev')).toBeGreaterThan(ids.indexOf('extract.home'));
    expect(p.steps.find((s) => s.id === 'boot.mount-esp')!.argv).toEqual(['mount', '-t', 'vfat', '/dev/sdb1', '/mnt/lb/boot/efi']);
    expect(ids.indexOf('boot.grub-install')).toBeLessThan(ids.indexOf('boot.grub-config'));
    expect(ids.indexOf('boot.initramfs')).toBeLessThan(ids.indexOf('sync'));
    const um = p.steps.filter((s) => s.unmounts).map((s) => s.unmounts);
    expect(um).toEqual(['/mnt/lb/boot/efi', '/mnt/lb/sys', '/mnt/lb/proc', '/mnt/lb/dev', '/mnt/lb/home', '/mnt/lb']);
    const grub = (p.steps.find((s) => s.id === 'boot.grub-install')!.argv as { sh: string }).sh;
    expect(grub).toContain('--removable --no-nvram');
  });

  it('no boot steps on BIOS without a BIOS boot partition (nothing recorded to reinstall)', () => {
    expect(plan().steps.some((s) => s.phase === 'boot')).toBe(false);
  });

  it.skipIf(!isRoot)('the GRUB steps skip, and say so, when the restored system has no GRUB (run with dash in an empty root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-boot-'));
    try {
      const q = compilePlan(uefi, { setDir: '/s', mountRoot: dir, targets: { '/dev/loopG': { device: '/dev/sdb', sizeBytes: GPT_SIZE } } });
      for (const id of ['boot.grub-install', 'boot.grub-config', 'boot.initramfs']) {
        const out = execFileSync('dash', ['-c', (q.steps.find((s) => s.id === id)!.argv as { sh: string }).sh], { encoding: 'utf8' });
        expect(out).toMatch(/^LIFEBOAT-SKIP /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
