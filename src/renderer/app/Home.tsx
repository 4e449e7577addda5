import { useTranslation } from 'react-i18next';
import { useApp } from './context';

/** The three journeys, each a card that opens its wizard. */
export function Home() {
  const { t } = useTranslation();
  const openFlash = useApp((s) => s.openFlash);
  const openMedia = useApp((s) => s.openMedia);
  const openRestore = useApp((s) => s.openRestore);
  return (
    <section className="home" aria-labelledby="home-title">
      <h1 id="home-title">{t('common:home.title')}</h1>
      <p className="lead">{t('common:home.lead')}</p>
      <ul className="journeys">
        <li>
          <button type="button" className="journey-card" data-testid="journey-flash" onClick={openFlash}>
            <span className="journey-title">{t('common:journeys.flash')}</span>
            <span className="journey-hint">{t('common:journeys.flashHint')}</span>
          </button>
        </li>
        <li>
          <button type="button" className="journey-card" data-testid="journey-media" onClick={openMedia}>
            <span className="journey-title">{t('common:journeys.media')}</span>
            <span className="journey-hint">{t('common:journeys.mediaHint')}</span>
          </button>
        </li>
        <li>
          <button type="button" className="journey-card" data-testid="journey-restore" onClick={openRestore}>
            <span className="journey-title">{t('common:journeys.restore')}</span>
            <span className="journey-hint">{t('common:journeys.restoreHint')}</span>
          </button>
        </li>
      </ul>
    </section>
  );
}
