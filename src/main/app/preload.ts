/**
 * The preload: exposes exactly the typed `Transport` to the renderer (contextBridge),
 * nothing of Node or Electron. The renderer's `pickTransport` finds it as `window.lifeboat`.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, RemoteError, type EventName, type Transport } from '../../shared/api';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type InvokeReply } from './ipc';

const bridge: Transport = {
  async invoke(method, req) {
    const reply = (await ipcRenderer.invoke(INVOKE_CHANNEL, method, req)) as InvokeReply;
    if (!reply.ok) throw new RemoteError(reply.error);
    return reply.result as never;
  },
  on(event, listener) {
    if (!EVENT_NAMES.includes(event as EventName)) return () => undefined;
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('lifeboat', bridge);
