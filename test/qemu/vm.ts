/** The tests boot machines with the same qemu driver `lifeboat rehearse` uses. */
export { hasQemu, ovmf, stopAll, Vm, type VmOptions } from '../../src/main/engine/rehearse/vm';
