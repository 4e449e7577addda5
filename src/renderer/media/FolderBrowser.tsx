/**
 * Picks a folder through `files.list` (the renderer cannot read the disk, and the
 * browser host has no native dialog). Only folders are shown: a set goes into one.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RemoteError, type FileListing } from '../../shared/api';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { useServices } from '../app/context';
import { ErrorNotice } from '../components/ErrorNotice';

export function FolderBrowser({ start, onPick }: { start?: string; onPick: (dir: string) => void }) {
  const { t } = useTranslation();
  const { api } = useServices();
  const [listing, setListing] = useState<FileListing | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const open = useCallback(
    (dir?: string) => {
      setError(null);
      api
        .invoke('files.list', dir ? { dir } : {})
        .then(setListing)
        .catch((err: unknown) => setError(err instanceof RemoteError ? err.info : toErrorInfo(err)));
    },
    [api],
  );

  useEffect(() => open(start), [open, start]);

  const folders = (listing?.entries ?? []).filter((e) => e.kind === 'dir');
  return (
    <div className="file-browser" data-testid="folder-browser">
      <div className="file-browser-bar">
        <button type="button" className="button small" disabled={!listing?.parent} onClick={() => listing?.parent && open(listing.parent)}>
          {t('makeMedia:browser.up')}
        </button>
        <code className="file-browser-dir" data-testid="folder-browser-dir">{listing?.dir ?? ''}</code>
        <button type="button" className="button small primary" data-testid="folder-pick" disabled={!listing} onClick={() => listing && onPick(listing.dir)}>
          {t('makeMedia:browser.pick')}
        </button>
      </div>
      {error && <ErrorNotice error={error} />}
      {listing && folders.length === 0 && <p className="muted">{t('makeMedia:browser.empty')}</p>}
      <ul className="file-list">
        {folders.map((e) => (
          <li key={e.path}>
            <button type="button" className="file-entry dir" data-testid="folder-entry" onClick={() => open(e.path)}>
              <span className="file-icon" aria-hidden="true" />
              <span className="file-name">{e.name}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
