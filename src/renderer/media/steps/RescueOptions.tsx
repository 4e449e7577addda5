/**
 * Step 3: the rescue system — where it goes (ISO file, USB stick or network-boot
 * files), whether it carries the set, the language of its menu — and whether this
 * computer has what building it needs (the doctor).
 * Only what is needed blocks; optional tools are listed so nobody is surprised later.
 * The summary and Start are on the Review step that follows.
 */
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language } from '../../../shared/api';
import type { DoctorItem } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { discBytes, isAgain, rescueProblem, type DiscChoice } from '../store';

const DISC_CHOICES: DiscChoice[] = ['one', 'cd', 'dvd', 'custom'];

/** ISO with the set inside: one file, or a set of CD- or DVD-size discs (disc 1 boots). */
function DiscChoices() {
  const { t } = useTranslation();
  const discs = useMedia((s) => s.discs);
  const setDiscs = useMedia((s) => s.setDiscs);
  const customDiscs = useMedia((s) => s.customDiscs);
  const setCustomDiscs = useMedia((s) => s.setCustomDiscs);
  const invalid = useMedia((s) => discs === 'custom' && discBytes(s) === null);
  return (
    <fieldset className="choices compact indent" data-testid="discs">
      <legend className="field-label">{t('makeMedia:rescue.discs.title')}</legend>
      {DISC_CHOICES.map((d) => (
        <label key={d} className="choice">
          <input type="radio" name="discs" data-testid={`discs-${d}`} checked={discs === d} onChange={() => setDiscs(d)} />
          <span>
            <strong>{t(`makeMedia:rescue.discs.${d}`)}</strong>
            <span className="muted">{t(`makeMedia:rescue.discs.${d}Hint`)}</span>
          </span>
        </label>
      ))}
      {discs === 'custom' && (
        <div className="field narrow indent">
          <label htmlFor="media-disc-size">{t('makeMedia:rescue.discs.customLabel')}</label>
          <input id="media-disc-size" data-testid="disc-size" type="text" spellCheck={false} value={customDiscs} placeholder={t('makeMedia:rescue.discs.customPlaceholder')} onChange={(e) => setCustomDiscs(e.target.value)} />
          {invalid && customDiscs.trim() && <p className="field-problem" data-testid="disc-size-problem">{t('makeMedia:problems.discsInvalid')}</p>}
        </div>
      )}
    </fieldset>
  );
}
import { MediaTarget } from './MediaTarget';

function MissingItem({ item }: { item: DoctorItem }) {
  const { t } = useTranslation();
  return (
    <li className={`doctor-item ${item.needed ? 'needed' : 'optional'}`} data-testid="doctor-missing" data-id={item.id} data-needed={item.needed}>
      <strong>{item.group === 'kernel' ? t(`makeMedia:rescue.doctor.${item.id === 'kernel' ? 'kernelItem' : 'modulesItem'}`) : item.id}</strong>
      {item.path && <code>{item.path}</code>}
      <span className="muted">
        {t('makeMedia:rescue.doctor.install', { debian: item.packages.debian, fedora: item.packages.fedora, arch: item.packages.arch })}
      </span>
    </li>
  );
}

