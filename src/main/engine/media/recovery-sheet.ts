/**
 * The printable recovery sheet: "a recovery plan is mostly paper" (the Mondo talk). Made
 * with every medium, in the medium's language, as an HTML page (and a PDF when a
 * headless Chromium is at hand): which machine, when, its disks and partitions, where
 * the backup is, what to do step by step, and the checksums to trust it by.
 *
 * Plain HTML with inline styles and no script, so it prints the same from any browser
 * and still reads when opened years later from a USB stick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TFunction } from 'i18next';
import type { Language } from '../../../shared/api';
import type { BackupSet } from '../../../shared/backup-set';
import { formatBytes } from '../../../shared/format';
import { createI18n } from '../../../shared/i18n';
import { hasTool, run } from '../run';
import { APP_VERSION } from '../../version';

export interface SheetInput {
  lang: Language;
  media: { kind: 'iso' | 'pxe' | 'usb'; path: string; bytes: number; discs?: { index: number; label: string; path: string }[] };
  /** the set the media restores, with its folder; null for rescue-only media */
  set: { dir: string; manifest: BackupSet; embedded: boolean; sums: string } | null;
  bootArgs: string;
  created: Date;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function disksTable(t: TFunction, set: BackupSet, lang: string): string {
  const rows: string[] = [];
  for (const d of set.layout.disks) {
    rows.push(`<tr class="disk"><td colspan="6"><b>${esc(d.device)}</b> — ${esc(formatBytes(d.sizeBytes, lang))}${d.table ? ` — ${d.table.label === 'gpt' ? 'GPT' : 'MBR'}` : ''}${d.model ? ` — ${esc(d.model)}` : ''}</td></tr>`);
    for (const p of d.table?.partitions ?? []) {
      const fs = set.layout.filesystems.find((f) => f.device === p.node);
      const swap = set.layout.swap.find((s) => s.device === p.node);
      rows.push(
        `<tr><td>${p.number}</td><td>${esc(formatBytes(p.size * d.table!.sectorsize, lang))}</td><td>${esc(fs?.type ?? (swap ? 'swap' : ''))}</td><td>${esc(fs?.mountpoint ?? '')}</td><td>${esc(fs?.label ?? p.name ?? '')}</td><td class="mono">${esc(fs?.uuid ?? swap?.uuid ?? '')}</td></tr>`,
      );
    }
  }
  return `<table><thead><tr><th>${esc(t('media:sheet.partition'))}</th><th>${esc(t('media:sheet.size'))}</th><th>${esc(t('media:sheet.fs'))}</th><th>${esc(t('media:sheet.mountpoint'))}</th><th>${esc(t('media:sheet.label'))}</th><th>UUID</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A disc set: each disc with the label the rescue system asks for it by. */
function discRows(t: TFunction, discs: { index: number; label: string; path: string }[] | undefined): string {
  if (!discs || discs.length < 2) return '';
  const rows = discs.map((d) => `<tr><th>${esc(t('media:sheet.disc', { index: d.index, count: discs.length }))}</th><td class="mono">${esc(d.label)} — ${esc(d.path)}</td></tr>`);
  return rows.join('') + `<tr><td colspan="2">${esc(t('media:sheet.discsNote'))}</td></tr>`;
}

export async function renderRecoverySheet(input: SheetInput): Promise<string> {
  const { t } = await createI18n(input.lang);
  const lang = input.lang;
  const date = new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short' }).format(input.created);
  const set = input.set;
  const host = set?.manifest.host ?? '';
  const steps = [
    t(`media:sheet.steps.boot.${input.media.kind}`, { path: input.media.path }),
    t('media:sheet.steps.menu'),
    set ? (set.embedded ? t('media:sheet.steps.setEmbedded') : t('media:sheet.steps.setBeside', { path: set.dir })) : t('media:sheet.steps.setElsewhere'),
    t('media:sheet.steps.confirm'),
    t('media:sheet.steps.reboot'),
  ];
  const archives = set
    ? set.manifest.archives
        .map((a) => `<tr><td>${esc(a.mountpoint || a.device)}</td><td>${esc(a.fsType)}</td><td>${esc(formatBytes(a.bytesIn, lang))}</td><td>${a.parts.length}</td></tr>`)
        .join('')
    : '';
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(t('media:sheet.title', { host }))}</title>
<style>
body{font:11pt/1.45 "DejaVu Sans",sans-serif;color:#111;max-width:46em;margin:2em auto;padding:0 1em}
h1{font-size:18pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.4em 0 .4em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:9.5pt}td,th{border:1px solid #bbb;padding:.2em .4em;text-align:left;vertical-align:top}
tr.disk td{background:#eee}.mono,pre{font-family:"DejaVu Sans Mono",monospace;font-size:8.5pt;word-break:break-all}
pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}.lead{color:#444}ol li{margin:.3em 0}
</style></head><body>
<h1>${esc(t('media:sheet.title', { host }))}</h1>
<p class="lead">${esc(t('media:sheet.lead', { date, version: APP_VERSION }))}</p>
<h2>${esc(t('media:sheet.whatToDo'))}</h2>
<ol>${steps.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>
<p>${esc(t('media:sheet.unattended'))}</p>
<pre>lifeboat.restore=auto lifeboat.target=/dev/sdX lifeboat.poweroff=1</pre>
<p>${esc(t('media:sheet.byHand'))}</p>
<h2>${esc(t('media:sheet.where'))}</h2>
<table><tbody>
<tr><th>${esc(t(`media:sheet.media.${input.media.kind}`))}</th><td class="mono">${esc(input.media.path)}</td></tr>
${discRows(t, input.media.discs)}
<tr><th>${esc(t('media:sheet.mediaSize'))}</th><td>${esc(formatBytes(input.media.bytes, lang))}</td></tr>
${set ? `<tr><th>${esc(t('media:sheet.set'))}</th><td class="mono">${esc(set.dir)}${set.embedded ? ` — ${esc(t('media:sheet.embedded'))}` : ''}</td></tr><tr><th>${esc(t('media:sheet.setId'))}</th><td class="mono">${esc(set.manifest.id)}</td></tr><tr><th>${esc(t('media:sheet.setDate'))}</th><td>${esc(new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(set.manifest.created)))}</td></tr>` : `<tr><th>${esc(t('media:sheet.set'))}</th><td>${esc(t('media:sheet.noSet'))}</td></tr>`}
${input.bootArgs ? `<tr><th>${esc(t('media:sheet.bootArgs'))}</th><td class="mono">${esc(input.bootArgs)}</td></tr>` : ''}
</tbody></table>
${set ? `<h2>${esc(t('media:sheet.disks'))}</h2>${disksTable(t, set.manifest, lang)}<p>${esc(t('media:sheet.firmware', { firmware: set.manifest.layout.boot.firmware === 'uefi' ? 'UEFI' : 'BIOS' }))}</p>
<h2>${esc(t('media:sheet.archives'))}</h2><table><thead><tr><th>${esc(t('media:sheet.mountpoint'))}</th><th>${esc(t('media:sheet.fs'))}</th><th>${esc(t('media:sheet.size'))}</th><th>${esc(t('media:sheet.parts'))}</th></tr></thead><tbody>${archives}</tbody></table>
<h2>${esc(t('media:sheet.checksums'))}</h2><p>${esc(t('media:sheet.checksumsHow'))}</p><pre>${esc(set.sums)}</pre>` : ''}
</body></html>
`;
}

/** Prints the sheet to PDF with a headless Chromium when one is installed; null otherwise. */
export async function printSheetPdf(html: string, pdf: string, signal?: AbortSignal): Promise<string | null> {
  const browser = (await Promise.all(['chromium', 'chromium-browser', 'google-chrome'].map(async (b) => ((await hasTool(b)) ? b : null)))).find(Boolean);
  if (!browser) return null;
  const profile = mkdtempSync(join(tmpdir(), 'lifeboat-sheet-'));
  try {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    await run(browser, [...flags, `--user-data-dir=${profile}`, '--no-pdf-header-footer', `--print-to-pdf=${pdf}`, pathToFileURL(html).href], { signal, timeoutMs: 60_000 });
    return pdf;
  } catch {
    return null; // the HTML sheet is the one that matters; a PDF is a convenience
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
