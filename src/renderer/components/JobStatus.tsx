/**
 * The parts every running-job screen shows alike: the figures of the current phase,
 * and the error line with a Cancel that asks first.
 *
 * Each journey words these in its own namespace, under the same key names; `wording`
 * names that place and `JobStatus.test.ts` checks that every key is there in every
 * language (the locale tests only see literal keys). The test ids are the ones the
 * e2e tests select by.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors';
import type { JobProgress } from '../../shared/progress';
import { useFormat } from '../i18n';
import { ErrorNotice } from './ErrorNotice';

/** Where a journey words its running screen; each has the keys below. */
export type JobWording = 'flash:flashing' | 'makeMedia:running' | 'makeMedia:rehearse' | 'restoreUi:running';

/** The keys `JobStats` reads under its wording (the restore screen shows no figures). */
export const STATS_KEYS = ['done', 'speed', 'eta', 'bytes', 'unknown'] as const;
/** The keys `JobCancel` reads under its wording. */
export const CANCEL_KEYS = ['cancelQuestion', 'keepGoing', 'cancelYes', 'cancelling'] as const;

/** Done, speed, time left and bytes of the current phase; the bytes only when the total is known. */
export function JobStats({
  progress,
  fraction,
  wording,
  percentTestId,
}: {
  progress: JobProgress | null;
  /** the share done, or null when the total is not known */
  fraction: number | null;
  wording: Exclude<JobWording, 'restoreUi:running' | 'makeMedia:rehearse'>;
  percentTestId?: string;
}) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const text = (key: (typeof STATS_KEYS)[number]) => t(`${wording}.${key}`);
  return (
    <dl className="stats">
      <div>
        <dt>{text('done')}</dt>
        <dd className="num" data-testid={percentTestId}>{fraction === null ? text('unknown') : fmt.percent(fraction)}</dd>
      </div>
      <div>
        <dt>{text('speed')}</dt>
        <dd className="num">{progress?.speed ? fmt.speed(progress.speed) : text('unknown')}</dd>
      </div>
      <div>
        <dt>{text('eta')}</dt>
        <dd className="num">{progress?.eta != null ? fmt.duration(progress.eta) : text('unknown')}</dd>
      </div>
      {progress?.total ? (
        <div>
          <dt>{text('bytes')}</dt>
          <dd className="num">{t('common:units.of', { done: fmt.bytes(progress.bytes), total: fmt.bytes(progress.total) })}</dd>
        </div>
      ) : null}
    </dl>
  );
}

/**
 * The start or cancel error, if any, and Cancel: a first click only asks, so a job
 * that wipes or writes disks is not stopped half-way by a stray click.
 */
export function JobCancel({
  error,
  cancelling,
  onCancel,
  questionId,
  wording,
}: {
  error: ErrorInfo | null;
  cancelling: boolean;
  onCancel: () => void;
  /** the id tying the question to its dialog (aria-labelledby); unique per screen */
  questionId: string;
  wording: JobWording;
}) {
  const { t } = useTranslation();
  const text = (key: (typeof CANCEL_KEYS)[number]) => t(`${wording}.${key}`);
  const [asking, setAsking] = useState(false);
  return (
    <>
      {error && <ErrorNotice error={error} />}
      <div className="actions">
        {asking ? (
          <div className="cancel-confirm" role="alertdialog" aria-labelledby={questionId} data-testid="cancel-confirm">
            <p id={questionId}>{text('cancelQuestion')}</p>
            <button type="button" className="button" onClick={() => setAsking(false)} disabled={cancelling}>
              {text('keepGoing')}
            </button>
            <button type="button" className="button danger" data-testid="cancel-yes" onClick={onCancel} disabled={cancelling}>
              {cancelling ? text('cancelling') : text('cancelYes')}
            </button>
          </div>
        ) : (
          <button type="button" className="button" data-testid="cancel" onClick={() => setAsking(true)}>
            {t('common:cancel')}
          </button>
        )}
      </div>
    </>
  );
}
