import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatNumber, formatPercent, parseSize } from './format';
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

describe('formatNumber, formatPercent and formatBytes write what Intl writes, without loading it for en and fr', () => {
  // halves, nines that carry, values whose double is just under a half (1.005), 4+ digit groups
  const values: number[] = [0, -0, 0.5, 1.005, 2.675, 9.995, 99.95, 999.5, 999.95, 1234.5, 1_000_000, 123_456.789, -1.5, -0.004, 0.000_001_5, 1e-7, 1e21];
  for (let i = 0; i < 20_000; i++) values.push(i / 1000, i * 1.37, Math.random() * 10 ** (i % 7));
  it.each(['en', 'fr'])('%s: every value with 0–3 fraction digits and 1–2 integer digits', (lang) => {
    for (const maximumFractionDigits of [0, 1, 2, 3]) {
      for (const minimumIntegerDigits of [1, 2]) {
        const intl = new Intl.NumberFormat(lang, { maximumFractionDigits, minimumIntegerDigits });
        for (const v of values) expect(formatNumber(v, lang, { maximumFractionDigits, minimumIntegerDigits }), `${v} ${maximumFractionDigits} ${minimumIntegerDigits}`).toBe(intl.format(v));
      }
    }
  });
  it.each(['en', 'fr'])('%s: percentages, scaled in decimal as Intl does (0.425 is 43 %%)', (lang) => {
    const intl = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 });
    for (const v of [0, 0.425, 0.005, 0.995, 0.999_5, 1, 1.5, 12.345, -0.25, ...Array.from({ length: 5000 }, (_, i) => i / 4999)]) expect(formatPercent(v, lang), String(v)).toBe(intl.format(v));
  });
  it('sizes in both languages, and any other language through Intl', () => {
    expect(formatBytes(16_777_216, 'en')).toBe('16.8\u00a0MB');
    expect(formatBytes(16_777_216, 'fr')).toBe('16,8\u00a0Mo');
    expect(formatBytes(1_234, 'fr')).toBe('1,23\u00a0ko');
    expect(formatBytes(999, 'en')).toBe('999\u00a0B');
    // rounding up to 1,000 of a unit is the next unit
    expect(formatBytes(999_950, 'en')).toBe('1\u00a0MB');
    expect(formatBytes(999_499, 'en')).toBe('999\u00a0kB');
    expect(formatNumber(1234.5, 'de', { maximumFractionDigits: 1 })).toBe(new Intl.NumberFormat('de', { maximumFractionDigits: 1 }).format(1234.5));
  });
});
