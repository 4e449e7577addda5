/**
 * Step 4: everything chosen, on one screen, before anything is written — the summary,
 * the same work as `lifeboat` command lines to copy, and the choices as a profile file
 * to save (for an unattended run) or to load (to start from earlier choices).
 *
 * The summary, the lines and the profile all come from `makeRequest`: the request Start
 * sends, so none of them can say something the job will not do.
 */
import { useTranslation } from 'react-i18next';
import { commandText, rescueOnlyText, shellLine } from '../../../shared/profile';
import { useMedia } from '../../app/context';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import {
  backupProblem,
  isAgain,
  makeRequest,
  needsStickConfirm,
  profilePathOf,
  rescueOnlyRequest,
  rescueProblem,
  reviewProblem,
  setsToRemove,
  sourceProblem,
  splitBytes,
  stickChoices,
} from '../store';
import { setDate } from './MediaTarget';

export function Review() {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const state = useMedia((s) => s);
  // What is wrong with the choices; the stick's confirmation is asked for below, not listed as a problem.
  const rescueOnly = state.rescueOnly;
  const problem = rescueOnly ? rescueProblem(state) : (sourceProblem(state) ?? backupProblem(state) ?? rescueProblem(state));
  const again = isAgain(state);
  const removed = setsToRemove(state);
  const confirm = needsStickConfirm(state);
  const startBlocked = reviewProblem(state) !== null;
  const stick = state.mediaKind === 'usb' ? stickChoices(state.drives).find((d) => d.device === state.usbDevice) : undefined;
  const req = makeRequest(state);
  const commands = rescueOnly ? rescueOnlyText(rescueOnlyRequest(state)) : commandText(req);
  const startKey = rescueOnly ? 'start_rescueOnly' : again ? 'start_again' : `start_${state.mediaKind}`;
  const split = splitBytes(state);
  const defaults = state.inventory?.defaultExcludes ?? [];
  const keptDefaults = defaults.filter((d) => !state.removedDefaults.includes(d));
  const archived = state.inventory?.archived ?? [];
  const profilePath = profilePathOf(state);
  // A profile never names a stick (see shared/profile.ts): the unattended line does.
  // No --yes: erasing a stick named by a device path is confirmed by a person each time.
  const stickArg = state.mediaKind === 'usb' && req.usb ? ` ${shellLine(['--usb', req.usb, ...(req.usb.startsWith('/dev/loop') ? ['--include-loop'] : [])])}` : '';
  const profileCommand = `lifeboat backup --profile ${shellLine([profilePath || '…'])} && lifeboat media --profile ${shellLine([profilePath || '…'])}${stickArg}`;

  return (
    <div className="panel" data-testid="step-review">
      <h2>{t('makeMedia:review.title')}</h2>
      <dl className="facts" data-testid="summary" data-rescue-only={rescueOnly}>
        {rescueOnly ? (
          <>
            <dt>{t('makeMedia:review.purpose')}</dt>
            <dd data-testid="summary-purpose">{t('makeMedia:review.rescueOnly')}</dd>
            <dt>{t('makeMedia:review.media_iso')}</dt>
            <dd className="path" data-testid="summary-iso">{rescueOnlyRequest(state).iso}</dd>
          </>
        ) : (
          <>
            <dt>{t('makeMedia:review.root')}</dt>
            <dd>
              <span className="path">{req.root}</span>
              {archived.length > 0 && (
                <span className="muted" data-testid="summary-archived">
                  {' — '}
                  {t('makeMedia:review.archived', { count: archived.length, list: archived.join(', ') })}
                </span>
              )}
            </dd>
            <dt>{t('makeMedia:review.dest')}</dt>
            <dd className="path" data-testid="summary-dest">{req.dest}</dd>
            <dt>{t('makeMedia:review.compress')}</dt>
            <dd data-testid="summary-compress">
              {req.level !== undefined
                ? t('makeMedia:review.withLevel', { compress: t(`makeMedia:backup.compressors.${state.compress}`), level: req.level })
                : t(`makeMedia:backup.compressors.${state.compress}`)}
            </dd>
            <dt>{t('makeMedia:review.split')}</dt>
            <dd>{state.split === 'custom' && split !== null ? fmt.bytes(split) : t(`makeMedia:backup.splits.${state.split}`)}</dd>
            <dt>{t('makeMedia:review.excludes')}</dt>
            <dd data-testid="summary-excludes">
              <span>{t('makeMedia:review.defaultCount', { count: keptDefaults.length })}</span>
              {state.removedDefaults.length > 0 && (
                <span className="muted"> {t('makeMedia:review.defaultsTakenOut', { list: state.removedDefaults.join(', ') })}</span>
              )}
              {state.excludes.length > 0 && (
                <ul className="chips compact">
                  {state.excludes.map((x) => (
                    <li key={x} className="chip user" data-testid="summary-exclude">
                      <code>{x}</code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>{t('makeMedia:review.media')}</dt>
            <dd data-testid="summary-media" data-kind={state.mediaKind}>
              {t(`makeMedia:review.media_${state.mediaKind}`)}{' '}
              {state.mediaKind === 'usb' ? (
                <span data-testid="summary-usb">
                  <span className="path">{req.usb}</span>
                  {stick && ` — ${stick.description || stick.device}, ${fmt.bytes(stick.size)}`}
                </span>
              ) : (
                <span className="path" data-testid={`summary-${state.mediaKind}`}>
                  {state.mediaKind === 'pxe' ? req.pxe : req.iso}
                </span>
              )}
            </dd>
            {req.splitMedia !== undefined && state.discs !== 'one' && (
              <>
                <dt>{t('makeMedia:review.discs')}</dt>
                <dd data-testid="summary-discs" data-discs={state.discs}>{t(`makeMedia:review.discs_${state.discs}`, { size: fmt.bytes(req.splitMedia) })}</dd>
          </>
        )}
        {state.mediaKind === 'usb' &&
          (again ? (
            <>
              <dt>{t('makeMedia:review.stick')}</dt>
              <dd data-testid="summary-again">{t('makeMedia:review.againKeep', { count: state.keep })}</dd>
            </>
          ) : (
            <>
              <dt>{t('makeMedia:review.dataFs')}</dt>
              <dd data-testid="summary-data-fs" data-fs={req.dataFs}>{t(`makeMedia:target.dataFs_${req.dataFs ?? 'ext4'}`)}</dd>
            </>
          ))}
        {!again && (
          <>
            <dt>{t(`makeMedia:review.embed_${state.mediaKind}`)}</dt>
            <dd data-testid="summary-embed">{req.embed ? t(`makeMedia:review.embedYes_${state.mediaKind}`) : t(`makeMedia:review.embedNo_${state.mediaKind}`)}</dd>
          </>
        )}
          </>
        )}
        {/* Adding a set to a stick leaves its rescue system (menu language, kernel) as it is. */}
        {!again && (
          <>
            <dt>{t('makeMedia:review.lang')}</dt>
            <dd>{t(`common:languages.${req.lang}`)}</dd>
            <dt>{t('makeMedia:review.kernel')}</dt>
            <dd className={req.kernel ? 'path' : undefined}>{req.kernel ?? t('makeMedia:review.runningKernel')}</dd>
          </>
        )}
      </dl>
      {problem && (
        <p className="notice error" data-testid="review-problem">
          {t(`makeMedia:problems.${problem}`)}
        </p>
      )}

      <h3 className="subtle-heading">{t('makeMedia:review.cliTitle')}</h3>
      <p className="field-hint">{t(rescueOnly ? 'makeMedia:review.cliHintRescueOnly' : 'makeMedia:review.cliHint')}</p>
      <div className="command-box">
        <pre className="command" data-testid="cli-lines">
          {commands}
        </pre>
        <CopyButton text={commands} testId="cli-copy" />
      </div>
      {!rescueOnly && req.dest.startsWith('cifs://') && (
        <p className="field-hint" data-testid="cli-smb-hint">
          {t('makeMedia:review.smbCredentialsHint')}
        </p>
      )}

      {/* A profile is a backup and its media (lifeboat backup/media --profile): the rescue system alone has no set to name. */}
      {!rescueOnly && (
        <>
          <h3 className="subtle-heading">{t('makeMedia:review.profileTitle')}</h3>
          <p className="field-hint">{t('makeMedia:review.profileHint')}</p>
          <form
            className="path-form field"
            onSubmit={(e) => {
              e.preventDefault();
              void state.saveProfile();
            }}
          >
            <label htmlFor="media-profile">{t('makeMedia:review.profileLabel')}</label>
            <div className="path-row">
              <input
                id="media-profile"
                data-testid="profile-path"
                type="text"
                spellCheck={false}
                value={profilePath}
                onChange={(e) => state.setProfilePath(e.target.value)}
              />
              <button type="submit" className="button" data-testid="profile-save" disabled={state.profileBusy || !profilePath.startsWith('/') || problem !== null}>
                {t('makeMedia:review.profileSave')}
              </button>
              <button type="button" className="button" data-testid="profile-load" disabled={state.profileBusy || !profilePath.startsWith('/')} onClick={() => void state.loadProfile()}>
                {t('makeMedia:review.profileLoad')}
              </button>
            </div>
            {profilePath && !profilePath.startsWith('/') && <p className="field-problem">{t('makeMedia:problems.destRelative')}</p>}
          </form>
          {state.profileError && <ErrorNotice error={state.profileError} testId="profile-error" />}
          {state.profileDone && (
            <div className="notice ok" data-testid={`profile-${state.profileDone.action}`}>
              <p className="no-margin">{t(`makeMedia:review.${state.profileDone.action}`, { path: state.profileDone.path })}</p>
              {state.profileDone.action === 'saved' && (
                <>
                  <p className="no-margin">{t('makeMedia:review.unattended')}</p>
                  <pre className="command wrap" data-testid="profile-command">
                    {profileCommand}
                  </pre>
                </>
              )}
            </div>
          )}
        </>
      )}

      {!rescueOnly && again && stick ? (
        confirm ? (
          <div className="notice error danger-box" data-testid="usb-again-remove">
            <p className="no-margin">{t('makeMedia:review.againRemoves', { device: stick.device, count: removed.length, keep: state.keep })}</p>
            <ul className="stick-sets">
              {removed.map((set) => (
                <li key={set.dir} data-testid="remove-set">
                  <code>{set.id}</code> <span>{t('makeMedia:target.setMade', { created: setDate(set.created, i18n.language), size: fmt.bytes(set.bytes) })}</span>
                </li>
              ))}
            </ul>
            <label className="check">
              <input type="checkbox" data-testid="usb-confirm" checked={state.usbConfirmed} onChange={(e) => state.setUsbConfirmed(e.target.checked)} />
              <span>{t('makeMedia:review.againConfirm', { count: removed.length })}</span>
            </label>
          </div>
        ) : (
          <p className="notice info" data-testid="usb-again-keeps">{t('makeMedia:review.againNothingRemoved', { device: stick.device })}</p>
        )
      ) : !rescueOnly && state.mediaKind === 'usb' && stick ? (
        <div className="notice error danger-box" data-testid="usb-erase">
          <p className="no-margin">
            {t('makeMedia:review.eraseWarning', { device: stick.device, description: stick.description || stick.device, size: fmt.bytes(stick.size) })}
          </p>
          <label className="check">
            <input type="checkbox" data-testid="usb-confirm" checked={state.usbConfirmed} onChange={(e) => state.setUsbConfirmed(e.target.checked)} />
            <span>{t('makeMedia:review.eraseConfirm', { device: stick.device })}</span>
          </label>
        </div>
      ) : (
        <p className="notice info">{t('makeMedia:rescue.nothingErased')}</p>
      )}
      {state.startError && <ErrorNotice error={state.startError} testId="start-error" />}
      <div className="actions">
        <button type="button" className="button" onClick={state.goToRescue}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button
          type="button"
          className={`button ${confirm ? 'danger' : 'primary'}`}
          data-testid="start"
          disabled={startBlocked || !state.doctor || state.doctorLoading || state.starting || state.profileBusy}
          onClick={() => void state.start()}
        >
          {state.starting ? t('makeMedia:rescue.starting') : t(`makeMedia:review.${startKey}`)}
        </button>
      </div>
    </div>
  );
}
