/**
 * An in-app file browser over `files.list`: the renderer cannot read the disk itself,
 * and a native dialog does not exist in the browser host.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RemoteError, type FileListing } from '../../shared/api';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { useServices } from '../app/context';
import { ErrorNotice } from '../components/ErrorNotice';
import { useFormat } from '../i18n';

const IMAGE_RE = /\.(iso|img|raw|bin|dd|hddimg|wic|sdcard)(\.(gz|xz|bz2|zst|zip))?$|\.(gz|xz|bz2|zst|zip)$/i;

export function isImageName(name: string): boolean {
  return IMAGE_RE.test(name);
}

export function FileBrowser({ onPick }: { onPick: (path: string) => void }) {
  const { t } = useTranslation();
  const { api } = useServices();
  const fmt = useFormat();
  const [listing, setListing] = useState<FileListing | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [showAll, setShowAll] = useState(false);

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

  useEffect(() => open(), [open]);

  const entries = (listing?.entries ?? []).filter((e) => e.kind === 'dir' || showAll || isImageName(e.name));
  return (
    <div className="file-browser" data-testid="file-browser">
      <div className="file-browser-bar">
        <button type="button" className="button small" disabled={!listing?.parent} onClick={() => listing?.parent && open(listing.parent)}>
          {t('flash:image.up')}
        </button>
        <code className="file-browser-dir" data-testid="file-browser-dir">{listing?.dir ?? ''}</code>
        <label className="check small">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
          <span>{t('flash:image.showAll')}</span>
        </label>
      </div>
      {error && <ErrorNotice error={error} />}
      {listing && entries.length === 0 && <p className="muted">{t('flash:image.emptyDir')}</p>}
      <ul className="file-list">
        {entries.map((e) => (
          <li key={e.path}>
            <button
              type="button"
              className={`file-entry ${e.kind}`}
              data-testid="file-entry"
              onClick={() => (e.kind === 'dir' ? open(e.path) : onPick(e.path))}
            >
              <span className="file-icon" aria-hidden="true" />
              <span className="file-name">{e.name}</span>
              <span className="file-size">{e.kind === 'dir' ? t('flash:image.folder') : fmt.bytes(e.size)}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
