/** The tests boot machines with the same qemu driver `lifeboat rehearse` uses. */
import { existsSync, readdirSync } from 'node:fs';
import { canUseLoop, loopSkipReason } from '../util/loop';
import { hasQemu } from '../../src/main/engine/rehearse/vm';

export { hasQemu, ovmf, stopAll, Vm, type VmOptions } from '../../src/main/engine/rehearse/vm';

/** The host's kernel for the rescue system (the tests install linux-image-cloud-amd64). */
const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
export const hostKernel = kernelName ? `/boot/${kernelName}` : '';

/** Why a test that needs loop devices, qemu and a kernel for the rescue system cannot run here, or null. */
export function loopQemuSkipReason(): string | null {
  if (!canUseLoop()) return loopSkipReason;
  if (!hostKernel || !hasQemu()) return 'needs qemu-system-x86_64 and a kernel in /boot (apt-get install qemu-system-x86 linux-image-cloud-amd64)';
  return null;
}
