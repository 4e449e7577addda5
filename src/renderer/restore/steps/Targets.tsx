/**
 * Step 3: put each recorded disk on a drive. Drives are rescanned while this step is
 * shown; the shared drive policy (system drives, the drive holding the backup, too
 * small, read-only) disables a choice and says why, with the sizes.
 */
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { Drive } from '../../../shared/drive';
import type { ErrorInfo } from '../../../shared/errors';
import type { SetSummary, SetSummaryDisk } from '../../../shared/restore-sets';
import { useRestore, useServices } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { mappingComplete, targetStatuses } from '../store';

/** Rescans drives about every two seconds while mounted; one scan at a time. */
function useDrivePolling(intervalMs = 2000): void {
  const { restore } = useServices();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await restore.getState().refreshDrives();
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [restore, intervalMs]);
}

function TargetRow({ drive, disk, set, chosen, onChoose }: { drive: Drive; disk: SetSummaryDisk; set: SetSummary; chosen: boolean; onChoose: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const statuses = targetStatuses(drive, disk, set);
  const blocked = statuses.some((s) => s.blocking);
  const id = `target-${disk.device}-${drive.device}`.replace(/[^a-z0-9]/gi, '-');
  const fits = disk.neededBytes !== null && drive.size >= disk.neededBytes;
  return (
    <li className={`drive-row ${blocked ? 'blocked' : ''} ${chosen ? 'selected' : ''}`} data-testid="target-row" data-device={drive.device} data-blocked={blocked}>
      <input id={id} type="radio" name={`target-${disk.device}`} checked={chosen} disabled={blocked} onChange={onChoose} />
      <label htmlFor={id} className="drive-main">
        <span className="drive-title">{drive.description || drive.device}</span>
        <span className="drive-meta">
          <code>{drive.device}</code>
          <span>{fmt.bytes(drive.size)}</span>
          <span>{drive.isLoop ? t('restoreUi:targets.loop') : drive.transport ? drive.transport.toUpperCase() : t('restoreUi:targets.transportUnknown')}</span>
          {fits && !blocked && <span className="fit ok" data-testid="target-fit">{t('restoreUi:targets.fits', { size: fmt.bytes(drive.size), needed: fmt.bytes(disk.neededBytes ?? 0) })}</span>}
        </span>
      </label>
      {statuses.length > 0 && (
        <ul className="drive-statuses">
          {statuses.map((s) => (
            <li key={s.code} className={`status ${s.blocking ? 'blocking' : 'warning'}`} data-testid="target-status" data-code={s.code}>
              {t(`restoreUi:status.${s.code}`, { needed: fmt.bytes(disk.neededBytes ?? 0), size: fmt.bytes(drive.size) })}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** The plan's refusal in the user's words; a too-small target gets its sizes formatted. */
function PlanError({ error }: { error: ErrorInfo }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  if (error.code === 'target-too-small' && typeof error.params.needed === 'number' && typeof error.params.available === 'number') {
    return (
      <p className="notice error" role="alert" data-testid="plan-error" data-code={error.code}>
        {t('restoreUi:targets.tooSmall', { device: String(error.params.device ?? ''), size: fmt.bytes(error.params.available), needed: fmt.bytes(error.params.needed) })}
      </p>
    );
  }
  return <ErrorNotice error={error} testId="plan-error" />;
}

export function Targets() {
  const { t } = useTranslation();
  const fmt = useFormat();
  useDrivePolling();
  const set = useRestore((s) => s.set);
  const drives = useRestore((s) => s.drives);
  const scanned = useRestore((s) => s.scanned);
  const scanError = useRestore((s) => s.scanError);
  const mapping = useRestore((s) => s.mapping);
  const clone = useRestore((s) => s.clone);
  const planning = useRestore((s) => s.planning);
  const planError = useRestore((s) => s.planError);
  const chooseTarget = useRestore((s) => s.chooseTarget);
  const setClone = useRestore((s) => s.setClone);
  const goToSet = useRestore((s) => s.goToSet);
  const review = useRestore((s) => s.review);
  if (!set) return null;
  const complete = mappingComplete(set, mapping);

  return (
    <div className="panel" data-testid="step-targets">
      <h2>{t('restoreUi:targets.title')}</h2>
      <p className="muted">{t('restoreUi:targets.hint')}</p>
      {scanError && <ErrorNotice error={scanError} />}
      {!scanned && <p className="muted">{t('restoreUi:targets.scanning')}</p>}
      {set.disks.map((disk) => (
        <section key={disk.device} className="target-disk" data-testid="recorded-disk" data-device={disk.device}>
          <h3>{t('restoreUi:targets.recorded', { device: disk.device, size: fmt.bytes(disk.sizeBytes) })}</h3>
          <p className="muted" data-testid="needed">
            {disk.neededBytes === null ? t('restoreUi:targets.neededUnknown') : t('restoreUi:targets.needed', { needed: fmt.bytes(disk.neededBytes) })}
            {!disk.holdsData && ` ${t('restoreUi:targets.optional')}`}
          </p>
          {scanned && drives.length === 0 && <p className="notice info" data-testid="no-drives">{t('restoreUi:targets.none')}</p>}
          <ul className="drive-list">
            {!disk.holdsData && (
              <li className={`drive-row ${mapping[disk.device] ? '' : 'selected'}`}>
                <input id={`skip-${disk.device}`} type="radio" name={`target-${disk.device}`} checked={!mapping[disk.device]} onChange={() => chooseTarget(disk.device, null)} />
                <label htmlFor={`skip-${disk.device}`} className="drive-main">
                  <span className="drive-title">{t('restoreUi:targets.leaveOut')}</span>
                </label>
              </li>
            )}
            {drives.map((d) => (
              <TargetRow key={d.device} drive={d} disk={disk} set={set} chosen={mapping[disk.device] === d.device} onChoose={() => chooseTarget(disk.device, d.device)} />
            ))}
          </ul>
        </section>
      ))}
      <label className="check">
        <input type="checkbox" data-testid="clone" checked={clone} onChange={(e) => setClone(e.target.checked)} />
        <span>
          {t('restoreUi:targets.clone')}
          <span className="field-hint">{t('restoreUi:targets.cloneHint')}</span>
        </span>
      </label>
      <p className="field-hint" data-testid="sizes-later">
        {t('restoreUi:targets.sizesLater')}
      </p>
      {planError && <PlanError error={planError} />}
      <div className="actions">
        <button type="button" className="button" onClick={goToSet}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="targets-next" disabled={!complete || planning} onClick={() => void review()}>
          {planning ? t('restoreUi:targets.planning') : t('restoreUi:targets.next')}
        </button>
      </div>
    </div>
  );
}
