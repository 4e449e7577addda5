/**
 * The "Make recovery media" wizard: a stepper and the current step.
 */
import { useTranslation } from 'react-i18next';
import { useMedia } from '../app/context';
import { assertNever, type MediaStep } from './store';
import { BackupOptions } from './steps/BackupOptions';
import { Done } from './steps/Done';
import { RescueOptions } from './steps/RescueOptions';
import { Review } from './steps/Review';
import { Running } from './steps/Running';
import { Source } from './steps/Source';

const STAGES = ['source', 'backup', 'rescue', 'review', 'run'] as const;

function stageOf(step: MediaStep): number {
  switch (step.kind) {
    case 'source':
      return 0;
    case 'backup':
      return 1;
    case 'rescue':
      return 2;
    case 'review':
      return 3;
    case 'running':
    case 'done':
      return 4;
    default:
      return assertNever(step);
  }
}

function Stepper({ step }: { step: MediaStep }) {
  const { t } = useTranslation();
  const rescueOnly = useMedia((s) => s.rescueOnly);
  const current = stageOf(step);
  // The rescue system alone has no backup step: it is not listed rather than shown skipped.
  const shown = STAGES.map((stage, i) => ({ stage, i })).filter(({ stage }) => !(rescueOnly && stage === 'backup'));
  return (
    <ol className="stepper compact" aria-label={t('makeMedia:stepper.label')}>
      {shown.map(({ stage, i }, n) => (
        <li key={stage} className={i === current ? 'current' : i < current ? 'done' : ''} aria-current={i === current ? 'step' : undefined}>
          <span className="stepper-number">{n + 1}</span>
          <span>{t(rescueOnly && stage === 'source' ? 'makeMedia:stepper.purpose' : `makeMedia:stepper.${stage}`)}</span>
        </li>
      ))}
    </ol>
  );
}

function StepView({ step }: { step: MediaStep }) {
  switch (step.kind) {
    case 'source':
      return <Source />;
    case 'backup':
      return <BackupOptions />;
    case 'rescue':
      return <RescueOptions />;
    case 'review':
      return <Review />;
    case 'running':
      return <Running />;
    case 'done':
      return <Done step={step} />;
    default:
      return assertNever(step);
  }
}

export function MediaJourney() {
  const { t } = useTranslation();
  const step = useMedia((s) => s.step);
  return (
    <section className="journey" aria-labelledby="media-title" data-step={step.kind}>
      <h1 id="media-title">{t('makeMedia:title')}</h1>
      <Stepper step={step} />
      <StepView step={step} />
    </section>
  );
}
