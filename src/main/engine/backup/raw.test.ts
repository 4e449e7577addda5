/**
 * Raw partition images, end to end on real loop devices: a GPT disk with an unmounted
 * FAT partition (made with mkfs.vfat, files put in with mtools — vfat does not mount on
 * the test host), an unmounted partition holding random data in a few places and zeros
 * elsewhere, and a mounted ext4 root. Backed up with the real engine, verified (and a
 * flipped byte named), restored with compilePlan + runPlan and with the rendered sh run
 * by dash onto blank disks: the two partitions come back byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { BackupSetSchema, type BackupSet } from '../../../shared/backup-set';
import { assertWritableTarget } from '../drives/guard';
import { createJobContext } from '../job';
import { compilePlan } from '../restore/compile';
import { mountsUnder, runPlan } from '../restore/execute';
import { renderShell } from '../restore/shell';
import { verifySet } from '../set/verify';
import { runBackup } from './backup';
import { runCli as cli } from '../../../../test/util/cli';

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const MiB = 1024 * 1024;
const SRC_SIZE = 128 * MiB;
const skip = !canUseLoop();
const hasTools = spawnSync('sh', ['-c', 'command -v mkfs.vfat && command -v mcopy && command -v mdir && command -v dash']).status === 0;

const guard = async (device: string) => {
  await assertWritableTarget(device, { imageSize: null, imageSourceDevice: null, includeLoop: true });
};

/** sha256 of a block device, read whole (the partitions here are a few MiB). */
function hashDevice(dev: string): string {
  return createHash('sha256').update(readFileSync(dev)).digest('hex');
}


let work = '';
let src: LoopDevice | null = null;
const loops: LoopDevice[] = [];
let root = '';
let setDir = '';
let set: BackupSet;
const srcHash: Record<number, string> = {};

function blankTarget(): LoopDevice {
  const t = makeLoop(SRC_SIZE, { dir: work });
  loops.push(t);
  return t;
}

function expectRestored(dev: string): void {
  expect(hashDevice(`${dev}p1`)).toBe(srcHash[1]);
  expect(hashDevice(`${dev}p2`)).toBe(srcHash[2]);
  const copy = join(scratchDir('lifeboat-rawfat-'), 'esp.img');
  writeFileSync(copy, readFileSync(`${dev}p1`));
  const listing = sh('MTOOLS_SKIP_CHECK=1 mdir -i "$1" ::/EFI/BOOT', copy);
  expect(listing).toMatch(/BOOTX64\s+EFI/);
  const dir = scratchDir('lifeboat-rawcheck-');
  sh('mount -o ro "$1" "$2"', `${dev}p3`, dir);
  try {
    expect(readFileSync(join(dir, 'etc/hostname'), 'utf8')).toBe('rawhost\n');
    expect(readFileSync(join(dir, 'data/blob')).length).toBe(300_000);
  } finally {
    sh('umount "$1"', dir);
  }
}

