/**
 * The Flash wizard: a stepper and the current step.
 */
import { useTranslation } from 'react-i18next';
import { useFlash } from '../app/context';
import { assertNever, type FlashStep } from './store';
import { ChooseImage } from './steps/ChooseImage';
import { ChooseTargets } from './steps/ChooseTargets';
import { Confirm } from './steps/Confirm';
import { Flashing } from './steps/Flashing';
import { Result } from './steps/Result';

const STAGES = ['image', 'targets', 'flash'] as const;

function stageOf(step: FlashStep): number {
  switch (step.kind) {
    case 'chooseImage':
      return 0;
    case 'chooseTargets':
      return 1;
    case 'confirm':
    case 'flashing':
    case 'result':
      return 2;
    default:
      return assertNever(step);
  }
}

function Stepper({ step }: { step: FlashStep }) {
  const { t } = useTranslation();
  const current = stageOf(step);
  return (
    <ol className="stepper" aria-label={t('flash:stepper.label')}>
      {STAGES.map((stage, i) => (
        <li key={stage} className={i === current ? 'current' : i < current ? 'done' : ''} aria-current={i === current ? 'step' : undefined}>
          <span className="stepper-number">{i + 1}</span>
          <span>{t(`flash:stepper.${stage}`)}</span>
        </li>
      ))}
    </ol>
  );
}

function StepView({ step }: { step: FlashStep }) {
  switch (step.kind) {
    case 'chooseImage':
      return <ChooseImage />;
    case 'chooseTargets':
      return <ChooseTargets />;
    case 'confirm':
      return <Confirm />;
    case 'flashing':
      return <Flashing />;
    case 'result':
      return <Result step={step} />;
    default:
      return assertNever(step);
  }
}

export function FlashJourney() {
  const { t } = useTranslation();
  const step = useFlash((s) => s.step);
  return (
    <section className="journey" aria-labelledby="flash-title" data-step={step.kind}>
      <h1 id="flash-title">{t('flash:title')}</h1>
      <Stepper step={step} />
      <StepView step={step} />
    </section>
  );
}
