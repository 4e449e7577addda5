/**
 * Step 5: the running restore, step by step, with the log and a confirmed Cancel
 * (the engine stops between steps and unmounts what it mounted).
 */
import { useTranslation } from 'react-i18next';
import { stepTitle } from '../../../shared/restore-text';
import { useRestore } from '../../app/context';
import { JobCancel } from '../../components/JobStatus';
import { ProgressBar } from '../../components/ProgressBar';
import { useFormat } from '../../i18n';

export function Running() {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const reviewed = useRestore((s) => s.reviewed);
  const progress = useRestore((s) => s.progress);
  const log = useRestore((s) => s.log);
  const cancelling = useRestore((s) => s.cancelling);
  const cancel = useRestore((s) => s.cancel);
  const error = useRestore((s) => s.startError);
  const steps = reviewed?.plan.steps ?? [];
  const done = progress?.items?.done ?? 0;
  const total = progress?.items?.total ?? steps.length;
  const current = steps[done];
  const extracting = current?.native === 'extract' && progress?.total ? progress.bytes / progress.total : null;

  return (
    <div className="panel" data-testid="step-running" data-phase={progress?.phase ?? 'starting'}>
      <h2 data-testid="running-title">
        {current ? t('restoreUi:running.step', { n: done + 1, total, title: stepTitle(t, i18n.language, current) }) : t('restoreUi:running.starting')}
      </h2>
      <ProgressBar value={total ? done / total : null} label={t('restoreUi:running.overall')} />
      <p className="muted step-count" data-testid="steps-done">
        {t('restoreUi:running.stepsDone', { done, total })}
        {extracting !== null && progress ? ` — ${t('restoreUi:running.bytes', { done: fmt.bytes(progress.bytes), total: fmt.bytes(progress.total ?? 0) })}` : ''}
      </p>
      <ol className="phase-list" data-testid="run-steps">
        {steps.map((s, i) => (
          <li key={s.id} className={`phase-item ${i < done ? 'done' : i === done ? 'current' : ''}`} data-testid="run-step" data-step={s.id} data-state={i < done ? 'done' : i === done ? 'current' : 'pending'}>
            <span className="phase-mark" aria-hidden="true" />
            <span>{stepTitle(t, i18n.language, s)}</span>
          </li>
        ))}
      </ol>
      <details className="log">
        <summary>{t('restoreUi:running.log', { count: log.length })}</summary>
        <pre className="command" data-testid="run-log">{log.join('\n')}</pre>
      </details>
      <JobCancel error={error} cancelling={cancelling} onCancel={() => void cancel()} questionId="restore-cancel-q" wording="restoreUi:running" />
    </div>
  );
}
