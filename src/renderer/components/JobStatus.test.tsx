import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createRendererI18n, SUPPORTED } from '../i18n';
import { CANCEL_KEYS, JobCancel, JobStats, STATS_KEYS, type JobWording } from './JobStatus';

const WORDINGS: Record<JobWording, readonly string[]> = {
  'flash:flashing': [...STATS_KEYS, ...CANCEL_KEYS],
  'makeMedia:running': [...STATS_KEYS, ...CANCEL_KEYS],
  'makeMedia:rehearse': CANCEL_KEYS,
  'restoreUi:running': CANCEL_KEYS,
};

describe('job status', () => {
  // The keys are built from `wording`, so the locale tests cannot see them: checked here.
  it('finds every key it reads, under every wording, in every language', async () => {
    const missing: string[] = [];
    for (const lng of SUPPORTED) {
      const i18n = await createRendererI18n(lng);
      for (const [wording, keys] of Object.entries(WORDINGS)) {
        for (const key of keys) if (!i18n.exists(`${wording}.${key}`, { lng })) missing.push(`${lng} ${wording}.${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('words the figures and Cancel in the journey’s own namespace', async () => {
    await createRendererI18n('en');
    const stats = renderToStaticMarkup(
      <JobStats progress={{ jobId: 'j', kind: 'flash', phase: 'writing', bytes: 1e9, total: 2e9, speed: null, eta: 30 }} fraction={0.5} wording="flash:flashing" percentTestId="percent" />,
    );
    expect(stats).toContain('data-testid="percent"');
    expect(stats).not.toContain('flash:flashing');
    const cancel = renderToStaticMarkup(<JobCancel error={null} cancelling={false} onCancel={() => undefined} questionId="q" wording="restoreUi:running" />);
    expect(cancel).toContain('data-testid="cancel"');
  });
});
