import { useTranslation } from 'react-i18next';
import { useApp } from './context';
import { LanguageSwitch } from './LanguageSwitch';

/** The app name (a way home) and the language switch. */
export function Header() {
  const { t } = useTranslation();
  const goHome = useApp((s) => s.goHome);
  return (
    <header className="app-header">
      <button type="button" className="brand" onClick={goHome}>
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">{t('common:appName')}</span>
        <span className="brand-tagline">{t('common:tagline')}</span>
      </button>
      <LanguageSwitch />
    </header>
  );
}
