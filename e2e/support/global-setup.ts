/**
 * Builds dist/ when it is older than the sources, so the tests never drive a stale
 * renderer or host (and a fresh checkout works without a separate build step).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const outputs = ['dist/host.cjs', 'dist/renderer/app.js', 'dist/renderer/index.html'].map((f) => join(root, f));
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  if (built < newest(join(root, 'src'))) {
    execFileSync('node', [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
}
