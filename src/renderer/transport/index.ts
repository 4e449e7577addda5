/**
 * Picks how the renderer reaches the rest of Lifeboat: the Electron preload bridge
 * when it is there, the browser host's WebSocket otherwise.
 */
import type { EventName, Events, Method, RequestOf, Responses, Transport } from '../../shared/api';
import { createWebSocketTransport, hostUrl } from './ws';

/**
 * What the preload may expose: either the `Transport` shape itself, or one function
 * per method (`lifeboat.flash.start(req)`) plus `on(event, listener)`.
 */
type Bridge = Partial<Transport> & Record<string, unknown>;

declare global {
  interface Window {
    /** exposed by the Electron preload (contextBridge); absent in a plain browser */
    lifeboat?: Bridge;
  }
}

/** Adapts a per-method bridge to the `Transport` the stores use. */
export function fromBridge(bridge: Bridge): Transport {
  if (typeof bridge.invoke === 'function' && typeof bridge.on === 'function') return bridge as Transport;
  return {
    invoke<M extends Method>(method: M, req: RequestOf<M>): Promise<Responses[M]> {
      let target: unknown = bridge;
      for (const part of method.split('.')) target = (target as Record<string, unknown> | undefined)?.[part];
      if (typeof target !== 'function') return Promise.reject(new Error(`the preload does not offer ${method}`));
      return (target as (r: RequestOf<M>) => Promise<Responses[M]>)(req);
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      const on = bridge.on as Transport['on'] | undefined;
      return on ? on(event, listener) : () => undefined;
    },
  };
}

export function pickTransport(win: Window): Transport {
  if (win.lifeboat) return fromBridge(win.lifeboat);
  return createWebSocketTransport(hostUrl(win.location));
}
