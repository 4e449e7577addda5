/**
 * Step 4: the running job, overall and per stick, with a confirmed Cancel.
 */
import { useTranslation } from 'react-i18next';
import type { TargetProgress } from '../../../shared/progress';
import { useFlash } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobCancel, JobStats } from '../../components/JobStatus';
import { ProgressBar } from '../../components/ProgressBar';
import { useFormat } from '../../i18n';

const KNOWN_PHASES = new Set(['starting', 'preparing', 'decompressing', 'writing', 'flashing', 'verifying', 'syncing', 'finishing', 'done']);

function TargetRow({ target, description }: { target: TargetProgress; description: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const fraction = target.total ? target.bytes / target.total : null;
  return (
    <li className="target-progress" data-testid="target-progress" data-device={target.device} data-phase={target.phase}>
      <div className="target-head">
        <strong>{description}</strong>
        <code>{target.device}</code>
        <span className={`target-phase ${target.phase}`}>{t(`flash:targetPhase.${target.phase}`)}</span>
        {fraction !== null && <span className="num">{fmt.percent(fraction)}</span>}
        {/* Each part is read back once it is on the stick, so "checked" grows while writing. */}
        {target.phase === 'writing' && target.verified !== undefined && target.total ? (
          <span className="num target-verified" data-testid="target-verified">
            {t('flash:flashing.verifiedSoFar', { percent: fmt.percent(target.verified / target.total) })}
          </span>
        ) : null}
      </div>
      <ProgressBar
        // a stick still waiting for the image to be checked shows an empty bar, not a moving one
        value={target.phase === 'done' ? 1 : target.phase === 'pending' ? 0 : fraction}
        label={description}
        tone={target.phase === 'failed' ? 'error' : target.phase === 'verifying' ? 'verify' : undefined}
      />
      {target.error && <ErrorNotice error={target.error} testId="target-error" />}
    </li>
  );
}

export function Flashing() {
  const { t } = useTranslation();
  const progress = useFlash((s) => s.progress);
  const drives = useFlash((s) => s.drives);
  const selected = useFlash((s) => s.selected);
  const cancelling = useFlash((s) => s.cancelling);
  const cancel = useFlash((s) => s.cancel);
  const error = useFlash((s) => s.startError);

  const phase = progress?.phase ?? 'starting';
  const phaseText = KNOWN_PHASES.has(phase) ? t(`flash:phases.${phase}`) : t('flash:phases.working');
  // while the image is checked (preparing) nothing is written yet: a moving bar and no
  // percentage, rather than a "0 %" that looks stuck
  const fraction = progress?.total && phase !== 'preparing' ? progress.bytes / progress.total : null;
  const describe = (device: string) => drives.find((d) => d.device === device)?.description || device;
  const targets: TargetProgress[] = selected.map(
    (device) => progress?.targets?.[device] ?? { device, phase: 'pending', bytes: 0, total: null, speed: null },
  );

  return (
    <div className="panel" data-testid="step-flashing" data-phase={phase}>
      <h2 data-testid="phase">{phaseText}</h2>
      <ProgressBar value={fraction} label={phaseText} tone={phase === 'verifying' ? 'verify' : undefined} />
      <JobStats progress={progress} fraction={fraction} percentTestId="percent" wording="flash:flashing" />
      <h3 className="subtle-heading">{t('flash:flashing.targets', { count: targets.length })}</h3>
      <ul className="target-list">
        {targets.map((tp) => (
          <TargetRow key={tp.device} target={tp} description={describe(tp.device)} />
        ))}
      </ul>
      <JobCancel error={error} cancelling={cancelling} onCancel={() => void cancel()} questionId="cancel-q" wording="flash:flashing" />
    </div>
  );
}
