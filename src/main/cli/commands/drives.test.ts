import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../index';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, type LoopDevice } from '../../../../test/util/loop';
import type { Drive } from '../../../shared/drive';

const loops: LoopDevice[] = [];
afterAll(() => {
  for (const l of loops) l.detach();
  cleanupScratch();
});

async function cli(args: string[], lang = 'en'): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = process.env.LIFEBOAT_LANG;
  process.env.LIFEBOAT_LANG = lang;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    if (saved === undefined) delete process.env.LIFEBOAT_LANG;
    else process.env.LIFEBOAT_LANG = saved;
  }
}

describe.skipIf(!canUseLoop())(`lifeboat drives (${loopSkipReason})`, () => {
  it('lists a loop device in JSON only with --include-loop', async () => {
    const l = makeLoop(24 * 1024 * 1024);
    loops.push(l);
    const withLoop = await cli(['drives', '--json', '--include-loop']);
    expect(withLoop.code).toBe(0);
    const doc = JSON.parse(withLoop.out) as { type: string; drives: Drive[] };
    expect(doc.type).toBe('drives');
    expect(doc.drives.find((d) => d.device === l.device)).toMatchObject({ size: 24 * 1024 * 1024, isLoop: true });

    const without = JSON.parse((await cli(['drives', '--json'])).out) as { drives: Drive[] };
    expect(without.drives.map((d) => d.device)).not.toContain(l.device);
  });

  it('prints a translated table, and system drives only with --all', async () => {
    const l = makeLoop(24 * 1024 * 1024);
    loops.push(l);
    const en = await cli(['drives', '--include-loop']);
    expect(en.code).toBe(0);
    expect(en.out.split('\n')[0]).toMatch(/^Device\s+Size\s+Description\s+Notes$/);
    const row = en.out.split('\n').find((r) => r.startsWith(l.device + ' '));
    expect(row).toContain('25.2\u00a0MB');
    expect(row).toContain('loop device');

    const fr = await cli(['drives', '--include-loop', '--all'], 'fr');
    expect(fr.out.split('\n')[0]).toMatch(/^Périphérique\s+Taille\s+Description\s+Remarques$/);
    expect(fr.out.split('\n').find((r) => r.startsWith(l.device + ' '))).toContain('25,2\u00a0Mo');
    // The disk holding / shows up with --all, marked as the system's own.
    const all = JSON.parse((await cli(['drives', '--json', '--all'])).out) as { drives: Drive[] };
    const system = all.drives.find((d) => d.systemReasons.includes('root'));
    if (system) {
      expect(fr.out).toContain('système (système de fichiers racine');
      expect(en.out).not.toContain(system.device + ' ');
      expect(en.err).toMatch(/system drives? hidden/);
    }
  });
});
