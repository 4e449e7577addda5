import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootFirmware } from './firmware';

const dirs: string[] = [];
/** an installed system's root holding the given GRUB platform folders */
function rootWith(...platforms: string[]): string {
  const d = mkdtempSync(join(tmpdir(), 'lifeboat-fw-'));
  dirs.push(d);
  for (const p of platforms) mkdirSync(join(d, 'boot/grub', p), { recursive: true });
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('bootFirmware', () => {
  it('the running system: the firmware that started this machine, whatever its GRUB', () => {
    expect(bootFirmware('/', true, 'bios')).toBe('bios');
    expect(bootFirmware('/', false, 'uefi')).toBe('uefi');
  });

  it('an offline root: its own GRUB decides, not the live session it is read from', () => {
    expect(bootFirmware(rootWith('x86_64-efi'), true, 'bios')).toBe('uefi');
    expect(bootFirmware(rootWith('i386-pc'), true, 'uefi')).toBe('bios');
  });

  it('an offline root that does not say (both platforms, neither, or no ESP to boot from): the running firmware', () => {
    expect(bootFirmware(rootWith('x86_64-efi', 'i386-pc'), true, 'uefi')).toBe('uefi');
    expect(bootFirmware(rootWith('x86_64-efi', 'i386-pc'), true, 'bios')).toBe('bios');
    expect(bootFirmware(rootWith(), true, 'uefi')).toBe('uefi');
    expect(bootFirmware(rootWith('x86_64-efi'), false, 'bios')).toBe('bios');
  });
});
