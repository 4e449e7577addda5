/**
 * The shell's state: which screen is shown and the language.
 *
 * The language lives in i18next; this store only remembers the choice through
 * `settings.set`, so the next start opens in the same language.
 */
import type { i18n as I18n } from 'i18next';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Language, Transport } from '../../shared/api';

export type Journey = 'flash' | 'media' | 'restore';
export type Screen = { kind: 'home' } | { kind: 'journey'; journey: 'flash' | 'media' | 'restore' };

export interface AppState {
  screen: Screen;
  language: Language;
  openFlash(): void;
  openMedia(): void;
  openRestore(): void;
  goHome(): void;
  setLanguage(lng: Language): Promise<void>;
}

export type AppStore = StoreApi<AppState>;

export function createAppStore(api: Transport, i18n: I18n, language: Language): AppStore {
  return createStore<AppState>()((set) => ({
    screen: { kind: 'home' },
    language,
    openFlash() {
      set({ screen: { kind: 'journey', journey: 'flash' } });
    },
    openMedia() {
      set({ screen: { kind: 'journey', journey: 'media' } });
    },
    openRestore() {
      set({ screen: { kind: 'journey', journey: 'restore' } });
    },
    goHome() {
      set({ screen: { kind: 'home' } });
    },
    async setLanguage(lng) {
      await i18n.changeLanguage(lng);
      document.documentElement.lang = lng;
      set({ language: lng });
      // Remembering is a convenience: the switch already happened even if saving fails.
      await api.invoke('settings.set', { language: lng }).catch(() => undefined);
    },
  }));
}
