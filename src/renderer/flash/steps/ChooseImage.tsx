/**
 * Step 1: choose the image, by browsing or by typing its path, then see what it is.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApp, useFlash } from '../../app/context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { FileBrowser } from '../FileBrowser';
import { ImageDetails } from '../ImageDetails';

export function ChooseImage() {
  const { t } = useTranslation();
  const image = useFlash((s) => s.image);
  const loading = useFlash((s) => s.imageLoading);
  const error = useFlash((s) => s.imageError);
  const openImage = useFlash((s) => s.openImage);
  const clearImage = useFlash((s) => s.clearImage);
  const goToTargets = useFlash((s) => s.goToTargets);
  const goHome = useApp((s) => s.goHome);
  const [path, setPath] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) void openImage(path.trim());
  };

  return (
    <div className="panel" data-testid="step-chooseImage">
      <h2>{image ? t('flash:image.chosen') : t('flash:image.title')}</h2>
      {image ? (
        <>
          <ImageDetails image={image} />
          <div className="actions">
            <button type="button" className="button" onClick={clearImage}>
              {t('flash:image.change')}
            </button>
            <button type="button" className="button primary" data-testid="image-next" onClick={goToTargets}>
              {t('flash:image.next')}
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="muted">{t('flash:image.hint')}</p>
          <form className="path-form" onSubmit={submit}>
            <label htmlFor="image-path">{t('flash:image.pathLabel')}</label>
            <div className="path-row">
              <input
                id="image-path"
                data-testid="image-path"
                type="text"
                spellCheck={false}
                value={path}
                placeholder={t('flash:image.pathPlaceholder')}
                onChange={(e) => setPath(e.target.value)}
              />
              <button type="submit" className="button" data-testid="image-open" disabled={!path.trim() || loading}>
                {loading ? t('common:loading') : t('flash:image.open')}
              </button>
            </div>
          </form>
          {error && <ErrorNotice error={error} testId="image-error" />}
          <h3 className="subtle-heading">{t('flash:image.browse')}</h3>
          <FileBrowser onPick={(p) => { setPath(p); void openImage(p); }} />
          <div className="actions">
            <button type="button" className="button" onClick={goHome}>
              {t('common:back')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
