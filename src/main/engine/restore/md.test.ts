/**
 * MD arrays in the restore plan, on the layout `lifeboat inventory` recorded inside qemu
 * (fixtures/layout-md.json: a RAID1 /dev/md/root across two disks holding `/`, and a plain
 * /srv): the steps, their order, their argv, sizes on other disks, clone mode, the sh
 * rendering, and the refusals. The running-array checks are run with dash on a sysfs tree
 * laid out like the kernel's (this VM's kernel has no md driver; test/qemu/md.test.ts runs
 * them on a real one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePlan, type CompileOptions } from './compile';
import { readTable, recordedLayout, setAround } from './test-util';
import { renderShell, commandLine } from './shell';
import { findMdClash, mdClashSh, mdStopSh, runningArrays, type MdClaim } from './md-conflicts';
import { arrayBytes, mdCreateArgv, mdOverhead, memberNeed, mdUuidFrom } from './md';
import { LifeboatError } from '../../../shared/errors';
import { LayoutSchema, type Layout } from '../../../shared/layout';
import type { RestorePlan } from '../../../shared/restore-plan';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir } from '../../../../test/util/loop';

const MiB = 1024 * 1024;
const MD_UUID = '3d0a7000:00004000:80000000:0000d001';
const layout = recordedLayout('md');
const set = setAround(layout);
const [A, B] = layout.disks.map((d) => d.sizeBytes);
const hasDash = spawnSync('dash', ['-c', 'true']).status === 0;
afterAll(() => cleanupScratch());

function plan({ diskBytes, s, ...opts }: Partial<CompileOptions> & { diskBytes?: [number, number]; s?: typeof set } = {}): RestorePlan {
  const [a, b] = diskBytes ?? [A, B];
  return compilePlan(s ?? set, {
    setDir: '/media/set',
    mountRoot: '/mnt/lifeboat',
    targets: { '/dev/vdb': { device: '/dev/sdd', sizeBytes: a }, '/dev/vdc': { device: '/dev/sde', sizeBytes: b } },
    newUuid: (() => {
      let i = 0;
      return () => `abcdef0${i}-1111-4222-8333-${String(++i).padStart(12, '0')}`;
    })(),
    ...opts,
  });
}
const ids = (p: RestorePlan) => p.steps.map((s) => s.id);
const argvOf = (p: RestorePlan, id: string) => p.steps.find((s) => s.id === id)!.argv as string[];
const withMd = (md: Partial<Layout['md'][number]>): typeof set => setAround(LayoutSchema.parse({ ...layout, md: [{ ...layout.md[0], ...md }] }));

function refusal(f: () => unknown): LifeboatError {
  try {
    f();
  } catch (err) {
    if (err instanceof LifeboatError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('the plan recreates a recorded RAID1 before the filesystems on it', () => {
  it('makes the array with its recorded level, members in order, metadata, UUID and superblock name, on the mapped partitions', () => {
    const p = plan();
    expect(argvOf(p, 'md-create.md-root')).toEqual([
      'mdadm', '--create', '/dev/md/root', '--run', '--metadata=1.2', '--level=raid1', '--raid-devices=2',
      `--uuid=${MD_UUID}`, '--name=mdguest:root', '--assume-clean', '/dev/sdd1', '/dev/sde1',
    ]);
    expect(p.mapping.find((m) => m.kind === 'md')).toMatchObject({ source: '/dev/md127', target: '/dev/md/root', uuid: MD_UUID, sourceBytes: layout.md[0].sizeBytes });
    // the root filesystem goes onto the array, with its UUID; /srv on its plain partition
    expect(argvOf(p, 'mkfs.1')).toEqual(expect.arrayContaining(['mkfs.ext4', '-U', '3d0a7000-0000-4000-8000-00000000a001', '/dev/md/root']));
    expect(argvOf(p, 'mkfs.1').at(-1)).toBe('/dev/md/root');
    expect(argvOf(p, 'mkfs.2').at(-1)).toBe('/dev/sdd2');
    expect(argvOf(p, 'mount.root')).toEqual(['mount', '-t', 'ext4', '/dev/md/root', '/mnt/lifeboat']);
    expect(p.warnings.map((w) => w.code)).not.toContain('md-not-restored');
  });

  it('orders it: the running-array check with the others, stop old arrays before the wipe, create after the partitions and before mkfs', () => {
    const p = plan();
    const i = ids(p);
    const firstDestructive = p.steps.findIndex((s) => s.destructive);
    expect(i.indexOf('check-md')).toBeLessThan(firstDestructive);
    expect(p.steps.find((s) => s.id === 'check-md')).toMatchObject({ native: 'check-md', destructive: false, md: { arrays: [{ node: '/dev/md/root', uuid: MD_UUID }], targets: ['/dev/sdd', '/dev/sde'] } });
    expect(i.indexOf('md-stop')).toBe(firstDestructive);
    expect(i.indexOf('md-stop')).toBeLessThan(i.indexOf('wipe.1'));
    expect(i.indexOf('md-create.md-root')).toBeGreaterThan(i.indexOf('wipe-parts.2'));
    expect(i.indexOf('md-create.md-root')).toBeLessThan(i.indexOf('mkfs.1'));
    // same identities: nothing to rewrite in the restored system
    expect(i).not.toContain('mdadm-conf');
  });

  it('the same steps in the rescue script: members follow the target variables, the checks name the target disks', () => {
    const p = plan();
    const sh = renderShell(p, { setVariable: true, targetVariables: true });
    expect(sh).toContain(`'mdadm' '--create' '/dev/md/root' '--run' '--metadata=1.2' '--level=raid1' '--raid-devices=2' '--uuid=${MD_UUID}' '--name=mdguest:root' '--assume-clean' "$(lb_part "$LIFEBOAT_TARGET_1" 1)" "$(lb_part "$LIFEBOAT_TARGET_2" 1)"`);
    const check = sh.slice(sh.indexOf("lb_id=check-md"), sh.indexOf('lb_id=md-stop'));
    expect(check).toContain('"$LIFEBOAT_TARGET_1"p[0-9]*');
    expect(check).toContain('"$LIFEBOAT_TARGET_2"[0-9]*');
    expect(check).not.toContain("'/dev/sdd'");
    // what dry-run prints for the create step
    expect(commandLine(p.steps.find((s) => s.id === 'md-create.md-root')!)).toBe(
      `'mdadm' '--create' '/dev/md/root' '--run' '--metadata=1.2' '--level=raid1' '--raid-devices=2' '--uuid=${MD_UUID}' '--name=mdguest:root' '--assume-clean' '/dev/sdd1' '/dev/sde1'`,
    );
    if (hasDash) expect(spawnSync('dash', ['-n'], { input: sh }).status).toBe(0);
  });

  it('in clone mode gives the array a new UUID and rewrites it in mdadm.conf (and a dracut command line)', () => {
    const p = plan({ clone: true });
    const create = argvOf(p, 'md-create.md-root');
    const uuid = create.find((a) => a.startsWith('--uuid='))!.slice(7);
    expect(uuid).toMatch(/^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/);
    expect(uuid).not.toBe(MD_UUID);
    expect(p.mapping.find((m) => m.kind === 'md')!.uuid).toBe(uuid);
    expect(p.steps.find((s) => s.id === 'check-md')!.md!.arrays[0].uuid).toBe(uuid);
    const conf = p.steps.find((s) => s.id === 'mdadm-conf')!;
    expect(conf.phase).toBe('configure');
    const sh = (conf.argv as { sh: string }).sh;
    expect(sh).toContain(`'s/${MD_UUID}/${uuid}/g'`);
    expect(sh).toContain(`'s/${MD_UUID.toUpperCase()}/${uuid}/g'`);
    for (const f of ['etc/mdadm/mdadm.conf', 'etc/mdadm.conf', 'etc/default/grub']) expect(sh).toContain(`'/mnt/lifeboat/${f}'`);
    expect(ids(p).indexOf('mdadm-conf')).toBeGreaterThan(ids(p).indexOf('extract.root'));
  });

  it('the mdadm.conf step edits a real file and leaves absent ones alone', () => {
    if (!hasDash) return;
    const root = scratchDir('lifeboat-mdconf-');
    mkdirSync(join(root, 'etc/mdadm'), { recursive: true });
    writeFileSync(join(root, 'etc/mdadm/mdadm.conf'), `HOMEHOST <system>\nARRAY /dev/md/root metadata=1.2 UUID=${MD_UUID} name=mdguest:root\n`);
    const p = plan({ clone: true, mountRoot: root });
    const uuid = argvOf(p, 'md-create.md-root').find((a) => a.startsWith('--uuid='))!.slice(7);
    const r = spawnSync('dash', ['-c', commandLine(p.steps.find((s) => s.id === 'mdadm-conf')!)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(root, 'etc/mdadm/mdadm.conf'), 'utf8')).toBe(`HOMEHOST <system>\nARRAY /dev/md/root metadata=1.2 UUID=${uuid} name=mdguest:root\n`);
  });

  it('sizes members for what the array holds: they scale with larger disks and shrink only to what the data needs', () => {
    const member = (p: RestorePlan, node: string) => p.mapping.find((m) => m.kind === 'partition' && m.source === node)!.targetBytes;
    const big = plan({ diskBytes: [A * 2, B * 2] });
    expect(member(big, '/dev/vdb1')).toBeGreaterThan(128 * MiB);
    const md = big.mapping.find((m) => m.kind === 'md')!;
    expect(md.targetBytes).toBe(arrayBytes(layout.md[0], [member(big, '/dev/vdb1'), member(big, '/dev/vdc1')]));
    // the array's contents (root's used bytes and margin) still fit on the smaller members
    const small = plan({ diskBytes: [Math.floor(A * 0.6), Math.floor(B * 0.6)] });
    const need = memberNeed(layout.md[0], Math.ceil(layout.filesystems[0].usedBytes! * 1.1) + 8 * MiB);
    expect(member(small, '/dev/vdb1')).toBeGreaterThanOrEqual(need);
    expect(member(small, '/dev/vdc1')).toBeGreaterThanOrEqual(need);
    expect(small.mapping.find((m) => m.kind === 'md')!.targetBytes).toBeGreaterThanOrEqual(Math.ceil(layout.filesystems[0].usedBytes! * 1.1));
  });
});

describe('GRUB on every disk of a mirrored boot (BIOS)', () => {
  const BIOS_BOOT = '21686148-6449-6E6F-744E-656564454649';
  type D = Layout['disks'][number];
  const dos = (d: D): D => ({ ...d, table: { ...d.table!, label: 'dos' } });
  /** a 1 MiB BIOS boot partition after the disk's last one (GPT) */
  const withBiosBoot = (d: D): D => {
    const t = d.table!;
    const last = t.partitions.at(-1)!;
    const n = last.number + 1;
    return { ...d, table: { ...t, partitions: [...t.partitions, { node: `${d.device}${n}`, number: n, start: last.start + last.size, size: 2048, type: BIOS_BOOT }] } };
  };
  const onDisks = (disks: D[], more: Partial<Layout> = {}) => setAround(LayoutSchema.parse({ ...layout, ...more, disks }));
  const grubSteps = (p: RestorePlan) => p.steps.filter((s) => s.id.startsWith('boot.grub-install'));
  const grubDevices = (p: RestorePlan) => grubSteps(p).map((s) => s.title.params.device);

  it('a root on a RAID1 gets the boot code on each member\'s disk, first member\'s first, one step each, before the menu is made', () => {
    const [b, c] = layout.disks.map(dos);
    for (const disks of [[b, c], [c, b]]) {
      const p = plan({ s: onDisks(disks) });
      const steps = grubSteps(p);
      expect(steps.map((s) => s.id)).toEqual(['boot.grub-install', 'boot.grub-install.2']);
      expect(grubDevices(p)).toEqual(['/dev/sdd', '/dev/sde']);
      expect(steps.map((s) => s.title.key)).toEqual(['steps.grubBios', 'steps.grubBios']);
      expect((steps[0].argv as { sh: string }).sh).toContain("grub-install --target=i386-pc --recheck '/dev/sdd'");
      expect((steps[1].argv as { sh: string }).sh).toContain("grub-install --target=i386-pc --recheck '/dev/sde'");
      expect((steps[1].argv as { sh: string }).sh).not.toContain("'/dev/sdd'");
      const i = ids(p);
      expect(i.indexOf('boot.grub-install')).toBeGreaterThan(i.indexOf('boot.bind-sys'));
      expect(i.indexOf('boot.grub-install.2')).toBe(i.indexOf('boot.grub-install') + 1);
      expect(i.indexOf('boot.grub-install.2')).toBeLessThan(i.indexOf('boot.grub-config'));
    }
  });

  it('the rescue script installs on each target variable\'s disk', () => {
    const p = plan({ s: onDisks(layout.disks.map(dos)) });
    const sh = renderShell(p, { setVariable: true, targetVariables: true });
    const block = (id: string, next: string) => sh.slice(sh.indexOf(`lb_id=${id}\n`), sh.indexOf(`lb_id=${next}\n`));
    expect(block('boot.grub-install', 'boot.grub-install.2')).toContain('grub-install --target=i386-pc --recheck "$LIFEBOAT_TARGET_1"');
    expect(block('boot.grub-install.2', 'boot.grub-config')).toContain('grub-install --target=i386-pc --recheck "$LIFEBOAT_TARGET_2"');
    expect(block('boot.grub-install.2', 'boot.grub-config')).not.toContain('LIFEBOAT_TARGET_1');
    if (hasDash) expect(spawnSync('dash', ['-n'], { input: sh }).status).toBe(0);
  });

  it('GPT: every member\'s disk with a BIOS boot partition; none with one: no boot steps, as before', () => {
    const [b, c] = layout.disks;
    expect(grubDevices(plan({ s: onDisks([withBiosBoot(b), withBiosBoot(c)]) }))).toEqual(['/dev/sdd', '/dev/sde']);
    // grub-install refuses a GPT disk without one ("embedding is not possible"): that disk is left out
    expect(grubDevices(plan({ s: onDisks([b, withBiosBoot(c)]) }))).toEqual(['/dev/sde']);
    expect(plan({ s: onDisks([b, c]) }).steps.some((s) => s.phase === 'boot')).toBe(false);
  });

  it('through LVM on the array, and a /boot array beside a plain root: the members\' disks', () => {
    const [b, c] = layout.disks.map(dos);
    const onLvm = onDisks([b, c], {
      filesystems: [{ ...layout.filesystems[1] }, { ...layout.filesystems[0], device: '/dev/mapper/vgmd-root' }],
      lvm: {
        pvs: [{ name: '/dev/md127', vg: 'vgmd', sizeBytes: 120 * MiB, freeBytes: 0, uuid: 'PVUUID-md' }],
        vgs: [{ name: 'vgmd', uuid: 'VGUUID', sizeBytes: 120 * MiB, freeBytes: 0, extentBytes: 4 * MiB }],
        lvs: [{ name: 'root', vg: 'vgmd', uuid: 'LVUUID', sizeBytes: 120 * MiB, segtype: 'linear', devices: ['/dev/md127(0)'] }],
      },
    });
    expect(grubDevices(plan({ s: onLvm }))).toEqual(['/dev/sdd', '/dev/sde']);
    // /boot on the array, / on a plain partition of the first disk: GRUB reads /boot, so both disks
    const bootArray = onDisks([c, b], { filesystems: [{ ...layout.filesystems[0], mountpoint: '/boot' }, { ...layout.filesystems[1], mountpoint: '/' }] });
    expect(grubDevices(plan({ s: bootArray }))).toEqual(['/dev/sdd', '/dev/sde']);
  });

  it('a plain root still gets one disk; UEFI still one step for the ESP', () => {
    const [b, c] = layout.disks.map(dos);
    // / on the first disk's plain partition, the array unused by the boot: that disk only
    const plain = onDisks([b, c], { filesystems: [{ ...layout.filesystems[0], mountpoint: '/data' }, { ...layout.filesystems[1], mountpoint: '/' }] });
    expect(grubDevices(plan({ s: plain }))).toEqual(['/dev/sdd']);
    const esp = { node: '/dev/vdc2', number: 2, start: 264192, size: 2048, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' };
    const gptC = { ...layout.disks[1], table: { ...layout.disks[1].table!, partitions: [...layout.disks[1].table!.partitions, esp] } };
    const p = plan({ s: onDisks([layout.disks[0], gptC], { boot: { ...layout.boot, firmware: 'uefi', esp: '/dev/vdc2' } }) });
    expect(grubSteps(p).map((s) => [s.id, s.title.key, s.title.params.device])).toEqual([['boot.grub-install', 'steps.grubEfi', '/dev/sde2']]);
  });

  const grubPc = '/usr/lib/grub/i386-pc/modinfo.sh';
  const realWhy = !canUseLoop() ? loopSkipReason : !existsSync(grubPc) || spawnSync('grub-install', ['--version']).status !== 0 ? `needs grub-install and ${grubPc} (grub-pc-bin)` : !hasDash ? 'needs dash' : null;
  it.skipIf(realWhy !== null)(`run for real (dash, the host's grub-install onto two loop disks): both get GRUB's boot code and core image${realWhy ? ` — skipped: ${realWhy}` : ''}`, () => {
    const loops = [makeLoop(A), makeLoop(B)];
    const root = scratchDir('lifeboat-grub2-');
    let mounted = false;
    try {
      for (const l of loops) {
        execFileSync('sfdisk', ['-q', l.device], { input: 'label: dos\nstart=2048, type=fd\n' });
        spawnSync('partx', ['-d', l.device]);
        execFileSync('partx', ['-a', l.device]);
      }
      // the restored root, as the plan leaves it before the boot steps: /boot/grub on the first disk's filesystem
      execFileSync('mkfs.ext4', ['-q', `${loops[0].device}p1`]);
      execFileSync('mount', [`${loops[0].device}p1`, root]);
      mounted = true;
      mkdirSync(join(root, 'boot/grub'), { recursive: true });
      const mbr = (dev: string) => {
        const fd = openSync(dev, 'r');
        try {
          const buf = Buffer.alloc(1024);
          readSync(fd, buf, 0, 1024, 0);
          return buf;
        } finally {
          closeSync(fd);
        }
      };
      for (const l of loops) expect(mbr(l.device).subarray(0, 440).includes('GRUB')).toBe(false);
      const p = compilePlan(onDisks(layout.disks.map(dos)), {
        setDir: '/media/set',
        mountRoot: root,
        targets: { '/dev/vdb': { device: loops[0].device, sizeBytes: A }, '/dev/vdc': { device: loops[1].device, sizeBytes: B } },
      });
      const steps = grubSteps(p);
      expect(steps.map((s) => s.title.params.device)).toEqual(loops.map((l) => l.device));
      // the restored root has no grub-install of its own here: the rescue system's (the host's) writes it
      for (const s of steps) {
        const r = spawnSync('dash', ['-c', `set -eu; ${commandLine(s)}`], { encoding: 'utf8' });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toContain('Installation finished. No error reported.');
      }
      for (const l of loops) {
        const head = mbr(l.device);
        // boot.img in the MBR (its "GRUB " message), diskboot.img of the core image right after it
        expect(head.subarray(0, 440).includes('GRUB ')).toBe(true);
        expect(head.subarray(512, 1024).some((x) => x !== 0)).toBe(true);
        // the partition table the plan made stays as it was
        expect(readTable(l.device).partitions.map((x) => [x.start, x.type])).toEqual([[2048, 'fd']]);
      }
    } finally {
      if (mounted) spawnSync('umount', [root]);
      for (const l of loops) l.detach();
    }
  }, 60_000);
});

