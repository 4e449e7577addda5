// `npm start`: the Electron app when its binary is installed; otherwise (as on machines
// where electron's download is not allowed) one clear sentence, then the browser host,
// which prints the address to open.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (!existsSync(join(root, 'dist/host.cjs')) || !existsSync(join(root, 'dist/renderer/app.js'))) {
  await import('./build.mjs');
}

/** The path of the Electron binary, or null when the package is there without it. */
function electronBinary() {
  try {
    const dir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function language() {
  const locale = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
  return locale.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

function run(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

const electron = electronBinary();
if (electron) {
  run(electron, [join(root, 'dist/main/app.cjs')]);
} else {
  const common = JSON.parse(readFileSync(join(root, 'src/shared/i18n/locales', language(), 'common.json'), 'utf8'));
  process.stdout.write(common.host.noElectron + '\n');
  run(process.execPath, [join(root, 'dist/host.cjs')]);
}
