/**
 * The review step's "Partition sizes" panel: for experts who want other sizes than the
 * planner's (Mondo and ReaR both let you edit the layout). Every figure comes from the
 * plan the helper compiled (recorded, planned, minimum, why a size is kept); the fields
 * only say at once what the helper would refuse. Sizes are shown in binary units, the
 * ones partitions are aligned to, so a typed "40 GiB" reads back as "40 GiB".
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatSizeInput, LOCKED_REASONS, type DiskSizing, type PartitionSizing, type SizeProblem } from '../../../shared/restore-sizes';
import { useRestore } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { sizeFields } from '../store';
import '../sizes.css';

const contents = (p: PartitionSizing) => [p.mountpoint, p.fsType, p.label].filter(Boolean).join(' · ');

function problemText(t: TFunction, lang: string, problem: SizeProblem): string {
  switch (problem.code) {
    case 'unreadable':
      return t('restoreUi:sizes.problem.unreadable');
    case 'locked':
      return t('restoreUi:sizes.problem.locked', { reason: t(`restoreUi:sizes.fixed.${problem.reason}`) });
    case 'below-min':
      return t('restoreUi:sizes.problem.belowMin', { min: formatSizeInput(problem.min, lang) });
    case 'over-disk':
      return t('restoreUi:sizes.problem.overDisk', { available: formatSizeInput(problem.available, lang) });
  }
}

/** The target disk drawn to scale: one block per partition where it will start, the free rest left blank. */
function DiskBar({ disk }: { disk: DiskSizing }) {
  const { t, i18n } = useTranslation();
  const pct = (b: number) => `${Math.max(0, Math.min(100, (b / disk.sizeBytes) * 100))}%`;
  return (
    <div className="disk-bar" role="img" aria-label={t('restoreUi:sizes.barLabel', { device: disk.device })} data-testid="sizes-bar">
      {disk.partitions.map((p, i) => (
        <span
          key={p.node}
          className={`disk-bar-part tone-${i % 5} ${p.fixed && p.fixed !== 'user' ? 'kept' : ''}`}
          style={{ left: pct(p.startBytes), width: pct(p.plannedBytes) }}
          title={`${p.target} — ${formatSizeInput(p.plannedBytes, i18n.language)}`}
        >
          {p.number}
        </span>
      ))}
    </div>
  );
}

