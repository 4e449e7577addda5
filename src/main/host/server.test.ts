/**
 * The browser host's refusals, each proven against the real server on a real socket:
 * wrong or missing token, foreign Origin, foreign Host (DNS rebinding), other
 * interfaces, oversized and malformed messages — and that the right page works.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createApiService } from '../services/api-service';
import { MAX_MESSAGE_BYTES, startHost, type RunningHost } from './server';

let host: RunningHost;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-host-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>lifeboat test page</title>');
  writeFileSync(join(dir, 'secret.txt'), 'must never be served');
  const api = createApiService({
    shell: 'browser',
    startBackend: () => Promise.reject(new Error('no helper in this test')),
    emit: () => undefined,
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), LANG: 'fr_FR.UTF-8' },
  });
  host = await startHost({ rendererDir: join(dir, 'renderer'), api });
});

afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and reports the HTTP status it was refused with, or 101 when it opened. */
function connect(opts: { token?: string; origin?: string; host?: string; path?: string }): Promise<{ status: number; ws?: WebSocket }> {
  const q = opts.token === undefined ? '' : `?token=${encodeURIComponent(opts.token)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${opts.path ?? '/api'}${q}`, {
    origin: opts.origin ?? `http://127.0.0.1:${host.port}`,
    headers: { host: opts.host ?? `127.0.0.1:${host.port}` },
  });
  return new Promise((resolve) => {
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

function call(ws: WebSocket, msg: unknown, raw = false): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>));
    ws.send(raw ? (msg as string) : JSON.stringify(msg));
  });
}

describe('browser host', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect((host.server.address() as { address: string }).address).toBe('127.0.0.1');
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!other) return; // no other interface on this machine: the address check above is the proof
    const refused = await new Promise<boolean>((resolve) => {
      const req = request({ host: other.address, port: host.port, path: '/', timeout: 2000 }, () => resolve(false));
      req.on('error', () => resolve(true));
      req.on('timeout', () => (req.destroy(), resolve(true)));
      req.end();
    });
    expect(refused).toBe(true);
  });

  it('serves the page with the token and sets a strict cookie', async () => {
    const res = await get(`/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('lifeboat test page');
    expect(res.cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const again = await get('/index.html', { cookie: `lifeboat_token=${host.token}` });
    expect(again.status).toBe(200);
  });

  it('refuses the page without the token, with a wrong one, or under a foreign Host', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get(`/?token=${host.token.slice(0, -1)}x`)).status).toBe(401);
    expect((await get(`/?token=${host.token}`, { host: 'evil.example:80' })).status).toBe(421);
  });

  it('serves nothing outside the renderer build', async () => {
    for (const path of ['/../secret.txt', '/secret.txt', '/%2e%2e/secret.txt', '/renderer/../secret.txt']) {
      const res = await get(`${path}?token=${host.token}`);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('must never be served');
    }
  });

  it('refuses WebSockets without the token, with a wrong one, from another origin or host, or on another path', async () => {
    expect((await connect({})).status).toBe(401);
    expect((await connect({ token: 'nope' })).status).toBe(401);
    expect((await connect({ token: host.token, origin: 'https://evil.example' })).status).toBe(403);
    expect((await connect({ token: host.token, origin: 'null' })).status).toBe(403);
    expect((await connect({ token: host.token, host: 'evil.example' })).status).toBe(421);
    expect((await connect({ token: host.token, path: '/other' })).status).toBe(404);
  });

  it('answers calls with the token, and refuses malformed, unknown and invalid ones with structured errors', async () => {
    const { status, ws } = await connect({ token: host.token });
    expect(status).toBe(101);
    const info = await call(ws!, { id: 1, method: 'app.info', params: {} });
    expect(info).toMatchObject({ id: 1, result: { shell: 'browser', systemLanguage: 'fr' } });
    expect(await call(ws!, 'not json', true)).toMatchObject({ id: null, error: { code: 'invalid-request' } });
    expect(await call(ws!, { id: 2, method: 'rm.rf', params: {} })).toMatchObject({ id: 2, error: { code: 'unknown-method' } });
    expect(await call(ws!, { id: 3, method: 'files.list', params: { dir: 'relative/path' } })).toMatchObject({ id: 3, error: { code: 'invalid-request' } });
    expect(await call(ws!, { id: 4, method: 'flash.start', params: { image: '/x.img', targets: ['/etc/passwd'], verify: true } })).toMatchObject({ id: 4, error: { code: 'invalid-request' } });
    expect(await call(ws!, { id: 5, method: '__proto__', params: {} })).toMatchObject({ id: 5, error: { code: 'unknown-method' } });
    // The connection survives all of that.
    expect(await call(ws!, { id: 6, method: 'settings.set', params: { language: 'en' } })).toMatchObject({ id: 6, result: { language: 'en' } });
    expect(await call(ws!, { id: 7, method: 'settings.get', params: {} })).toMatchObject({ id: 7, result: { language: 'en' } });
    ws!.close();
  });

  it('closes a connection that sends an oversized message', async () => {
    const { ws } = await connect({ token: host.token });
    const closed = new Promise<number>((resolve) => ws!.on('close', (code) => resolve(code)));
    ws!.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    // and the host still serves others
    const { status } = await connect({ token: host.token });
    expect(status).toBe(101);
  });
});
