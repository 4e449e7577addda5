/**
 * The helper's `media.make` and `inventory.collect`, through `HelperServer.handleLine`
 * as the main process would send them: hostile requests are refused before any job
 * starts, and a real request backs up a folder and builds an ISO.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperMessage } from '../../shared/helper-protocol';
import type { JobDone } from '../../shared/api';
import { HelperServer } from './server';
import { setsRemovedByKeep, type StickInfo } from '../../shared/media-make';
import { canUseLoop, loopSkipReason, makeLoop } from '../../../test/util/loop';

function server() {
  const sent: HelperMessage[] = [];
  const s = new HelperServer({ send: (m) => sent.push(m), log: () => undefined });
  return { s, sent };
}

const answer = (m: HelperMessage | undefined) =>
  m && 'error' in m ? { code: m.error.code, field: m.error.params.field } : { code: `no error: ${JSON.stringify(m)}` };

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-media-make-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'test\n');
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full/something'), 'x');
  writeFileSync(join(dir, 'taken.iso'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const kernel = kernelName ? `/boot/${kernelName}` : undefined;

function params(over: Record<string, unknown> = {}) {
  return {
    root,
    dest: join(dir, 'set'),
    compress: 'zstd',
    excludes: [],
    defaultExcludes: true,
    iso: join(dir, 'rescue.iso'),
    embed: true,
    lang: 'en',
    ...(kernel ? { kernel } : {}),
    ...over,
  };
}

describe('media.make: refused before any job starts', () => {
  it.each([
    ['a relative destination', { dest: 'set' }, 'invalid-request', 'dest'],
    ['a destination in /proc', { dest: '/proc/self/set' }, 'invalid-request', 'dest'],
    ['an ISO in /sys', { iso: '/sys/kernel/rescue.iso' }, 'invalid-request', 'iso'],
    ['an ISO reaching /dev through ..', { iso: '/tmp/../dev/sda' }, 'invalid-request', 'iso'],
    ['a destination in /dev', { dest: '/dev/shm/../sda1' }, 'invalid-request', 'dest'],
    ['the root folder itself as destination', { dest: '/' }, 'invalid-request', 'dest'],
    ['the ISO inside the set', { iso: '/tmp/x/set/rescue.iso', dest: '/tmp/x/set' }, 'invalid-request', 'iso'],
    ['a root in /proc', { root: '/proc/1/root' }, 'invalid-request', 'root'],
    ['an exclude with a line break', { excludes: ['/home\n--checkpoint-action=exec=sh'] }, 'invalid-request', 'excludes.0'],
    ['too many excludes', { excludes: Array.from({ length: 300 }, (_, i) => `/x${i}`) }, 'invalid-request', 'excludes'],
    ['an unknown compressor', { compress: 'rar' }, 'invalid-request', 'compress'],
    ['a level out of any range', { level: 99 }, 'invalid-request', 'level'],
    ['a fractional level', { level: 2.5 }, 'invalid-request', 'level'],
    ['a tiny split', { split: 10 }, 'invalid-request', 'split'],
    ['an unknown language', { lang: 'de' }, 'invalid-request', 'lang'],
    ['an unknown option', { base: '/etc' }, 'invalid-request', ''],
    ['a relative kernel', { kernel: 'vmlinuz' }, 'invalid-request', 'kernel'],
    ['a non-empty destination', { dest: '@/full' }, 'dest-not-empty', undefined],
    ['an existing ISO file', { iso: '@/taken.iso' }, 'dest-not-empty', undefined],
    ['a missing kernel', { kernel: '/nonexistent/vmlinuz' }, 'kernel-missing', undefined],
    ['a root that is not a folder', { root: '/etc/hostname' }, 'root-invalid', undefined],
    ['a kind without its output', { kind: 'pxe' }, 'invalid-request', 'pxe'],
    ['two outputs at once', { usb: '/dev/sdz' }, 'invalid-request', 'iso'],
    ['a stick that is not a /dev path', { kind: 'usb', iso: undefined, usb: '/tmp/stick' }, 'invalid-request', 'usb'],
    ['network boot files that would hold the set', { kind: 'pxe', iso: undefined, pxe: '@/pxe', embed: true }, 'invalid-request', 'embed'],
    ['network boot files inside the set', { kind: 'pxe', iso: undefined, pxe: '/tmp/x/set/pxe', dest: '/tmp/x/set', embed: false }, 'invalid-request', 'pxe'],
    ['the set inside the network boot folder', { kind: 'pxe', iso: undefined, pxe: '/tmp/x', dest: '/tmp/x/set', embed: false }, 'invalid-request', 'dest'],
    ['a network boot folder with files in it', { kind: 'pxe', iso: undefined, pxe: '@/full', embed: false }, 'dest-not-empty', undefined],
    ['a data filesystem for an ISO (only a stick has a data partition)', { dataFs: 'exfat' }, 'media-data-fs-needs-usb', undefined],
    ['an unknown data filesystem', { kind: 'usb', iso: undefined, usb: '/dev/sdz', dataFs: 'ntfs' }, 'invalid-request', 'dataFs'],
  ])('refuses %s', async (_name, over, code, field) => {
    const { s, sent } = server();
    // "@/" stands for the test's scratch folder, which only exists once the suite runs.
    const fixed = Object.fromEntries(Object.entries(over).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/^@/, dir) : v]));
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params(fixed) }));
    expect(sent).toHaveLength(1);
    const a = answer(sent[0]);
    expect(a.code).toBe(code);
    if (field !== undefined) expect(a.field).toBe(field);
    expect(s.runningJobs).toBe(0);
    expect(existsSync(join(dir, 'set'))).toBe(false);
  });
});

describe('inventory.collect', () => {
  it('describes a folder root and lists the default exclusions for it', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'inventory.collect', params: { root } }));
    const res = sent[0] as { id: number; result: { root: string; archived: string[]; defaultExcludes: string[] } };
    expect(res.result.root).toBe(root);
    expect(res.result.archived).toEqual(['/']);
    expect(res.result.defaultExcludes).toContain('/tmp/*');
    expect(res.result.defaultExcludes).toContain('/lost+found/*');
  });

  it('refuses a root that does not exist', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'inventory.collect', params: { root: join(dir, 'nope') } }));
    expect(answer(sent[0]).code).toBe('root-invalid');
  });
});

const canBuild = Boolean(kernel) && spawnSync('xorriso', ['-version']).status === 0;
describe.skipIf(!canBuild)('media.make: a real job (needs a kernel in /boot and xorriso)', () => {
  it('backs up the folder, then builds the ISO, as one media job', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params({ embed: false }) }));
    const { jobId } = (sent[0] as { result: { jobId: string } }).result;
    for (let i = 0; i < 600 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const done = sent.find((m) => 'event' in m && m.event === 'job.done') as { payload: JobDone } | undefined;
    expect(done?.payload, JSON.stringify(done)).toMatchObject({ jobId, kind: 'media', ok: true });
    const result = done!.payload.result as Extract<JobDone['result'], { kind: 'media' }>;
    expect(result.backup?.path).toBe(join(dir, 'set'));
    expect(result.media?.path).toBe(join(dir, 'rescue.iso'));
    expect(existsSync(join(dir, 'set/SHA256SUMS'))).toBe(true);
    expect(existsSync(join(dir, 'rescue.iso'))).toBe(true);
    // Backup phases come before media phases, on the one job.
    const phases = sent.flatMap((m) => ('event' in m && m.event === 'job.progress' ? [m.payload.phase] : []));
    expect(phases.indexOf('backup.archive')).toBeGreaterThanOrEqual(0);
    expect(phases.indexOf('media.image')).toBeGreaterThan(phases.lastIndexOf('backup.finish'));
  }, 120_000);

  it('backs up the folder, then writes network-boot files (kind pxe) into a folder of their own', async () => {
    const { s, sent } = server();
    const dest = join(dir, 'set-for-pxe');
    const pxe = join(dir, 'pxe');
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params({ dest, iso: undefined, kind: 'pxe', pxe, embed: false }) }));
    const { jobId } = (sent[0] as { result: { jobId: string } }).result;
    for (let i = 0; i < 900 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const done = sent.find((m) => 'event' in m && m.event === 'job.done') as { payload: JobDone } | undefined;
    expect(done?.payload, JSON.stringify(done)).toMatchObject({ jobId, kind: 'media', ok: true });
    const result = done!.payload.result as Extract<JobDone['result'], { kind: 'media' }>;
    expect(result.media).toMatchObject({ kind: 'pxe', path: pxe });
    expect(existsSync(join(dest, 'SHA256SUMS'))).toBe(true);
    // A kernel and an initrd to serve, next to the boot menus.
    const files = readdirSync(pxe, { recursive: true }).map(String);
    expect(files.some((f) => /vmlinuz/.test(f))).toBe(true);
    expect(files.some((f) => /initrd/.test(f))).toBe(true);
  }, 180_000);
});

describe('media.make: disc sets and "backup again" follow the CLI’s rules', () => {
  it.each([
    ['discs without the set inside', { splitMedia: 700 * 2 ** 20, embed: false }, 'splitMedia'],
    ['discs for a stick', { kind: 'usb', iso: undefined, usb: '/dev/sdz', splitMedia: 700 * 2 ** 20 }, 'splitMedia'],
    ['discs smaller than a rescue system', { splitMedia: 10 * 2 ** 20 }, 'splitMedia'],
    ['keep without again', { kind: 'usb', iso: undefined, usb: '/dev/sdz', keep: 2 }, 'keep'],
    ['again for an ISO', { again: true }, 'again'],
    ['again with another kernel (the stick keeps its rescue system)', { kind: 'usb', iso: undefined, usb: '/dev/sdz', again: true, kernel: '/boot/vmlinuz-x' }, 'again'],
    ['keep 0', { kind: 'usb', iso: undefined, usb: '/dev/sdz', again: true, keep: 0 }, 'keep'],
  ])('refuses %s', async (_name, over, field) => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params(over) }));
    expect(answer(sent[0])).toEqual({ code: 'invalid-request', field });
    expect(s.runningJobs).toBe(0);
  });
});

describe('media.rescueOnly', () => {
  it.each([
    ['an existing file', { iso: '@/taken.iso' }, 'dest-not-empty', undefined],
    ['an ISO in /proc', { iso: '/proc/self/rescue.iso' }, 'invalid-request', 'iso'],
    ['a relative ISO', { iso: 'rescue.iso' }, 'invalid-request', 'iso'],
    ['a missing kernel', { kernel: '/nonexistent/vmlinuz' }, 'kernel-missing', undefined],
    ['a set (the rescue system alone takes none)', { set: '/tmp/set' }, 'invalid-request', ''],
  ])('refuses %s before any job starts', async (_name, over, code, field) => {
    const { s, sent } = server();
    const fixed = Object.fromEntries(Object.entries(over).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/^@/, dir) : v]));
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.rescueOnly', params: { iso: join(dir, 'alone.iso'), lang: 'fr', ...(kernel ? { kernel } : {}), ...fixed } }));
    const a = answer(sent[0]);
    expect(a.code).toBe(code);
    if (field !== undefined) expect(a.field).toBe(field);
    expect(s.runningJobs).toBe(0);
    expect(existsSync(join(dir, 'alone.iso'))).toBe(false);
  });
});

describe.skipIf(!canUseLoop())(`media.stickInfo on loop devices${canUseLoop() ? '' : ` (skipped: ${loopSkipReason})`}`, () => {
  const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const info = async (device: string, includeLoop = true) => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.stickInfo', params: { device, includeLoop } }));
    return sent[0] as HelperMessage;
  };
  const mounted = (device: string) => readFileSync('/proc/mounts', 'utf8').includes(device);

  it('a blank stick is not a Lifeboat stick; a loop device needs includeLoop', async () => {
    const stick = makeLoop(64 * 2 ** 20, { dir });
    try {
      expect(await info(stick.device)).toMatchObject({ result: { device: stick.device, lifeboat: false } });
      expect(answer(await info(stick.device, false)).code).toBe('target-loop-not-allowed');
    } finally {
      stick.detach();
    }
  });

  /** A stick laid out as buildUsb lays one out (usb-again.ts recognises it by these names), its data partition ext4. */
  function lifeboatStick() {
    const stick = makeLoop(128 * 2 ** 20, { dir });
    const layout = [
      'label: gpt',
      'size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="BIOS boot"',
      'size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="LIFEBOAT-EFI"',
      'type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="LIFEBOAT-DATA"',
    ].join('\n');
    execFileSync('sfdisk', ['-q', stick.device], { input: layout + '\n', stdio: ['pipe', 'ignore', 'pipe'] });
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', stick.device);
    sh('mkfs.ext4 -q -F -L LIFEBOAT "$1"', `${stick.device}p3`);
    return stick;
  }
  const detach = (stick: ReturnType<typeof makeLoop>) => {
    try {
      execFileSync('partx', ['-d', stick.device], { stdio: 'ignore' });
    } catch {
      /* no partitions known */
    }
    stick.detach();
  };

  it('media.make with again: the backup goes onto the stick beside its sets, the oldest beyond keep removed, no kernel needed', async () => {
    const stick = lifeboatStick();
    const mnt = join(dir, 'again-mnt');
    mkdirSync(mnt);
    try {
      sh('mount "$1" "$2"', `${stick.device}p3`, mnt);
      mkdirSync(join(mnt, 'lifeboat'));
      writeFileSync(join(mnt, 'lifeboat/lifeboat.json'), JSON.stringify({ id: 'old', created: '2026-01-01T00:00:00Z' }));
      sh('umount "$1"', mnt);
      const { s, sent } = server();
      const dest = join(dir, 'again-set');
      // No kernel: adding a set builds no rescue system, so a machine without /boot kernels can do it.
      const req = { ...params({ dest, kind: 'usb', iso: undefined, usb: stick.device, includeLoop: true, again: true, keep: 1 }), kernel: undefined };
      await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: req }));
      expect(sent[0]).toHaveProperty('result.jobId');
      for (let i = 0; i < 600 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 100));
      const done = sent.find((m) => 'event' in m && m.event === 'job.done') as { payload: JobDone } | undefined;
      expect(done?.payload, JSON.stringify(done)).toMatchObject({ kind: 'media', ok: true });
      const media = (done!.payload.result as Extract<JobDone['result'], { kind: 'media' }>).media!;
      const id = (JSON.parse(readFileSync(join(dest, 'lifeboat.json'), 'utf8')) as { id: string }).id;
      expect(media.again).toMatchObject({ added: { id, alreadyPresent: false }, removed: [{ dir: 'lifeboat', id: 'old' }], count: 1 });
      const phases = sent.flatMap((m) => ('event' in m && m.event === 'job.progress' ? [m.payload.phase] : []));
      expect(phases).toContain('media.again');
      expect(phases).not.toContain('media.initramfs');
      sh('mount -o ro,noload "$1" "$2"', `${stick.device}p3`, mnt);
      try {
        expect(existsSync(join(mnt, 'lifeboat'))).toBe(false);
        expect(readdirSync(join(mnt, 'sets'))).toEqual([media.again!.added.dir.slice('sets/'.length)]);
        expect(existsSync(join(mnt, media.again!.added.dir, 'SHA256SUMS'))).toBe(true);
      } finally {
        sh('umount "$1"', mnt);
      }
    } finally {
      detach(stick);
    }
  }, 120_000);

  it('a Lifeboat stick: its sets with their ids and dates, read without writing, nothing left mounted', async () => {
    const stick = lifeboatStick();
    try {
      const mnt = join(dir, 'stick-mnt');
      mkdirSync(mnt);
      sh('mount "$1" "$2"', `${stick.device}p3`, mnt);
      try {
        mkdirSync(join(mnt, 'lifeboat'));
        writeFileSync(join(mnt, 'lifeboat/lifeboat.json'), JSON.stringify({ id: 'first', created: '2026-10-01T08:00:00Z' }));
        mkdirSync(join(mnt, 'sets/second'), { recursive: true });
        writeFileSync(join(mnt, 'sets/second/lifeboat.json'), JSON.stringify({ id: 'second', created: '2026-11-01T08:00:00Z' }));
      } finally {
        sh('umount "$1"', mnt);
      }
      const before = sh('sha256sum "$1"', `${stick.device}p3`);
      const r = (await info(stick.device)) as { result: StickInfo };
      expect(r.result).toMatchObject({ device: stick.device, lifeboat: true });
      if (!r.result.lifeboat) return;
      expect(r.result.sets.map((x) => [x.dir, x.id, x.created])).toEqual(
        expect.arrayContaining([
          ['lifeboat', 'first', '2026-10-01T08:00:00Z'],
          ['sets/second', 'second', '2026-11-01T08:00:00Z'],
        ]),
      );
      expect(r.result.sets).toHaveLength(2);
      expect(r.result.freeBytes).toBeGreaterThan(50 * 2 ** 20);
      // Keeping 2 with a new set removes the oldest: what the Review step names.
      expect(setsRemovedByKeep(r.result.sets, 2).map((x) => x.id)).toEqual(['first']);
      // Looked at read-only, and put away.
      expect(sh('sha256sum "$1"', `${stick.device}p3`)).toBe(before);
      expect(mounted(`${stick.device}p3`)).toBe(false);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('lifeboat-stick-'))).toEqual([]);
    } finally {
      try {
        execFileSync('partx', ['-d', stick.device], { stdio: 'ignore' });
      } catch {
        /* no partitions known */
      }
      stick.detach();
    }
  });
});
