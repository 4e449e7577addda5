/**
 * "Where to put it": the rescue system as an ISO file, on a USB stick (erased; system
 * drives are never offered), or as network-boot files in a folder. Part of step 3.
 */
import { useTranslation } from 'react-i18next';
import type { MediaKind } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { isoPath, pxePath, rescueProblem, setsToRemove, stickChoices, type DataFs } from '../store';

const KINDS: MediaKind[] = ['iso', 'usb', 'pxe'];
const DATA_FS: DataFs[] = ['ext4', 'exfat'];

/** A set's creation date as the user reads dates; the raw text when it is not a date. */
export function setDate(created: string, lang: string): string {
  const d = new Date(created);
  return created && !Number.isNaN(d.getTime()) ? d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' }) : created || '?';
}

/**
 * What the chosen stick is: a Lifeboat stick offers "add the new set, keep the newest N"
 * (nothing repartitioned) beside "erase it"; a stick made afresh gets a data partition
 * filesystem, ext4 or exFAT.
 */
function StickChoice() {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const state = useMedia((s) => s);
  const { stick, stickLoading, stickError, usbMode } = state;
  if (!state.usbDevice) return null;
  if (stickLoading || stick?.device !== state.usbDevice) return <p className="muted" data-testid="stick-reading">{t('makeMedia:target.stickReading')}</p>;
  const again = stick.lifeboat && usbMode === 'again';
  const removed = setsToRemove(state);
  return (
    <div className="field" data-testid="stick-info" data-lifeboat={stick.lifeboat}>
      {stickError && <ErrorNotice error={stickError} testId="stick-error" />}
      {stick.lifeboat && (
        <>
          <p className="notice info" data-testid="stick-sets">
            {t('makeMedia:target.lifeboatStick', { count: stick.sets.length, free: fmt.bytes(stick.freeBytes) })}
          </p>
          {stick.sets.length > 0 && (
            <ul className="stick-sets">
              {stick.sets.map((set) => (
                <li key={set.dir} data-testid="stick-set" data-removed={removed.some((r) => r.dir === set.dir)}>
                  <code>{set.id}</code> <span className="muted">{t('makeMedia:target.setMade', { created: setDate(set.created, i18n.language), size: fmt.bytes(set.bytes) })}</span>
                </li>
              ))}
            </ul>
          )}
          <fieldset className="choices" data-testid="usb-mode">
            <legend className="sr-only">{t('makeMedia:target.usbModeTitle')}</legend>
            <label className="choice">
              <input type="radio" name="usb-mode" data-testid="usb-mode-again" checked={usbMode === 'again'} onChange={() => state.setUsbMode('again')} />
              <span>
                <strong>{t('makeMedia:target.again')}</strong>
                <span className="muted">{t('makeMedia:target.againHint')}</span>
              </span>
            </label>
            {again && (
              <div className="field indent">
                <label htmlFor="media-keep">{t('makeMedia:target.keep')}</label>
                <input
                  id="media-keep"
                  data-testid="keep"
                  type="number"
                  min={1}
                  max={100}
                  value={state.keep}
                  onChange={(e) => state.setKeep(Number(e.target.value))}
                />
                <p className="field-hint" data-testid="keep-effect">
                  {removed.length ? t('makeMedia:target.keepRemoves', { count: removed.length }) : t('makeMedia:target.keepRemovesNone')}
                </p>
              </div>
            )}
            <label className="choice">
              <input type="radio" name="usb-mode" data-testid="usb-mode-erase" checked={usbMode === 'erase'} onChange={() => state.setUsbMode('erase')} />
              <span>
                <strong>{t('makeMedia:target.eraseStick')}</strong>
                <span className="muted">{t('makeMedia:target.eraseStickHint')}</span>
              </span>
            </label>
          </fieldset>
        </>
      )}
      {!again && (
        <div className="field">
          <label htmlFor="media-data-fs">{t('makeMedia:target.dataFs')}</label>
          <select id="media-data-fs" data-testid="data-fs" value={state.dataFs} onChange={(e) => state.setDataFs(e.target.value as DataFs)}>
            {DATA_FS.map((fs) => (
              <option key={fs} value={fs}>
                {t(`makeMedia:target.dataFs_${fs}`)}
              </option>
            ))}
          </select>
          <p className="field-hint">{t(`makeMedia:target.dataFsHint_${state.dataFs}`)}</p>
        </div>
      )}
    </div>
  );
}

