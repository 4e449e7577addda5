/**
 * Step 1: what to back up — this running system, or an installed system mounted at a
 * folder (from a live session) — and what its disks look like.
 */
import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApp, useMedia } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { InventoryDetails } from '../InventoryDetails';
import { rootOf, sourceProblem } from '../store';

export function Source() {
  const { t } = useTranslation();
  const state = useMedia((s) => s);
  const { source, otherRoot, inventory, inventoryLoading: loading, inventoryError: error } = state;
  const goHome = useApp((s) => s.goHome);
  const root = rootOf(state);
  const shown = inventory && inventory.root === root ? inventory : null;
  const problem = sourceProblem(state);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void state.loadInventory();
  };

  return (
    <div className="panel" data-testid="step-source">
      <h2>{t('makeMedia:purpose.title')}</h2>
      <fieldset className="choices" data-testid="purpose">
        <legend className="sr-only">{t('makeMedia:purpose.title')}</legend>
        <label className="choice">
          <input type="radio" name="purpose" data-testid="purpose-full" checked={!state.rescueOnly} onChange={() => state.setRescueOnly(false)} />
          <span>
            <strong>{t('makeMedia:purpose.full')}</strong>
            <span className="muted">{t('makeMedia:purpose.fullHint')}</span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="purpose" data-testid="purpose-rescue-only" checked={state.rescueOnly} onChange={() => state.setRescueOnly(true)} />
          <span>
            <strong>{t('makeMedia:purpose.rescueOnly')}</strong>
            <span className="muted">{t('makeMedia:purpose.rescueOnlyHint')}</span>
          </span>
        </label>
      </fieldset>
      {state.rescueOnly ? (
        <p className="notice info" data-testid="rescue-only-note">{t('makeMedia:purpose.rescueOnlyNote')}</p>
      ) : (
        <>
          <h3 className="subtle-heading">{t('makeMedia:source.title')}</h3>
          <p className="muted">{t('makeMedia:source.hint')}</p>
          <form onSubmit={submit}>
            <fieldset className="choices">
              <legend className="sr-only">{t('makeMedia:source.title')}</legend>
              <label className="choice">
                <input type="radio" name="source" data-testid="source-running" checked={source === 'running'} onChange={() => state.chooseSource('running')} />
                <span>
                  <strong>{t('makeMedia:source.running')}</strong>
                  <span className="muted">{t('makeMedia:source.runningHint')}</span>
                </span>
              </label>
              <label className="choice">
                <input type="radio" name="source" data-testid="source-other" checked={source === 'other'} onChange={() => state.chooseSource('other')} />
                <span>
                  <strong>{t('makeMedia:source.other')}</strong>
                  <span className="muted">{t('makeMedia:source.otherHint')}</span>
                </span>
              </label>
            </fieldset>
            {source === 'other' && (
              <div className="path-form field">
                <label htmlFor="media-root">{t('makeMedia:source.rootLabel')}</label>
                <div className="path-row">
                  <input
                    id="media-root"
                    data-testid="root-path"
                    type="text"
                    spellCheck={false}
                    value={otherRoot}
                    placeholder={t('makeMedia:source.rootPlaceholder')}
                    onChange={(e) => state.setOtherRoot(e.target.value)}
                  />
                </div>
                {otherRoot.trim() && problem === 'rootRelative' && <p className="field-problem">{t('makeMedia:problems.rootRelative')}</p>}
              </div>
            )}
            <div className="actions">
              <button type="submit" className="button" data-testid="inventory-read" disabled={loading || problem === 'rootRelative'}>
                {loading ? t('makeMedia:source.reading') : shown ? t('makeMedia:source.readAgain') : t('makeMedia:source.read')}
              </button>
              {!shown && !loading && <span className="muted">{t('makeMedia:source.readHint')}</span>}
            </div>
          </form>
          {error && <ErrorNotice error={error} testId="inventory-error" />}
          {shown && <InventoryDetails inventory={shown} />}
        </>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={goHome}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="button primary"
          data-testid="source-next"
          disabled={problem !== null}
          onClick={state.rescueOnly ? state.goToRescue : state.goToBackup}
        >
          {state.rescueOnly ? t('makeMedia:purpose.next') : t('makeMedia:source.next')}
        </button>
      </div>
    </div>
  );
}
