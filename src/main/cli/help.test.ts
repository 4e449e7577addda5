import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/util/cli';

describe('help in the user’s language', () => {
  const saved = process.env.LIFEBOAT_LANG;
  afterEach(() => {
    if (saved === undefined) delete process.env.LIFEBOAT_LANG;
    else process.env.LIFEBOAT_LANG = saved;
  });

  it('French help has none of commander’s English words, and shows a default once', async () => {
    process.env.LIFEBOAT_LANG = 'fr';
    for (const args of [['--help'], ['help', 'backup'], ['files', '--help'], ['help', 'flash']]) {
      const r = await runCli(args);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^Utilisation : lifeboat/);
      expect(r.out).not.toMatch(/Usage:|Options:|Commands:|Arguments:|\(default:|choices:|display help|output the version/);
    }
    const backup = (await runCli(['help', 'backup'])).out;
    expect(backup).toContain('Options :');
    expect(backup).toMatch(/valeurs possibles : "zstd", "gzip",/);
    // --root's default was shown twice: "(par défaut /) (default: "/")"
    expect(backup.replace(/\s+/g, ' ')).toContain('la racine du système à sauvegarder (par défaut : "/")');
  });

  it('English help keeps commander’s layout', async () => {
    process.env.LIFEBOAT_LANG = 'en';
    const r = await runCli(['help', 'backup']);
    expect(r.out).toMatch(/^Usage: lifeboat backup \[options\]/);
    expect(r.out).toContain('Options:');
    expect(r.out.replace(/\s+/g, ' ')).toContain('the root of the system to back up (default: "/")');
  });
});
