/**
 * Finds the rescue-system templates in `assets/rescue/`.
 *
 * They are read at run time rather than bundled, so the same code works from the
 * sources (vitest), from `dist/cli.cjs` and from a packaged app (electron-builder copies
 * them to `resources/rescue`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | null = null;

export function rescueAssetsDir(): string {
  if (cached) return cached;
  // An explicit folder, then a packaged app's resources/rescue (electron-builder's
  // extraResources), then assets/rescue above this module (sources, dist/).
  const direct = [process.env.LIFEBOAT_RESCUE_ASSETS, (process as { resourcesPath?: string }).resourcesPath && join((process as { resourcesPath?: string }).resourcesPath!, 'rescue')];
  for (const cand of direct) if (cand && existsSync(join(cand, 'init.sh'))) return (cached = cand);
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const cand = join(dir, 'assets', 'rescue');
      if (existsSync(join(cand, 'init.sh'))) return (cached = cand);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error('assets/rescue/init.sh not found (the rescue templates must ship with Lifeboat; set LIFEBOAT_RESCUE_ASSETS)');
}

export function readAsset(name: string): string {
  return readFileSync(join(rescueAssetsDir(), name), 'utf8');
}

/** Fills `{{name}}` slots of a template; an unknown slot is a bug, so it throws. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`template slot {{${k}}} has no value`);
    return String(values[k]);
  });
}
