/**
 * "Where to put it": the rescue system as an ISO file, on a USB stick (erased; system
 * drives are never offered), or as network-boot files in a folder. Part of step 3.
 */
import { useTranslation } from 'react-i18next';
import type { MediaKind } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { isoPath, pxePath, rescueProblem, stickChoices } from '../store';

const KINDS: MediaKind[] = ['iso', 'usb', 'pxe'];

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
      {kind === 'iso' && (
        <div className="path-form field">
          <label htmlFor="media-iso">{t('makeMedia:rescue.isoLabel')}</label>
          <div className="path-row">
            <input id="media-iso" data-testid="iso-path" type="text" spellCheck={false} value={isoPath(state)} onChange={(e) => state.setIso(e.target.value)} />
          </div>
          <p className="field-hint">{state.iso.trim() ? t('makeMedia:rescue.isoCustom') : t('makeMedia:rescue.isoDefault')}</p>
          {problem && problem.startsWith('iso') && <p className="field-problem" data-testid="iso-problem">{t(`makeMedia:problems.${problem}`)}</p>}
        </div>
      )}
      {kind === 'usb' && <StickList />}
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
