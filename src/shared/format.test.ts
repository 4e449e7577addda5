import { describe, expect, it } from 'vitest';
import { parseSize } from './format';
import { parseSizeInput } from './restore-sizes';

describe('parseSize (the CLI’s --split and --size)', () => {
  it('reads units as split(1) does: bare and iB binary, B alone decimal', () => {
    expect(parseSize('700M')).toBe(700 * 1024 ** 2);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('4G-1')).toBe(4 * 1024 ** 3 - 1);
    expect(parseSize('12345')).toBe(12345);
    expect(parseSize('1.5T')).toBe(1.5 * 1024 ** 4);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'G', '-1', '1X', '1 GB 2', '0', '1G-2000000000']) expect(parseSize(bad), bad).toBeNull();
  });

  it('means the same size as the restore wizard’s size field for the same English text (which rounds to MiB)', () => {
    const MiB = 1024 ** 2;
    for (const text of ['40GB', '40GiB', '40G', '512MiB', '2TB']) expect(Math.round(parseSize(text)! / MiB) * MiB, text).toBe(parseSizeInput(text, 'en'));
  });
});
