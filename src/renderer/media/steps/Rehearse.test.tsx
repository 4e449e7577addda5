import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { Rehearsal } from '../rehearse-store';
import { ServicesContext, type HostInfo, type Services } from '../../app/context';
import { createRendererI18n, SUPPORTED } from '../../i18n';
import { fakeTransport } from '../../test-util/fake-transport';
import { REHEARSE_PHASES } from '../rehearse-store';
import { createMediaStore } from '../store';
import { Rehearse } from './Rehearse';

const info = (canRehearse: boolean): HostInfo => ({
  version: 'test',
  isRoot: true,
  helperMode: 'direct',
  systemLanguage: 'en',
  shell: 'browser',
  showLoopDevices: false,
  canRehearse,
});

/**
 * The Done screen's rehearsal part, around the real stores; the other journeys' are not
 * read. Rendered on the server, where zustand shows a store's initial state: a rehearsal
 * already done is therefore given as the initial state of copies of the real stores.
 */
function render(canRehearse: boolean, rehearsal?: Rehearsal): string {
  const fake = fakeTransport({});
  let media = createMediaStore(fake.transport, { lang: 'en' });
  if (rehearsal) {
    const real = media.getState();
    const rehearse = createStore(() => ({ ...real.rehearse.getState(), rehearsal }));
    media = createStore(() => ({ ...real, rehearse }));
  }
  const services = { api: fake.transport, info: info(canRehearse), media } as unknown as Services;
  return renderToStaticMarkup(
    <ServicesContext.Provider value={services}>
      <Rehearse setDir="/b/set" media="/b/set-rescue.iso" />
    </ServicesContext.Provider>,
  );
}

describe('the Done screen’s rehearsal', () => {
  // The phase keys are built from the engine's phase names, so the locale tests cannot see them.
  it('words every phase in every language', async () => {
    const missing: string[] = [];
    for (const lng of SUPPORTED) {
      const i18n = await createRendererI18n(lng);
      for (const p of REHEARSE_PHASES) {
        const key = `makeMedia:rehearse.phases.${p.replace('rehearse.', '')}`;
        if (!i18n.exists(key, { lng })) missing.push(`${lng} ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('says what to install instead of offering a button when qemu is missing', async () => {
    await createRendererI18n('en');
    const html = render(false);
    expect(html).toContain('data-testid="rehearse-no-qemu"');
    expect(html).toContain('apt-get install qemu-system-x86');
    expect(html).not.toContain('rehearse-start');
  });

  it('offers the button with its explanation when qemu is there', async () => {
    await createRendererI18n('fr');
    const html = render(true);
    expect(html).toContain('data-testid="rehearse-start"');
    expect(html).toContain('Rien n’est modifié sur cet ordinateur.');
  });

  it('shows the times of a rehearsal that passed', async () => {
    await createRendererI18n('en');
    const html = render(true, {
      kind: 'done',
      outcome: 'ok',
      setDir: '/b/set',
      media: '/b/set-rescue.iso',
      result: { ok: true, restoreSeconds: 75, bootSeconds: 30, totalSeconds: 105, disks: 1, setEmbedded: true },
      error: null,
    });
    expect(html).toContain('data-testid="rehearse-ok"');
    expect(html).toMatch(/data-testid="rehearse-total">1\smin\s45\ss</);
  });

  it('shows the failure in words, with its reason', async () => {
    await createRendererI18n('en');
    const error = { code: 'rehearse-restore-failed' as const, params: { reason: 'mkfs.1 failed' }, message: '' };
    const html = render(true, { kind: 'done', outcome: 'failed', setDir: '/b/set', media: '/b/set-rescue.iso', result: null, error });
    expect(html).toContain('data-code="rehearse-restore-failed"');
    expect(html).toContain('(mkfs.1 failed)');
  });
});
