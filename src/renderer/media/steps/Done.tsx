/**
 * Step 5: what was made, where, how to check it and how to boot it — or what went wrong
 * and what was kept.
 */
import { useTranslation } from 'react-i18next';
import { useApp, useMedia, useServices } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { errorKind, isErrorCode } from '../../../shared/errors';
import { WarningList } from '../InventoryDetails';
import type { MediaStep } from '../store';
import { Rehearse } from './Rehearse';
import { setDate } from './MediaTarget';

type DoneStep = Extract<MediaStep, { kind: 'done' }>;

export function Done({ step }: { step: DoneStep }) {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const services = useServices();
  const openFlash = useApp((s) => s.openFlash);
  const goHome = useApp((s) => s.goHome);
  const startOver = useMedia((s) => s.startOver);
  const embed = useMedia((s) => s.embed);
  const rescueOnly = useMedia((s) => s.rescueOnly);
  const { outcome, backup, media, error } = step;
  const refused = Boolean(error && isErrorCode(error.code) && errorKind(error.code) === 'refused');

  const writeToStick = () => {
    if (!media) return;
    // The Flash journey opens with this ISO already chosen: one less path to type.
    void services.flash.getState().openImage(media.path);
    openFlash();
  };

  return (
    <div className="panel" data-testid="step-done" data-outcome={outcome}>
      <h2 data-testid="done-title" className={`result-title ${outcome}`}>
        {t(`makeMedia:done.title.${outcome}`)}
      </h2>
      {error && error.code !== 'cancelled' && <ErrorNotice error={error} testId="done-error" />}
      {outcome === 'cancelled' && (
        <p className="notice warning" data-testid="cancelled-note">
          {backup ? t('makeMedia:done.cancelledSetKept') : t('makeMedia:done.cancelledNothing')}
        </p>
      )}
      {outcome === 'failed' && !backup && (
        // a refusal (a share that cannot be mounted, a destination not empty) comes before anything is written
        <p className="muted" data-testid="failed-note">{t(refused ? 'makeMedia:done.refusedNothing' : 'makeMedia:done.failedNothing')}</p>
      )}
      {outcome === 'failed' && backup && !media && <p className="notice info">{t('makeMedia:done.failedSetKept')}</p>}

      {backup && (
        <section className="made" data-testid="made-set">
          <h3>{t('makeMedia:done.setTitle')}</h3>
          <dl className="facts">
            <dt>{t('makeMedia:done.setPath')}</dt>
            <dd className="path" data-testid="set-path">{backup.path}</dd>
            <dt>{t('makeMedia:done.setSize')}</dt>
            <dd data-testid="set-size">{t('makeMedia:done.setSizeValue', { out: fmt.bytes(backup.bytesOut), in: fmt.bytes(backup.bytesIn) })}</dd>
            <dt>{t('makeMedia:done.archives')}</dt>
            <dd data-testid="set-archives">{t('makeMedia:done.archivesValue', {
                archives: t('makeMedia:done.archiveCount', { count: backup.archives }),
                parts: t('makeMedia:done.partCount', { count: backup.parts }),
              })}</dd>
            <dt>{t('makeMedia:done.checksums')}</dt>
            <dd className="path" data-testid="set-sums">{`${backup.path}/SHA256SUMS`}</dd>
            <dt>{t('makeMedia:done.duration')}</dt>
            <dd>{fmt.duration(backup.seconds + (media?.seconds ?? 0))}</dd>
          </dl>
          <p className="field-hint">
            {t('makeMedia:done.verifyHint')} <code>{`lifeboat verify ${backup.path}`}</code>
          </p>
          {backup.warnings.length > 0 && <h4 className="subtle-heading">{t('makeMedia:inventory.warnings', { count: backup.warnings.length })}</h4>}
          <WarningList warnings={backup.warnings} testId="set-warnings" />
        </section>
      )}

      {media?.again && (
        <section className="made" data-testid="made-again">
          <h3>{t('makeMedia:done.title_usb')}</h3>
          <dl className="facts">
            <dt>{t('makeMedia:done.path_usb')}</dt>
            <dd className="path" data-testid="usb-result-path">{media.path}</dd>
            <dt>{t('makeMedia:done.againAddedTitle')}</dt>
            <dd data-testid="again-added">
              {t(media.again.added.alreadyPresent ? 'makeMedia:done.againPresent' : 'makeMedia:done.againAdded', {
                id: media.again.added.id,
                dir: media.again.added.dir,
                size: fmt.bytes(media.again.added.bytes),
              })}
            </dd>
            <dt>{t('makeMedia:done.againRemovedTitle')}</dt>
            <dd data-testid="again-removed">
              {media.again.removed.length === 0 ? (
                t('makeMedia:done.againRemovedNone')
              ) : (
                <ul className="stick-sets">
                  {media.again.removed.map((set) => (
                    <li key={set.dir}>
                      <code>{set.id}</code> <span className="muted">{t('makeMedia:target.setMade', { created: setDate(set.created, i18n.language), size: fmt.bytes(set.bytes) })}</span>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>{t('makeMedia:done.againNowTitle')}</dt>
            <dd data-testid="again-now">{t('makeMedia:done.againNow', { count: media.again.count, free: fmt.bytes(media.again.freeBytesAfter) })}</dd>
          </dl>
          <p className="field-hint">{t('makeMedia:done.againBoot')}</p>
        </section>
      )}

      {media && !media.again && (
        <section className="made" data-testid={`made-${media.kind}`}>
          <h3>{media.kind === 'iso' ? t('makeMedia:done.isoTitle') : t(`makeMedia:done.title_${media.kind}`)}</h3>
          <dl className="facts">
            {/* A disc set lists every file below: disc 1 is the first of them. */}
            {!media.discs && (
              <>
                <dt>{media.kind === 'iso' ? t('makeMedia:done.isoPath') : t(`makeMedia:done.path_${media.kind}`)}</dt>
                <dd className="path" data-testid={`${media.kind}-result-path`}>{media.path}</dd>
              </>
            )}
            {media.discs && (
              <>
                <dt>{t('makeMedia:done.discs', { count: media.discs.length })}</dt>
                <dd data-testid="disc-list">
                  <ol className="disc-list">
                    {media.discs.map((d) => (
                      <li key={d.index} data-testid="disc" data-path={d.path}>
                        <span className="path">{d.path}</span>{' '}
                        <span className="muted">
                          {t(d.index === 1 ? 'makeMedia:done.discFirst' : 'makeMedia:done.discMore', { label: d.label, size: fmt.bytes(d.bytes), parts: t('makeMedia:done.partCount', { count: d.parts }) })}
                        </span>
                      </li>
                    ))}
                  </ol>
                </dd>
              </>
            )}
            <dt>{t('makeMedia:done.isoSize')}</dt>
            <dd data-testid="iso-size">{fmt.bytes(media.bytes)}</dd>
            <dt>{t('makeMedia:done.isoSet')}</dt>
            <dd>
              {rescueOnly
                ? t('makeMedia:done.rescueOnlySet')
                : media.kind === 'pxe'
                  ? t('makeMedia:done.pxeSet')
                  : embed
                    ? t(`makeMedia:done.embedded_${media.kind}`)
                    : t('makeMedia:done.isoNotEmbedded')}
            </dd>
            <dt>{t('makeMedia:done.manifest')}</dt>
            <dd className="path">{media.manifestPath}</dd>
          </dl>
          {media.missingTools.length > 0 && (
            <p className="notice warning" data-testid="missing-tools">{t('makeMedia:done.missingTools', { tools: media.missingTools.join(', ') })}</p>
          )}
          <h3>{t('makeMedia:done.bootTitle')}</h3>
          <ol className="boot-steps">
            <li>{media.discs ? t('makeMedia:done.bootDiscs') : media.kind === 'iso' ? t('makeMedia:done.bootStick') : t(`makeMedia:done.boot_${media.kind}`)}</li>
            <li>{t('makeMedia:done.bootMenu')}</li>
          </ol>
          {rescueOnly && (
            <div data-testid="rescue-only-use">
              <p className="field-hint">{t('makeMedia:done.rescueOnlyFind')}</p>
              <pre className="command wrap" data-testid="set-args">
                {['lifeboat.set=label:BACKUPS', 'lifeboat.set=uuid:1234-ABCD', 'lifeboat.set=nfs:server:/srv/backups/lifeboat', 'lifeboat.set=cifs://server/share/lifeboat'].join('\n')}
              </pre>
              <p className="field-hint">{t('makeMedia:done.rescueOnlyArgs')}</p>
            </div>
          )}
          <p className="field-hint">{t('makeMedia:done.unattended')}</p>
          <pre className="command" data-testid="unattended-args">
            {'lifeboat.restore=auto lifeboat.target=/dev/sdX lifeboat.poweroff=1'}
          </pre>
          {!embed && !rescueOnly && <p className="field-hint" data-testid="set-search-hint">{t('makeMedia:done.setSearch')}</p>}
          <p className="field-hint">{t('makeMedia:done.unattendedWarning')}</p>
        </section>
      )}

      {/* Only a finished set with its one ISO can be rehearsed: the VM boots the one and restores the other. */}
      {outcome === 'done' && backup && media?.kind === 'iso' && !media.discs && <Rehearse setDir={backup.path} media={media.path} />}

      <div className="actions">
        <button type="button" className="button" onClick={goHome}>
          {t('makeMedia:done.home')}
        </button>
        <button type="button" className="button" data-testid="start-over" onClick={startOver}>
          {outcome === 'done' ? t('makeMedia:done.again') : t('common:retry')}
        </button>
        <span className="spacer" />
        {/* A disc set is burned disc by disc: one stick would hold disc 1 only. */}
        {media?.kind === 'iso' && !media.discs && (
          <button type="button" className="button primary" data-testid="write-stick" onClick={writeToStick}>
            {t('makeMedia:done.writeStick')}
          </button>
        )}
      </div>
    </div>
  );
}
