/**
 * Step 2: where the backup set goes and how it is written — part size, what is left out
 * (the defaults as removable chips, plus the user's own, plus the folders ticked in the
 * tree of the system with their sizes and the size left to archive), then the compression,
 * each choice with the set size and time it would give for that size.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { SPLIT_CHOICES, type SplitChoice } from '../../../shared/media-make';
import { useMedia } from '../../app/context';
import { FolderBrowser } from '../FolderBrowser';
import { FolderTree } from '../FolderTree';
import { CompressionChoice } from '../CompressionChoice';
import { backupProblem, type DestKind, type NetFields } from '../store';

const SPLITS: SplitChoice[] = [...(Object.keys(SPLIT_CHOICES) as SplitChoice[]), 'custom'];
const DEST_KINDS: DestKind[] = ['folder', 'nfs', 'smb'];

/**
 * An NFS export or an SMB share: the helper mounts it privately for the job. The SMB
 * password goes only into the request that starts the job (never a profile, a command
 * line or a log).
 */
function NetShareFields() {
  const { t } = useTranslation();
  const { destKind, net, setNetField } = useMedia((s) => s);
  const field = (name: keyof NetFields, opts: { type?: string; placeholder?: string; autoComplete?: string } = {}) => (
    <div className="field">
      <label htmlFor={`net-${name}`}>{t(`makeMedia:backup.net.${name}`)}</label>
      <input
        id={`net-${name}`}
        data-testid={`net-${name}`}
        type={opts.type ?? 'text'}
        spellCheck={false}
        autoComplete={opts.autoComplete ?? 'off'}
        value={net[name]}
        placeholder={opts.placeholder}
        onChange={(e) => setNetField(name, e.target.value)}
      />
    </div>
  );
  return (
    <div data-testid="net-share">
      <div className="field-grid">
        {field('server', { placeholder: t('makeMedia:backup.net.serverPlaceholder') })}
        {destKind === 'nfs' ? field('nfsPath', { placeholder: '/srv/backups/lifeboat' }) : field('smbPath', { placeholder: t('makeMedia:backup.net.smbPathPlaceholder') })}
      </div>
      {destKind === 'smb' && (
        <div className="field-grid">
          {field('username', { autoComplete: 'username' })}
          {field('password', { type: 'password', autoComplete: 'current-password' })}
          {field('domain', { placeholder: t('makeMedia:backup.net.domainPlaceholder') })}
        </div>
      )}
      <p className="field-hint">{t(destKind === 'nfs' ? 'makeMedia:backup.net.nfsHint' : 'makeMedia:backup.net.smbHint')}</p>
    </div>
  );
}

