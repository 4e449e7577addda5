import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../../../shared/i18n';
import { readAsset } from './assets';
import { flatten, placeholders, renderRescueMessages, shellVar } from './rescue-i18n';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-i18n-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rescue messages for the shell', () => {
  it('renders every key so sh prints the French words with their values', () => {
    const file = join(dir, 'fr.sh');
    writeFileSync(file, renderRescueMessages('fr'));
    const out = execFileSync('sh', ['-c', `. "$1"; printf "$T_setFound\\n" "/mnt/sr0/lifeboat"; printf "$T_menu_prompt"`, 'sh', file], { encoding: 'utf8' });
    expect(out).toBe('Sauvegarde trouvée dans /mnt/sr0/lifeboat\nVotre choix (1-5) : ');
  });

  it('keeps quotes, percent signs and apostrophes intact', () => {
    expect(renderRescueMessages('fr')).toContain(`T_networkFailed='Aucune adresse réseau n’a été obtenue ; les partages réseau seront inaccessibles.'`);
  });

  it('matches every `say` in the rescue scripts to a key, with as many values as placeholders', () => {
    const init = readAsset('init.sh') + readAsset('menu.sh') + readAsset('lib.sh') + readAsset('read-parts.sh');
    const keys = flatten(resources.en.rescue as never);
    const vars = new Map(Object.entries(keys).map(([k, v]) => [shellVar(k), placeholders(v).length]));
    const calls = [...init.matchAll(/\bsay (T_\w+)([^\n)]*)/g)];
    expect(calls.length).toBeGreaterThan(10);
    for (const [, name, rest] of calls) {
      expect(vars.has(name), `${name} is used in the rescue scripts but missing from rescue.json`).toBe(true);
      const args = (rest.match(/"[^"]*"/g) ?? []).length;
      expect(args, `${name} gets ${args} values`).toBe(vars.get(name));
    }
  });
});
