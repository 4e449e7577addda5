import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFakeSet } from '../../../../test/qemu/fake-set';
import { canUseLoop, loopSkipReason, makeLoop } from '../../../../test/util/loop';
import { runCli as cli } from '../../../../test/util/cli';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-media-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;


describe('lifeboat media refusals (exit 2, nothing written)', () => {
  it('refuses a missing kernel, naming it', async () => {
    const iso = join(dir, 'k.iso');
    const r = await cli(['media', '--rescue-only', '--iso', iso, '--kernel', join(dir, 'no-vmlinuz'), '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out.trim().split('\n').pop()!)).toMatchObject({ type: 'error', code: 'kernel-missing', params: { path: join(dir, 'no-vmlinuz') } });
    expect(readdirSync(dir).filter((f) => f.startsWith('k.iso'))).toEqual([]);
  });

  it('refuses a kernel without its modules', async () => {
    const fake = join(dir, 'vmlinuz-0.0.0-nomods');
    writeFileSync(fake, 'not a kernel');
    const r = await cli(['media', '--rescue-only', '--iso', join(dir, 'm.iso'), '--kernel', fake]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('/lib/modules/0.0.0-nomods');
  });

  it('refuses to build from a damaged set and leaves no ISO behind', async () => {
    const set = join(dir, 'set');
    makeFakeSet(set);
    writeFileSync(join(set, 'archives/root.tar.zst.000'), 'damaged');
    const iso = join(dir, 'broken.iso');
    const args = ['media', '--set', set, '--embed', '--iso', iso, '--json'];
    if (kernelName) args.push('--kernel', `/boot/${kernelName}`);
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.out).toContain('"code":"set-part-corrupt"');
    expect(readdirSync(dir).filter((f) => f.startsWith('broken.iso') || f.startsWith('.broken.iso'))).toEqual([]);
  });

  it('refuses contradictory or missing choices', async () => {
    expect((await cli(['media', '--iso', join(dir, 'x.iso')])).code).toBe(2);
    expect((await cli(['media', '--rescue-only'])).code).toBe(2);
    expect((await cli(['media', '--rescue-only', '--embed', '--iso', join(dir, 'x.iso')])).code).toBe(2);
    expect(existsSync(join(dir, 'x.iso'))).toBe(false);
  });

  it('refuses --split-media without an ISO with the set inside, or with a size it cannot read', async () => {
    const set = join(dir, 'split-set');
    makeFakeSet(set);
    const pxe = await cli(['media', '--set', set, '--pxe', join(dir, 'pxe'), '--split-media', 'cd', '--json']);
    expect(pxe.code).toBe(2);
    expect(pxe.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--split-media' } });
    expect((await cli(['media', '--set', set, '--iso', join(dir, 's.iso'), '--split-media', 'dvd'])).code).toBe(2);
    const size = await cli(['media', '--set', set, '--iso', join(dir, 's.iso'), '--embed', '--split-media', 'floppy', '--json']);
    expect(size.code).toBe(2);
    expect(size.last).toMatchObject({ code: 'invalid-request', params: { field: '--split-media' } });
    expect(readdirSync(dir).filter((f) => f.startsWith('s') && f.endsWith('.iso'))).toEqual([]);
    expect(existsSync(join(dir, 'pxe'))).toBe(false);
  });
});

describe('lifeboat doctor', () => {
  it('exits 1 and says what to install when the kernel is missing', async () => {
    const r = await cli(['doctor', '--kernel', join(dir, 'none')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('linux-image-amd64');
  });

  it.skipIf(!kernelName)('exits 0 when everything needed for an ISO is here (needs /boot/vmlinuz-*)', async () => {
    const r = await cli(['doctor', '--json', '--kernel', `/boot/${kernelName}`]);
    expect(JSON.parse(r.out)).toMatchObject({ type: 'doctor', ok: true, media: 'iso' });
    expect(r.code).toBe(0);
  });
});

describe.skipIf(!canUseLoop())(`lifeboat media --usb (${loopSkipReason})`, () => {
  it('refuses a loop device without --include-loop and a run without --yes, leaving the stick untouched', async () => {
    const stick = makeLoop(512 * 2 ** 20);
    try {
      writeFileSync(stick.device, Buffer.alloc(2 ** 20, 0x5a));
      const before = readFileSync(stick.device).subarray(0, 2 ** 20).toString('hex');
      const args = ['media', '--rescue-only', '--usb', stick.device, '--json'];
      if (kernelName) args.push('--kernel', `/boot/${kernelName}`);
      const noLoop = await cli(args);
      expect(noLoop.code).toBe(2);
      expect(noLoop.out).toContain('"code":"target-loop-not-allowed"');
      const noYes = await cli([...args, '--include-loop']);
      expect(noYes.code).toBe(2);
      expect(noYes.out).toContain('"code":"not-confirmed"');
      expect(readFileSync(stick.device).subarray(0, 2 ** 20).toString('hex')).toBe(before);
    } finally {
      stick.detach();
    }
  });

  it.skipIf(!kernelName)('prepares a stick with --yes --include-loop: GPT with an ESP and a data partition', async () => {
    const stick = makeLoop(512 * 2 ** 20);
    try {
      const r = await cli(['media', '--rescue-only', '--usb', stick.device, '--include-loop', '--yes', '--kernel', `/boot/${kernelName}`, '--json']);
      expect(r.code, r.out).toBe(0);
      const table = JSON.parse(execFileSync('sfdisk', ['--json', stick.device], { encoding: 'utf8' })).partitiontable;
      expect(table.label).toBe('gpt');
      expect(table.partitions.map((p: { type: string }) => p.type)).toContain('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
      expect(table.partitions.length).toBeGreaterThanOrEqual(2);
    } finally {
      // partx fails when the kernel already dropped the nodes; the stick must be detached either way
      try {
        execFileSync('partx', ['-d', stick.device], { stdio: 'ignore' });
      } catch {
        /* no partitions known */
      }
      stick.detach();
    }
  }, 180_000);
});
