/**
 * The browser host's client: the typed API over one WebSocket.
 *
 * Requests are `{id, method, params}`; the host answers `{id, result}` or
 * `{id, error}` and pushes `{event, payload}`. Calls made before the socket is open
 * wait for it, so the app can start asking as soon as it renders.
 */
import { RemoteError, type EventName, type Events, type Method, type RequestOf, type Responses, type Transport } from '../../shared/api';
import type { ErrorInfo } from '../../shared/errors';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

interface ServerMessage {
  id?: number;
  result?: unknown;
  error?: ErrorInfo;
  event?: EventName;
  payload?: unknown;
}

export function createWebSocketTransport(url: string): Transport {
  const socket = new WebSocket(url);
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextId = 1;
  let closed: ErrorInfo | null = null;

  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new RemoteError(lostConnection('could not connect'))));
  });
  // A rejection nobody awaits yet must not surface as "unhandled": calls await it.
  opened.catch(() => undefined);

  socket.addEventListener('message', (ev) => {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(ev.data)) as ServerMessage;
    } catch {
      return;
    }
    if (msg.event) {
      for (const l of listeners.get(msg.event) ?? []) (l as (p: unknown) => void)(msg.payload);
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new RemoteError(msg.error));
    else p.resolve(msg.result);
  });

  socket.addEventListener('close', () => {
    closed = lostConnection('connection closed');
    for (const p of pending.values()) p.reject(new RemoteError(closed));
    pending.clear();
  });

  return {
    async invoke<M extends Method>(method: M, req: RequestOf<M>): Promise<Responses[M]> {
      await opened;
      if (closed) throw new RemoteError(closed);
      const id = nextId++;
      return new Promise<Responses[M]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        socket.send(JSON.stringify({ id, method, params: req }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
}

function lostConnection(detail: string): ErrorInfo {
  return { code: 'internal', params: { detail }, message: `Lifeboat host: ${detail}` };
}

/** The host's address for this page: same host, token from `?token=` (the host also sets a cookie). */
export function hostUrl(loc: Pick<Location, 'host' | 'search'>): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  return `ws://${loc.host}/api?token=${encodeURIComponent(token)}`;
}