describe('other arrays', () => {
  it('RAID5 with its chunk: no --assume-clean (parity must be computed), members in role order', () => {
    const s = withMd({ level: 'raid5', chunkBytes: 512 * 1024 });
    const argv = argvOf(plan({ s }), 'md-create.md-root');
    expect(argv).toContain('--level=raid5');
    expect(argv).toContain('--chunk=512K');
    expect(argv).not.toContain('--assume-clean');
  });

  it('a degraded array comes back degraded, with the empty slot as "missing" and a warning', () => {
    const p = plan({ s: withMd({ raidDevices: 3 }) });
    const argv = argvOf(p, 'md-create.md-root');
    expect(argv.slice(-3)).toEqual(['/dev/sdd1', '/dev/sde1', 'missing']);
    expect(argv).toContain('--raid-devices=3');
    expect(argv).not.toContain('--assume-clean');
    expect(p.warnings).toContainEqual({ code: 'md-degraded', params: { array: '/dev/md/root', members: 2, slots: 3 } });
  });

  it('spares go last with --spare-devices; 0.90 metadata takes no name', () => {
    const a = { ...layout.md[0], members: ['/dev/vdb1', '/dev/vdc1', '/dev/vdc2'], spares: ['/dev/vdc2'], metadata: '0.90' };
    const argv = mdCreateArgv(a, { node: '/dev/md0', members: ['/dev/sdd1', '/dev/sde1', '/dev/sde2'], uuid: MD_UUID });
    expect(argv).toContain('--spare-devices=1');
    expect(argv).toContain('--metadata=0.90');
    expect(argv.some((x) => x.startsWith('--name'))).toBe(false);
    expect(argv.slice(-3)).toEqual(['/dev/sdd1', '/dev/sde1', '/dev/sde2']);
  });

  it('a layout recorded without roles: members beyond the slot count are made spares, not extra mirrors', () => {
    const argv = argvOf(plan({ s: withMd({ raidDevices: 1, level: 'raid1' }) }), 'md-create.md-root');
    expect(argv).toContain('--raid-devices=1');
    expect(argv).toContain('--spare-devices=1');
  });

  it('an LVM volume group on an array: the PV is created on the array node, after the array', () => {
    const base = recordedLayout('md');
    const lay = LayoutSchema.parse({
      ...base,
      filesystems: [{ ...base.filesystems[1] }, { ...base.filesystems[0], device: '/dev/mapper/vgmd-root' }],
      lvm: {
        pvs: [{ name: '/dev/md127', vg: 'vgmd', sizeBytes: 120 * MiB, freeBytes: 0, uuid: 'PVUUID-md' }],
        vgs: [{ name: 'vgmd', uuid: 'VGUUID', sizeBytes: 120 * MiB, freeBytes: 0, extentBytes: 4 * MiB }],
        lvs: [{ name: 'root', vg: 'vgmd', uuid: 'LVUUID', sizeBytes: 120 * MiB, segtype: 'linear', devices: ['/dev/md127'] }],
      },
    });
    const p = plan({ s: setAround(lay) });
    const i = ids(p);
    expect(argvOf(p, 'pvcreate.vgmd.1').at(-1)).toBe('/dev/md/root');
    expect(i.indexOf('md-create.md-root')).toBeLessThan(i.indexOf('pvcreate.vgmd.1'));
    expect(argvOf(p, 'mkfs.2').at(-1)).toBe('/dev/vgmd/root');
    expect(p.steps.find((s) => s.id === 'check-lvm')!.lvm!.vgs).toEqual(['vgmd']);
  });
});

