/**
 * The Electron main process: one window, the renderer from dist/renderer, and the IPC
 * wiring from the shared contract to the same API service the browser host uses.
 *
 * It runs as the user; writing to disks happens in the privileged helper, started
 * through pkexec on first use (see services/helper-client.ts).
 */
import { app, BrowserWindow, ipcMain, Menu, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toErrorInfo } from '../../shared/errors';
import { createApiService } from '../services/api-service';
import { HelperClient } from '../services/helper-client';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type InvokeReply } from './ipc';

// dist/main/app.cjs → dist/
const dist = join(__dirname, '..');
const indexUrl = pathToFileURL(join(dist, 'renderer', 'index.html')).href;
let window: BrowserWindow | null = null;

const api = createApiService({
  shell: 'electron',
  startBackend: () => HelperClient.start({ helperPath: join(dist, 'helper.cjs') }),
  emit: (event, payload) => {
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event, payload);
  },
});

/** Only our own page may call the API: a frame that navigated elsewhere gets nothing. */
function fromOurPage(e: IpcMainInvokeEvent): boolean {
  return e.senderFrame?.url.split('?')[0] === indexUrl;
}

ipcMain.handle(INVOKE_CHANNEL, async (e, method: unknown, req: unknown): Promise<InvokeReply> => {
  if (!fromOurPage(e)) return { ok: false, error: toErrorInfo({ code: 'invalid-request', params: { method: String(method), field: '', reason: 'foreign frame' } }) };
  try {
    return { ok: true, result: await api.handle(method, req) };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
});

function createWindow(): void {
  window = new BrowserWindow({
    width: 960,
    height: 700,
    minWidth: 720,
    minHeight: 560,
    title: 'Lifeboat',
    icon: join(dist, '..', 'assets', 'icon.png'),
    webPreferences: {
      preload: join(dist, 'main', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // The renderer never navigates: links open in the user's browser, anything else is refused.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (e) => e.preventDefault());
  void window.loadURL(indexUrl);
  window.on('closed', () => (window = null));
}

app.whenReady().then(() => {
  Menu.setApplicationMenu(null);
  createWindow();
});

app.on('window-all-closed', () => {
  void api.close().finally(() => app.quit());
});
