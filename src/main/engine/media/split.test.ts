import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { SPLIT_PRESETS } from '../backup/backup';
import { parseSize } from '../../../shared/format';
import { SPLIT_CHOICES } from '../../../shared/media-make';
import { DISC_BYTES, DISC_OVERHEAD, checkDiscSizes, discLabel, discTag, discMarker, discPath, parseDiscSize, planDiscs, type SetFile } from './split';

const MiB = 2 ** 20;
const base: SetFile[] = [
  { name: 'lifeboat.json', bytes: 5000 },
  { name: 'SHA256SUMS', bytes: 400 },
  { name: 'restore.sh', bytes: 9000 },
  { name: 'layout/sfdisk.json', bytes: 700 },
];
const parts = (n: number, bytes: number): SetFile[] => Array.from({ length: n }, (_, i) => ({ name: `archives/root.tar.zst.${String(i).padStart(3, '0')}`, bytes }));

describe('disc sizes', () => {
  it('knows what real discs hold, and reads sizes as the other options do', () => {
    expect(parseDiscSize('cd')).toBe(737_280_000);
    expect(parseDiscSize('DVD')).toBe(4_700_372_992);
    // "4.7 GB" is decimal: a 4.7 GiB image would not burn
    expect(DISC_BYTES.dvd).toBeLessThan(4.7 * 2 ** 30);
    expect(parseDiscSize('60M')).toBe(60 * MiB);
    expect(parseDiscSize('soon')).toBeNull();
  });

  it('the cd and dvd part presets of backup (CLI and wizard) fit on a disc of that name, with room to spare', () => {
    for (const kind of ['cd', 'dvd'] as const) {
      for (const preset of [SPLIT_PRESETS[kind], SPLIT_CHOICES[kind]]) expect(parseSize(preset)! + DISC_OVERHEAD).toBeLessThanOrEqual(DISC_BYTES[kind]);
    }
  });

  it('names discs after the set and their number, within ISO 9660 rules', () => {
    const tag = createHash('sha256').update('vm-20261125-172115-fa91').digest('hex').slice(0, 8).toUpperCase();
    expect(discLabel('vm-20261125-172115-fa91', 2)).toBe(`LIFEBOAT_${tag}_2`);
    // sets of the same host and day get different labels
    expect(discLabel('vm-20261125-172116-0b3c', 2)).not.toBe(discLabel('vm-20261125-172115-fa91', 2));
    expect(discLabel('test-set', 12)).toMatch(/^[A-Z0-9_]{1,32}$/);
  });

  it('numbers the files: rescue.iso → rescue-1.iso, rescue-2.iso', () => {
    expect(discPath('/tmp/out/rescue.iso', 1)).toBe('/tmp/out/rescue-1.iso');
    expect(discPath('/tmp/out/rescue.ISO', 2)).toBe('/tmp/out/rescue-2.ISO');
    expect(discPath('/tmp/out/rescue', 3)).toBe('/tmp/out/rescue-3');
  });
});

describe('planDiscs', () => {
  it('puts the rescue system, the description and the first parts on disc 1, the others after, in order and whole', () => {
    const discs = planDiscs({ setId: 'abc', base, parts: parts(5, 20 * MiB), rescueBytes: 15 * MiB, discBytes: 60 * MiB });
    expect(discs.map((d) => d.label)).toEqual([1, 2, 3].map((n) => `LIFEBOAT_${discTag('abc')}_${n}`));
    // 15 MiB rescue + 2 MiB room + 2 × 20 MiB = 57 MiB; a third part would overflow 60 MiB
    expect(discs[0].files.map((f) => f.name)).toEqual([...base.map((f) => f.name), 'archives/root.tar.zst.000', 'archives/root.tar.zst.001']);
    expect(discs[1].files.map((f) => f.name)).toEqual(['archives/root.tar.zst.002', 'archives/root.tar.zst.003']);
    expect(discs[2].files.map((f) => f.name)).toEqual(['archives/root.tar.zst.004']);
    for (const d of discs) expect(d.bytes).toBeLessThanOrEqual(60 * MiB);
    // every part exactly once, in the set's order
    expect(discs.flatMap((d) => d.files).filter((f) => f.name.startsWith('archives/')).map((f) => f.name)).toEqual(parts(5, 1).map((p) => p.name));
  });

  it('makes one disc when everything fits', () => {
    const discs = planDiscs({ setId: 's', base, parts: parts(3, MiB), rescueBytes: 30 * MiB, discBytes: DISC_BYTES.cd });
    expect(discs).toHaveLength(1);
  });

  it('counts whole sectors: a part of one byte more than fits opens the next disc', () => {
    const room = 40 * MiB - DISC_OVERHEAD - 2 * 2048; // what is left after the overhead, the marker and one directory record
    const fits = planDiscs({ setId: 's', base: [], parts: [{ name: 'archives/a.000', bytes: room - 2048 }], rescueBytes: 0, discBytes: 40 * MiB });
    expect(fits).toHaveLength(1);
    const spills = planDiscs({ setId: 's', base: [], parts: [{ name: 'archives/a.000', bytes: 1 }, { name: 'archives/a.001', bytes: room - 2048 }], rescueBytes: 0, discBytes: 40 * MiB });
    expect(spills.map((d) => d.files.length)).toEqual([1, 1]);
  });

  it('refuses a part larger than a disc, suggesting a smaller --split', () => {
    expect(() => planDiscs({ setId: 's', base, parts: [...parts(1, MiB), { name: 'archives/big.000', bytes: 70 * MiB }], rescueBytes: MiB, discBytes: 60 * MiB, spec: '60M' })).toThrow(
      expect.objectContaining({ code: 'media-part-too-big', params: expect.objectContaining({ part: 'archives/big.000', size: '70M', disc: '60M', suggest: '28M' }) }),
    );
  });

  it('refuses a size that cannot hold the rescue system on disc 1', () => {
    expect(() => planDiscs({ setId: 's', base, parts: parts(2, MiB), rescueBytes: 40 * MiB, discBytes: 30 * MiB, spec: '30M' })).toThrow(
      expect.objectContaining({ code: 'media-disc-too-small', params: { need: '43M', disc: '30M' } }),
    );
  });

  it('refuses an image that came out larger than the disc', () => {
    expect(() => checkDiscSizes([{ label: 'L_1', bytes: 100 }, { label: 'L_2', bytes: 61 * MiB }], 60 * MiB, '60M')).toThrow(expect.objectContaining({ code: 'media-disc-too-small' }));
    expect(() => checkDiscSizes([{ label: 'L_1', bytes: 60 * MiB }], 60 * MiB)).not.toThrow();
  });
});

describe('discMarker', () => {
  it('tells the rescue system which disc it is and where every part lives, in lines sh reads', () => {
    const all = parts(3, 20 * MiB);
    const discs = planDiscs({ setId: 'abc', base, parts: all, rescueBytes: 15 * MiB, discBytes: 60 * MiB });
    const text = discMarker(discs, 2, new Set(all.map((p) => p.name)));
    const t = discTag('abc');
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      `disc 2 2 LIFEBOAT_${t}_2`,
      `label 1 LIFEBOAT_${t}_1`,
      `label 2 LIFEBOAT_${t}_2`,
      'part 1 archives/root.tar.zst.000',
      'part 1 archives/root.tar.zst.001',
      'part 2 archives/root.tar.zst.002',
    ]);
  });
});
