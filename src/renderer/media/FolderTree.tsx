/**
 * The backup step's folder tree: the source system's folders with their sizes (read
 * lazily, one level per opened folder, by the helper), a box per folder to leave its
 * contents out, the folders the default chips or the user's patterns already leave out
 * shown as such, and the size left to archive.
 *
 * Everything shown derives from the store (`folders`, `excludes`, the chips), so a chip
 * toggled above or a pattern typed by hand shows here at once, and a box ticked here
 * appears among the user's patterns.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMedia } from '../app/context';
import { useErrorText, useFormat } from '../i18n';
import { childPath, folderExclusion, sizeEstimate, type FolderExclusion, type MediaState } from './store';
import type { FolderSize } from '../../shared/folder-sizes';

/** The value as it was `ms` ago without change: the estimate does not flicker while boxes are ticked in a row. */
function useDebounced<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setShown(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

function useExclusionNote(): (x: FolderExclusion) => string | null {
  const { t } = useTranslation();
  return (x) => {
    if (!x || x.by === 'ticked') return null;
    if (x.by === 'default') return t('makeMedia:backup.tree.byDefault', { pattern: x.pattern });
    if (x.by === 'pattern') return t('makeMedia:backup.tree.byPattern', { pattern: x.pattern });
    if (x.by === 'parent') return t('makeMedia:backup.tree.byParent');
    return t('makeMedia:backup.tree.otherFs');
  };
}

function Level({ rel, inExcluded }: { rel: string; inExcluded: boolean }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const level = useMedia((s) => s.folders[rel]);
  if (!level || level.status === 'loading') return <p className="folder-tree-note" data-testid="folder-measuring">{t('makeMedia:backup.tree.measuring')}</p>;
  if (level.status === 'error') return <p className="field-problem" data-testid="folder-error">{errorText(level.error)}</p>;
  if (level.children.length === 0) return <p className="folder-tree-note">{t('makeMedia:backup.tree.empty')}</p>;
  return (
    <ul className="folder-level" role={rel === '/' ? 'tree' : 'group'}>
      {level.children.map((c) => (
        <Folder key={c.name} path={childPath(rel, c.name)} folder={c} inExcluded={inExcluded} />
      ))}
    </ul>
  );
}

function Folder({ path, folder, inExcluded }: { path: string; folder: FolderSize; inExcluded: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const note = useExclusionNote();
  const state = useMedia((s) => s);
  const exclusion: FolderExclusion = inExcluded ? { by: 'parent' } : folderExclusion(state as MediaState, path, folder.mountpoint);
  const open = state.expanded.includes(path);
  const size = folder.capped ? t('makeMedia:backup.tree.moreThan', { size: format.bytes(folder.size) }) : format.bytes(folder.size);
  const why = note(exclusion);
  return (
    <li role="treeitem" aria-expanded={open} data-testid="folder" data-path={path} data-excluded={exclusion !== null} data-by={exclusion?.by ?? ''}>
      <div className={`folder-row ${exclusion ? 'excluded' : ''}`}>
        <button
          type="button"
          className="folder-toggle"
          data-testid="folder-open"
          aria-label={t(open ? 'makeMedia:backup.tree.close' : 'makeMedia:backup.tree.open', { path })}
          title={t(open ? 'makeMedia:backup.tree.close' : 'makeMedia:backup.tree.open', { path })}
          onClick={() => state.toggleFolder(path)}
        >
          {open ? '▾' : '▸'}
        </button>
        <label className="folder-label">
          <input
            type="checkbox"
            data-testid="folder-exclude"
            aria-label={t('makeMedia:backup.tree.exclude', { path })}
            checked={exclusion !== null}
            // Left out by a chip, a pattern or a folder above: changed there, not here.
            disabled={exclusion !== null && exclusion.by !== 'ticked'}
            onChange={() => state.toggleFolderExclude(path)}
          />
          <span className="folder-name">{folder.name}</span>
        </label>
        {why && <span className="folder-why">{why}</span>}
        <span className="folder-size" data-testid="folder-size" data-bytes={folder.size} data-capped={folder.capped}>
          {size}
        </span>
      </div>
      {open && <Level rel={path} inExcluded={exclusion !== null} />}
    </li>
  );
}

export function FolderTree() {
  const { t } = useTranslation();
  const format = useFormat();
  const live = sizeEstimate(useMedia((s) => s) as MediaState);
  // Debounced by value (the object is new at every render), so ticking boxes in a row settles once.
  const shown = useDebounced(live ? JSON.stringify(live) : '', 250);
  const estimate = shown ? (JSON.parse(shown) as NonNullable<typeof live>) : null;
  return (
    <div className="folder-tree" data-testid="folder-tree">
      <h3 className="subtle-heading">{t('makeMedia:backup.tree.title')}</h3>
      <p className="field-hint">{t('makeMedia:backup.tree.hint')}</p>
      <div className="folder-tree-box">
        <Level rel="/" inExcluded={false} />
      </div>
      {estimate ? (
        <div className="size-estimate" data-testid="size-estimate" data-bytes={estimate.bytes} data-at-least={estimate.atLeast} data-measuring={estimate.measuring}>
          <strong>{t(estimate.atLeast ? 'makeMedia:backup.tree.estimateAtLeast' : 'makeMedia:backup.tree.estimate', { size: format.bytes(estimate.bytes) })}</strong>
          {estimate.measuring && <span className="folder-why"> — {t('makeMedia:backup.tree.measuring')}</span>}
          <p className="field-hint">{t('makeMedia:backup.tree.estimateHint', { excluded: format.bytes(estimate.excluded) })}</p>
        </div>
      ) : (
        <p className="field-hint" data-testid="size-estimate-measuring">{t('makeMedia:backup.tree.estimateMeasuring')}</p>
      )}
    </div>
  );
}
