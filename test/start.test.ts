/**
 * `npm start` where the Electron binary is missing (as on these machines): one sentence
 * saying so, in the user's language, then the browser host's address with its token —
 * and that address really serves the app.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(__dirname, '..');
const electronInstalled = existsSync(join(root, 'node_modules/electron/path.txt'));

it.skipIf(electronInstalled)('npm start without Electron explains it in one sentence and serves the app in the browser (French locale)', async () => {
  const child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], { cwd: root, env: { ...process.env, LANG: 'fr_FR.UTF-8', LC_ALL: '', LC_MESSAGES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address in 30 s:\n${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    expect(out.split('\n')[0]).toBe('Le programme Electron n’est pas installé ici : Lifeboat s’ouvre donc dans votre navigateur, à l’adresse ci-dessous.');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(url.replace(/token=.*/, 'token=wrong'))).status).toBe(401);
  } finally {
    child.kill('SIGTERM');
  }
}, 60_000);
