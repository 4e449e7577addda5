/**
 * Step 1: find the backup — type its folder, or let Lifeboat look on the mounted disks.
 */
import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApp, useRestore } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFormat } from '../../i18n';
import { useDate } from '../useDate';

export function FindSet() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const date = useDate();
  const path = useRestore((s) => s.path);
  const setPath = useRestore((s) => s.setPath);
  const openSet = useRestore((s) => s.openSet);
  const loading = useRestore((s) => s.setLoading);
  const error = useRestore((s) => s.setError);
  const finding = useRestore((s) => s.finding);
  const found = useRestore((s) => s.found);
  const findError = useRestore((s) => s.findError);
  const findSets = useRestore((s) => s.findSets);
  const goHome = useApp((s) => s.goHome);
  const absolute = path.trim().startsWith('/');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (absolute) void openSet(path.trim());
  };

  return (
    <div className="panel" data-testid="step-find">
      <h2>{t('restoreUi:find.title')}</h2>
      <p className="muted">{t('restoreUi:find.hint')}</p>
      <form className="path-form" onSubmit={submit}>
        <label htmlFor="set-path">{t('restoreUi:find.pathLabel')}</label>
        <div className="path-row">
          <input
            id="set-path"
            data-testid="set-path"
            type="text"
            spellCheck={false}
            value={path}
            placeholder={t('restoreUi:find.pathPlaceholder')}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" className="button primary" data-testid="set-open" disabled={!absolute || loading}>
            {loading ? t('common:loading') : t('restoreUi:find.open')}
          </button>
        </div>
        {path.trim() !== '' && !absolute && <p className="field-problem">{t('restoreUi:find.notAbsolute')}</p>}
      </form>
      {error && <ErrorNotice error={error} testId="set-error" />}

      <h3 className="subtle-heading">{t('restoreUi:find.scanTitle')}</h3>
      <p className="muted">{t('restoreUi:find.scanHint')}</p>
      <div className="actions start">
        <button type="button" className="button" data-testid="find-sets" disabled={finding} onClick={() => void findSets()}>
          {finding ? t('restoreUi:find.scanning') : t('restoreUi:find.scan')}
        </button>
      </div>
      {findError && <ErrorNotice error={findError} testId="find-error" />}
      {found && found.length === 0 && <p className="notice info" data-testid="no-sets">{t('restoreUi:find.none')}</p>}
      {found && found.length > 0 && (
        <ul className="set-list" data-testid="set-list">
          {found.map((s) => (
            <li key={s.dir}>
              <button type="button" className="set-entry" data-testid="found-set" data-dir={s.dir} onClick={() => void openSet(s.dir)}>
                <span className="set-host">{s.host}</span>
                <span className="set-meta">
                  <span>{date(s.created)}</span>
                  <span>{t(`restoreUi:kind.${s.kind}`)}</span>
                  <span>{fmt.bytes(s.bytes)}</span>
                  <span>{t('restoreUi:find.archives', { count: s.archives })}</span>
                </span>
                <code className="set-dir">{s.dir}</code>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={goHome}>
          {t('common:back')}
        </button>
      </div>
    </div>
  );
}
