/**
 * The Done screen's "Rehearse the restore": proof, before the disaster, that the set and
 * ISO just made restore and boot. Offered only where qemu is installed; elsewhere a
 * line says what to install. While it runs: the phase, the restore's step, the time so
 * far and a confirmed Cancel; then the times, or the error in words.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import { useMedia, useServices } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobCancel } from '../../components/JobStatus';
import { ProgressBar } from '../../components/ProgressBar';
import { useFormat } from '../../i18n';
import { REHEARSE_PHASES } from '../rehearse-store';

const phaseKey = (phase: string) => `makeMedia:rehearse.phases.${phase.replace('rehearse.', '')}`;

/** Seconds since `since`, ticking once a second while shown. */
function useElapsed(since: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, (now - since) / 1000);
}

function Running({ startedAt }: { startedAt: number }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const store = useMedia((s) => s.rehearse);
  const progress = useStore(store, (s) => s.progress);
  const cancelling = useStore(store, (s) => s.cancelling);
  const error = useStore(store, (s) => s.startError);
  const cancel = useStore(store, (s) => s.cancel);
  const elapsed = useElapsed(startedAt);

  const phase = progress?.phase ?? 'rehearse.prepare';
  const index = Math.max(0, (REHEARSE_PHASES as readonly string[]).indexOf(phase));
  const items = phase === 'rehearse.restore' ? progress?.items : undefined;
  // The bar moves by phase, and within the restore by its steps: it never sits empty.
  const within = items?.total ? items.done / items.total : 0;
  const value = Math.min(1, (index + within) / REHEARSE_PHASES.length);
  const phaseText = t(phaseKey(REHEARSE_PHASES[index]!));

  return (
    <div className="rehearse-running" data-testid="rehearse-running" data-phase={phase}>
      <h4 data-testid="rehearse-phase">{phaseText}</h4>
      <ProgressBar value={value} label={phaseText} />
      <p className="muted step-count" data-testid="rehearse-steps">
        {t('makeMedia:running.stepOf', { step: index + 1, total: REHEARSE_PHASES.length })}
      </p>
      {items && (
        <p className="running-detail muted" data-testid="rehearse-restore-step" data-done={items.done} data-total={items.total}>
          {t('makeMedia:rehearse.restoreStep', { step: items.done, total: items.total ?? '?', id: progress?.detail ?? '' })}
        </p>
      )}
      <p className="muted" data-testid="rehearse-elapsed">
        {t('makeMedia:rehearse.elapsed', { time: fmt.duration(elapsed) })}
      </p>
      <JobCancel error={error} cancelling={cancelling} onCancel={() => void cancel()} questionId="rehearse-cancel-q" wording="makeMedia:rehearse" />
    </div>
  );
}

export function Rehearse({ setDir, media }: { setDir: string; media: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const { info } = useServices();
  const store = useMedia((s) => s.rehearse);
  const rehearsal = useStore(store, (s) => s.rehearsal);
  const starting = useStore(store, (s) => s.starting);
  const startError = useStore(store, (s) => s.startError);
  const start = useStore(store, (s) => s.start);

  if (!info.canRehearse) {
    return (
      <section className="made rehearse" data-testid="rehearse" data-state="unavailable">
        <h3>{t('makeMedia:rehearse.title')}</h3>
        <p className="field-hint" data-testid="rehearse-no-qemu">{t('makeMedia:rehearse.noQemu')}</p>
      </section>
    );
  }

  const startButton = (label: string) => (
    <div className="actions">
      <button type="button" className="button" data-testid="rehearse-start" disabled={starting} onClick={() => void start(setDir, media)}>
        {label}
      </button>
    </div>
  );

  return (
    <section className="made rehearse" data-testid="rehearse" data-state={rehearsal.kind === 'done' ? rehearsal.outcome : rehearsal.kind}>
      <h3>{t('makeMedia:rehearse.title')}</h3>
      {rehearsal.kind === 'idle' && (
        <>
          <p className="field-hint">{t('makeMedia:rehearse.explain')}</p>
          {startError && <ErrorNotice error={startError} testId="rehearse-start-error" />}
          {startButton(t('makeMedia:rehearse.start'))}
        </>
      )}
      {rehearsal.kind === 'running' && <Running startedAt={rehearsal.startedAt} />}
      {rehearsal.kind === 'done' && rehearsal.outcome === 'ok' && rehearsal.result && (
        <>
          <p className="notice ok" data-testid="rehearse-ok">{t('makeMedia:rehearse.ok')}</p>
          <dl className="facts" data-testid="rehearse-times">
            <dt>{t('makeMedia:rehearse.restoreTime')}</dt>
            <dd>{fmt.duration(rehearsal.result.restoreSeconds)}</dd>
            <dt>{t('makeMedia:rehearse.bootTime')}</dt>
            <dd>{fmt.duration(rehearsal.result.bootSeconds)}</dd>
            <dt>{t('makeMedia:rehearse.totalTime')}</dt>
            <dd data-testid="rehearse-total">{fmt.duration(rehearsal.result.totalSeconds)}</dd>
          </dl>
        </>
      )}
      {rehearsal.kind === 'done' && rehearsal.outcome === 'failed' && (
        <>
          <p className="muted">{t('makeMedia:rehearse.failed')}</p>
          {rehearsal.error && <ErrorNotice error={rehearsal.error} testId="rehearse-error" />}
        </>
      )}
      {rehearsal.kind === 'done' && rehearsal.outcome === 'cancelled' && (
        <p className="notice warning" data-testid="rehearse-cancelled">{t('makeMedia:rehearse.cancelled')}</p>
      )}
      {rehearsal.kind === 'done' && (
        <>
          {startError && <ErrorNotice error={startError} testId="rehearse-start-error" />}
          {startButton(t('makeMedia:rehearse.again'))}
        </>
      )}
    </section>
  );
}