describe.skipIf(skip || !hasTools)(`raw partition images (${skip ? loopSkipReason : hasTools ? 'real devices' : 'needs mtools, dosfstools and dash'})`, () => {
  beforeAll(async () => {
    work = scratchDir('lifeboat-raw-');
    src = makeLoop(SRC_SIZE, { dir: work });
    sh(`printf 'label: gpt\\nsize=32M, type=U, name=ESP\\nsize=16M, type=L, name=opaque\\ntype=L, name=root\\n' | sfdisk -q "$1"`, src.device);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', src.device);
    // the ESP: a real FAT (16: mtools finds no root directory slots on a FAT32 this small) with
    // files, made and filled in an image file (mtools cannot ask a
    // loop partition for its geometry), then put on the partition as it is
    const fat = join(work, 'esp.img');
    sh('truncate -s 32M "$1" && mkfs.vfat -F 16 -n RAWESP -i 5A5A0001 "$1" >/dev/null', fat);
    const payload = join(work, 'BOOTX64.EFI');
    writeFileSync(payload, randomBytes(200_000));
    sh('export MTOOLS_SKIP_CHECK=1; mmd -i "$1" ::/EFI ::/EFI/BOOT && mcopy -i "$1" "$2" ::/EFI/BOOT/BOOTX64.EFI', fat, payload);
    sh('dd if="$1" of="$2" bs=1M conv=fsync status=none', fat, `${src.device}p1`);
    // no filesystem at all: random data in three places, zeros elsewhere (a Windows recovery blob, say)
    const fd = openSync(`${src.device}p2`, 'r+');
    for (const at of [0, 5 * MiB + 4096, 16 * MiB - 65536]) writeSync(fd, randomBytes(65536), 0, 65536, at);
    closeSync(fd);
    sh(`mkfs.ext4 -q -F -L rawroot "$1"`, `${src.device}p3`);
    root = join(work, 'root');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${src.device}p3`, root);
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'rawhost\n');
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data/blob'), randomBytes(300_000));
    srcHash[1] = hashDevice(`${src.device}p1`);
    srcHash[2] = hashDevice(`${src.device}p2`);
    setDir = join(work, 'set');
    await runBackup({ dest: setDir, root, compress: 'zstd', split: MiB }, createJobContext('backup'));
    set = BackupSetSchema.parse(JSON.parse(readFileSync(join(setDir, 'lifeboat.json'), 'utf8')));
  }, 120_000);

  afterAll(() => {
    for (const m of mountsUnder(work)) spawnSync('umount', [m]);
    for (const l of [...loops, ...(src ? [src] : [])]) {
      spawnSync('partx', ['-d', l.device]);
      l.detach();
    }
    cleanupScratch();
  });

  it('keeps the two unmounted partitions as raw images, much smaller than the partitions', () => {
    const raw = set.archives.filter((a) => a.kind === 'raw');
    expect(raw.map((a) => a.raw!.node).sort()).toEqual([`${src!.device}p1`, `${src!.device}p2`]);
    expect(raw.find((a) => a.raw!.number === 1)).toMatchObject({ fsType: 'vfat', fsUuid: '5A5A-0001', raw: { sizeBytes: 32 * MiB, format: 'partition-bytes', disk: src!.device } });
    expect(raw.find((a) => a.raw!.number === 2)).toMatchObject({ raw: { sizeBytes: 16 * MiB } });
    for (const a of raw) {
      const stored = a.parts.reduce((s, p) => s + p.size, 0);
      // zero runs compress to almost nothing: what is left is the data (200 kB, 3 × 64 kB)
      expect(stored).toBeLessThan(a.raw!.sizeBytes / 20);
      expect(a.parts[0].name).toMatch(/^archives\/part-.*\.img\.zst\.\d{3}$/);
    }
    expect(set.archives.filter((a) => a.kind === 'tar').map((a) => a.mountpoint)).toEqual(['/']);
    expect(set.rawLeftOut).toEqual([]);
  });

  it('verify passes, and names a flipped byte in a raw part', async () => {
    await expect(verifySet(setDir, createJobContext('verify'))).resolves.toMatchObject({ archives: 3 });
    const bad = join(work, 'bad');
    cpSync(setDir, bad, { recursive: true });
    const part = set.archives.find((a) => a.kind === 'raw' && a.raw!.number === 2)!.parts[0];
    const fd = openSync(join(bad, part.name), 'r+');
    const b = Buffer.alloc(1);
    const at = Math.floor(part.size / 2);
    readSync(fd, b, 0, 1, at);
    writeSync(fd, Buffer.from([b[0] ^ 0xff]), 0, 1, at);
    closeSync(fd);
    await expect(verifySet(bad, createJobContext('verify'))).rejects.toMatchObject({ code: 'set-part-corrupt', params: { part: part.name } });
  }, 60_000);

  it('restores both partitions byte for byte onto a used disk of the same size, and the root files', async () => {
    const target = blankTarget();
    // a reused disk: every byte 0xAA, so a zero the image skipped writing would show
    sh(`tr '\\000' '\\252' </dev/zero | head -c ${SRC_SIZE} >"$1"`, target.device);
    const mountRoot = join(scratchDir('lifeboat-rawmnt-'), 'target');
    const plan = compilePlan(set, { setDir, mountRoot, targets: { [src!.device]: { device: target.device, sizeBytes: SRC_SIZE } } });
    const ids = plan.steps.map((s) => s.id);
    const rawIdx = ids.filter((id) => id.startsWith('raw.')).map((id) => ids.indexOf(id));
    expect(rawIdx).toHaveLength(2);
    // after partitioning, before any mkfs; and no mkfs for the imaged partitions
    expect(Math.min(...rawIdx)).toBeGreaterThan(ids.indexOf('wipe-parts.1'));
    expect(Math.max(...rawIdx)).toBeLessThan(ids.findIndex((id) => id.startsWith('mkfs.')));
    expect(plan.steps.filter((s) => s.id.startsWith('mkfs.')).map((s) => s.device)).toEqual([`${target.device}p3`]);
    await runPlan(createJobContext('restore'), plan, { guard });
    expect(mountsUnder(mountRoot)).toEqual([]);
    expectRestored(target.device);
  }, 120_000);

  it('the rendered sh script, run by dash, restores the same bytes', async () => {
    const target = blankTarget();
    const mountRoot = join(scratchDir('lifeboat-rawmnt-'), 'target');
    const plan = compilePlan(set, { setDir: '/where/the/set/was', mountRoot, targets: { [src!.device]: { device: '/dev/vdb', sizeBytes: SRC_SIZE } } });
    const script = renderShell(plan, { setVariable: true, targetVariables: true });
    // the raw step is a plain pipeline a person can read: cat parts | zstd -q -d -c | dd of=… bs=4M conv=fsync
    const line = script.split('\n').find((l) => l.includes("'dd'") && l.includes('LIFEBOAT_TARGET_1" 1)'))!;
    expect(line).toContain(`'zstd' '-q' '-d' '-c'`);
    expect(line).toContain(`'dd' of="$(lb_part "$LIFEBOAT_TARGET_1" 1)" 'bs=4M' 'conv=fsync'`);
    // lb_cat: the script's own cat, which also finds a part on another disc of a disc set
    expect(line).toMatch(/^: >"\$lb_pipe"; \{ (lb_)?cat "\$LIFEBOAT_SET"\/'archives\/part-[^']+\.img\.zst\.000'/);
    // no recorded device name is left where a target variable belongs
    const commands = script.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('LIFEBOAT_TARGET_1='));
    expect(commands.filter((l) => l.includes('/dev/vdb'))).toEqual([]);
    const file = join(work, 'restore-raw.sh');
    writeFileSync(file, script);
    const res = spawnSync('dash', [file], { env: { ...process.env, LIFEBOAT_SET: setDir, LIFEBOAT_TARGET_1: target.device }, encoding: 'utf8', cwd: work });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('LIFEBOAT-PLAN-DONE');
    expectRestored(target.device);
  }, 120_000);

  it('refuses at plan time any size chosen for an imaged partition: its image is written byte for byte', () => {
    const node = `${src!.device}p1`;
    // smaller would truncate the filesystem in the image; larger would not grow it either
    for (const size of [16 * MiB, 64 * MiB]) {
      expect(() => compilePlan(set, { setDir, mountRoot: '/nowhere', sizes: { [node]: size }, targets: { [src!.device]: { device: '/dev/sdz', sizeBytes: 2 * SRC_SIZE } } })).toThrow(
        expect.objectContaining({ code: 'restore-size-locked', params: expect.objectContaining({ partition: node, reason: 'raw' }) }),
      );
    }
  });

  it('clone mode leaves the image as it is and says the FAT keeps its identifier', () => {
    const plan = compilePlan(set, { setDir, mountRoot: '/m', clone: true, targets: { [src!.device]: { device: '/dev/sdz', sizeBytes: 2 * SRC_SIZE } } });
    expect(plan.warnings).toContainEqual({ code: 'raw-identity-kept', params: { device: `${src!.device}p1`, fstype: 'vfat', uuid: '5A5A-0001' } });
    // imaged partitions keep their size on a larger disk: a partition image cannot grow
    expect(plan.mapping.find((m) => m.source === `${src!.device}p1`)!.targetBytes).toBe(32 * MiB);
    expect(plan.mapping.find((m) => m.source === `${src!.device}p2`)!.targetBytes).toBe(16 * MiB);
  });

  it('--no-raw leaves them out and records it; an old manifest without kinds still parses', async () => {
    const dest = join(work, 'noraw');
    const r = await cli(['backup', '--dest', dest, '--root', root, '--no-raw', '--json']);
    expect(r.code).toBe(0);
    expect(r.last).toMatchObject({ type: 'result', archives: 1 });
    const m = JSON.parse(readFileSync(join(dest, 'lifeboat.json'), 'utf8'));
    const parsed = BackupSetSchema.parse(m);
    expect(parsed.archives.map((a) => a.kind)).toEqual(['tar']);
    expect(parsed.rawLeftOut).toEqual([
      { device: `${src!.device}p1`, reason: 'no-raw' },
      { device: `${src!.device}p2`, reason: 'no-raw' },
    ]);
    expect((r.last.warnings as Array<{ code: string }>).filter((w) => w.code === 'raw-left-out')).toHaveLength(2);
    // the format before raw images: no kind on archives, no rawLeftOut
    for (const a of m.archives) delete a.kind;
    delete m.rawLeftOut;
    const old = BackupSetSchema.parse(m);
    expect(old.archives[0].kind).toBe('tar');
    expect(old.rawLeftOut).toEqual([]);
    // a plan from it warns that the left-out partitions are created empty
    const plan = compilePlan(parsed, { setDir: dest, mountRoot: '/m', targets: { [src!.device]: { device: '/dev/sdz', sizeBytes: SRC_SIZE } } });
    expect(plan.warnings.filter((w) => w.code === 'raw-left-out')).toHaveLength(2);
  }, 60_000);
});
