/**
 * Step 3: say exactly what will be erased, then erase only on an explicit click.
 */
import { useTranslation } from 'react-i18next';
import { useFlash } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';

export function Confirm() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const image = useFlash((s) => s.image);
  const drives = useFlash((s) => s.drives);
  const selected = useFlash((s) => s.selected);
  const verify = useFlash((s) => s.verify);
  const starting = useFlash((s) => s.starting);
  const startError = useFlash((s) => s.startError);
  const setVerify = useFlash((s) => s.setVerify);
  const goToTargets = useFlash((s) => s.goToTargets);
  const start = useFlash((s) => s.start);
  const targets = drives.filter((d) => selected.includes(d.device));

  return (
    <div className="panel" data-testid="step-confirm">
      <h2>{t('flash:confirm.title')}</h2>
      <p>{t('flash:confirm.image', { name: image?.name ?? '' })}</p>
      <div className="danger-box">
        <p className="danger-lead">{t('flash:confirm.erase', { count: targets.length })}</p>
        <ul className="erase-list" data-testid="erase-list">
          {targets.map((d) => (
            <li key={d.device} data-device={d.device}>
              <strong>{d.description || d.device}</strong>
              <span className="erase-meta">
                <code>{d.device}</code>
                <span>{fmt.bytes(d.size)}</span>
              </span>
            </li>
          ))}
        </ul>
        <p className="muted">{t('flash:confirm.warning')}</p>
      </div>
      <label className="check">
        <input type="checkbox" data-testid="verify" checked={verify} onChange={(e) => setVerify(e.target.checked)} />
        <span>{t('flash:confirm.verify')}</span>
      </label>
      {startError && <ErrorNotice error={startError} testId="start-error" />}
      <div className="actions">
        <button type="button" className="button" onClick={goToTargets} disabled={starting}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button danger" data-testid="erase-and-flash" disabled={starting || targets.length === 0} onClick={() => void start()}>
          {starting ? t('flash:confirm.starting') : t('flash:confirm.go')}
        </button>
      </div>
    </div>
  );
}