export function BackupOptions() {
  const { t } = useTranslation();
  const state = useMedia((s) => s);
  const [pattern, setPattern] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const problem = backupProblem(state);
  const defaults = state.inventory?.defaultExcludes ?? [];

  const add = (e: FormEvent) => {
    e.preventDefault();
    if (state.addExclude(pattern)) setPattern('');
  };

  return (
    <div className="panel" data-testid="step-backup">
      <h2>{t('makeMedia:backup.title')}</h2>
      <fieldset className="choices compact" data-testid="dest-kind">
        <legend className="field-label">{t('makeMedia:backup.destKind')}</legend>
        {DEST_KINDS.map((k) => (
          <label key={k} className="choice">
            <input type="radio" name="dest-kind" data-testid={`dest-kind-${k}`} checked={state.destKind === k} onChange={() => state.setDestKind(k)} />
            <span>
              <strong>{t(`makeMedia:backup.destKinds.${k}`)}</strong>
              <span className="muted">{t(`makeMedia:backup.destKindHints.${k}`)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {state.destKind === 'folder' ? (
        <div className="path-form field">
          <label htmlFor="media-dest">{t('makeMedia:backup.destLabel')}</label>
          <div className="path-row">
            <input
              id="media-dest"
              data-testid="dest-path"
              type="text"
              spellCheck={false}
              value={state.dest}
              placeholder={t('makeMedia:backup.destPlaceholder')}
              onChange={(e) => state.setDest(e.target.value)}
            />
            <button type="button" className="button" data-testid="dest-browse" aria-expanded={browsing} onClick={() => setBrowsing(!browsing)}>
              {browsing ? t('makeMedia:browser.close') : t('makeMedia:browser.open')}
            </button>
          </div>
          <p className="field-hint">{t('makeMedia:backup.destHint')}</p>
          {state.dest.trim() && problem && problem.startsWith('dest') && <p className="field-problem" data-testid="dest-problem">{t(`makeMedia:problems.${problem}`)}</p>}
          {browsing && (
            <FolderBrowser
              onPick={(dir) => {
                // A set needs a folder of its own: a dated one inside the folder picked.
                state.setDest(`${dir === '/' ? '' : dir}/lifeboat-${new Date().toISOString().slice(0, 10)}`);
                setBrowsing(false);
              }}
            />
          )}
        </div>
      ) : (
        <NetShareFields />
      )}
      {state.destKind !== 'folder' && problem && (problem.startsWith('net') || problem.startsWith('smb')) && (
        <p className="field-problem" data-testid="net-problem">
          {t(`makeMedia:problems.${problem}`)}
        </p>
      )}

      <div className="field-grid">
        <div className="field">
          <label htmlFor="media-split">{t('makeMedia:backup.split')}</label>
          <select id="media-split" data-testid="split" value={state.split} onChange={(e) => state.setSplit(e.target.value as SplitChoice)}>
            {SPLITS.map((s) => (
              <option key={s} value={s}>
                {t(`makeMedia:backup.splits.${s}`)}
              </option>
            ))}
          </select>
          {state.split === 'custom' && (
            <input
              type="text"
              aria-label={t('makeMedia:backup.customSplit')}
              data-testid="split-custom"
              spellCheck={false}
              value={state.customSplit}
              placeholder={t('makeMedia:backup.customSplitPlaceholder')}
              onChange={(e) => state.setCustomSplit(e.target.value)}
            />
          )}
          {problem === 'splitInvalid' && state.customSplit.trim() && <p className="field-problem">{t('makeMedia:problems.splitInvalid')}</p>}
        </div>
      </div>

      <h3 className="subtle-heading">{t('makeMedia:backup.excludesTitle')}</h3>
      <p className="field-hint">{t('makeMedia:backup.defaultsHint')}</p>
      <ul className="chips" data-testid="default-excludes">
        {defaults.map((d) => {
          const removed = state.removedDefaults.includes(d);
          return (
            <li key={d} className={`chip ${removed ? 'removed' : ''}`} data-testid="default-exclude" data-pattern={d} data-removed={removed}>
              <code>{d}</code>
              <button
                type="button"
                className="chip-button"
                aria-label={removed ? t('makeMedia:backup.putBack', { pattern: d }) : t('makeMedia:backup.remove', { pattern: d })}
                title={removed ? t('makeMedia:backup.putBack', { pattern: d }) : t('makeMedia:backup.remove', { pattern: d })}
                onClick={() => state.toggleDefaultExclude(d)}
              >
                {removed ? '+' : '×'}
              </button>
            </li>
          );
        })}
      </ul>
      {state.removedDefaults.length > 0 && (
        <p className="field-hint" data-testid="removed-note">{t('makeMedia:backup.removedNote', { count: state.removedDefaults.length })}</p>
      )}
      <form className="path-form field" onSubmit={add}>
        <label htmlFor="media-exclude">{t('makeMedia:backup.excludeLabel')}</label>
        <div className="path-row">
          <input
            id="media-exclude"
            data-testid="exclude-input"
            type="text"
            spellCheck={false}
            value={pattern}
            placeholder={t('makeMedia:backup.excludePlaceholder')}
            onChange={(e) => setPattern(e.target.value)}
          />
          <button type="submit" className="button" data-testid="exclude-add" disabled={!pattern.trim()}>
            {t('makeMedia:backup.add')}
          </button>
        </div>
        <p className="field-hint">{t('makeMedia:backup.excludeHint')}</p>
      </form>
      {state.excludes.length > 0 && (
        <ul className="chips" data-testid="user-excludes">
          {state.excludes.map((x) => (
            <li key={x} className="chip user" data-testid="user-exclude" data-pattern={x}>
              <code>{x}</code>
              <button type="button" className="chip-button" aria-label={t('makeMedia:backup.remove', { pattern: x })} title={t('makeMedia:backup.remove', { pattern: x })} onClick={() => state.removeExclude(x)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <FolderTree />
      <CompressionChoice />

      <div className="actions">
        <button type="button" className="button" onClick={state.goToSource}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="backup-next" disabled={problem !== null} onClick={state.goToRescue}>
          {t('makeMedia:backup.next')}
        </button>
      </div>
    </div>
  );
}
