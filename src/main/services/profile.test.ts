/**
 * `profile.save` and `profile.load` as the renderer calls them, through the API service
 * (the same handler the Electron IPC and the browser host use): real files, the schema
 * check on the way in, and a bad file answered with a code the UI can put in words.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestOf } from '../../shared/api';
import { createApiService } from './api-service';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-profile-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const api = createApiService({
  shell: 'browser',
  startBackend: () => Promise.reject(new Error('profiles need no helper')),
  emit: () => undefined,
  env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), LANG: 'en_US.UTF-8' },
});

const request: RequestOf<'media.make'> = {
  root: '/',
  dest: '/media/backup/set',
  compress: 'xz',
  level: 6,
  excludes: ['*.iso'],
  defaultExcludes: true,
  kind: 'pxe',
  pxe: '/srv/tftp/lifeboat',
  embed: false,
  lang: 'fr',
};

const failure = async (p: Promise<unknown>) => p.then(() => ({ code: 'no error' }), (e: { code: string; params?: Record<string, unknown> }) => ({ code: e.code, params: e.params }));

describe('profile.save / profile.load through the API service', () => {
  it('saves without the helper, and loads back the same request', async () => {
    const path = join(dir, 'sub', 'nightly.json');
    expect(await api.handle('profile.save', { path, request })).toEqual({ path });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ lifeboat: 'profile', version: 1, media: { kind: 'pxe', pxe: '/srv/tftp/lifeboat' } });
    expect(await api.handle('profile.load', { path })).toEqual({ path, request });
  });

  it('refuses a request that would not validate, before writing anything', async () => {
    const path = join(dir, 'bad-request.json');
    expect(await failure(api.handle('profile.save', { path, request: { ...request, excludes: ['a\nb'] } }))).toMatchObject({ code: 'invalid-request' });
    expect(await failure(api.handle('profile.save', { path: 'relative.json', request }))).toMatchObject({ code: 'invalid-request' });
    expect(await failure(api.handle('profile.load', { path: join(dir, 'bad-request.json') }))).toMatchObject({ code: 'profile-missing' });
  });

  it('answers a damaged profile with the field at fault', async () => {
    const path = join(dir, 'damaged.json');
    writeFileSync(path, JSON.stringify({ lifeboat: 'profile', version: 1, backup: { root: '/' }, media: {} }));
    expect(await failure(api.handle('profile.load', { path }))).toMatchObject({ code: 'profile-invalid', params: { path, field: 'backup.dest' } });
  });

  it('says so when the folder cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    expect(await failure(api.handle('profile.save', { path: join(blocker, 'p.json'), request }))).toMatchObject({ code: 'profile-write-failed', params: { path: join(blocker, 'p.json') } });
  });
});
