/**
 * Step 4: the backup, then the rescue ISO, as one job: the phases as a checklist, the
 * current one's progress, and a confirmed Cancel.
 */
import { useTranslation } from 'react-i18next';
import { MEDIA_MAKE_PHASES } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { isAgain } from '../store';
import { JobCancel, JobStats } from '../../components/JobStatus';
import { ProgressBar } from '../../components/ProgressBar';

/** The phases worth a line of their own; `media.done` only closes the list. */
const FULL = MEDIA_MAKE_PHASES.filter((p) => p !== 'media.done');
/** The rescue system alone: no backup phases, and no set to check. */
const RESCUE_ONLY = FULL.filter((p) => p.startsWith('media.') && p !== 'media.check-set');
/** A set added to a Lifeboat stick: the backup, then one copy (media-make.ts, addToStick). */
const AGAIN = [...FULL.filter((p) => p.startsWith('backup.')), 'media.again'];
const phaseKey = (phase: string) => `makeMedia:phases.${phase.replace('.', '-')}`;

export function Running() {
  const { t } = useTranslation();
  const progress = useMedia((s) => s.progress);
  const cancelling = useMedia((s) => s.cancelling);
  const cancel = useMedia((s) => s.cancel);
  const error = useMedia((s) => s.startError);
  const SHOWN: readonly string[] = useMedia((s) => (s.rescueOnly ? RESCUE_ONLY : isAgain(s) ? AGAIN : FULL));

  const phase = progress?.phase ?? 'starting';
  // Without a set, the engine's set check passes in an instant: counted with the next phase.
  const index = SHOWN.indexOf(phase === 'media.check-set' && !SHOWN.includes(phase) ? 'media.initramfs' : phase);
  const known = index >= 0 || phase === 'media.done';
  const current = phase === 'media.done' ? SHOWN.length : index;
  const phaseText = known && phase !== 'media.done' ? t(phaseKey(phase)) : t('makeMedia:phases.starting');
  const fraction = progress?.total ? progress.bytes / progress.total : null;
  // Phases without a byte count still move the bar: by steps, so it never sits empty.
  const overall = current >= 0 ? current / SHOWN.length : null;

  return (
    <div className="panel" data-testid="step-running" data-phase={phase}>
      <h2 data-testid="phase">{phaseText}</h2>
      <ProgressBar value={fraction ?? overall} label={phaseText} />
      {fraction === null ? (
        <p className="muted step-count" data-testid="step-count">
          {t('makeMedia:running.stepOf', { step: Math.min(Math.max(current + 1, 1), SHOWN.length), total: SHOWN.length })}
        </p>
      ) : (
        <JobStats progress={progress} fraction={fraction} wording="makeMedia:running" />
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
              {p === SHOWN.find((x) => x.startsWith('media.')) && SHOWN[0] !== p && <span className="phase-group">{t('makeMedia:running.mediaGroup')}</span>}
            </li>
          );
        })}
      </ol>
      <JobCancel error={error} cancelling={cancelling} onCancel={() => void cancel()} questionId="media-cancel-q" wording="makeMedia:running" />
    </div>
  );
}
