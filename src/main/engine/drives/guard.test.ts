import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { LifeboatError } from '../../../shared/errors';
import { assertWritableTarget, unmountDrive } from './guard';
import { deviceOfPath } from './system';

const MiB = 1024 * 1024;
const loops: LoopDevice[] = [];
const mounted: string[] = [];
afterAll(() => {
  for (const m of mounted) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      /* the test unmounted it */
    }
  }
  for (const l of loops) l.detach();
  cleanupScratch();
});

function loop(size: number, opts: { readOnly?: boolean } = {}): LoopDevice {
  const l = makeLoop(size, opts);
  loops.push(l);
  return l;
}

/** Runs the guard and returns the LifeboatError it throws (fails the test if it passes). */
async function refusal(device: string, opts: Partial<Parameters<typeof assertWritableTarget>[1]> = {}): Promise<LifeboatError> {
  try {
    await assertWritableTarget(device, { imageSize: MiB, imageSourceDevice: null, includeLoop: true, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(LifeboatError);
    return err as LifeboatError;
  }
  throw new Error(`${device} was accepted`);
}

function isMountedAnywhere(dev: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' - ')[1]?.split(' ')[1] === dev);
}

describe.skipIf(!canUseLoop())(`assertWritableTarget (${loopSkipReason})`, () => {
  it('accepts a loop device when loops are allowed, refuses it otherwise', async () => {
    const l = loop(16 * MiB);
    const drive = await assertWritableTarget(l.device, { imageSize: 8 * MiB, imageSourceDevice: null, includeLoop: true });
    expect(drive.device).toBe(l.device);
    expect(drive.size).toBe(16 * MiB);
    expect((await refusal(l.device, { includeLoop: false })).code).toBe('target-loop-not-allowed');
  });

  it('refuses a drive too small for the image, with the numbers', async () => {
    const l = loop(4 * MiB);
    const err = await refusal(l.device, { imageSize: 5 * MiB });
    expect(err.code).toBe('target-too-small');
    expect(err.params).toMatchObject({ device: l.device, needed: 5 * MiB, available: 4 * MiB });
  });

  it('refuses a read-only drive and the drive holding the image', async () => {
    const ro = loop(4 * MiB, { readOnly: true });
    expect((await refusal(ro.device)).code).toBe('target-read-only');

    const src = loop(16 * MiB);
    execFileSync('sfdisk', ['-q', src.device], { input: 'label: dos\n,\n' });
    execFileSync('partx', ['-u', src.device]);
    expect((await refusal(src.device, { imageSourceDevice: `${src.device}p1` })).code).toBe('target-is-source');
    const part = await refusal(`${src.device}p1`);
    expect(part.code).toBe('target-is-partition');
    expect(part.params.disk).toBe(src.device);
  });

  it('refuses the disk holding / as a system drive', async (ctx) => {
    const root = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[4] === '/');
    const source = root?.[root.indexOf('-') + 2];
    if (!source?.startsWith('/dev/') || deviceOfPath('/')?.startsWith('0:')) {
      ctx.skip(`/ is not on a block device here (${source}), so there is no system disk to refuse`);
      return;
    }
    // The root source may be a partition; the guard must refuse its whole disk too.
    const disk = execFileSync('lsblk', ['-n', '-d', '-o', 'PKNAME', source], { encoding: 'utf8' }).trim();
    const target = disk ? `/dev/${disk}` : source;
    const err = await refusal(target, { includeLoop: false });
    expect(err.code).toBe('target-system');
    expect(String(err.params.reason)).toContain('root');
  });

  it('follows a symlink (as /dev/disk/by-id names are) to the drive it names', async () => {
    const l = loop(8 * MiB);
    const link = join(scratchDir(), 'usb-Lifeboat_Stick-0:0');
    symlinkSync(l.device, link);
    const drive = await assertWritableTarget(link, { imageSize: MiB, imageSourceDevice: null, includeLoop: true });
    expect(drive.device).toBe(l.device);
    expect((await refusal(link, { includeLoop: false })).params.device).toBe(link);
  });

  it('refuses a missing device and a regular file', async () => {
    expect((await refusal('/dev/lifeboat-no-such-disk')).code).toBe('target-missing');
    const file = join(scratchDir(), 'not-a-disk.img');
    writeFileSync(file, Buffer.alloc(4096));
    expect((await refusal(file)).code).toBe('target-not-block-device');
    expect((await refusal('/dev/null')).code).toBe('target-not-block-device');
  });

  it('unmounts the filesystems of a drive before writing', async () => {
    const l = loop(32 * MiB);
    execFileSync('sfdisk', ['-q', l.device], { input: 'label: gpt\n,\n' });
    execFileSync('partx', ['-u', l.device]);
    execFileSync('mkfs.ext4', ['-q', `${l.device}p1`]);
    const dir = join(scratchDir(), 'mnt');
    mkdirSync(dir);
    execFileSync('mount', [`${l.device}p1`, dir]);
    mounted.push(dir);
    expect(isMountedAnywhere(`${l.device}p1`)).toBe(true);

    const drive = await assertWritableTarget(l.device, { imageSize: MiB, imageSourceDevice: null, includeLoop: true });
    expect(drive.mountpoints).toEqual([dir]);
    await unmountDrive(drive);
    expect(isMountedAnywhere(`${l.device}p1`)).toBe(false);
  });

  it('refuses to unmount a system drive', async () => {
    const l = loop(4 * MiB);
    const drive = await assertWritableTarget(l.device, { imageSize: MiB, imageSourceDevice: null, includeLoop: true });
    await expect(unmountDrive({ ...drive, systemReasons: ['root'] })).rejects.toMatchObject({ code: 'target-system' });
  });
});
