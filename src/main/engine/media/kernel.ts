/**
 * Finds the kernel the rescue system boots and the modules that match it.
 *
 * The version is read from the bzImage header (the `kernel_version` pointer at 0x20E,
 * see Documentation/x86/boot.rst), so a kernel copied under any name still finds its
 * modules; the file name `vmlinuz-<version>` is the fallback.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { release } from 'node:os';
import { LifeboatError } from '../../../shared/errors';

export interface KernelChoice {
  kernel: string;
  version: string;
  modulesDir: string;
}

/** Reads the version string a bzImage carries in its setup header, or null. */
export function readKernelVersion(file: string): string | null {
  const fd = openSync(file, 'r');
  try {
    // The pointer is 16-bit, so the string lies within the first 64 KiB.
    const head = Buffer.alloc(0x10200);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 0x210 || head.toString('latin1', 0x202, 0x206) !== 'HdrS') return null;
    const ptr = head.readUInt16LE(0x20e) + 0x200;
    if (ptr >= n) return null;
    const end = head.indexOf(0, ptr);
    const text = head.toString('latin1', ptr, end < 0 ? Math.min(n, ptr + 256) : end);
    // "6.1.0-26-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP ..." → first word
    const version = text.split(' ')[0];
    return version && /^\d+\.\d+/.test(version) ? version : null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Picks the kernel and its modules, or refuses with `kernel-missing` / `modules-missing`.
 *
 * Default: the running kernel's `/boot/vmlinuz-$(uname -r)`.
 */
export function chooseKernel(opts: { kernel?: string; modules?: string } = {}): KernelChoice {
  const kernel = opts.kernel ?? `/boot/vmlinuz-${release()}`;
  if (!existsSync(kernel) || !statSync(kernel).isFile()) throw new LifeboatError('kernel-missing', { path: kernel });
  const fromName = basename(kernel).match(/^vmlinuz-(.+)$/)?.[1] ?? null;
  const version = readKernelVersion(kernel) ?? fromName ?? (opts.kernel ? null : release());
  const modulesDir = opts.modules ?? (version ? join('/lib/modules', version) : '/lib/modules/?');
  if (!existsSync(join(modulesDir, 'modules.dep')) && !existsSync(join(modulesDir, 'kernel'))) {
    throw new LifeboatError('modules-missing', { version: version ?? basename(kernel), path: modulesDir });
  }
  return { kernel, version: version ?? basename(modulesDir), modulesDir };
}
