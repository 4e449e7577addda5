/**
 * Step 6: what was done and what to do next, or where and why it stopped.
 */
import { useTranslation } from 'react-i18next';
import { stepTitle } from '../../../shared/restore-text';
import { useApp, useRestore } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import type { RestoreStep } from '../store';

type ResultStep = Extract<RestoreStep, { kind: 'result' }>;

export function Result({ step }: { step: ResultStep }) {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const reviewed = useRestore((s) => s.reviewed);
  const drives = useRestore((s) => s.drives);
  const restart = useRestore((s) => s.restart);
  const goHome = useApp((s) => s.goHome);
  const { outcome, result, error } = step;
  const targets = result?.targets ?? reviewed?.plan.targets ?? [];
  const stoppedAt = result && outcome !== 'done' ? reviewed?.plan.steps[result.stepsDone] : undefined;
  const describe = (device: string) => drives.find((d) => d.device === device)?.description || device;

  return (
    <div className="panel" data-testid="step-result" data-outcome={outcome}>
      <h2 data-testid="result-title" className={`result-title ${outcome}`}>
        {t(`restoreUi:result.title.${outcome}`)}
      </h2>
      {outcome === 'done' && result && (
        <p className="muted" data-testid="result-summary">
          {t('restoreUi:result.summary', { count: result.steps, bytes: fmt.bytes(result.bytes), duration: fmt.duration(result.seconds) })}
        </p>
      )}
      {outcome !== 'done' && stoppedAt && (
        <p data-testid="stopped-at">{t('restoreUi:result.stoppedAt', { n: (result?.stepsDone ?? 0) + 1, title: stepTitle(t, i18n.language, stoppedAt) })}</p>
      )}
      {outcome === 'failed' && error && <ErrorNotice error={error} testId="result-error" />}
      {outcome !== 'done' && <p className="notice warning">{t(`restoreUi:result.after.${outcome}`)}</p>}
      <ul className="result-list">
        {targets.map((tg) => (
          <li key={tg.device} className={`result-row ${outcome === 'done' ? 'ok' : 'failed'}`} data-testid="target-result" data-device={tg.device}>
            <span className="result-icon" aria-hidden="true" />
            <div>
              <strong>{describe(tg.device)}</strong>
              <code>{tg.device}</code>
              <p>{t(outcome === 'done' ? 'restoreUi:result.targetDone' : 'restoreUi:result.targetUnfinished', { source: tg.source })}</p>
            </div>
          </li>
        ))}
      </ul>
      {outcome === 'done' && (
        <>
          <h3 className="subtle-heading">{t('restoreUi:result.nextTitle')}</h3>
          <ol className="next-steps" data-testid="next-steps">
            <li>{t('restoreUi:result.next.remove')}</li>
            <li>{t('restoreUi:result.next.firmware')}</li>
            <li>{t('restoreUi:result.next.reboot')}</li>
          </ol>
        </>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={goHome}>
          {t('restoreUi:result.home')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="restore-again" onClick={restart}>
          {t('restoreUi:result.again')}
        </button>
      </div>
    </div>
  );
}