function StickList() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const drives = useMedia((s) => s.drives);
  const loading = useMedia((s) => s.drivesLoading);
  const error = useMedia((s) => s.drivesError);
  const chosen = useMedia((s) => s.usbDevice);
  const choose = useMedia((s) => s.setUsbDevice);
  const reload = useMedia((s) => s.loadDrives);
  const sticks = stickChoices(drives);
  return (
    <div className="field" data-testid="usb-drives">
      <p className="field-hint">{t('makeMedia:target.sticksHint')}</p>
      {error && <ErrorNotice error={error} testId="drives-error" />}
      {drives && sticks.length === 0 && <p className="muted" data-testid="no-sticks">{t('makeMedia:target.noSticks')}</p>}
      {sticks.length > 0 && (
        <ul className="drive-list">
          {sticks.map((d) => {
            const id = `stick-${d.device.replace(/[^a-z0-9]/gi, '-')}`;
            return (
              <li key={d.device} className={`drive-row ${chosen === d.device ? 'selected' : ''}`} data-testid="stick" data-device={d.device}>
                <input id={id} type="radio" name="stick" checked={chosen === d.device} onChange={() => choose(d.device)} />
                <label htmlFor={id} className="drive-main">
                  <span className="drive-title">{d.description || d.device}</span>
                  <span className="drive-meta">
                    <code>{d.device}</code>
                    <span>{fmt.bytes(d.size)}</span>
                    {d.isLoop && <span>{t('flash:targets.loop')}</span>}
                  </span>
                </label>
              </li>
            );
          })}
        </ul>
      )}
      <button type="button" className="button small" data-testid="drives-reload" disabled={loading} onClick={() => void reload()}>
        {loading ? t('makeMedia:target.scanning') : t('makeMedia:target.rescan')}
      </button>
    </div>
  );
}

export function MediaTarget() {
  const { t } = useTranslation();
  const state = useMedia((s) => s);
  const problem = rescueProblem(state);
  const kind = state.mediaKind;
  return (
    <>
      {/* The rescue system alone is an ISO file (`lifeboat media --rescue-only --iso`). */}
      {!state.rescueOnly && (
        <fieldset className="choices" data-testid="media-kind">
          <legend className="sr-only">{t('makeMedia:target.title')}</legend>
          {KINDS.map((k) => (
            <label key={k} className="choice">
              <input type="radio" name="media-kind" data-testid={`kind-${k}`} checked={kind === k} onChange={() => state.setMediaKind(k)} />
              <span>
                <strong>{t(`makeMedia:target.${k}`)}</strong>
                <span className="muted">{t(`makeMedia:target.${k}Hint`)}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {kind === 'iso' && (
        <div className="path-form field">
          <label htmlFor="media-iso">{t('makeMedia:rescue.isoLabel')}</label>
          <div className="path-row">
            <input id="media-iso" data-testid="iso-path" type="text" spellCheck={false} value={isoPath(state)} onChange={(e) => state.setIso(e.target.value)} />
          </div>
          <p className="field-hint">
            {state.rescueOnly ? t('makeMedia:rescue.isoRescueOnly') : state.iso.trim() ? t('makeMedia:rescue.isoCustom') : t('makeMedia:rescue.isoDefault')}
          </p>
          {problem && problem.startsWith('iso') && (problem !== 'isoRequired' || state.iso !== '') && <p className="field-problem" data-testid="iso-problem">{t(`makeMedia:problems.${problem}`)}</p>}
        </div>
      )}
      {kind === 'usb' && <StickList />}
      {kind === 'usb' && <StickChoice />}
      {kind === 'pxe' && (
        <div className="path-form field">
          <label htmlFor="media-pxe">{t('makeMedia:target.pxeLabel')}</label>
          <div className="path-row">
            <input id="media-pxe" data-testid="pxe-path" type="text" spellCheck={false} value={pxePath(state)} onChange={(e) => state.setPxe(e.target.value)} />
          </div>
          <p className="field-hint">{t('makeMedia:target.pxeFolderHint')}</p>
          {problem && problem.startsWith('pxe') && <p className="field-problem" data-testid="pxe-problem">{t(`makeMedia:problems.${problem}`)}</p>}
        </div>
      )}
    </>
  );
}
