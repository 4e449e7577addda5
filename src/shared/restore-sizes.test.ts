/**
 * Sizes typed in the wizard's partition sizes panel: read with the language in mind,
 * and checked against the planner's figures the way the helper will check them.
 */
import { describe, expect, it } from 'vitest';
import { formatSizeInput, parseSizeInput, sizeProblems, type DiskSizing } from './restore-sizes';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('parseSizeInput', () => {
  it.each([
    ['40 GiB', 'en', 40 * GiB],
    ['40GiB', 'en', 40 * GiB],
    ['40 G', 'en', 40 * GiB],
    ['40 gi', 'en', 40 * GiB],
    ['1.5 TiB', 'en', 1.5 * 1024 * GiB],
    ['512 MiB', 'en', 512 * MiB],
    ['1,024 MiB', 'en', 1024 * MiB],
    // decimal units are what the rest of the app shows: 40 GB is 40·10⁹ bytes, rounded to whole MiB
    ['40 GB', 'en', Math.round(40e9 / MiB) * MiB],
    ['40 Go', 'fr', Math.round(40e9 / MiB) * MiB],
    ['40 Gio', 'fr', 40 * GiB],
    ['2,5 Gio', 'fr', 2.5 * GiB],
    ['1 024 Mio', 'fr', 1024 * MiB],
    ['1\u202f024\u00a0Mio', 'fr', 1024 * MiB],
    ['100 mio', 'fr', 100 * MiB],
    ['1048576 octets', 'fr', MiB],
  ])('reads %j in %s', (text, lang, bytes) => {
    expect(parseSizeInput(text, lang)).toBe(bytes);
  });

  it.each([
    ['40', 'en', 'a bare number has no unit'],
    ['2,5 GiB', 'en', 'a comma is not a decimal mark in English'],
    ['lots', 'en', 'not a number'],
    ['-4 GiB', 'en', 'negative'],
    ['0 MiB', 'en', 'zero'],
    ['100 KiB', 'en', 'rounds to zero MiB'],
    ['2 PiB', 'en', 'over the bound'],
    ['4G-1', 'en', 'the CLI split syntax is no partition size'],
  ])('refuses %j (%s: %s)', (text, lang) => {
    expect(parseSizeInput(text, lang)).toBeNull();
  });

  it('formats what it reads back to the same text', () => {
    expect(formatSizeInput(40 * GiB, 'en')).toBe('40\u00a0GiB');
    expect(formatSizeInput(2.5 * GiB, 'fr')).toBe('2,5\u00a0Gio');
    for (const [text, lang] of [['40 GiB', 'en'], ['2,5 Gio', 'fr'], ['100 MiB', 'en'], ['96 Mio', 'fr']] as const) {
      expect(parseSizeInput(formatSizeInput(parseSizeInput(text, lang)!, lang), lang)).toBe(parseSizeInput(text, lang));
    }
  });
});

describe('sizeProblems', () => {
  // 1 GiB of room: ESP 64 MiB, root (scales, min 100 MiB), home (scales, min 50 MiB), swap 128 MiB kept
  const disk: DiskSizing = {
    source: '/dev/sda',
    device: '/dev/sdc',
    sizeBytes: GiB + 2 * MiB,
    spaceBytes: GiB,
    freeBytes: 0,
    partitions: [
      { node: '/dev/sda1', number: 1, target: '/dev/sdc1', fsType: 'vfat', mountpoint: '/boot/efi', label: null, recordedBytes: 64 * MiB, plannedBytes: 64 * MiB, startBytes: MiB, fixed: 'esp', minBytes: MiB, takesRest: false },
      { node: '/dev/sda2', number: 2, target: '/dev/sdc2', fsType: 'ext4', mountpoint: '/', label: null, recordedBytes: 400 * MiB, plannedBytes: 500 * MiB, startBytes: 65 * MiB, fixed: null, minBytes: 100 * MiB, takesRest: false },
      { node: '/dev/sda3', number: 3, target: '/dev/sdc3', fsType: 'ext4', mountpoint: '/home', label: null, recordedBytes: 300 * MiB, plannedBytes: 332 * MiB, startBytes: 565 * MiB, fixed: null, minBytes: 50 * MiB, takesRest: true },
      { node: '/dev/sda4', number: 4, target: '/dev/sdc4', fsType: 'swap', mountpoint: null, label: null, recordedBytes: 128 * MiB, plannedBytes: 128 * MiB, startBytes: 897 * MiB, fixed: 'swap', minBytes: MiB, takesRest: false },
    ],
  };

  it('accepts a size between the minimum and what the others leave', () => {
    expect(sizeProblems(disk, { '/dev/sda2': 700 * MiB })).toEqual({});
    // room: 1024 - 64 (ESP) - 128 (swap) - 50 (home at its minimum) = 782 MiB
    expect(sizeProblems(disk, { '/dev/sda2': 782 * MiB })).toEqual({});
  });

  it('names the minimum and what is left, field by field', () => {
    expect(sizeProblems(disk, { '/dev/sda2': 99 * MiB })).toEqual({ '/dev/sda2': { code: 'below-min', min: 100 * MiB } });
    expect(sizeProblems(disk, { '/dev/sda2': 783 * MiB })).toEqual({ '/dev/sda2': { code: 'over-disk', available: 782 * MiB } });
    expect(sizeProblems(disk, { '/dev/sda1': 128 * MiB })).toEqual({ '/dev/sda1': { code: 'locked', reason: 'esp' } });
  });

  it('counts the other sizes typed: together they must fit', () => {
    // swap set to 300 MiB leaves root 1024 - 64 - 300 - 50 = 610 MiB
    expect(sizeProblems(disk, { '/dev/sda4': 300 * MiB, '/dev/sda2': 700 * MiB })).toEqual({
      '/dev/sda2': { code: 'over-disk', available: 610 * MiB },
      '/dev/sda4': { code: 'over-disk', available: 1024 * MiB - 64 * MiB - 700 * MiB - 50 * MiB },
    });
  });

  it('a size the user set before and now cleared counts at its minimum again', () => {
    const edited: DiskSizing = { ...disk, partitions: disk.partitions.map((p) => (p.node === '/dev/sda3' ? { ...p, fixed: 'user', plannedBytes: 400 * MiB } : p)) };
    expect(sizeProblems(edited, { '/dev/sda2': 782 * MiB })).toEqual({});
  });
});