function SizeRow({ p, text, problem, typed }: { p: PartitionSizing; text: string; problem: SizeProblem | undefined; typed: number | undefined }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const setSizeText = useRestore((s) => s.setSizeText);
  const locked = p.fixed !== null && LOCKED_REASONS.has(p.fixed);
  const id = `size-${p.node}`.replace(/[^a-z0-9]/gi, '-');
  // what the field reads as (rounded to whole MiB); "your size" once the plan on screen has it
  const note = locked
    ? t(`restoreUi:sizes.fixed.${p.fixed}`)
    : typed !== undefined
      ? p.fixed === 'user' && p.plannedBytes === typed
        ? t('restoreUi:sizes.fixed.user')
        : t('restoreUi:sizes.reads', { size: formatSizeInput(typed, lang) })
      : p.fixed
        ? t(`restoreUi:sizes.fixed.${p.fixed}`)
        : p.takesRest
          ? t('restoreUi:sizes.takesRest')
          : t('restoreUi:sizes.scales');
  return (
    <tr data-testid="size-row" data-node={p.node} data-fixed={p.fixed ?? ''}>
      <td>
        <code>{p.target}</code>
        <span className="size-from">{t('restoreUi:sizes.from', { node: p.node })}</span>
      </td>
      <td>{contents(p) || t('restoreUi:set.noFs')}</td>
      <td className="num">{formatSizeInput(p.recordedBytes, lang)}</td>
      <td className="size-cell">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          className={`size-input ${problem ? 'invalid' : ''}`}
          aria-label={t('restoreUi:sizes.newSizeLabel', { device: p.target })}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-note`}
          data-testid="size-input"
          value={text}
          placeholder={formatSizeInput(p.plannedBytes, lang)}
          disabled={locked}
          onChange={(e) => setSizeText(p.node, e.target.value, lang)}
        />
        <span id={`${id}-note`} className={problem ? 'field-problem size-note' : 'field-hint size-note'} data-testid={problem ? 'size-problem' : 'size-note'} data-code={problem?.code}>
          {problem ? problemText(t, lang, problem) : note}
        </span>
      </td>
      <td className="num">{locked ? '' : formatSizeInput(p.minBytes, lang)}</td>
    </tr>
  );
}

export function PartitionSizes() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const reviewed = useRestore((s) => s.reviewed);
  const sizeTexts = useRestore((s) => s.sizeTexts);
  // read as the store reads them (the language they were typed in), so the panel and the run agree
  const sizeLang = useRestore((s) => s.sizeLang);
  const replanning = useRestore((s) => s.replanning);
  const sizesError = useRestore((s) => s.sizesError);
  const resetSizes = useRestore((s) => s.resetSizes);
  // open while sizes are typed; the user's own toggling wins after that (a reset keeps it open)
  const [open, setOpen] = useState(() => Object.values(sizeTexts).some((v) => v.trim()));
  if (!reviewed || reviewed.sizing.length === 0) return null;
  const { problems, sizes } = sizeFields(sizeTexts, sizeLang, reviewed.sizing);
  const typed = Object.values(sizeTexts).filter((v) => v.trim()).length;
  const edited = Object.keys(reviewed.sizes).length;

  return (
    <details className="sizes-panel" data-testid="sizes-panel" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <span className="sizes-title">{t('restoreUi:sizes.title')}</span>
        <span className="muted">{edited ? t('restoreUi:sizes.edited', { count: edited }) : t('restoreUi:sizes.automatic')}</span>
      </summary>
      <p className="field-hint">{t('restoreUi:sizes.hint')}</p>
      {reviewed.sizing.map((disk) => {
        const rest = disk.partitions.find((p) => p.takesRest);
        return (
          <section key={disk.device} className="sizes-disk" data-testid="sizes-disk" data-device={disk.device}>
            <h4>{t('restoreUi:sizes.disk', { device: disk.device, source: disk.source, size: formatSizeInput(disk.sizeBytes, lang) })}</h4>
            <DiskBar disk={disk} />
            <table className="partitions sizes-table">
              <thead>
                <tr>
                  <th>{t('restoreUi:sizes.partition')}</th>
                  <th>{t('restoreUi:sizes.contents')}</th>
                  <th className="num">{t('restoreUi:sizes.recorded')}</th>
                  <th>{t('restoreUi:sizes.newSize')}</th>
                  <th className="num">{t('restoreUi:sizes.minimum')}</th>
                </tr>
              </thead>
              <tbody>
                {disk.partitions.map((p) => (
                  <SizeRow key={p.node} p={p} text={sizeTexts[p.node] ?? ''} problem={problems[p.node]} typed={sizes[p.node]} />
                ))}
              </tbody>
            </table>
            <p className="field-hint" data-testid="sizes-free">
              {t('restoreUi:sizes.free', { size: formatSizeInput(disk.freeBytes, lang) })}{' '}
              {rest ? t('restoreUi:sizes.restGoesTo', { device: rest.target }) : t('restoreUi:sizes.restStaysFree')}
            </p>
          </section>
        );
      })}
      <div className="sizes-actions">
        <button type="button" className="button" data-testid="sizes-reset" disabled={typed === 0 && edited === 0} onClick={resetSizes}>
          {t('restoreUi:sizes.reset')}
        </button>
        {replanning && (
          <span className="muted" data-testid="sizes-updating">
            {t('restoreUi:sizes.updating')}
          </span>
        )}
      </div>
      {sizesError && <ErrorNotice error={sizesError} testId="sizes-error" />}
    </details>
  );
}