export function RescueOptions() {
  const { t, i18n } = useTranslation();
  const state = useMedia((s) => s);
  const { doctor, doctorLoading, doctorError } = state;
  const problem = rescueProblem(state);
  const uiLang = i18n.language as Language;
  const followUiLanguage = state.followUiLanguage;

  useEffect(() => followUiLanguage(uiLang), [followUiLanguage, uiLang]);

  const missing = doctor?.items.filter((i) => !i.found) ?? [];
  const missingNeeded = missing.filter((i) => i.needed);
  const missingOptional = missing.filter((i) => !i.needed);
  const kernel = doctor?.items.find((i) => i.group === 'kernel' && i.id === 'kernel' && i.found);
  const kernelMissing = missingNeeded.some((i) => i.group === 'kernel');

  return (
    <div className="panel" data-testid="step-rescue">
      <h2>{t('makeMedia:rescue.title')}</h2>
      <p className="muted">{t('makeMedia:rescue.hint')}</p>
      <MediaTarget />
      {state.rescueOnly ? null : isAgain(state) ? (
        <p className="field-hint" data-testid="again-keeps-rescue">{t('makeMedia:target.againKeepsRescue')}</p>
      ) : state.mediaKind === 'pxe' ? (
        <p className="field-hint" data-testid="pxe-no-embed">{t('makeMedia:target.pxeNoEmbed')}</p>
      ) : (
        <>
          <label className="check">
            <input type="checkbox" data-testid="embed" checked={state.embed} onChange={(e) => state.setEmbed(e.target.checked)} />
            <span>{t(state.mediaKind === 'usb' ? 'makeMedia:target.usbEmbed' : 'makeMedia:rescue.embed')}</span>
          </label>
          <p className="field-hint indent">
            {state.mediaKind === 'usb'
              ? state.embed
                ? t('makeMedia:target.usbEmbedOn')
                : t('makeMedia:target.usbEmbedOff')
              : state.embed
                ? t('makeMedia:rescue.embedOn')
                : t('makeMedia:rescue.embedOff')}
          </p>
          {state.mediaKind === 'iso' && state.embed && <DiscChoices />}
        </>
      )}
      {/* Adding a set keeps the stick's rescue system, menu language included. */}
      {!isAgain(state) && (
        <div className="field-grid">
          <div className="field narrow">
            <label htmlFor="media-lang">{t('makeMedia:rescue.lang')}</label>
            <select id="media-lang" data-testid="rescue-lang" value={state.lang} onChange={(e) => state.setLang(e.target.value as Language)}>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {t(`common:languages.${l}`)}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}

      {/* Adding a set builds no rescue system: whether this computer could build one does not matter. */}
      {!isAgain(state) && (
        <>
        <h3 className="subtle-heading">{t('makeMedia:rescue.doctor.title')}</h3>
        {doctorLoading && <p className="muted">{t('makeMedia:rescue.doctor.checking')}</p>}
        {doctorError && <ErrorNotice error={doctorError} testId="doctor-error" />}
        {doctor && !doctorLoading && (
          <div data-testid="doctor" data-ok={doctor.ok}>
            {doctor.ok ? (
              <p className="notice ok" data-testid="doctor-ok">{t('makeMedia:rescue.doctor.allGood')}</p>
            ) : (
              <p className="notice error" data-testid="doctor-blocking">{t('makeMedia:rescue.doctor.blocking', { count: missingNeeded.length })}</p>
            )}
            {kernel && !isAgain(state) && (
              <p className="muted" data-testid="doctor-kernel">
                {t('makeMedia:rescue.doctor.kernel', { path: kernel.path ?? '', version: kernel.detail ?? '' })}
              </p>
            )}
            {missingNeeded.length > 0 && <ul className="doctor-list">{missingNeeded.map((i) => <MissingItem key={`${i.group}-${i.id}`} item={i} />)}</ul>}
            {missingOptional.length > 0 && (
              <details className="doctor-optional">
                <summary>{t('makeMedia:rescue.doctor.optional', { count: missingOptional.length })}</summary>
                <ul className="doctor-list">{missingOptional.map((i) => <MissingItem key={`${i.group}-${i.id}`} item={i} />)}</ul>
              </details>
            )}
          </div>
        )}
        </>
      )}
      {(kernelMissing || state.kernel) && !isAgain(state) && (
        <form
          className="path-form field"
          onSubmit={(e) => {
            e.preventDefault();
            void state.checkDoctor();
          }}
        >
          <label htmlFor="media-kernel">{t('makeMedia:rescue.kernelLabel')}</label>
          <div className="path-row">
            <input
              id="media-kernel"
              data-testid="kernel-path"
              type="text"
              spellCheck={false}
              value={state.kernel}
              placeholder={t('makeMedia:rescue.kernelPlaceholder')}
              onChange={(e) => state.setKernel(e.target.value)}
            />
            <button type="submit" className="button" data-testid="kernel-check" disabled={doctorLoading}>
              {t('makeMedia:rescue.kernelCheck')}
            </button>
          </div>
          <p className="field-hint">{t('makeMedia:rescue.kernelHint')}</p>
          {problem === 'kernelRelative' && <p className="field-problem">{t('makeMedia:problems.kernelRelative')}</p>}
        </form>
      )}

      <div className="actions">
        <button type="button" className="button" onClick={state.rescueOnly ? state.goToSource : state.goToBackup}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="rescue-next" disabled={problem !== null || !doctor || doctorLoading} onClick={state.goToReview}>
          {t('makeMedia:rescue.next')}
        </button>
      </div>
    </div>
  );
}