describe('refusals, before anything is written', () => {
  it('a member whose disk has no target', () => {
    const e = refusal(() => compilePlan(set, { setDir: '/s', mountRoot: '/m', targets: { '/dev/vdb': { device: '/dev/sdd', sizeBytes: A } } }));
    expect(e.code).toBe('restore-md-member-unmapped');
    expect(e.params).toEqual({ array: '/dev/md/root', member: '/dev/vdc1', disk: '/dev/vdc' });
  });

  it('a level or metadata the plan cannot make (a firmware RAID container, multipath)', () => {
    for (const md of [{ level: 'container', metadata: 'imsm' }, { level: 'raid1', metadata: 'imsm' }, { level: 'multipath' }, { metadata: 'ddf' }]) {
      const e = refusal(() => plan({ s: withMd(md) }));
      expect(e.code, JSON.stringify(md)).toBe('restore-md-unsupported');
      expect(e.params.array).toBe('/dev/md127');
    }
  });

  it('disks too small for the array\'s data', () => {
    const e = refusal(() => plan({ diskBytes: [8 * MiB, 8 * MiB] }));
    expect(e.code).toBe('target-too-small');
  });
});

describe('running arrays', () => {
  const claim: MdClaim = { arrays: [{ node: '/dev/md/root', uuid: MD_UUID }], targets: ['/dev/sdd', '/dev/sde'] };
  const arr = (o: Partial<Parameters<typeof findMdClash>[0][number]>) => ({ array: '/dev/md127', members: [], claimedNodes: [], ...o });

  it('findMdClash: same UUID or name on another disk, or an array spanning a target and another disk', () => {
    expect(findMdClash([arr({ uuid: MD_UUID.toUpperCase(), members: ['/dev/sdb1', '/dev/sdc1'] })], claim)).toEqual({ array: '/dev/md127', device: '/dev/sdb1', claimed: '/dev/md/root' });
    expect(findMdClash([arr({ uuid: 'ffffffff:00000000:00000000:00000000', members: ['/dev/sdb1'], claimedNodes: ['/dev/md/root'] })], claim)).toMatchObject({ claimed: '/dev/md/root' });
    expect(findMdClash([arr({ members: ['/dev/sdd1', '/dev/sdb1'] })], claim)).toEqual({ array: '/dev/md127', device: '/dev/sdb1', claimed: '/dev/sdd1' });
    // entirely on the targets (a restore run again): the stop step's business, not a refusal
    expect(findMdClash([arr({ uuid: MD_UUID, members: ['/dev/sdd1', '/dev/sde1'], claimedNodes: ['/dev/md/root'] })], claim)).toBeNull();
    // another array on another disk, nothing in common
    expect(findMdClash([arr({ uuid: 'ffffffff:00000000:00000000:00000000', members: ['/dev/sdb1'] })], claim)).toBeNull();
    // in clone mode the claim has a new UUID: the old array is no clash by UUID
    expect(findMdClash([arr({ uuid: MD_UUID, members: ['/dev/sdb1'] })], { ...claim, arrays: [{ node: '/dev/md/other', uuid: mdUuidFrom('abcdef00-1111-4222-8333-000000000001') }] })).toBeNull();
  });

  /** A sysfs tree laid out as the kernel's: /sys/block/mdN/slaves/<member> for each running array. */
  function fakeSys(arrays: Record<string, string[]>): { sys: string; bin: string; log: string } {
    const dir = scratchDir('lifeboat-mdsys-');
    const sys = join(dir, 'block');
    for (const [md, members] of Object.entries(arrays)) {
      mkdirSync(join(sys, md, 'slaves'), { recursive: true });
      for (const m of members) {
        mkdirSync(join(sys, m), { recursive: true });
        symlinkSync('../../' + m, join(sys, md, 'slaves', m));
      }
    }
    // the one stand-in: mdadm answers for arrays this kernel cannot run (the real one runs in test/qemu/md.test.ts)
    const bin = join(dir, 'bin');
    const log = join(dir, 'mdadm.log');
    mkdirSync(bin);
    writeFileSync(join(bin, 'mdadm'), `#!/bin/sh\necho "$*" >>'${log}'\ncase "$*" in *--detail*md127*) echo MD_LEVEL=raid1; echo MD_UUID=${MD_UUID} ;; *--detail*) echo MD_LEVEL=raid1; echo MD_UUID=ffffffff:00000000:00000000:00000000 ;; esac\n`);
    chmodSync(join(bin, 'mdadm'), 0o755);
    writeFileSync(log, '');
    return { sys, bin, log };
  }
  const dash = (script: string, bin: string) => spawnSync('dash', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

  it.skipIf(!hasDash)('the rescue script\'s check (dash): refuses the same UUID on another disk and an array spanning a target, passes the rest', () => {
    let f = fakeSys({ md127: ['sdb1', 'sdc1'], md5: ['sdf1'] });
    let r = dash(mdClashSh(claim, f.sys), f.bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('The RAID array /dev/md127 is running with /dev/sdb1, which is not a restore target, and stands in the way of /dev/md/root');
    f = fakeSys({ md126: ['sdd1', 'sdb2'] });
    r = dash(mdClashSh(claim, f.sys), f.bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stands in the way of /dev/sdd1');
    f = fakeSys({ md127: ['sdd1', 'sde1'], md5: ['sdf1'] });
    r = dash(mdClashSh(claim, f.sys), f.bin);
    expect(r.status, r.stderr).toBe(0);
    f = fakeSys({});
    expect(dash(mdClashSh(claim, f.sys), f.bin).status).toBe(0);
  });

  it.skipIf(!hasDash)('the stop step stops exactly the arrays on the targets', () => {
    const f = fakeSys({ md127: ['sdd1', 'sde1'], md5: ['sdf1'], md3: ['sde2'] });
    const r = dash(mdStopSh(claim.targets, f.sys), f.bin);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(f.log, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['--stop /dev/md127', '--stop /dev/md3']);
  });

  it('the app reads the running arrays from sysfs (here: a tree laid out like the kernel\'s)', async () => {
    const f = fakeSys({ md127: ['sdb1', 'sdc1'] });
    const found = await runningArrays(['/dev/md/root'], undefined, f.sys);
    expect(found).toEqual([{ array: '/dev/md127', uuid: undefined, members: ['/dev/sdb1', '/dev/sdc1'], claimedNodes: [] }]);
    // this VM: no md driver, so no array at all
    expect(await runningArrays(['/dev/md/root'])).toEqual([]);
  });
});

describe('sizes', () => {
  it('a member holds its share of the array plus md\'s own room', () => {
    const raid1 = layout.md[0];
    expect(memberNeed(raid1, 100 * MiB)).toBe(100 * MiB + mdOverhead(100 * MiB));
    expect(memberNeed({ ...raid1, level: 'raid5', raidDevices: 3, members: ['a', 'b', 'c'] }, 100 * MiB)).toBe(50 * MiB + mdOverhead(50 * MiB));
    expect(arrayBytes({ ...raid1, level: 'raid0' }, [100 * MiB, 120 * MiB])).toBe(2 * (100 * MiB - mdOverhead(100 * MiB)));
    // measured in qemu: a 128 MiB member gives a 127 MiB RAID1 (data at 1 MiB); the estimate stays below
    expect(arrayBytes(raid1, [128 * MiB])).toBeLessThanOrEqual(130048 * 1024);
    expect(arrayBytes(raid1, [128 * MiB])).toBeGreaterThan(120 * MiB);
  });
});
