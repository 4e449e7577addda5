/**
 * The browser host: the built renderer and the API over one WebSocket, for machines
 * without a display server (and for the end-to-end tests, in real Chromium).
 *
 * Anything on the machine can connect to a port on 127.0.0.1, and any web page the
 * user opens can try to, so every request must prove it comes from the page we
 * served: it binds to 127.0.0.1 only, requires a random per-run token (in the URL
 * we print, then a SameSite=Strict cookie), checks the Host header (DNS rebinding)
 * and the Origin of the WebSocket (cross-site pages), and refuses anything else.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, Events } from '../../shared/api';
import { toErrorInfo } from '../../shared/errors';

export const HOST_ADDRESS = '127.0.0.1';
const COOKIE = 'lifeboat_token';
/** The largest request the API accepts; a call is a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** The files the renderer build produces; nothing else is ever read from disk. */
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
  '/app.js.map': 'app.js.map',
  '/app.css.map': 'app.css.map',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json',
};

export interface ApiHandler {
  handle(method: unknown, req: unknown): Promise<unknown>;
}

export interface HostOptions {
  rendererDir: string;
  api: ApiHandler;
  port?: number;
  token?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  server: Server;
  broadcast<E extends EventName>(event: E, payload: Events[E]): void;
  close(): Promise<void>;
}

function sameSecret(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  const allowedHosts = () => [`${HOST_ADDRESS}:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const refuse = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text + '\n');
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(res, 421, 'wrong host');
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
      const url = new URL(req.url ?? '/', `http://${HOST_ADDRESS}`);
      const file = STATIC[url.pathname];
      if (!file) return refuse(res, 404, 'not found');
      const fromQuery = url.searchParams.get('token');
      if (!sameSecret(fromQuery, token) && !sameSecret(cookieToken(req), token)) return refuse(res, 401, 'token required');
      let body: Buffer;
      try {
        body = await readFile(join(opts.rendererDir, file));
      } catch {
        return refuse(res, 404, 'not built');
      }
      const headers: Record<string, string> = {
        'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // The token is in the URL: never let it leave in a Referer.
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      };
      if (file === 'index.html') {
        headers['set-cookie'] = `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch((err) => refuse(res, 500, String(err)));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const deny = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://${HOST_ADDRESS}`);
    if (!allowedHosts().includes(req.headers.host ?? '')) return deny(421, 'Misdirected Request');
    if (url.pathname !== '/api') return deny(404, 'Not Found');
    if (!allowedOrigins().includes(req.headers.origin ?? '')) return deny(403, 'Forbidden');
    if (!sameSecret(url.searchParams.get('token'), token) && !sameSecret(cookieToken(req), token)) return deny(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      void answer(ws, isBinary ? null : data.toString());
    });
    ws.on('error', () => ws.terminate());
  });

  async function answer(ws: WebSocket, text: string | null): Promise<void> {
    let id: number | null = null;
    try {
      const msg: unknown = text === null ? null : JSON.parse(text);
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw Object.assign(new Error('not an object'), { code: 'invalid-request', params: { method: '', field: '', reason: 'not a JSON object' } });
      const m = msg as { id?: unknown; method?: unknown; params?: unknown };
      if (typeof m.id === 'number' && Number.isSafeInteger(m.id)) id = m.id;
      const result = await opts.api.handle(m.method, m.params);
      send(ws, { id, result });
    } catch (err) {
      const info = err instanceof SyntaxError ? toErrorInfo({ code: 'invalid-request', params: { method: '', field: '', reason: 'malformed JSON' }, message: err.message }) : toErrorInfo(err);
      send(ws, { id, error: info });
    }
  }

  function send(ws: WebSocket, obj: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(obj));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST_ADDRESS, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST_ADDRESS}:${port}/?token=${token}`,
    port,
    token,
    server,
    broadcast(event, payload) {
      for (const ws of wss.clients) send(ws, { event, payload });
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
