/**
 * The renderer's entry: reach the rest of Lifeboat, pick the language, render.
 */
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import type { Language } from '../shared/api';
import { App } from './app/App';
import { ServicesContext, type HostInfo, type Services } from './app/context';
import { createAppStore } from './app/store';
import { createFlashStore } from './flash/store';
import { createMediaStore } from './media/store';
import { createRestoreStore } from './restore/store';
import { createRendererI18n } from './i18n';
import { pickTransport } from './transport';
import './styles.css';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  const api = pickTransport(window);
  let info: HostInfo;
  let language: Language;
  try {
    const [appInfo, settings] = await Promise.all([api.invoke('app.info', {}), api.invoke('settings.get', {})]);
    info = appInfo;
    language = settings.language ?? appInfo.systemLanguage;
  } catch (err) {
    // Without the host nothing works; say it in the browser's language.
    const i18n = await createRendererI18n(navigator.language.startsWith('fr') ? 'fr' : 'en');
    const p = document.createElement('p');
    p.className = 'boot-failure';
    p.setAttribute('role', 'alert');
    p.textContent = i18n.t('common:unreachable', { detail: err instanceof Error ? err.message : String(err) });
    document.body.replaceChildren(p);
    return;
  }
  const i18n = await createRendererI18n(language);
  document.documentElement.lang = language;
  const services: Services = {
    api,
    info,
    app: createAppStore(api, i18n, language),
    flash: createFlashStore(api, { includeLoop: info.showLoopDevices === true }),
    media: createMediaStore(api, { lang: language }),
    restore: createRestoreStore(api, { includeLoop: info.showLoopDevices === true }),
  };
  root.render(
    <I18nextProvider i18n={i18n}>
      <ServicesContext.Provider value={services}>
        <App />
      </ServicesContext.Provider>
    </I18nextProvider>,
  );
}

void boot();
