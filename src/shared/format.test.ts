import { describe, expect, it } from 'vitest';
import { formatDuration, parseSize } from './format';
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

describe('formatDuration', () => {
  it('says short jobs in tenths, so that a job of 0.4 s is not "0 s"', () => {
    expect(formatDuration(0.42, 'en')).toBe('0.4\u00a0s');
    expect(formatDuration(0.42, 'fr')).toBe('0,4\u00a0s');
    expect(formatDuration(0.01, 'en')).toBe('0.1\u00a0s');
    expect(formatDuration(3, 'en')).toBe('3\u00a0s');
    expect(formatDuration(9.96, 'en')).toBe('10\u00a0s');
    expect(formatDuration(0, 'en')).toBe('0\u00a0s');
  });
  it('says longer ones in whole seconds, minutes and hours', () => {
    expect(formatDuration(42.4, 'en')).toBe('42\u00a0s');
    expect(formatDuration(187, 'fr')).toBe('3\u00a0min\u00a007\u00a0s');
    expect(formatDuration(3900, 'en')).toBe('1\u00a0h\u00a005\u00a0min');
  });
});
