/**
 * Both languages, always: every key in one language exists in the other with the same
 * interpolation variables; every error code has a message; every key the code asks
 * for exists; and no user-visible text in the UI bypasses i18next.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors';
import { createI18n, NAMESPACES, resources } from './index';

const root = join(__dirname, '..', '..', '..');

function flatten(obj: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'string') out.set(key, v);
      else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
    }
  }
  return out;
}

const flat = {
  en: new Map(NAMESPACES.map((ns) => [ns, flatten(resources.en[ns])])),
  fr: new Map(NAMESPACES.map((ns) => [ns, flatten(resources.fr[ns])])),
};

/** i18next plural forms share a base key: `files_one`, `files_other` answer `files`. */
const PLURAL = /_(zero|one|two|few|many|other)$/;

function has(lang: 'en' | 'fr', ns: string, key: string): boolean {
  const keys = flat[lang].get(ns as (typeof NAMESPACES)[number]);
  if (!keys) return false;
  if (keys.has(key)) return true;
  // A key may name a subtree (t('x', { returnObjects: true })) or a plural base.
  for (const k of keys.keys()) if (k.startsWith(key + '.') || k.replace(PLURAL, '') === key) return true;
  return false;
}

const vars = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p, exts));
    else if (exts.some((e) => name.endsWith(e)) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

describe('locales', () => {
  it('has the same keys, non-empty, in English and French, with the same variables', () => {
    const problems: string[] = [];
    for (const ns of NAMESPACES) {
      const en = flat.en.get(ns)!;
      const fr = flat.fr.get(ns)!;
      for (const [k, v] of en) {
        if (!fr.has(k)) problems.push(`fr is missing ${ns}:${k}`);
        else if (JSON.stringify(vars(v)) !== JSON.stringify(vars(fr.get(k)!))) problems.push(`${ns}:${k} has variables ${vars(v)} in en but ${vars(fr.get(k)!)} in fr`);
        if (!v.trim()) problems.push(`en ${ns}:${k} is empty`);
      }
      for (const [k, v] of fr) {
        if (!en.has(k)) problems.push(`en is missing ${ns}:${k}`);
        if (!v.trim()) problems.push(`fr ${ns}:${k} is empty`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a message for every error code in both languages', () => {
    const missing = Object.keys(ERROR_CODES).flatMap((code) =>
      (['en', 'fr'] as const).filter((l) => !has(l, 'errors', code)).map((l) => `${l} errors:${code}`),
    );
    expect(missing).toEqual([]);
  });

  it('has every key the code asks for with a literal t("…")', () => {
    const missing: string[] = [];
    const files = sourceFiles(join(root, 'src'), ['.ts', '.tsx']);
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([\w.-]+(?::[\w.-]+)?)'/g)) {
        seen++;
        const [ns, key] = m[1]!.includes(':') ? m[1]!.split(':') : [null, m[1]!];
        const ok = ns ? has('en', ns, key!) : NAMESPACES.some((n) => has('en', n, key!));
        if (!ok) missing.push(`${relative(root, file)}: ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('shows no text in the UI that bypasses i18next', () => {
    const found: string[] = [];
    for (const file of sourceFiles(join(root, 'src', 'renderer'), ['.tsx'])) {
      const text = readFileSync(file, 'utf8');
      // Text between JSX tags: `>Some words<` (symbols, numbers and {expressions} are fine).
      for (const m of text.matchAll(/>\s*([^<>{}\n]*[A-Za-zÀ-ÿ]{2,}[^<>{}\n]*)\s*</g)) {
        const s = m[1]!.trim();
        if (/^[\w.]+\s*=>/.test(s) || /[;=()]/.test(s)) continue; // TypeScript generics and arrows, not JSX text
        found.push(`${relative(root, file)}: ${s}`);
      }
      // Attributes people read or hear.
      for (const m of text.matchAll(/\b(aria-label|title|placeholder|alt)="([^"]*[A-Za-z][^"]*)"/g)) {
        found.push(`${relative(root, file)}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe('message formats', () => {
  it('writes {{x, bytes}} as a size in the language of the message', async () => {
    const params = { device: '/dev/sdb', size: 67_108_864, available: 67_108_864, needed: 209_715_200 };
    expect((await createI18n('en')).t('errors:target-too-small', params)).toBe('/dev/sdb is too small: it holds 67.1\u00a0MB and 210\u00a0MB are needed.');
    expect((await createI18n('fr')).t('errors:target-too-small', params)).toBe('/dev/sdb est trop petit : il contient 67,1\u00a0Mo et il en faut 210\u00a0Mo.');
    expect((await createI18n('fr')).t('backup:warnings.raw-left-out', { device: '/dev/sda3', bytes: 62_914_560 })).toMatch(/^\/dev\/sda3 \(62,9\u00a0Mo\) ne porte/);
  });

  it('says why a folder is not a backup set in the user’s language, other details as the engine wrote them', async () => {
    const fr = (await createI18n('fr')).t;
    expect(fr('errors:set-invalid', { path: '/media/clé', detail: 'lifeboat.json is missing' })).toBe(
      '« /media/clé » n’est pas une sauvegarde Lifeboat valide : il ne contient pas de lifeboat.json (choisissez le dossier qui contient lifeboat.json, SHA256SUMS et archives/)',
    );
    expect(fr('errors:set-invalid', { path: '/x', detail: 'not a folder' })).toMatch(/ : ce n’est pas un dossier$/);
    expect(fr('errors:set-invalid', { path: '/x', detail: 'archive root: unreadable tar headers' })).toMatch(/ : archive root: unreadable tar headers$/);
  });

  it('names why a drive is the system’s, in words, and shows a code it has no words for as it is', async () => {
    expect((await createI18n('en')).t('errors:target-system', { device: '/dev/sda', reason: 'root, swap' })).toBe(
      '/dev/sda holds the running system or the medium it started from (root filesystem, active swap); it can never be written.',
    );
    expect((await createI18n('fr')).t('errors:target-system', { device: '/dev/sda', reason: 'swap' })).toBe(
      '/dev/sda contient le système en cours d’exécution ou le support qui l’a démarré (swap active) ; il ne peut jamais être écrit.',
    );
    expect((await createI18n('en')).t('errors:target-system', { device: '/dev/sda', reason: 'new-policy' })).toContain('(new-policy)');
  });
});
