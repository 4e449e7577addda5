/**
 * What every component may reach: the transport, the app info and the stores.
 *
 * Stores are created once at start-up (main.tsx) and handed down by context, so tests
 * and the Electron/browser shells can build them around any transport.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppInfo, Transport } from '../../shared/api';
import type { FlashActions, FlashState, FlashStore } from '../flash/store';
import type { MediaActions, MediaState, MediaStore } from '../media/store';
import type { RestoreActions, RestoreState, RestoreStore } from '../restore/store';
import type { AppState, AppStore } from './store';

/** The host's `app.info`, plus the flag the browser host adds for test runs. */
export type HostInfo = AppInfo & { showLoopDevices?: boolean };

export interface Services {
  api: Transport;
  info: HostInfo;
  app: AppStore;
  flash: FlashStore;
  media: MediaStore;
  restore: RestoreStore;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('ServicesContext is missing');
  return s;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useServices().app, selector);
}

export function useFlash<T>(selector: (s: FlashState & FlashActions) => T): T {
  return useStore(useServices().flash, selector);
}

export function useMedia<T>(selector: (s: MediaState & MediaActions) => T): T {
  return useStore(useServices().media, selector);
}

export function useRestore<T>(selector: (s: RestoreState & RestoreActions) => T): T {
  return useStore(useServices().restore, selector);
}
