/**
 * The helper's `media.make` and `inventory.collect`, through `HelperServer.handleLine`
 * as the main process would send them: hostile requests are refused before any job
 * starts, and a real request backs up a folder and builds an ISO.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperMessage } from '../../shared/helper-protocol';
import type { JobDone } from '../../shared/api';
import { HelperServer } from './server';

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
