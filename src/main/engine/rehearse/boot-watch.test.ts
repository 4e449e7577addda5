import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { waitForLogin } from './boot-watch';
import { hasQemu, stopAll, Vm } from './vm';

/** Stands in for a VM whose console already printed `output` (the decision, not the waiting). */
const printed = (output: string) => ({ output, alive: true, waitFor: async () => 0 }) as unknown as Vm;

describe('what ends the wait for a login prompt', () => {
  it('a login prompt is success', async () => {
    await expect(waitForLogin(printed('Debian GNU/Linux 12 host ttyS0\n\nhost login: '), 1000)).resolves.toBeUndefined();
  });

  it.each([
    ['[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n', /^Kernel panic - not syncing: VFS/],
    ['Gave up waiting for root file system device.  Common problems:\n', /^Gave up waiting for root file system device/],
    ['ALERT!  UUID=7e57 does not exist.  Dropping to a shell!\n\n\nBusyBox v1.35.0\n(initramfs) ', /^ALERT! +UUID=7e57 does not exist/],
    ['You are in emergency mode. After logging in, type "journalctl -xb"\n', /^You are in emergency mode/],
  ])('a boot that cannot succeed fails at once, naming the line: %s', async (out, reason) => {
    const err = await waitForLogin(printed(out), 1000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rehearse-boot-failed' });
    expect((err as { params: { reason: string } }).params.reason).toMatch(reason);
  });
});

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const why = !hasQemu() || !kernelName ? 'needs qemu-system-x86_64 and a kernel in /boot' : null;

describe.skipIf(why !== null)(`a real kernel that cannot find its root, in qemu${why ? ` (${why})` : ''}`, () => {
  afterAll(stopAll);

  it('is declared failed at its panic, long before the timeout', async () => {
    const vm = new Vm({ kernel: `/boot/${kernelName}`, append: 'console=ttyS0,115200 root=/dev/nowhere panic=0', memoryMiB: 256 });
    const t0 = Date.now();
    const err = await waitForLogin(vm, 240_000).catch((e: unknown) => e);
    const seconds = (Date.now() - t0) / 1000;
    await vm.stop();
    expect(err, vm.tail()).toMatchObject({ code: 'rehearse-boot-failed' });
    expect((err as { params: { reason: string } }).params.reason).toMatch(/^Kernel panic - not syncing/);
    expect(seconds).toBeLessThan(120);
    console.log(`kernel panic recognised after ${seconds.toFixed(1)} s`);
  }, 200_000);
});
