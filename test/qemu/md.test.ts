/**
 * MD RAID for real (issue #5): the host kernel has no md driver, so the real `lifeboat`
 * CLI runs inside qemu on the rescue system's kernel (node-in-vm.ts, as lvm.test.ts does),
 * in ONE boot that runs every stage of md-guest.sh in order:
 *   1. two disks, a RAID1 /dev/md/root across a partition of each (metadata 1.2, fixed
 *      UUID, name "mdguest:root") holding the ext4 root, and a plain ext4 /srv beside it:
 *      `lifeboat inventory` and `lifeboat backup` of it, mounted;
 *   2. with that array still running, a restore onto two blank disks is refused before
 *      anything is written (restore-md-in-use), by the CLI and by the set's restore.sh;
 *   3. source array stopped, `lifeboat restore` onto the blank disks: the array comes back
 *      with the recorded level, members, UUID and name, the filesystems with their UUIDs,
 *      every file the same;
 *   4. the set's restore.sh run by dash over the same disks while that array still runs
 *      (a restore run again): it stops it and makes it anew; the array then assembles
 *      from its members' superblocks alone, and the files compare again.
 * Both disks carry a BIOS boot partition: each restore puts GRUB's boot code on both (one
 * grub-install step per member's disk), read back from the MBRs and the core images.
 * The guest writes its outputs to the lab disk; the assertions run here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, scratchDir } from '../util/loop';
import { hasQemu, hostKernel, stopAll } from './vm';
import { buildTestInitrd, makeLabDisk, runGuest } from './node-in-vm';

const MiB = 1024 * 1024;
const DISK_A = 256 * MiB;
const DISK_B = 160 * MiB;
const MD_UUID = '3d0a7000:00004000:80000000:0000d001';
const ROOT_UUID = '3d0a7000-0000-4000-8000-00000000a001';
const SRV_UUID = '3d0a7000-0000-4000-8000-00000000a002';
const why = !hostKernel || !hasQemu() ? 'needs qemu-system-x86_64 and a kernel in /boot (apt-get install qemu-system-x86 linux-image-cloud-amd64)' : null;

let work = '';
let out = '';

const kv = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(join(out, file), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
const jsonLines = (file: string) => readFileSync(join(out, file), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
const text = (file: string) => readFileSync(join(out, file), 'utf8');

function blank(name: string, size: number): string {
  const p = join(work, name);
  writeFileSync(p, '');
  truncateSync(p, size);
  return p;
}

/** The array as the restore must have made it: recorded level, member count, UUID and superblock name. */
function expectArray(name: string, members: string[]): void {
  const d = kv(`${name}-detail.txt`);
  expect(d).toMatchObject({ MD_LEVEL: 'raid1', MD_DEVICES: '2', MD_METADATA: '1.2', MD_UUID, MD_NAME: 'mdguest:root' });
  expect(Object.entries(d).filter(([k]) => /^MD_DEVICE_.+_DEV$/.test(k)).map(([, v]) => v).sort()).toEqual(members);
  // every member's superblock names the array
  const examine = text(`${name}-examine.txt`);
  expect(examine.match(/Array UUID : (\S+)/g)).toEqual([`Array UUID : ${MD_UUID}`, `Array UUID : ${MD_UUID}`]);
  expect(examine).toContain('Raid Level : raid1');
  expect(kv(`${name}-blkid.txt`)).toMatchObject({ TYPE: 'ext4', UUID: ROOT_UUID, LABEL: 'lbroot' });
}

/** what grub-install adds to /boot/grub (modules, core.img, grubenv): not from the set, so not compared */
const grubOwn = (l: string) => /^\.\/boot\/grub\//.test(l) && !l.startsWith('./boot/grub/grub.cfg ');

function expectSameTree(name: string): void {
  const lines = (f: string) => text(f).split('\n').filter(Boolean);
  const src = lines('source-tree.txt');
  expect(src.length).toBeGreaterThan(15);
  expect(src.filter(grubOwn)).toEqual([]);
  expect(lines(`${name}-tree.txt`).filter((l) => !grubOwn(l))).toEqual(src);
}

/**
 * GRUB's boot code on BOTH disks of the mirror (Debian's grub-pc does the same for a root
 * on md): the MBR's boot.img and the core image in each disk's BIOS boot partition, written
 * by one grub-install step per disk, through the array for /boot/grub.
 */
