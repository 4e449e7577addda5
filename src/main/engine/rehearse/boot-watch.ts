/**
 * Waits for the restored system's login prompt on the serial line, and gives up at once
 * on the signs of a boot that cannot succeed — a kernel panic, an initramfs that cannot
 * find the root filesystem, systemd's emergency mode — instead of only at the timeout
 * (600 s by default: a long wait for "it does not boot", and under software emulation
 * the panic comes within seconds). The serial console is there because the rescue adds
 * it to the restored boot entries in a rehearsal (assets/rescue/rehearsal.sh).
 */
import { LifeboatError } from '../../../shared/errors';
import type { Vm } from './vm';

/** What a getty prints; systemd's, agetty's and busybox's all end the line this way. */
const LOGIN = /\blogin:\s*$/m;
const FATAL = /(Kernel panic - not syncing[^\r\n]*|Gave up waiting for root[^\r\n]*|ALERT! [^\r\n]*does not exist[^\r\n]*|You are in emergency mode[^\r\n]*|^\(initramfs\) $)/m;

export async function waitForLogin(vm: Vm, timeoutMs: number): Promise<void> {
  try {
    await vm.waitFor(new RegExp(`${LOGIN.source}|${FATAL.source}`, 'm'), timeoutMs);
  } catch {
    throw new LifeboatError('rehearse-boot-failed', { reason: vm.alive ? `no login prompt within ${timeoutMs / 1000} s` : 'the virtual machine stopped before a login prompt' });
  }
  const fatal = FATAL.exec(vm.output);
  if (fatal && !LOGIN.test(vm.output)) throw new LifeboatError('rehearse-boot-failed', { reason: fatal[1].trim() });
}
