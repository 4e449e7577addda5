/**
 * The helper refuses hostile restore requests before anything is measured or written:
 * the schema (shared with the API) first, then its own checks — a real set, distinct
 * targets, block devices the drive guard accepts. No job may start from any of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRequest } from '../../shared/api';
import type { HelperMessage } from '../../shared/helper-protocol';
import { cleanupScratch, scratchDir } from '../../../test/util/loop';
import { recordedLayout, setAround } from '../engine/restore/test-util';
import { HelperServer } from './server';
import { displayCommand } from './restore-job';

function server() {
  const sent: HelperMessage[] = [];
  const s = new HelperServer({ send: (m) => sent.push(m), log: () => undefined });
  return { s, sent };
}

const errorOf = (m: HelperMessage | undefined) => (m && 'error' in m ? m.error.code : `no error: ${JSON.stringify(m)}`);

afterAll(() => cleanupScratch());

describe('restore.start / restore.plan in the helper', () => {
  const base = { setDir: '/media/usb/set', targets: { '/dev/sda': '/dev/loop7' }, clone: false };
  const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`/dev/sd${String.fromCharCode(97 + i)}`, `/dev/loop${i}`]));

  it.each([
    ['a relative set folder', { ...base, setDir: 'media/usb/set' }],
    ['a set folder with a NUL byte', { ...base, setDir: '/media/usb\u0000/set' }],
    ['a target outside /dev', { ...base, targets: { '/dev/sda': '/etc/passwd' } }],
    ['a target climbing out of /dev', { ...base, targets: { '/dev/sda': '/dev/../etc/shadow' } }],
    ['a recorded disk that is not a /dev path', { ...base, targets: { 'sda; rm -rf /': '/dev/loop7' } }],
    ['a target with shell characters', { ...base, targets: { '/dev/sda': '/dev/loop7 $(reboot)' } }],
    ['no target at all', { ...base, targets: {} }],
    ['seventeen targets', { ...base, targets: many }],
    ['targets as a list', { ...base, targets: ['/dev/loop7'] }],
    ['clone missing', { setDir: base.setDir, targets: base.targets }],
    ['clone as a string', { ...base, clone: 'yes' }],
    ['an extra key', { ...base, mountRoot: '/' }],
    ['a plan smuggled in', { ...base, plan: { steps: [{ argv: ['rm', '-rf', '/'] }] } }],
  ])('refuses %s at the schema, in the API and in the helper', async (_name, params) => {
    for (const method of ['restore.plan', 'restore.start'] as const) {
      expect(() => parseRequest(method, params)).toThrow(/invalid request/);
      const { s, sent } = server();
      await s.handleLine(JSON.stringify({ id: 1, method, params }));
      expect(sent).toHaveLength(1);
      expect(errorOf(sent[0])).toBe('invalid-request');
      expect(s.runningJobs).toBe(0);
    }
  });

  it('refuses a __proto__ key among the targets', async () => {
    const { s, sent } = server();
    await s.handleLine(`{"id":2,"method":"restore.start","params":{"setDir":"/x","clone":false,"targets":{"__proto__":{"polluted":true}}}}`);
    expect(errorOf(sent[0])).toBe('invalid-request');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(s.runningJobs).toBe(0);
  });

  it('refuses a folder that is not a backup set', async () => {
    const dir = scratchDir('lifeboat-notaset-');
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 3, method: 'restore.start', params: { ...base, setDir: dir } }));
    expect(errorOf(sent[0])).toBe('set-invalid');
    writeFileSync(join(dir, 'lifeboat.json'), '{"format": 1, "id": "forged"}');
    await s.handleLine(JSON.stringify({ id: 4, method: 'restore.start', params: { ...base, setDir: dir } }));
    expect(errorOf(sent[1])).toBe('set-invalid');
    expect(s.runningJobs).toBe(0);
  });

  it('refuses a set whose folder is a file named like one', async () => {
    const dir = scratchDir('lifeboat-file-');
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'set'), 'not a folder');
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 5, method: 'restore.plan', params: { ...base, setDir: join(dir, 'x', 'set') } }));
    expect(errorOf(sent[0])).toBe('set-invalid');
  });
});

describe('restore.start with a real set and hostile targets', () => {
  /** The whole disk the running system lives on. */
  function systemDisk(): string {
    const source = execFileSync('findmnt', ['-n', '-o', 'SOURCE', '/'], { encoding: 'utf8' }).trim();
    const parent = execFileSync('lsblk', ['-no', 'PKNAME', source], { encoding: 'utf8' }).trim().split('\n')[0];
    return parent ? `/dev/${parent}` : source;
  }

  function realSet(): { setDir: string; recorded: string } {
    const setDir = join(scratchDir('lifeboat-helper-set-'), 'set');
    mkdirSync(setDir);
    const set = setAround(recordedLayout('gpt'));
    writeFileSync(join(setDir, 'lifeboat.json'), JSON.stringify(set));
    return { setDir, recorded: set.layout.disks[0]!.device };
  }

  it.each([
    ['the same target twice', (r: string) => ({ [r]: '/dev/loop250', '/dev/sdq': '/dev/loop250' }), 'target-duplicate'],
    ['a character device', (r: string) => ({ [r]: '/dev/null' }), 'target-not-block-device'],
    ['a device that does not exist', (r: string) => ({ [r]: '/dev/lifeboat-nonexistent' }), 'target-missing'],
  ])('refuses %s before anything runs', async (_name, targets, code) => {
    const { setDir, recorded } = realSet();
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'restore.start', params: { setDir, targets: targets(recorded), clone: false, includeLoop: true } }));
    expect(errorOf(sent[0])).toBe(code);
    expect(s.runningJobs).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses the disk the running system lives on (needs root to scan drives)', async () => {
    const { setDir, recorded } = realSet();
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'restore.plan', params: { setDir, targets: { [recorded]: systemDisk() }, clone: false } }));
    expect(errorOf(sent[0])).toBe('target-system');
    expect(s.runningJobs).toBe(0);
  });
});

describe('displayCommand', () => {
  const step = { id: 'x', phase: 'extract' as const, title: { key: 'steps.extract', params: {} }, destructive: true, weight: 1 };

  it('quotes only the words the shell needs quoted', () => {
    expect(displayCommand({ ...step, argv: ['wipefs', '-a', '/dev/sdb'] })).toBe('wipefs -a /dev/sdb');
    expect(displayCommand({ ...step, argv: ['mkfs.ext4', '-L', "my home's", '/dev/sdb3'] })).toBe(`mkfs.ext4 -L 'my home'\\''s' /dev/sdb3`);
  });

  it('shows an extraction as the plain pipeline, parts first', () => {
    const argv = { pipeline: [['zstd', '-d'], ['tar', '-x', '-C', '/mnt/a b']], input: ['/set/archives/root.tar.zst.000', '/set/archives/root.tar.zst.001'] };
    expect(displayCommand({ ...step, argv })).toBe("cat /set/archives/root.tar.zst.000 /set/archives/root.tar.zst.001 | zstd -d | tar -x -C '/mnt/a b'");
  });
});
