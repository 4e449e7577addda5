/**
 * Step 4: the backup, then the rescue ISO, as one job: the phases as a checklist, the
 * current one's progress, and a confirmed Cancel.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MEDIA_MAKE_PHASES } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ProgressBar } from '../../components/ProgressBar';
import { useFormat } from '../../i18n';

/** The phases worth a line of their own; `media.done` only closes the list. */
const SHOWN = MEDIA_MAKE_PHASES.filter((p) => p !== 'media.done');
const phaseKey = (phase: string) => `makeMedia:phases.${phase.replace('.', '-')}`;

export function Running() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const progress = useMedia((s) => s.progress);
  const cancelling = useMedia((s) => s.cancelling);
  const cancel = useMedia((s) => s.cancel);
  const error = useMedia((s) => s.startError);
  const [asking, setAsking] = useState(false);

  const phase = progress?.phase ?? 'starting';
  const index = (SHOWN as readonly string[]).indexOf(phase);
  const known = index >= 0 || phase === 'media.done';
  const current = phase === 'media.done' ? SHOWN.length : index;
  const phaseText = known && phase !== 'media.done' ? t(phaseKey(phase)) : t('makeMedia:phases.starting');
  const fraction = progress?.total ? progress.bytes / progress.total : null;
  // Phases without a byte count still move the bar: by steps, so it never sits empty.
  const overall = current >= 0 ? current / SHOWN.length : null;
  const unknown = t('makeMedia:running.unknown');

  return (
    <div className="panel" data-testid="step-running" data-phase={phase}>
      <h2 data-testid="phase">{phaseText}</h2>
      <ProgressBar value={fraction ?? overall} label={phaseText} />
      {fraction === null ? (
        <p className="muted step-count" data-testid="step-count">
          {t('makeMedia:running.stepOf', { step: Math.min(Math.max(current + 1, 1), SHOWN.length), total: SHOWN.length })}
        </p>
      ) : (
        <dl className="stats">
          <div>
            <dt>{t('makeMedia:running.done')}</dt>
            <dd className="num">{fraction === null ? unknown : fmt.percent(fraction)}</dd>
          </div>
          <div>
            <dt>{t('makeMedia:running.speed')}</dt>
            <dd className="num">{progress?.speed ? fmt.speed(progress.speed) : unknown}</dd>
          </div>
          <div>
            <dt>{t('makeMedia:running.eta')}</dt>
            <dd className="num">{progress?.eta != null && progress.total ? fmt.duration(progress.eta) : unknown}</dd>
          </div>
          {progress?.total ? (
            <div>
              <dt>{t('makeMedia:running.bytes')}</dt>
              <dd className="num">{t('common:units.of', { done: fmt.bytes(progress.bytes), total: fmt.bytes(progress.total) })}</dd>
            </div>
          ) : null}
        </dl>
      )}
      {progress?.detail && <p className="running-detail muted" data-testid="detail">{progress.detail}</p>}
      <ol className="phase-list" data-testid="phase-list">
        {SHOWN.map((p, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'pending';
          return (
            <li key={p} className={`phase-item ${state}`} data-phase={p} data-state={state}>
              <span className="phase-mark" aria-hidden="true" />
              <span>{t(phaseKey(p))}</span>
              {p === 'backup.inventory' && <span className="phase-group">{t('makeMedia:running.backupGroup')}</span>}
              {p === 'media.check-kernel' && <span className="phase-group">{t('makeMedia:running.mediaGroup')}</span>}
            </li>
          );
        })}
      </ol>
      {error && <ErrorNotice error={error} />}
      <div className="actions">
        {asking ? (
          <div className="cancel-confirm" role="alertdialog" aria-labelledby="media-cancel-q" data-testid="cancel-confirm">
            <p id="media-cancel-q">{t('makeMedia:running.cancelQuestion')}</p>
            <button type="button" className="button" onClick={() => setAsking(false)} disabled={cancelling}>
              {t('makeMedia:running.keepGoing')}
            </button>
            <button type="button" className="button danger" data-testid="cancel-yes" onClick={() => void cancel()} disabled={cancelling}>
              {cancelling ? t('makeMedia:running.cancelling') : t('makeMedia:running.cancelYes')}
            </button>
          </div>
        ) : (
          <button type="button" className="button" data-testid="cancel" onClick={() => setAsking(true)}>
            {t('common:cancel')}
          </button>
        )}
      </div>
    </div>
  );
}
