/**
 * Step 2: choose one or more sticks. Drives are rescanned while this step is shown.
 */
import { useTranslation } from 'react-i18next';
import { useFlash } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { DriveRow } from './DriveRow';
import { useDrivePolling } from './useDrivePolling';

export function ChooseTargets() {
  const { t } = useTranslation();
  useDrivePolling();
  const drives = useFlash((s) => s.drives);
  const scanned = useFlash((s) => s.scanned);
  const scanError = useFlash((s) => s.scanError);
  const selected = useFlash((s) => s.selected);
  const image = useFlash((s) => s.image);
  const toggleTarget = useFlash((s) => s.toggleTarget);
  const goToImage = useFlash((s) => s.goToImage);
  const goToConfirm = useFlash((s) => s.goToConfirm);

  return (
    <div className="panel" data-testid="step-chooseTargets">
      <h2>{t('flash:targets.title')}</h2>
      <p className="muted">{t('flash:targets.hint')}</p>
      {scanError && <ErrorNotice error={scanError} />}
      {!scanned && <p className="muted">{t('flash:targets.scanning')}</p>}
      {scanned && drives.length === 0 && (
        <p className="notice info" data-testid="no-drives">
          {t('flash:targets.none')}
        </p>
      )}
      <ul className="drive-list">
        {drives.map((d) => (
          <DriveRow
            key={d.device}
            drive={d}
            image={image}
            selected={selected.includes(d.device)}
            onToggle={toggleTarget}
          />
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="button" onClick={goToImage}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <span className="muted" data-testid="selected-count">
          {t('flash:targets.selected', { count: selected.length })}
        </span>
        <button type="button" className="button primary" data-testid="targets-next" disabled={selected.length === 0} onClick={goToConfirm}>
          {t('common:next')}
        </button>
      </div>
    </div>
  );
}
