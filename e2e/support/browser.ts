/**
 * Debian's Chromium driven by playwright-core (no browser download on these machines).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const shots = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Saves `e2e/screenshots/<lang>-<nn>-<step>.png` (full page, so nothing below the fold is
 * missed), with CSS transitions run to their end: a progress bar caught half-way through its
 * 0.4 s slide showed a third beside "96 %".
 */
export async function shot(page: Page, lang: string, n: number, step: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${lang}-${String(n).padStart(2, '0')}-${step}.png`), fullPage: true, animations: 'disabled' });
}
