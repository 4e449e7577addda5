/**
 * Renders the `rescue` i18n namespace as sh-sourceable files for the rescue menu.
 *
 * The rescue system has no JavaScript, yet must speak the same words as the app: each
 * key becomes a shell variable (`menu.title` → `T_menu_title`) holding a printf format
 * in which `{{name}}` placeholders become `%s`, in order. The init script passes the
 * values in that same order; `placeholders()` lets a test hold both sides together.
 */
import { resources } from '../../../shared/i18n';
import type { Language } from '../../../shared/api';

type Tree = { [key: string]: string | Tree };

/** Flattens nested keys with `.`: { menu: { title } } → { 'menu.title': … }. */
export function flatten(tree: Tree, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else Object.assign(out, flatten(v, key));
  }
  return out;
}

export const shellVar = (key: string) => 'T_' + key.replace(/[^A-Za-z0-9]/g, '_');

/** Quotes a value for sh single quotes. */
export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `{{name}}` placeholders of a message, in order. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
}

/** The sh text defining every rescue message of `lang`. */
export function renderRescueMessages(lang: Language): string {
  const flat = flatten(resources[lang].rescue as Tree);
  const lines = [`# Lifeboat rescue messages (${lang}), generated from src/shared/i18n/locales/${lang}/rescue.json`];
  for (const [key, value] of Object.entries(flat)) {
    const format = value.replace(/%/g, '%%').replace(/\{\{\s*\w+\s*\}\}/g, '%s');
    lines.push(`${shellVar(key)}=${shQuote(format)}`);
  }
  return lines.join('\n') + '\n';
}

/** A message as the boot loaders show it (no placeholders there). */
export function rescueMessage(lang: Language, key: string): string {
  return flatten(resources[lang].rescue as Tree)[key] ?? key;
}
