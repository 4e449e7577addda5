/**
 * The Restore wizard: a stepper and the current step.
 */
import { useTranslation } from 'react-i18next';
import { useRestore } from '../app/context';
import { assertNever, type RestoreStep } from './store';
import { FindSet } from './steps/FindSet';
import { SetDetails } from './steps/SetDetails';
import { Targets } from './steps/Targets';
import { Review } from './steps/Review';
import { Running } from './steps/Running';
import { Result } from './steps/Result';

const STAGES = ['find', 'set', 'targets', 'review', 'run'] as const;

function stageOf(step: RestoreStep): number {
  switch (step.kind) {
    case 'find':
      return 0;
    case 'set':
      return 1;
    case 'targets':
      return 2;
    case 'review':
      return 3;
    case 'running':
    case 'result':
      return 4;
    default:
      return assertNever(step);
  }
}

function Stepper({ step }: { step: RestoreStep }) {
  const { t } = useTranslation();
  const current = stageOf(step);
  return (
    <ol className="stepper" aria-label={t('restoreUi:stepper.label')}>
      {STAGES.map((stage, i) => (
        <li key={stage} className={i === current ? 'current' : i < current ? 'done' : ''} aria-current={i === current ? 'step' : undefined}>
          <span className="stepper-number">{i + 1}</span>
          <span>{t(`restoreUi:stepper.${stage}`)}</span>
        </li>
      ))}
    </ol>
  );
}

function StepView({ step }: { step: RestoreStep }) {
  switch (step.kind) {
    case 'find':
      return <FindSet />;
    case 'set':
      return <SetDetails />;
    case 'targets':
      return <Targets />;
    case 'review':
      return <Review />;
    case 'running':
      return <Running />;
    case 'result':
      return <Result step={step} />;
    default:
      return assertNever(step);
  }
}

export function RestoreJourney() {
  const { t } = useTranslation();
  const step = useRestore((s) => s.step);
  return (
    <section className="journey" aria-labelledby="restore-title" data-step={step.kind}>
      <h1 id="restore-title">{t('restoreUi:title')}</h1>
      <Stepper step={step} />
      <StepView step={step} />
    </section>
  );
}
