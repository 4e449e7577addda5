/**
 * A rescue USB stick made on a loop device (standing in for the stick), then booted as
 * a raw disk under BIOS (GRUB i386-pc) and UEFI (GRUB EFI); the rescue system finds the
 * set on the stick's data partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildMedia } from '../../src/main/engine/media/build';
import { createJobContext } from '../../src/main/engine/job';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../util/loop';
import { hasQemu, ovmf, stopAll, Vm } from './vm';
import { makeFakeSet } from './fake-set';

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const ok = canUseLoop() && hasQemu() && Boolean(kernelName);
const why = `${loopSkipReason}; needs qemu and a kernel in /boot`;

let loop: LoopDevice | undefined;

afterAll(async () => {
  await stopAll();
  loop?.detach();
  cleanupScratch();
});

describe.skipIf(!ok)(`rescue USB stick (${why})`, () => {
  beforeAll(async () => {
    const dir = scratchDir('lifeboat-usb-');
    const set = join(dir, 'set');
    makeFakeSet(set);
    loop = makeLoop(300 * 2 ** 20, { dir });
    const device = loop.device;
    const guarded: string[] = [];
    await buildMedia(
      {
        usb: device,
        usbGuard: async (d) => {
          guarded.push(d);
          if (d !== device) throw new Error(`test guard: ${d} is not the test's loop device`);
        },
        set,
        embed: true,
        kernel: `/boot/${kernelName}`,
        lang: 'en',
        timeout: 0,
      },
      createJobContext('media'),
    );
    expect(guarded).toEqual([device]);
    loop.detach();
  });

  it('boots under BIOS from the stick and finds the set on its data partition', async () => {
    const vm = new Vm({ disk: loop!.file });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', 90_000);
    console.log(`USB/BIOS: ready after ${ready.toFixed(1)} s`);
    expect(vm.output).toMatch(/Backup found in \/mnt\/dev-sda3\/lifeboat/);
    await vm.stop();
  });

  it.skipIf(!ovmf())('boots under UEFI from the stick', async () => {
    const vm = new Vm({ disk: loop!.file, uefi: true });
    const ready = await vm.waitFor('LIFEBOAT-RESCUE-READY', 90_000);
    console.log(`USB/UEFI: ready after ${ready.toFixed(1)} s`);
    expect(vm.output).toMatch(/Backup found in \/mnt\/dev-sda3\/lifeboat/);
    await vm.stop();
  });

  it('refuses to touch a device the guard rejects', async () => {
    await expect(
      buildMedia(
        { usb: '/dev/nonexistent-stick', usbGuard: async (d) => Promise.reject(new Error(`refused ${d}`)), kernel: `/boot/${kernelName}`, lang: 'en' },
        createJobContext('media'),
      ),
    ).rejects.toThrow('refused /dev/nonexistent-stick');
  });
});
