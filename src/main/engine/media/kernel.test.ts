import { describe, expect, it, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseKernel, readKernelVersion } from './kernel';
import { LifeboatError } from '../../../shared/errors';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-kernel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake bzImage: the setup header magic and a version string where the pointer says. */
function fakeBzImage(version: string): Buffer {
  const b = Buffer.alloc(0x1000);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x300, 0x20e);
  b.write(`${version} (builder@example) #1 SMP`, 0x500, 'latin1');
  return b;
}

const debianKernel = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;

describe('kernel choice', () => {
  it('reads the version from the setup header, whatever the file is called', () => {
    const f = join(dir, 'bzImage');
    writeFileSync(f, fakeBzImage('9.8.7-lifeboat'));
    expect(readKernelVersion(f)).toBe('9.8.7-lifeboat');
  });

  it.skipIf(!debianKernel)('reads the version of a real Debian kernel (needs a /boot/vmlinuz-*)', () => {
    expect(readKernelVersion(`/boot/${debianKernel}`)).toBe(debianKernel!.replace('vmlinuz-', ''));
  });

  it('refuses a missing kernel with kernel-missing naming the path', () => {
    const err = (() => {
      try {
        chooseKernel({ kernel: join(dir, 'nope') });
      } catch (e) {
        return e as LifeboatError;
      }
    })();
    expect(err?.code).toBe('kernel-missing');
    expect(err?.kind).toBe('refused');
    expect(err?.params.path).toBe(join(dir, 'nope'));
  });

  it('refuses a kernel whose modules are not there with modules-missing', () => {
    const f = join(dir, 'vmlinuz-0.0.1-none');
    writeFileSync(f, fakeBzImage('0.0.1-none'));
    expect(() => chooseKernel({ kernel: f })).toThrow(expect.objectContaining({ code: 'modules-missing', params: { version: '0.0.1-none', path: '/lib/modules/0.0.1-none' } }));
    expect(() => chooseKernel({ kernel: f, modules: join(dir, 'mods') })).toThrow(expect.objectContaining({ code: 'modules-missing' }));
  });

  it('accepts --modules pointing at a modules folder', () => {
    const f = join(dir, 'vmlinuz-custom');
    writeFileSync(f, fakeBzImage('1.2.3-custom'));
    const mods = join(dir, 'lib-modules');
    mkdirSync(mods, { recursive: true });
    writeFileSync(join(mods, 'modules.dep'), '');
    expect(chooseKernel({ kernel: f, modules: mods })).toEqual({ kernel: f, version: '1.2.3-custom', modulesDir: mods });
  });
});
