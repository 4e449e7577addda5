import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { runDoctor } from './doctor';

const debianKernel = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;

describe('doctor', () => {
  it('reports a missing kernel as needed and missing, with the package to install', () => {
    const r = runDoctor({ media: 'iso', kernel: '/nonexistent/vmlinuz' });
    expect(r.ok).toBe(false);
    const k = r.items.find((i) => i.id === 'kernel')!;
    expect(k).toMatchObject({ found: false, needed: true, path: '/nonexistent/vmlinuz' });
    expect(k.packages.debian).toBe('linux-image-amd64');
  });

  it('lists build needs per media kind', () => {
    const iso = runDoctor({ media: 'iso', kernel: '/nonexistent' }).items.map((i) => i.id);
    const usb = runDoctor({ media: 'usb', kernel: '/nonexistent' }).items.map((i) => i.id);
    expect(iso).toContain('xorriso');
    expect(usb).not.toContain('xorriso');
    expect(usb).toContain('grub-i386-pc');
  });

  it('lists the exFAT tools for a stick, as optional (only --data-fs exfat needs them)', () => {
    const usb = runDoctor({ media: 'usb', kernel: '/nonexistent' }).items;
    for (const id of ['mkfs.exfat', 'mount.exfat-fuse']) expect(usb.find((i) => i.id === id)).toMatchObject({ group: 'build', needed: false, packages: { debian: expect.stringMatching(/^exfat/) } });
    expect(runDoctor({ media: 'iso', kernel: '/nonexistent' }).items.map((i) => i.id)).not.toContain('mkfs.exfat');
  });

  it.skipIf(!debianKernel)('is green on this machine for an ISO with the Debian kernel (needs /boot/vmlinuz-*)', () => {
    const r = runDoctor({ media: 'iso', kernel: `/boot/${debianKernel}` });
    expect(r.items.filter((i) => i.needed && !i.found)).toEqual([]);
    expect(r.ok).toBe(true);
  });
});
