import { describe, expect, it } from 'vitest';
import { libraryClosure, parseLdd } from './closure';

describe('ldd closure', () => {
  it('parses libraries, the loader and unresolved names', () => {
    const text = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibblkid.so.1 => /lib/x86_64-linux-gnu/libblkid.so.1 (0x00007f1)',
      '\tlibfoo.so.2 => not found',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)',
    ].join('\n');
    expect(parseLdd(text)).toEqual({
      libs: ['/lib/x86_64-linux-gnu/libblkid.so.1', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
      notFound: ['libfoo.so.2'],
    });
    expect(parseLdd('\tnot a dynamic executable\n')).toEqual({ libs: [], notFound: [] });
  });

  it('finds libc and the loader for a real program, nothing for static busybox', async () => {
    const tar = await libraryClosure('/usr/bin/tar');
    expect(tar.libs.some((l) => /\/libc\.so\.6$/.test(l))).toBe(true);
    expect(tar.libs.some((l) => /ld-linux/.test(l))).toBe(true);
    const bb = await libraryClosure('/bin/busybox');
    expect(bb.libs).toEqual([]);
  });
});
