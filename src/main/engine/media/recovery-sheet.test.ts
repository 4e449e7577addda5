/**
 * The recovery sheet says the right things in both languages, about a layout recorded
 * from real disks, escapes what it did not write itself, and prints to a real PDF when
 * Chromium is installed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedLayout, setAround } from '../restore/test-util';
import { printSheetPdf, renderRecoverySheet, type SheetInput } from './recovery-sheet';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sheet-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const layout = recordedLayout('gpt');
const manifest = { ...setAround(layout), host: 'atelier<script>alert(1)</script>' };
const input = (lang: 'en' | 'fr'): SheetInput => ({
  lang,
  media: { kind: 'iso', path: '/srv/backups/atelier-rescue.iso', bytes: 38_000_000 },
  set: { dir: '/srv/backups/atelier', manifest, embedded: false, sums: 'abc123  lifeboat.json\n' },
  bootArgs: '',
  created: new Date('2026-11-25T10:00:00Z'),
});

describe('recovery sheet', () => {
  it('lists the recorded disks, partitions and UUIDs, the steps and the checksums, in English', async () => {
    const html = await renderRecoverySheet(input('en'));
    expect(html).toContain('What to do when this computer no longer starts');
    expect(html).toContain('/srv/backups/atelier-rescue.iso');
    expect(html).toContain('Plug in the drive holding the backup set (/srv/backups/atelier)');
    for (const d of layout.disks) expect(html).toContain(d.device);
    for (const f of layout.filesystems.filter((x) => x.uuid)) expect(html).toContain(f.uuid!);
    expect(html).toContain('abc123  lifeboat.json');
    expect(html).toContain('<html lang="en">');
  });

  it('speaks French and formats for France', async () => {
    const html = await renderRecoverySheet(input('fr'));
    expect(html).toContain('Que faire quand cet ordinateur ne démarre plus');
    expect(html).toContain('38\u00a0Mo');
    expect(html).toContain('mercredi 25 novembre 2026');
  });

  it('escapes what comes from the system (a host name is not markup)', async () => {
    const html = await renderRecoverySheet(input('en'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('atelier&lt;script&gt;');
  });

  it('lists every disc of a disc set with its label', async () => {
    const discs = [1, 2].map((index) => ({ index, label: `LIFEBOAT_0A1B2C3D_${index}`, path: `/srv/backups/rescue-${index}.iso` }));
    const html = await renderRecoverySheet({ ...input('fr'), media: { ...input('fr').media, path: discs[0].path, discs } });
    expect(html).toContain('Disque 2 sur 2</th><td class="mono">LIFEBOAT_0A1B2C3D_2 — /srv/backups/rescue-2.iso');
    expect(html).toContain('la restauration demande les suivants par leur étiquette');
  });

  it('without a set, says the rescue system looks for one', async () => {
    const html = await renderRecoverySheet({ ...input('en'), set: null });
    expect(html).toContain('not on this medium (rescue system only)');
    expect(html).not.toContain('Disks and partitions at backup time');
  });

  it.skipIf(!existsSync('/usr/bin/chromium'))('prints to a real PDF with headless Chromium (needs /usr/bin/chromium)', async () => {
    const html = join(dir, 'sheet.html');
    writeFileSync(html, await renderRecoverySheet(input('fr')));
    const pdf = await printSheetPdf(html, join(dir, 'sheet.pdf'));
    expect(pdf).toBe(join(dir, 'sheet.pdf'));
    expect(readFileSync(pdf!).subarray(0, 5).toString()).toBe('%PDF-');
  }, 90_000);
});
