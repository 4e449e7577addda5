/**
 * The Flash journey end to end: real Chromium, the real browser host, a gzip image
 * and a loop device standing in for the USB stick. The test passes only when the
 * stick holds the image's decompressed bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../test/util/loop';
import { hasChromium, launch, shot } from './support/browser';
import { makeImage, MiB, sha256Prefix, type ImageFixture } from './support/fixtures';
import { startHost, type RunningHost } from './support/host';

const skipReason = !canUseLoop()
  ? loopSkipReason
  : !hasChromium
    ? 'needs /usr/bin/chromium (apt-get install chromium)'
    : null;
if (skipReason) console.warn(`flash e2e skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('Flash journey in Chromium', () => {
  let dir: string;
  let home: string;
  let image: ImageFixture;
  let stick: LoopDevice;
  let tiny: LoopDevice;
  let browser: Browser;
  let host: RunningHost | null = null;
  let page: Page | null = null;

  beforeAll(async () => {
    dir = scratchDir('lifeboat-e2e-');
    // The host's HOME: the file browser opens here and shows just the image.
    home = join(dir, 'home');
    mkdirSync(home);
    image = makeImage(home, 16 * MiB);
    stick = makeLoop(32 * MiB, { dir });
    // Smaller than the image: must be shown, disabled, with the reason.
    tiny = makeLoop(8 * MiB, { dir });
    browser = await launch();
  });

  afterEach(async () => {
    await page?.close();
    page = null;
    await host?.close();
    host = null;
  });

  afterAll(async () => {
    await browser?.close();
    stick?.detach();
    tiny?.detach();
    cleanupScratch();
  });

  async function open(): Promise<Page> {
    host = await startHost({ home });
    page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(host.url);
    return page;
  }

  /** Waits for the target list to show our stick, then makes sure it (and only it) is chosen. */
  async function chooseStick(p: Page): Promise<void> {
    const row = p.locator(`[data-testid=drive-row][data-device="${stick.device}"]`);
    await row.waitFor();
    // Other loop devices of other tests may be attached; untick whatever is not ours.
    for (const other of await p.locator('[data-testid=drive-row] input:checked').all()) {
      const device = await other.locator('xpath=..').getAttribute('data-device');
      if (device !== stick.device) await other.uncheck();
    }
    await row.locator('input').check();
    expect(await row.locator('input').isChecked()).toBe(true);
  }

  function expectStickHoldsImage(): void {
    // A clear message if the device itself went away (another process detaching it) rather than a hash mismatch.
    expect(Number(execFileSync('blockdev', ['--getsize64', stick.device], { encoding: 'utf8' }).trim())).toBe(32 * MiB);
    expect(sha256Prefix(stick.device, image.size)).toBe(image.sha256);
  }

  /** Scribbles over the stick so each flash has something to prove. */
  function scribble(): void {
    writeFileSync(stick.device, Buffer.alloc(image.size, 0xa5));
    expect(sha256Prefix(stick.device, image.size)).not.toBe(image.sha256);
  }

  it('flashes a gzip image onto a stick, in English', async () => {
    scribble();
    const p = await open();
    await p.getByRole('heading', { name: 'What do you want to do?' }).waitFor();
    // Every journey has shipped: no card says "not available yet" any more.
    await expect(p.getByText('Not available yet in this version.').count()).resolves.toBe(0);
    await shot(p, 'en', 1, 'home');

    await p.getByTestId('journey-flash').click();
    await p.getByRole('heading', { name: 'Choose an image' }).waitFor();
    await shot(p, 'en', 2, 'choose-image');

    await p.getByLabel('Path of the image').fill(image.path);
    await p.getByRole('button', { name: 'Open' }).click();
    await p.getByTestId('image-details').waitFor();
    expect(await p.getByTestId('image-name').textContent()).toBe(image.name);
    expect(await p.getByTestId('image-compression').textContent()).toBe('gzip');
    expect(await p.getByTestId('image-size').textContent()).toBe('16.8\u00a0MB');
    expect(await p.getByTestId('image-partitions').textContent()).toContain('MBR');
    await shot(p, 'en', 3, 'image-details');

    await p.getByRole('button', { name: 'Choose drives' }).click();
    await p.getByRole('heading', { name: 'Choose the drives to flash' }).waitFor();
    await chooseStick(p);
    const tinyRow = p.locator(`[data-testid=drive-row][data-device="${tiny.device}"]`);
    expect(await tinyRow.locator('input').isDisabled()).toBe(true);
    expect(await tinyRow.getByTestId('drive-status').textContent()).toBe('Too small: this image needs 16.8\u00a0MB');
    // Drives are rescanned every ~2 s: a stable row must stay the same DOM node (no flicker, no lost focus).
    const handle = await p.locator(`[data-testid=drive-row][data-device="${stick.device}"]`).elementHandle();
    await p.waitForTimeout(4500);
    expect(await handle!.evaluate((el) => (el as unknown as { isConnected: boolean }).isConnected)).toBe(true);
    expect(await p.locator(`[data-testid=drive-row][data-device="${stick.device}"] input`).isChecked()).toBe(true);
    await shot(p, 'en', 4, 'choose-targets');

    await p.getByRole('button', { name: 'Next' }).click();
    await p.getByRole('heading', { name: 'Check before erasing' }).waitFor();
    expect(await p.getByTestId('erase-list').textContent()).toContain(stick.device);
    expect(await p.getByTestId('erase-list').locator('li').count()).toBe(1);
    expect(await p.getByLabel('Check every byte after writing (recommended)').isChecked()).toBe(true);
    await shot(p, 'en', 5, 'confirm');

    await p.getByRole('button', { name: 'Erase and flash' }).click();
    // Catch the job with real progress if it is still running (16 MiB can finish fast).
    await p.locator('[data-testid=step-flashing]:not([data-phase=starting])').or(p.getByTestId('step-result')).first().waitFor();
    await shot(p, 'en', 6, 'flashing');

    await p.getByTestId('step-result').waitFor({ timeout: 120_000 });
    expect(await p.getByTestId('result-title').textContent()).toBe('Flash complete');
    const result = p.locator(`[data-testid=target-result][data-device="${stick.device}"]`);
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toContain('Written and verified: ready to use.');
    await shot(p, 'en', 7, 'result');

    expectStickHoldsImage();
  });

  it('flashes the same image in French, chosen in the file browser, and remembers the language', async () => {
    scribble();
    const p = await open();
    await p.getByRole('heading', { name: 'What do you want to do?' }).waitFor();
    await p.getByTestId('language').selectOption('fr');
    await p.getByRole('heading', { name: 'Que voulez-vous faire\u00a0?' }).waitFor();
    // The choice is saved by the host: a reload opens in French.
    await p.reload();
    await p.getByRole('heading', { name: 'Que voulez-vous faire\u00a0?' }).waitFor();
    await expect(p.getByText('Pas encore disponible dans cette version.').count()).resolves.toBe(0);
    await shot(p, 'fr', 1, 'home');

    await p.getByTestId('journey-flash').click();
    await p.getByRole('heading', { name: 'Choisir une image' }).waitFor();
    const entry = p.getByTestId('file-entry').filter({ hasText: image.name });
    await entry.waitFor();
    await shot(p, 'fr', 2, 'choose-image');

    await entry.click();
    await p.getByTestId('image-details').waitFor();
    expect(await p.getByTestId('image-size').textContent()).toBe('16,8\u00a0Mo');
    expect(await p.getByTestId('image-content').textContent()).toBe('Image disque');
    await shot(p, 'fr', 3, 'image-details');

    await p.getByRole('button', { name: 'Choisir les supports' }).click();
    await p.getByRole('heading', { name: 'Choisir les supports à graver' }).waitFor();
    await chooseStick(p);
    const tinyRow = p.locator(`[data-testid=drive-row][data-device="${tiny.device}"]`);
    expect(await tinyRow.locator('input').isDisabled()).toBe(true);
    expect(await tinyRow.getByTestId('drive-status').textContent()).toBe('Trop petit\u00a0: cette image demande 16,8\u00a0Mo');
    await shot(p, 'fr', 4, 'choose-targets');

    await p.getByRole('button', { name: 'Suivant' }).click();
    await p.getByRole('heading', { name: 'Vérifier avant d’effacer' }).waitFor();
    expect(await p.getByTestId('erase-list').textContent()).toContain(stick.device);
    await shot(p, 'fr', 5, 'confirm');

    await p.getByRole('button', { name: 'Effacer et graver' }).click();
    // Catch the job with real progress if it is still running (16 MiB can finish fast).
    await p.locator('[data-testid=step-flashing]:not([data-phase=starting])').or(p.getByTestId('step-result')).first().waitFor();
    await shot(p, 'fr', 6, 'flashing');

    await p.getByTestId('step-result').waitFor({ timeout: 120_000 });
    expect(await p.getByTestId('result-title').textContent()).toBe('Gravure terminée');
    const result = p.locator(`[data-testid=target-result][data-device="${stick.device}"]`);
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toContain('Écrit et vérifié\u00a0: prêt à l’emploi.');
    await shot(p, 'fr', 7, 'result');

    expectStickHoldsImage();

    // "Flash another" keeps the image and starts over from it, with no stick chosen.
    await p.getByRole('button', { name: 'Graver une autre image' }).click();
    await p.getByRole('heading', { name: 'L’image' }).waitFor();
    expect(await p.getByTestId('image-name').textContent()).toBe(image.name);
  });
});
