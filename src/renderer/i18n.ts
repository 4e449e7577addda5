/**
 * The renderer's i18next instance: the shared resources plus react-i18next.
 *
 * Sizes, speeds and durations go through `src/shared/format.ts` with the current
 * language, so "1,5 Go" and "1.5 GB" follow the language switch like the words do.
 */
import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import type { Language } from '../shared/api';
import type { ErrorInfo } from '../shared/errors';
import { formatBytes, formatDuration, formatPercent, formatSpeed } from '../shared/format';
import { addFormatters, NAMESPACES, resources } from '../shared/i18n';

export const SUPPORTED: readonly Language[] = ['en', 'fr'];

export async function createRendererI18n(lng: Language): Promise<I18n> {
  const i18n = i18next.createInstance();
  await i18n.use(initReactI18next).init({
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
  return i18n;
}

/** Number formatting bound to the current language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const lng = i18n.language;
  return {
    bytes: (n: number) => formatBytes(n, lng),
    speed: (n: number) => formatSpeed(n, lng),
    duration: (s: number) => formatDuration(s, lng),
    percent: (f: number) => formatPercent(f, lng),
  };
}

/** An error's message in the current language, from its stable code. */
export function useErrorText(): (err: ErrorInfo) => string {
  const { t } = useTranslation();
  return (err) => t(`errors:${err.code}`, { ...err.params });
}
