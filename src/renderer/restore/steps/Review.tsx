/**
 * Step 4: the compiled plan, step by step with the exact commands, then the disks that
 * will be erased — by name and model — and an explicit "I understand" before anything
 * runs. What is shown here is what the helper runs.
 */
import { useTranslation } from 'react-i18next';
import { stepTitle, warningText } from '../../../shared/restore-text';
import { useRestore } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { formatSizeInput } from '../../../shared/restore-sizes';
import { sizeFields, sizesSettled } from '../store';
import { PartitionSizes } from './PartitionSizes';

export function Review() {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const partSize = (n: number) => formatSizeInput(n, i18n.language);
  const reviewed = useRestore((s) => s.reviewed);
  const drives = useRestore((s) => s.drives);
  const confirmed = useRestore((s) => s.confirmed);
  const setConfirmed = useRestore((s) => s.setConfirmed);
  const starting = useRestore((s) => s.starting);
  const startError = useRestore((s) => s.startError);
  const goToTargets = useRestore((s) => s.goToTargets);
  const start = useRestore((s) => s.start);
  // the plan on screen must be the one for the sizes typed: nothing runs that was not reviewed
  const settled = useRestore(sizesSettled);
  const sizesValid = useRestore((s) => !s.sizesError && (s.reviewed ? sizeFields(s.sizeTexts, s.sizeLang, s.reviewed.sizing).valid : true));
  if (!reviewed) return null;
  const { plan, commands } = reviewed;
  const drive = (device: string) => drives.find((d) => d.device === device);
  const destructive = plan.steps.filter((s) => s.destructive).length;

  return (
    <div className="panel" data-testid="step-review">
      <h2>{t('restoreUi:review.title')}</h2>
      <p className="muted">{t('restoreUi:review.hint', { count: plan.steps.length, destructive })}</p>
      {plan.clone && <p className="notice info">{t('restoreUi:review.cloneOn')}</p>}
      {plan.warnings.length > 0 && (
        <ul className="warning-list" data-testid="plan-warnings">
          {plan.warnings.map((w, i) => (
            <li key={i} className="notice warning">
              {warningText(t, w)}
            </li>
          ))}
        </ul>
      )}
      <h3 className="subtle-heading">{t('restoreUi:review.layoutTitle')}</h3>
      <table className="partitions" data-testid="plan-mapping">
        <thead>
          <tr>
            <th>{t('restoreUi:review.recorded')}</th>
            <th>{t('restoreUi:review.becomes')}</th>
            <th className="num">{t('restoreUi:review.size')}</th>
            <th>{t('restoreUi:set.filesystem')}</th>
            <th>{t('restoreUi:set.mountpoint')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.mapping
            .filter((m) => m.kind !== 'disk')
            .map((m) => (
              <tr key={m.source} data-testid="plan-mapping-row">
                <td>
                  <code>{m.source}</code>
                </td>
                <td>
                  <code>{m.target}</code>
                </td>
                <td className="num">
                  {/* in the units of the sizes panel below and of what the user types there (MiB):
                      "100 MiB" typed showed here as "105 MB" */}
                  {m.sourceBytes === m.targetBytes ? partSize(m.targetBytes) : t('restoreUi:review.resized', { from: partSize(m.sourceBytes), to: partSize(m.targetBytes) })}
                </td>
                <td>{m.fsType ?? ''}</td>
                <td>{m.mountpoint ?? ''}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <PartitionSizes />
      <h3 className="subtle-heading">{t('restoreUi:review.stepsTitle')}</h3>
      <ol className="plan-steps" data-testid="plan-steps">
        {plan.steps.map((s, i) => (
          <li key={s.id} className={`plan-step ${s.destructive ? 'destructive' : ''}`} data-testid="plan-step" data-step={s.id} data-destructive={s.destructive}>
            <details>
              <summary>
                <span className="plan-step-number num">{i + 1}</span>
                <span className="plan-step-title">{stepTitle(t, i18n.language, s)}</span>
                {s.destructive && <span className="badge danger-badge">{t('restoreUi:review.destructive')}</span>}
              </summary>
              <pre className="command" data-testid="plan-command">{commands[i]}</pre>
            </details>
          </li>
        ))}
      </ol>

      <div className="danger-box">
        <p className="danger-lead">{t('restoreUi:review.erase', { count: plan.targets.length })}</p>
        <ul className="erase-list" data-testid="erase-list">
          {plan.targets.map((tg) => (
            <li key={tg.device} data-device={tg.device}>
              <strong>{drive(tg.device)?.description || tg.device}</strong>
              <span className="erase-meta">
                <code>{tg.device}</code>
                <span>{fmt.bytes(tg.sizeBytes)}</span>
                <span>{t('restoreUi:review.replaces', { source: tg.source })}</span>
              </span>
            </li>
          ))}
        </ul>
        <label className="check">
          <input type="checkbox" data-testid="understand" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />
          <span>{t('restoreUi:review.understand')}</span>
        </label>
      </div>
      {startError && <ErrorNotice error={startError} testId="start-error" />}
      {!settled && (
        <p className={sizesValid ? 'muted' : 'field-problem'} data-testid="sizes-pending">
          {sizesValid ? t('restoreUi:sizes.updating') : t('restoreUi:sizes.pending')}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={goToTargets} disabled={starting}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button danger" data-testid="restore-go" disabled={!confirmed || starting || !settled} onClick={() => void start()}>
          {starting ? t('restoreUi:review.starting') : t('restoreUi:review.go')}
        </button>
      </div>
    </div>
  );
}
