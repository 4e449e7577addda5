// Builds everything `npm ci` must produce: the CLI, the privileged helper, the browser
// host, the Electron main and preload (Node bundles, CommonJS) and the renderer (a
// browser bundle). esbuild does all of it in a few seconds; native and Electron
// modules stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { readFileSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const define = { __LIFEBOAT_VERSION__: JSON.stringify(pkg.version) };

// dist/ is overwritten in place, not removed, so a build never pulls files from under a running test.

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  define,
  logLevel: 'warning',
  // Native addons and Electron load from node_modules; everything else is bundled.
  external: ['electron', 'drivelist', 'etcher-sdk'],
  loader: { '.sh': 'text', '.tpl': 'text' },
};

const nodeEntries = [
  ['src/main/cli/index.ts', 'dist/cli.cjs'],
  ['src/main/helper/main.ts', 'dist/helper.cjs'],
  ['src/main/host/main.ts', 'dist/host.cjs'],
  ['src/main/app/main.ts', 'dist/main/app.cjs'],
  ['src/main/app/preload.ts', 'dist/main/preload.cjs'],
];

await Promise.all(
  nodeEntries.map(([entry, outfile]) => build({ ...node, entryPoints: [join(root, entry)], outfile: join(root, outfile) })),
);

// esbuild escapes non-ASCII in strings but keeps a few comments as written (a "…" or "→" in a
// doc comment of a type it inlines). One such character makes V8 hold the whole 1.4 MB
// bundle as a two-byte string: 1.3 MiB more memory in every command, against the flash's
// 64 MiB goal. Escaping them (only comments are left to escape) keeps every bundle ASCII.
for (const [, outfile] of nodeEntries) {
  const path = join(root, outfile);
  const text = readFileSync(path, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) {
    writeFileSync(path, text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`));
  }
}

mkdirSync(join(root, 'dist/renderer'), { recursive: true });
await build({
  entryPoints: [join(root, 'src/renderer/main.tsx')],
  outfile: join(root, 'dist/renderer/app.js'),
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  jsx: 'automatic',
  minify: true,
  sourcemap: 'linked',
  define: { ...define, 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  loader: { '.png': 'dataurl', '.svg': 'dataurl' },
});
copyFileSync(join(root, 'src/renderer/index.html'), join(root, 'dist/renderer/index.html'));
console.log('lifeboat: built dist/ (cli, helper, host, electron main + preload, renderer)');
