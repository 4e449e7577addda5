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
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir } from '../../../test/util/loop';
import type { ReviewedPlan } from '../../shared/restore-sets';
import { recordedLayout, setAround } from '../engine/restore/test-util';
import { HelperServer } from './server';
import { displayCommand, RestorePlanner } from './restore-job';

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
    ['a negative partition size', { ...base, sizes: { '/dev/sda2': -1 } }],
    ['a zero partition size', { ...base, sizes: { '/dev/sda2': 0 } }],
    ['a partition size under 1 MiB', { ...base, sizes: { '/dev/sda2': 4096 } }],
    ['a fractional partition size', { ...base, sizes: { '/dev/sda2': 1048576.5 } }],
    ['a partition size as text', { ...base, sizes: { '/dev/sda2': '40G' } }],
    ['a partition size over 1 PiB', { ...base, sizes: { '/dev/sda2': 2 ** 51 } }],
    ['an infinite partition size', { ...base, sizes: { '/dev/sda2': 'Infinity' } }],
    ['a size for something outside /dev', { ...base, sizes: { '/etc/passwd': 1048576 } }],
    ['a size for a path climbing out of /dev', { ...base, sizes: { '/dev/../etc/shadow': 1048576 } }],
    ['sizes as a list', { ...base, sizes: [1048576] }],
    ['257 sizes', { ...base, sizes: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`/dev/sda${i + 1}`, 1048576])) }],
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

describe.skipIf(!canUseLoop())(`restore.plan re-checks the partition sizes on a real target${canUseLoop() ? '' : ` (skipped: ${loopSkipReason})`}`, () => {
  const MiB = 1024 * 1024;

  function realSet(): string {
    const setDir = join(scratchDir('lifeboat-helper-sizes-'), 'set');
    mkdirSync(setDir);
    writeFileSync(join(setDir, 'lifeboat.json'), JSON.stringify(setAround(recordedLayout('gpt'))));
    return setDir;
  }

  async function ask(sizes: Record<string, number>, method: 'restore.plan' | 'restore.start' = 'restore.plan') {
    const setDir = realSet();
    const target = makeLoop(1024 * MiB);
    try {
      const { s, sent } = server();
      await s.handleLine(JSON.stringify({ id: 1, method, params: { setDir, targets: { '/dev/loopG': target.device }, clone: false, includeLoop: true, sizes } }));
      return { msg: sent[0], device: target.device, running: s.runningJobs };
    } finally {
      target.detach();
    }
  }

  it.each([
    ['a partition the set does not have', { '/dev/sdz9': 100 * MiB }, 'restore-size-unknown'],
    ['the EFI system partition (firmware needs its size)', { '/dev/loopGp1': 100 * MiB }, 'restore-size-locked'],
    ['a size that cannot hold the data', { '/dev/loopGp2': 2 * MiB }, 'restore-size-too-small'],
    ['sizes that do not fit on the disk', { '/dev/loopGp2': 900 * MiB, '/dev/loopGp3': 100 * MiB }, 'target-too-small'],
  ])('refuses %s, for the plan and for the run', async (_name, sizes, code) => {
    for (const method of ['restore.plan', 'restore.start'] as const) {
      const { msg, running } = await ask(sizes, method);
      expect(errorOf(msg)).toBe(code);
      expect(running).toBe(0);
    }
  });

  it('answers with the figures behind each partition, and the size asked for exactly', async () => {
    const { msg, device } = await ask({ '/dev/loopGp2': 300 * MiB });
    if (!msg || !('result' in msg)) throw new Error(`no plan: ${JSON.stringify(msg)}`);
    const r = msg.result as ReviewedPlan;
    expect(r.sizes).toEqual({ '/dev/loopGp2': 300 * MiB });
    const parts = r.sizing[0]!.partitions;
    expect(parts.map((p) => [p.node, p.fixed, p.takesRest])).toEqual([
      ['/dev/loopGp1', 'esp', false],
      ['/dev/loopGp2', 'user', false],
      ['/dev/loopGp3', null, true],
      ['/dev/loopGp4', 'swap', false],
    ]);
    expect(parts[1]!.plannedBytes).toBe(300 * MiB);
    // the review shows the sfdisk line with the new size
    const sfdisk = r.commands.find((c) => c.includes('sfdisk'))!;
    expect(sfdisk).toContain(`sfdisk -q --no-reread --no-tell-kernel ${device}`);
    expect(sfdisk).toMatch(new RegExp(`\\np2 : start=\\d+, size=${(300 * MiB) / 512},`));
  });

  it('runs the plan reviewed for these sizes, never one reviewed for other sizes', async () => {
    const setDir = realSet();
    const target = makeLoop(1024 * MiB);
    try {
      const planner = new RestorePlanner();
      const p = { setDir, targets: { '/dev/loopG': target.device }, clone: false, includeLoop: true };
      const rootBytes = (plan: Awaited<ReturnType<RestorePlanner['plan']>>) => plan.mapping.find((m) => m.source === '/dev/loopGp2')!.targetBytes;
      const reviewed300 = await planner.plan({ ...p, sizes: { '/dev/loopGp2': 300 * MiB } });
      expect(await planner.planToRun({ ...p, sizes: { '/dev/loopGp2': 300 * MiB } })).toBe(reviewed300);
      expect(rootBytes(await planner.planToRun({ ...p, sizes: { '/dev/loopGp2': 400 * MiB } }))).toBe(400 * MiB);
      expect(rootBytes(await planner.planToRun(p))).not.toBe(300 * MiB);
    } finally {
      target.detach();
    }
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
