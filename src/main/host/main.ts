/**
 * `node dist/host.cjs`: the browser host's entry. Prints the address to open (with
 * its token) and serves until interrupted.
 */
import { dirname, join } from 'node:path';
import { createI18n } from '../../shared/i18n';
import { createApiService, systemLanguage } from '../services/api-service';
import { HelperClient } from '../services/helper-client';
import { startHost, type RunningHost } from './server';

async function main(): Promise<void> {
  // dist/host.cjs sits beside dist/renderer/ and dist/helper.cjs.
  const dist = dirname(__filename);
  let host: RunningHost | null = null;
  const api = createApiService({
    shell: 'browser',
    startBackend: () => HelperClient.start({ helperPath: join(dist, 'helper.cjs') }),
    emit: (event, payload) => host?.broadcast(event, payload),
  });
  const port = process.env.LIFEBOAT_PORT ? Number(process.env.LIFEBOAT_PORT) : 0;
  host = await startHost({ rendererDir: join(dist, 'renderer'), api, port });
  const { t } = await createI18n(systemLanguage(process.env));
  process.stdout.write(t('common:host.running', { url: host.url }) + '\n');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([api.close(), host?.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(async (err) => {
  const { t } = await createI18n(systemLanguage(process.env));
  process.stderr.write(t('common:host.failed', { detail: err instanceof Error ? err.message : String(err) }) + '\n');
  process.exit(1);
});
