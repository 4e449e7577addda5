/**
 * `rehearse.start` in the helper: a root process that boots whatever ISO and reads
 * whatever set it is handed, so every path is checked before a job exists. The sets
 * here are real (made by runBackup from a small folder); the "ISO" that starts a job
 * is a plain file, so the job fails at its first real step and no VM is left running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperServer } from './server';
import type { HelperMessage } from '../../shared/helper-protocol';
import { runBackup } from '../engine/backup/backup';
import { createJobContext } from '../engine/job';
import { hasQemu } from '../engine/rehearse/vm';

function server() {
  const sent: HelperMessage[] = [];
  const s = new HelperServer({ send: (m) => sent.push(m), log: () => undefined });
  return { s, sent };
}

const errorOf = (m: HelperMessage | undefined) => (m && 'error' in m ? m.error : null);
const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('lifeboat-rehearse-'));

let work = '';
let set = '';
let noDisks = '';
let iso = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lifeboat-rehearse-helper-'));
  const root = join(work, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'rehearsal-test\n');
  set = join(work, 'set');
  await runBackup({ root, dest: set, compress: 'zstd' }, createJobContext('backup'));
  // The same set with no disk recorded: nothing a VM could restore onto.
  noDisks = join(work, 'no-disks');
  mkdirSync(noDisks);
  const manifest = JSON.parse(readFileSync(join(set, 'lifeboat.json'), 'utf8')) as { layout: { disks: unknown[] } };
  manifest.layout.disks = [];
  writeFileSync(join(noDisks, 'lifeboat.json'), JSON.stringify(manifest));
  iso = join(work, 'not-really.iso');
  writeFileSync(iso, 'this is not an ISO image');
  symlinkSync('/proc/1', join(work, 'to-proc'));
  symlinkSync('/dev/zero', join(work, 'zero.iso'));
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function start(params: Record<string, unknown>) {
  const t = server();
  await t.s.handleLine(JSON.stringify({ id: 1, method: 'rehearse.start', params }));
  return t;
}

describe('rehearse.start in the helper: hostile params are refused before any job', () => {
  it.each([
    ['a relative set folder', () => ({ setDir: 'backups/set', media: iso }), 'invalid-request', 'setDir'],
    ['a relative ISO', () => ({ setDir: set, media: 'set-rescue.iso' }), 'invalid-request', 'media'],
    ['a set folder in /proc', () => ({ setDir: '/proc/self/cwd', media: iso }), 'invalid-request', 'setDir'],
    ['an ISO in /proc', () => ({ setDir: set, media: '/proc/self/exe' }), 'invalid-request', 'media'],
    ['an ISO in /dev', () => ({ setDir: set, media: '/dev/sda' }), 'invalid-request', 'media'],
    ['/sys reached through ..', () => ({ setDir: '/tmp/../sys/kernel', media: iso }), 'invalid-request', 'setDir'],
    ['/proc reached through a symlink', () => ({ setDir: join(work, 'to-proc'), media: iso }), 'invalid-request', 'setDir'],
    ['/dev reached through a symlink', () => ({ setDir: set, media: join(work, 'zero.iso') }), 'invalid-request', 'media'],
    ['a NUL in a path', () => ({ setDir: `${set}\0/x`, media: iso }), 'invalid-request', 'setDir'],
    ['an extra param', () => ({ setDir: set, media: iso, timeoutSeconds: 1 }), 'invalid-request', ''],
    ['a missing ISO', () => ({ setDir: set, media: join(work, 'nope.iso') }), 'image-missing', undefined],
    ['a folder as the ISO', () => ({ setDir: set, media: work }), 'image-missing', undefined],
    ['a folder with no lifeboat.json', () => ({ setDir: work, media: iso }), 'set-invalid', undefined],
    ['a set folder that does not exist', () => ({ setDir: join(work, 'gone'), media: iso }), 'set-invalid', undefined],
    ['a set with no disk recorded', () => ({ setDir: noDisks, media: iso }), 'set-invalid', undefined],
  ])('refuses %s', async (_name, params, code, field) => {
    const { s, sent } = await start(params());
    expect(sent).toHaveLength(1);
    const error = errorOf(sent[0]);
    expect(error?.code, JSON.stringify(sent[0])).toBe(code);
    if (field !== undefined) expect(error?.params.field).toBe(field);
    expect(s.runningJobs).toBe(0);
  });
});

describe.skipIf(!hasQemu())(`rehearse.start in the helper: the job${hasQemu() ? '' : ' (needs qemu-system-x86_64: apt-get install qemu-system-x86)'}`, () => {
  it('answers with a job id, then reports the job failed as a rehearse job, leaving nothing behind', async () => {
    const before = leftovers();
    const { s, sent } = await start({ setDir: set, media: iso });
    const first = sent[0] as { id: number; result: { jobId: string } };
    expect(first).toMatchObject({ id: 1, result: { jobId: expect.stringMatching(/^rehearse-/) } });
    for (let i = 0; i < 250 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.runningJobs).toBe(0);
    // The kernel cannot be taken out of a file that is not an ISO: a failure, not a pass.
    const done = sent.find((m) => 'event' in m && m.event === 'job.done');
    expect(done).toMatchObject({ event: 'job.done', payload: { jobId: first.result.jobId, kind: 'rehearse', ok: false } });
    expect(leftovers()).toEqual(before);
  });
});
