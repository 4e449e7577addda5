/**
 * The i18n resources every side uses: the renderer (react-i18next), the CLI and the
 * rescue system's menu. One JSON file per namespace and language; `en` and `fr` must
 * hold exactly the same keys (locales.test.ts fails otherwise).
 */
import i18next, { type i18n as I18n, type TFunction } from 'i18next';
import type { Language } from '../api';
import { formatBytes } from '../format';
import enCommon from './locales/en/common.json';
import frCommon from './locales/fr/common.json';
import enErrors from './locales/en/errors.json';
import frErrors from './locales/fr/errors.json';
import enFlash from './locales/en/flash.json';
import frFlash from './locales/fr/flash.json';
import enCli from './locales/en/cli.json';
import frCli from './locales/fr/cli.json';
import enMedia from './locales/en/media.json';
import frMedia from './locales/fr/media.json';
import enRescue from './locales/en/rescue.json';
import frRescue from './locales/fr/rescue.json';
import enBackup from './locales/en/backup.json';
import frBackup from './locales/fr/backup.json';
import enDrives from './locales/en/drives.json';
import frDrives from './locales/fr/drives.json';
import enRestore from './locales/en/restore.json';
import frRestore from './locales/fr/restore.json';
import enMakeMedia from './locales/en/makeMedia.json';
import frMakeMedia from './locales/fr/makeMedia.json';
import enRestoreUi from './locales/en/restoreUi.json';
import frRestoreUi from './locales/fr/restoreUi.json';

export const NAMESPACES = ['common', 'errors', 'flash', 'cli', 'media', 'rescue', 'drives', 'backup', 'restore', 'makeMedia', 'restoreUi'] as const;
export type Namespace = (typeof NAMESPACES)[number];

export const resources = {
  en: { common: enCommon, errors: enErrors, flash: enFlash, cli: enCli, media: enMedia, rescue: enRescue, drives: enDrives, backup: enBackup, restore: enRestore, makeMedia: enMakeMedia, restoreUi: enRestoreUi },
  fr: { common: frCommon, errors: frErrors, flash: frFlash, cli: frCli, media: frMedia, rescue: frRescue, drives: frDrives, backup: frBackup, restore: frRestore, makeMedia: frMakeMedia, restoreUi: frRestoreUi },
} satisfies Record<Language, Record<Namespace, unknown>>;

/** Maps a POSIX or BCP-47 locale (fr_FR.UTF-8, fr-CA, C) to a supported language. */
export function languageFromLocale(locale: string | undefined | null): Language {
  const l = (locale ?? '').toLowerCase();
  return l.startsWith('fr') ? 'fr' : 'en';
}

/** engine detail (set-invalid) → backup:setDetail key */
const SET_DETAILS: Record<string, string> = {
  'not a folder': 'notFolder',
  'lifeboat.json is missing': 'noManifest',
  'SHA256SUMS is missing': 'noSums',
  'no disk recorded': 'noDisk',
};

/**
 * Formats a message may ask for: `{{size, bytes}}` writes a byte count as "104.9 MB" /
 * "104,9 Mo" in the message's language ("it has 104857600 bytes and 180371968 are needed"
 * was the CLI's and the UI's way of saying a stick is too small); `{{reason, systemReasons}}`
 * names why a drive is the system's (a drive refused for its active swap said only that
 * it "holds the running system"); `{{detail, setDetail}}` says in the user's language why a
 * folder is not a backup set.
 */
export function addFormatters(i18n: I18n): void {
  i18n.services.formatter?.add('bytes', (value: unknown, lng: string | undefined) => {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? formatBytes(n, lng ?? 'en') : String(value);
  });
  // the engine states why a folder is not a set in English (its logs' words); the reasons a
  // person meets most, pointing at the wrong folder, are said in their language
  i18n.services.formatter?.add('setDetail', (value: unknown, lng: string | undefined) => {
    const key = SET_DETAILS[String(value)];
    return key ? i18n.t(`backup:setDetail.${key}`, { lng }) : String(value ?? '');
  });
  // "root, swap" (drive.systemReasons joined) → "root filesystem, active swap"; a code
  // without a text is shown as it is rather than dropped
  i18n.services.formatter?.add('systemReasons', (value: unknown, lng: string | undefined) =>
    String(value ?? '')
      .split(', ')
      .filter(Boolean)
      .map((code) => (i18n.exists(`drives:reasons.${code}`, { lng }) ? i18n.t(`drives:reasons.${code}`, { lng }) : code))
      .join(', '),
  );
}

/** A standalone i18next instance (the CLI and the rescue menu; the renderer adds react-i18next). */
export async function createI18n(lng: Language): Promise<{ i18n: I18n; t: TFunction }> {
  const i18n = i18next.createInstance();
  const t = await i18n.init({
    lng,
    fallbackLng: false,
    resources,
    ns: [...NAMESPACES],
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  });
  addFormatters(i18n);
  return { i18n, t };
}
