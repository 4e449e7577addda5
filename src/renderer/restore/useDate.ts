import { useTranslation } from 'react-i18next';

/** A set's ISO date as the reader's language writes dates and times. */
export function useDate(): (iso: string) => string {
  const { i18n } = useTranslation();
  const f = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'long', timeStyle: 'short' });
  return (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : f.format(d);
  };
}
