import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which set is where on a mounted stick's data partition, `dir → set id`, read straight
 * from the manifests (not with the engine's own listing, which is what is under test).
 */
export function setsOnStick(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const dirs = ['lifeboat', ...(existsSync(join(root, 'sets')) ? readdirSync(join(root, 'sets')).map((n) => `sets/${n}`) : [])];
  for (const d of dirs) if (existsSync(join(root, d, 'lifeboat.json'))) found[d] = JSON.parse(readFileSync(join(root, d, 'lifeboat.json'), 'utf8')).id;
  return found;
}