function expectGrubOnBoth(name: string, log: string): void {
  const code = Object.fromEntries(
    text(`${name}-bootcode.txt`)
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(' ')[0], l]),
  );
  for (const d of ['vdd', 'vde']) {
    expect(code[d]).toContain('mbr-grub=1');
    expect(code[d]).toMatch(/core=[0-9a-f]{16}$/);
  }
  expect(text(`${name}-tree.txt`)).toContain('./boot/grub/i386-pc/core.img ');
  console.log(`${name}: boot code after the restore — ${Object.values(code).join('; ')}`);
  expect(log).not.toContain('LIFEBOAT-SKIP grub-install');
}

describe.skipIf(why !== null)(`MD RAID1 inside qemu: inventory, backup, refusal, restore onto two blank disks${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-md-');
    const t0 = Date.now();
    const initrd = await buildTestInitrd(work, hostKernel);
    const lab = await makeLabDisk(work, { 'md-guest.sh': readFileSync(join(__dirname, 'md-guest.sh'), 'utf8'), 'guest-listing.sh': readFileSync(join(__dirname, 'guest-listing.sh'), 'utf8'), all: '. /lab/scripts/md-guest.sh\nstage_all\n' });
    const disks = [blank('src-a.img', DISK_A), blank('src-b.img', DISK_B), blank('dst-a.img', DISK_A), blank('dst-b.img', DISK_B)];
    const prepared = (Date.now() - t0) / 1000;
    const r = await runGuest({ kernel: hostKernel, initrd, lab, disks, script: 'all', outDir: join(work, 'out-all'), timeoutMs: 840_000 });
    out = join(work, 'out-all', 'out');
    const guestSeconds = (() => {
      try {
        return text('all.seconds').trim();
      } catch {
        return '?';
      }
    })();
    console.log(`md in qemu: initrd and lab disk ${prepared.toFixed(1)} s; guest script ${guestSeconds} s, boot to power-off ${r.seconds.toFixed(1)} s, rc=${r.rc}`);
    expect(r.rc, r.log.slice(-6000)).toBe('0');
  }, 900_000);

  afterAll(async () => {
    await stopAll();
    cleanupScratch();
  });

  it('the inventory records the array: level, metadata, UUID, names, members in role order, size', () => {
    const inv = jsonLines('inventory.json').find((o) => o.type === 'inventory')!;
    const layout = inv.layout;
    expect(layout.disks.map((d: any) => [d.device, d.sizeBytes])).toEqual([
      ['/dev/vdb', DISK_A],
      ['/dev/vdc', DISK_B],
    ]);
    expect(layout.md).toEqual([
      expect.objectContaining({ level: 'raid1', metadata: '1.2', uuid: MD_UUID, name: 'root', superName: 'mdguest:root', raidDevices: 2, members: ['/dev/vdb1', '/dev/vdc1'], chunkBytes: 0 }),
    ]);
    expect(layout.md[0].device).toMatch(/^\/dev\/md\d+$/);
    expect(layout.md[0].sizeBytes).toBeGreaterThan(120 * MiB);
    const root = layout.filesystems.find((f: any) => f.mountpoint === '/');
    expect(root).toMatchObject({ type: 'ext4', uuid: ROOT_UUID, label: 'lbroot' });
    expect(['/dev/md/root', layout.md[0].device]).toContain(root.device);
    expect(inv.warnings.map((w: any) => w.code)).not.toContain('md-unreadable');
  });

  it('with the source array running, the restore is refused before anything is written (CLI and restore.sh)', () => {
    const err = jsonLines('refuse.jsonl').find((o) => o.type === 'error');
    expect(err, text('refuse.jsonl').slice(-3000)).toMatchObject({ code: 'restore-md-in-use', exitCode: 2 });
    expect(JSON.stringify(err)).toMatch(/\/dev\/vd[bc]1/);
    expect(jsonLines('refuse.jsonl').filter((o) => o.type === 'progress').pop()).toMatchObject({ phase: 'check-md' });
    expect(text('refuse-sh.rc').trim()).not.toBe('0');
    expect(text('refuse-sh.txt')).toMatch(/LIFEBOAT-STEP-FAILED \d+ check-md/);
    expect(text('refuse-sh.txt')).toContain('stands in the way of /dev/md/root');
    for (const d of ['vdd', 'vde']) expect(text(`refuse-marker-${d}.txt`)).toBe('LBMARK-BEFORE');
  });

  it('lifeboat restore makes the array again (level, members, UUID, name) on the two blank disks; filesystem UUIDs and files the same', () => {
    const plan = jsonLines('plan.json').find((o) => o.type === 'plan')!.plan;
    const create = plan.steps.find((s: any) => s.id === 'md-create.md-root');
    expect(create.argv).toEqual(['mdadm', '--create', '/dev/md/root', '--run', '--metadata=1.2', '--level=raid1', '--raid-devices=2', `--uuid=${MD_UUID}`, '--name=mdguest:root', '--assume-clean', '/dev/vdd1', '/dev/vde1']);
    const ids = plan.steps.map((s: any) => s.id);
    expect(ids.indexOf('md-create.md-root')).toBeLessThan(ids.findIndex((s: string) => s.startsWith('mkfs.')));
    expect(plan.mapping.find((m: any) => m.kind === 'md')).toMatchObject({ target: '/dev/md/root', uuid: MD_UUID });
    expect(jsonLines('restore-cli.jsonl').find((o) => o.type === 'result')).toBeTruthy();
    expectArray('cli', ['/dev/vdd1', '/dev/vde1']);
    // the partition tables as recorded (same sizes, types, names, UUIDs)
    const strip = (f: string) => JSON.parse(text(f)).partitiontable.partitions.map((p: any) => ({ ...p, node: p.node.replace(/vd[de]/, 'X') }));
    expect(strip('cli-sfdisk-a.json').map((p: any) => [p.size, p.type, p.name, p.uuid])).toEqual([
      [262144, 'A19D880F-05FC-4D3B-A006-743F0F84911E', 'raid-a', '3D0A7000-0000-4000-8000-0000000000E1'],
      [expect.any(Number), '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'srv', '3D0A7000-0000-4000-8000-0000000000E2'],
      [2048, '21686148-6449-6E6F-744E-656564454649', 'bios-a', expect.any(String)],
    ]);
    expect(strip('cli-sfdisk-b.json').map((p: any) => [p.size, p.name])).toEqual([[262144, 'raid-b'], [2048, 'bios-b']]);
    expectSameTree('cli');
    // GRUB on both disks of the mirror, one step each, the first member's disk first
    expect(plan.steps.filter((s: any) => s.id.startsWith('boot.grub-install')).map((s: any) => [s.id, s.title.params.device])).toEqual([
      ['boot.grub-install', '/dev/vdd'],
      ['boot.grub-install.2', '/dev/vde'],
    ]);
    expectGrubOnBoth('cli', text('restore-cli.jsonl'));
    expect(text('cli-tree.txt')).toContain('./etc/mdadm/mdadm.conf');
  });

  it("the set's restore.sh (dash, as the rescue system runs it) over the running array: stopped, made anew, assembles from its superblocks", () => {
    const log = text('restore-sh.txt');
    expect(log).toMatch(/LIFEBOAT-STEP \d+\/\d+ md-stop/);
    expect(log).toMatch(/stopping \/dev\/md\d+/);
    expect(log).toMatch(/LIFEBOAT-STEP \d+\/\d+ md-create\.md-root/);
    expect(log).toContain('LIFEBOAT-PLAN-DONE');
    expectArray('sh', ['/dev/vdd1', '/dev/vde1']);
    expectSameTree('sh');
    expect(log).toMatch(/LIFEBOAT-STEP \d+\/\d+ boot\.grub-install\.2/);
    expect(log.match(/Installation finished\. No error reported\./g)).toHaveLength(2);
    expectGrubOnBoth('sh', log);
    // what the second disk costs: the guest's clock at each grub-install step and at the next one
    const at = (id: string) => Number(new RegExp(`^\\[([0-9.]+)\\] LIFEBOAT-STEP \\d+/\\d+ ${id.replace(/\./g, '\\.')}$`, 'm').exec(log)![1]);
    console.log(`restore.sh in the guest: grub-install on the first disk ${(at('boot.grub-install.2') - at('boot.grub-install')).toFixed(1)} s, on the second ${(at('boot.grub-config') - at('boot.grub-install.2')).toFixed(1)} s`);
  });
});
