/**
 * The language menu in the header; the choice is saved for the next start.
 */
import { useTranslation } from 'react-i18next';
import type { Language } from '../../shared/api';
import { SUPPORTED } from '../i18n';
import { useApp } from './context';

export function LanguageSwitch() {
  const { t } = useTranslation();
  const language = useApp((s) => s.language);
  const setLanguage = useApp((s) => s.setLanguage);
  return (
    <label className="language-switch">
      <span>{t('common:language')}</span>
      <select
        data-testid="language"
        value={language}
        onChange={(e) => void setLanguage(e.target.value as Language)}
      >
        {SUPPORTED.map((lng) => (
          <option key={lng} value={lng} lang={lng}>
            {t(`common:languages.${lng}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
