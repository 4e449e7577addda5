/**
 * The UEFI restore path, proven rather than assumed (issue #5; UEFI machines that no longer
 * boot after a recovery are Relax-and-Recover's most reported failure). A system installed
 * for UEFI (ESP + ext4 root, GRUB for x86_64-efi) is backed up with its ESP unmounted, so
 * the set holds the ESP as a raw partition image; the rescue ISO with the set inside boots
 * under OVMF with a blank disk and restores unattended; then the restored disk boots alone
 * under OVMF with fresh NVRAM variables — no boot entry the restore might have written can
 * help, only the removable path EFI/BOOT/BOOTX64.EFI — to the fixture's login prompt.
 * The same under OVMF onto a disk 1.5× larger and through `lifeboat rehearse`; and for a
 * Debian ESP without the removable-path copy (its boot entry stayed in the old machine's
 * NVRAM), a disk that does not boot before the restore and boots after it: there the
 * restore's grub-install, not the raw image's bytes, is what makes it boot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupScratch, makeLoop, scratchDir } from '../util/loop';
import { runBackup } from '../../src/main/engine/backup/backup';
import { buildMedia } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { compilePlan } from '../../src/main/engine/restore/compile';
import { renderShell } from '../../src/main/engine/restore/shell';
import { readManifest } from '../../src/main/engine/set/read';
import { hostKernel, loopQemuSkipReason, ovmf, stopAll, Vm } from './vm';
import { runCli as cli } from '../util/cli';
import { buildUefiBootableSystem, ESP_VOLUME_ID, UEFI_LOGIN_PROMPT, UEFI_ROOT_UUID, uefiBootableSystemMissing } from './bootable-system';

const MiB = 1024 * 1024;
const SIZE = 192 * MiB;
const BOOT_MS = 300_000;
const kernel = hostKernel;
const why =
  loopQemuSkipReason() ??
  (!ovmf()
      ? 'needs UEFI firmware for qemu (apt-get install ovmf)'
      : uefiBootableSystemMissing(kernel));

const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const exitsWithin = (vm: Vm, ms: number) => Promise.race([vm.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), ms))]);

/** blkid's low-level probe (no udev, no vfat driver needed) of one partition: UUID and TYPE. */
function probe(device: string): Record<string, string> {
  const out = sh('blkid -p -o export "$1"', device);
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

interface Identities {
  esp: Record<string, string>;
  root: Record<string, string>;
  /** every file on the ESP, upper-cased paths ("::/EFI/BOOT/BOOTX64.EFI") */
  espFiles: string[];
  /** sha256 of the removable-path loader, when there is one */
  loader?: string;
}

/** The identities of the image's two partitions (ESP, root), read through a read-only loop device. */
function identities(image: string): Identities {
  const loop = makeLoop(0, { file: image, readOnly: true });
  try {
    sh('partx -a "$1" 2>/dev/null || true', loop.device);
    const m = { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
    const espFiles = execFileSync('mdir', ['-/', '-b', '-i', `${loop.device}p1`, '::/'], { ...m, encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.trim().toUpperCase());
    const loader = espFiles.includes('::/EFI/BOOT/BOOTX64.EFI')
      ? createHash('sha256').update(execFileSync('mcopy', ['-i', `${loop.device}p1`, '::/EFI/BOOT/BOOTX64.EFI', '-'], { ...m, maxBuffer: 64 << 20 })).digest('hex')
      : undefined;
    return { esp: probe(`${loop.device}p1`), root: probe(`${loop.device}p2`), espFiles, loader };
  } finally {
    sh('partx -d "$1" 2>/dev/null || true', loop.device);
    loop.detach();
  }
}

/** OVMF's word that the disk has no loader at the removable path; it then starts its own shell. */
const NO_LOADER = /failed to load Boot\d+ "UEFI QEMU HARDDISK[^"]*" from [^\n]*: Not Found/;
const STEP = (id: string) => new RegExp(`LIFEBOAT-STEP \\d+/\\d+ ${id.replace('.', '\\.')}`);

/** The source image, its set and its rescue ISO (restoring unattended onto /dev/vda), for one fixture variant. */
async function prepare(work: string, removableCopy: boolean): Promise<{ image: string; esp: string; set: string; iso: string }> {
  const source = makeLoop(SIZE, { dir: work });
  const root = join(work, 'root');
  const set = join(work, 'set');
  try {
    buildUefiBootableSystem(source.device, root, kernel, work, { removableCopy });
    try {
      writeFileSync(join(root, 'root/precious.txt'), 'the data this whole exercise is for\n');
      await runBackup({ dest: set, root, compress: 'zstd' }, createJobContext('backup'));
    } finally {
      sh('umount "$1"', root);
    }
  } finally {
    sh('partx -d "$1" 2>/dev/null || true', source.device);
    source.detach();
  }
  const iso = join(work, 'rescue.iso');
  await buildMedia({ iso, set, embed: true, kernel, lang: 'en', timeout: 0, append: 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1' }, createJobContext('media'));
  return { image: source.file, esp: `${source.device}p1`, set, iso };
}

/**
 * Boots the rescue ISO under OVMF with a blank disk, restores unattended, and returns the
 * restored disk image with the console of the restore.
 */
async function restoreUnderOvmf(work: string, iso: string, bytes = SIZE): Promise<{ disk: string; console: string; seconds: number }> {
  const disk = join(work, `blank-${bytes}.img`);
  writeFileSync(disk, '');
  truncateSync(disk, bytes);
  const t0 = Date.now();
  const rescue = new Vm({ cdrom: iso, targetDisk: disk, uefi: true, memoryMiB: 1024 });
  try {
    await rescue.waitFor(/LIFEBOAT-RESTORE-(OK|FAILED)/, BOOT_MS);
    expect(rescue.output, rescue.tail()).toContain('LIFEBOAT-RESTORE-OK');
    expect(await exitsWithin(rescue, 60_000)).toBe('exited');
  } finally {
    await rescue.stop();
  }
  return { disk, console: rescue.output, seconds: (Date.now() - t0) / 1000 };
}

/** The partitions' sizes in bytes, as sfdisk reads the image's table. */
function partitionBytes(image: string): number[] {
  const table = JSON.parse(sh('sfdisk --json "$1"', image)).partitiontable as { sectorsize?: number; partitions: { size: number }[] };
  return table.partitions.map((p) => p.size * (table.sectorsize ?? 512));
}

/** What the boot-loader step printed, for the record. */
function grubInstallSaid(console: string): string {
  const at = console.search(STEP('boot.grub-install'));
  return at < 0 ? '(the step did not run)' : console.slice(at).split('LIFEBOAT-STEP ')[1]!.trim();
}

afterAll(async () => {
  await stopAll();
  cleanupScratch();
});

describe.skipIf(why !== null)(`UEFI restore: back up, restore from the rescue media under OVMF, boot the restored disk under OVMF${why ? ` (${why})` : ''}`, () => {
  let work = '';
  let src: Awaited<ReturnType<typeof prepare>>;

  beforeAll(async () => {
    work = scratchDir('lifeboat-uefi-');
    src = await prepare(work, true);
  }, 300_000);

  it('the set records a UEFI system whose unmounted ESP is kept as a raw image, and its plan reinstalls GRUB for x86_64-efi', () => {
    const manifest = JSON.parse(readFileSync(join(src.set, 'lifeboat.json'), 'utf8'));
    // the backup may run on a BIOS machine: the firmware is the installed system's (its GRUB is for x86_64-efi)
    expect(manifest.layout.boot.firmware).toBe('uefi');
    expect(manifest.layout.boot.esp).toBe(src.esp);
    const raw = manifest.archives.filter((a: { kind?: string }) => a.kind === 'raw');
    expect(raw.map((a: { device: string }) => a.device)).toEqual([src.esp]);
    expect(raw[0].raw.fsType).toBe('vfat');
    const plan = readFileSync(join(src.set, 'restore.sh'), 'utf8');
    expect(plan).toMatch(/lb_id=boot\.mount-esp/);
    expect(plan).toContain('--target=x86_64-efi');
  });

  it('the source system boots under OVMF to its login prompt (the fixture is real)', async () => {
    const vm = new Vm({ disk: src.image, uefi: true, memoryMiB: 512 });
    const s = await vm.waitFor(UEFI_LOGIN_PROMPT, BOOT_MS);
    console.log(`UEFI source system: login prompt after ${s.toFixed(1)} s`);
    await vm.stop();
  }, BOOT_MS + 30_000);

  it('restores unattended under OVMF onto a blank disk, which then boots alone under OVMF with fresh NVRAM to the login prompt', async () => {
    const r = await restoreUnderOvmf(work, src.iso);
    expect(r.console).toMatch(STEP('raw.'));
    expect(r.console).toMatch(STEP('boot.mount-esp'));
    expect(r.console).toMatch(STEP('boot.grub-install'));
    expect(r.console).not.toContain('LIFEBOAT-SKIP grub-install');
    console.log(`grub-install step (the restored system has no grub-install: the rescue's own ran):\n${grubInstallSaid(r.console)}`);

    // the identities the restored fstab and grub.cfg name came back unchanged
    const before = identities(src.image);
    const after = identities(r.disk);
    expect(before.esp).toMatchObject({ TYPE: 'vfat', UUID: ESP_VOLUME_ID });
    expect(before.root).toMatchObject({ TYPE: 'ext4', UUID: UEFI_ROOT_UUID });
    expect(after.esp.TYPE).toBe('vfat');
    expect(after.esp.UUID).toBe(before.esp.UUID);
    expect(after.root.UUID).toBe(before.root.UUID);
    expect(after.espFiles).toEqual(expect.arrayContaining(['::/EFI/BOOT/BOOTX64.EFI', '::/EFI/DEBIAN/GRUBX64.EFI']));
    // For the record: the ESP came back byte for byte from its raw image, then grub-install wrote its own loader over the removable path.
    console.log(`EFI/BOOT/BOOTX64.EFI after the restore: ${after.loader === before.loader ? 'the source\'s own, byte for byte' : 'rewritten by the restore\'s grub-install'}`);

    const restored = new Vm({ disk: r.disk, uefi: true, memoryMiB: 512 });
    const bootSeconds = await restored.waitFor(UEFI_LOGIN_PROMPT, BOOT_MS);
    console.log(`UEFI restore: rescue boot + restore ${r.seconds.toFixed(1)} s, restored system at its login prompt after ${bootSeconds.toFixed(1)} s more`);
    await restored.stop();
  }, 2 * BOOT_MS + 120_000);

  it('a plan compiled for a disk 1.5× larger (ESP kept, root grown), run by the rescue under OVMF: the larger disk boots under OVMF', async () => {
    // The rescue runs the plan it carries, compiled when the set was made for disks like the
    // recorded ones; for another disk the app compiles a new one (what `lifeboat restore
    // --target` runs). That can't run on this host (no vfat to mount the ESP for grub-install),
    // so the plan the compiler makes for the larger disk goes into a copy of the set, the way
    // restore.sh is written at backup time, and the rescue runs it.
    const bytes = Math.floor((SIZE * 1.5) / MiB) * MiB;
    const set = readManifest(src.set);
    const recorded = set.layout.disks[0]!;
    const plan = compilePlan(set, { setDir: src.set, mountRoot: '/mnt/lifeboat', targets: { [recorded.device]: { device: recorded.device, sizeBytes: bytes, sectorSize: recorded.table?.sectorsize } } });
    const larger = join(work, 'set-larger');
    cpSync(src.set, larger, { recursive: true });
    writeFileSync(join(larger, 'restore.sh'), renderShell(plan, { setVariable: true, targetVariables: true }));
    sh('cd "$1" && sed -i "/  restore\\.sh$/d" SHA256SUMS && sha256sum restore.sh >>SHA256SUMS', larger);
    const iso = join(work, 'rescue-larger.iso');
    await buildMedia({ iso, set: larger, embed: true, kernel, lang: 'en', timeout: 0, append: 'lifeboat.restore=auto lifeboat.target=/dev/vda lifeboat.poweroff=1' }, createJobContext('media'));

    const r = await restoreUnderOvmf(work, iso, bytes);
    expect(r.console).toMatch(STEP('boot.grub-install'));
    const [espBefore, rootBefore] = partitionBytes(src.image);
    const [espAfter, rootAfter] = partitionBytes(r.disk);
    expect(espAfter).toBe(espBefore);
    expect(rootAfter!).toBeGreaterThan(rootBefore! + (bytes - SIZE) - 4 * MiB);
    const after = identities(r.disk);
    expect(after.esp.UUID).toBe(ESP_VOLUME_ID);
    expect(after.root.UUID).toBe(UEFI_ROOT_UUID);

    const restored = new Vm({ disk: r.disk, uefi: true, memoryMiB: 512 });
    const bootSeconds = await restored.waitFor(UEFI_LOGIN_PROMPT, BOOT_MS);
    console.log(`UEFI restore onto a disk 1.5× larger (root ${(rootBefore! / MiB).toFixed(0)} → ${(rootAfter! / MiB).toFixed(0)} MiB, ESP ${(espAfter! / MiB).toFixed(0)} MiB): restore ${r.seconds.toFixed(1)} s, login prompt after ${bootSeconds.toFixed(1)} s more`);
    await restored.stop();
  }, 2 * BOOT_MS + 180_000);

  it('lifeboat rehearse: a UEFI set has its restored disk booted under OVMF (under the BIOS it could not boot): exit 0', async () => {
    const r = await cli(['rehearse', '--set', src.set, '--media', src.iso, '--timeout', String(BOOT_MS / 1000), '--json']);
    const result = r.lines.find((l) => l.type === 'result');
    expect(r.code, JSON.stringify(r.lines.slice(-3))).toBe(0);
    expect(result).toMatchObject({ ok: true, disks: 1, setEmbedded: true });
    console.log(`lifeboat rehearse (UEFI): restore ${Number(result!.restoreSeconds).toFixed(1)} s, boot ${Number(result!.bootSeconds).toFixed(1)} s`);
  }, 2 * BOOT_MS + 120_000);
});

describe.skipIf(why !== null)(`UEFI restore of a Debian ESP without the removable-path copy: only the restore's boot-loader step makes it boot${why ? ` (${why})` : ''}`, () => {
  let work = '';
  let src: Awaited<ReturnType<typeof prepare>>;

  beforeAll(async () => {
    work = scratchDir('lifeboat-uefi-nvram-');
    src = await prepare(work, false);
  }, 300_000);

  it('the source disk does not boot on a firmware without its boot entry; restored, it does', async () => {
    // The control: OVMF with fresh variables finds no loader on this disk and goes on to its other options.
    const vm = new Vm({ disk: src.image, uefi: true, memoryMiB: 512 });
    await vm.waitFor(NO_LOADER, BOOT_MS);
    // then the firmware's last resort: its internal shell, or, when OVMF fails to start that
    // shell ("Device Error", seen once under load in CI), "No bootable option" — either way
    // it has gone past the disk without booting it
    await vm.waitFor(/Shell> |No bootable option or device was found/, 60_000);
    expect(vm.output).not.toContain(UEFI_LOGIN_PROMPT);
    await vm.stop();
    expect(identities(src.image).espFiles).not.toContain('::/EFI/BOOT/BOOTX64.EFI');

    const r = await restoreUnderOvmf(work, src.iso);
    console.log(`grub-install step:\n${grubInstallSaid(r.console)}`);
    const after = identities(r.disk);
    expect(after.espFiles).toContain('::/EFI/BOOT/BOOTX64.EFI');
    expect(after.esp.UUID).toBe(ESP_VOLUME_ID);
    expect(after.root.UUID).toBe(UEFI_ROOT_UUID);

    const restored = new Vm({ disk: r.disk, uefi: true, memoryMiB: 512 });
    const bootSeconds = await restored.waitFor(UEFI_LOGIN_PROMPT, BOOT_MS);
    console.log(`UEFI restore without a removable-path copy: restore ${r.seconds.toFixed(1)} s, login prompt after ${bootSeconds.toFixed(1)} s more`);
    await restored.stop();
  }, 3 * BOOT_MS + 120_000);
});
