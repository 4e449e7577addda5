/**
 * Step 5: what happened on each stick, and what to do now.
 */
import { useTranslation } from 'react-i18next';
import type { FlashTargetResult } from '../../../shared/image';
import { useApp, useFlash } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import type { FlashStep } from '../store';

type ResultStep = Extract<FlashStep, { kind: 'result' }>;

export function Result({ step }: { step: ResultStep }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const drives = useFlash((s) => s.drives);
  const selected = useFlash((s) => s.selected);
  const flashAnother = useFlash((s) => s.flashAnother);
  const goHome = useApp((s) => s.goHome);
  const { outcome, result, error } = step;
  const okCount = result?.targets.filter((tr) => tr.ok).length ?? 0;
  // Some sticks fine and some not: say how many, so nobody throws away a good stick.
  const title =
    outcome === 'failed' && okCount > 0 && result
      ? t('flash:result.title.partial', { count: result.targets.length - okCount, total: result.targets.length })
      : t(`flash:result.title.${outcome}`);
  const describe = (device: string) => drives.find((d) => d.device === device)?.description || device;
  // Without a per-target result (a job that failed early), every chosen stick shares the job's error.
  const targets: FlashTargetResult[] =
    result?.targets ?? selected.map((device) => ({ device, ok: false, bytesWritten: 0, verified: false, error: error ?? undefined }));

  return (
    <div className="panel" data-testid="step-result" data-outcome={outcome}>
      <h2 data-testid="result-title" className={`result-title ${outcome}`}>
        {title}
      </h2>
      {outcome === 'cancelled' && <p className="notice warning" data-testid="cancelled-note">{t('flash:result.cancelledNote', { count: targets.length })}</p>}
      {outcome === 'failed' && error && error.code !== 'cancelled' && !result && <ErrorNotice error={error} />}
      {result && outcome === 'done' && (
        <p className="muted">
          {t('flash:result.summary', { bytes: fmt.bytes(result.bytes), duration: fmt.duration(result.durationMs / 1000) })}
        </p>
      )}
      <ul className="result-list">
        {targets.map((tr) => (
          <li key={tr.device} className={`result-row ${tr.ok ? 'ok' : 'failed'}`} data-testid="target-result" data-device={tr.device} data-ok={tr.ok}>
            <span className="result-icon" aria-hidden="true" />
            <div>
              <strong>{describe(tr.device)}</strong>
              <code>{tr.device}</code>
              <p>
                {tr.ok
                  ? tr.verified
                    ? t('flash:result.okVerified')
                    : t('flash:result.okUnverified')
                  : outcome === 'cancelled' || tr.error?.code === 'cancelled'
                    ? t('flash:result.targetCancelled')
                    : tr.error
                      ? null
                      : t('flash:result.targetFailed')}
              </p>
              {!tr.ok && tr.error && tr.error.code !== 'cancelled' && <ErrorNotice error={tr.error} testId="target-error" />}
            </div>
          </li>
        ))}
      </ul>
      {result?.sha256 && (
        <p className="checksum">
          <span>{t('flash:result.sha256')}</span>
          <code data-testid="sha256">{result.sha256}</code>
        </p>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={goHome}>
          {t('flash:result.home')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="flash-another" onClick={flashAnother}>
          {t('flash:result.another')}
        </button>
      </div>
    </div>
  );
}
