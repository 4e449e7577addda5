/**
 * The Restore journey end to end: real Chromium, the real browser host and its helper,
 * a real backup set made by the backup engine from a GPT loop disk, and a blank loop
 * disk as the target. The English run restores for real and passes only when the
 * target's partition table matches the source's and the files are back; the French
 * run goes through the same screens up to the review, finding the set by scanning.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../test/util/loop';
import { runBackup } from '../src/main/engine/backup/backup';
import { createJobContext } from '../src/main/engine/job';
import { readTable } from '../src/main/engine/restore/test-util';
import { hasChromium, launch, shot } from './support/browser';
import { MiB } from './support/fixtures';
import { startHost, type RunningHost } from './support/host';

const skipReason = !canUseLoop()
  ? loopSkipReason
  : !hasChromium
    ? 'needs /usr/bin/chromium (apt-get install chromium)'
    : null;
if (skipReason) console.warn(`restore e2e skipped: ${skipReason}`);

const DISK = 64 * MiB;
const sh = (cmd: string, ...args: string[]) => execFileSync('sh', ['-c', cmd, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Every regular file below `dir` (lost+found aside) → its sha256. */
function tree(dir: string, rel = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (r === 'lost+found') continue;
    if (e.isDirectory()) for (const [k, v] of tree(dir, r)) out.set(k, v);
    else if (e.isFile()) out.set(r, sha(readFileSync(join(dir, r))));
  }
  return out;
}

describe.skipIf(skipReason !== null)('Restore journey in Chromium', () => {
  let dir: string;
  let home: string;
  let setDir: string;
  let src: LoopDevice;
  let target: LoopDevice;
  let tiny: LoopDevice;
  let want: Map<string, string>;
  let browser: Browser;
  let host: RunningHost | null = null;
  let page: Page | null = null;
  const mounted: string[] = [];

  beforeAll(async () => {
    dir = scratchDir('lifeboat-e2e-restore-');
    // The host's HOME: the scan looks there, and the set lives there.
    home = join(dir, 'home');
    mkdirSync(home);
    src = makeLoop(DISK, { dir });
    sh(`printf 'label: gpt\\nsize=48M, type=L, name="data"\\n' | sfdisk -q "$1"`, src.device);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', src.device);
    sh('mkfs.ext4 -q -F -L lbdata "$1"', `${src.device}p1`);
    const root = join(dir, 'source');
    mkdirSync(root);
    sh('mount "$1" "$2"', `${src.device}p1`, root);
    mounted.push(root);
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'restored-by-lifeboat\n');
    mkdirSync(join(root, 'home/alice/Documents'), { recursive: true });
    writeFileSync(join(root, 'home/alice/Documents/été 日本.txt'), 'notes d’Alice\n');
    writeFileSync(join(root, 'home/alice/random.bin'), randomBytes(3 * MiB));
    want = tree(root);
    setDir = join(home, 'backups', 'set-1');
    await runBackup({ dest: setDir, root, compress: 'zstd', split: MiB }, createJobContext('backup'));
    sh('umount "$1"', root);
    mounted.pop();
    target = makeLoop(DISK, { dir });
    // Smaller than what the set needs: shown, disabled, with the sizes.
    tiny = makeLoop(8 * MiB, { dir });
    browser = await launch();
  }, 120_000);

  afterEach(async () => {
    await page?.close();
    page = null;
    await host?.close();
    host = null;
  });

  afterAll(async () => {
    await browser?.close();
    for (const m of mounted.reverse()) {
      try {
        sh('umount "$1"', m);
      } catch {
        /* not mounted */
      }
    }
    for (const l of [src, target, tiny]) {
      if (!l) continue;
      try {
        sh('partx -d "$1" 2>/dev/null', l.device);
      } catch {
        /* no partitions */
      }
      l.detach();
    }
    cleanupScratch();
  });

  async function open(lang: 'en' | 'fr'): Promise<Page> {
    host = await startHost({ home, lang: lang === 'fr' ? 'fr_FR.UTF-8' : 'en_US.UTF-8' });
    page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(host.url);
    return page;
  }

  /** Picks our blank disk for the recorded one and checks the too-small disk is refused with its sizes. */
  async function chooseTarget(p: Page, tooSmall: RegExp): Promise<void> {
    const disk = p.locator(`[data-testid=recorded-disk][data-device="${src.device}"]`);
    const row = disk.locator(`[data-testid=target-row][data-device="${target.device}"]`);
    await row.waitFor();
    await row.locator('input').check();
    expect(await row.locator('input').isChecked()).toBe(true);
    const small = disk.locator(`[data-testid=target-row][data-device="${tiny.device}"]`);
    expect(await small.locator('input').isDisabled()).toBe(true);
    expect(await small.locator('[data-testid=target-status][data-code=too-small]').textContent()).toMatch(tooSmall);
  }

  it('restores a backup onto a blank disk, in English', async () => {
    const p = await open('en');
    await p.getByTestId('journey-restore').click();
    await p.getByRole('heading', { name: 'Find the backup' }).waitFor();
    await p.getByLabel('Folder of the backup').fill('relative/path');
    await p.getByText('Give the full path, starting with /.').waitFor();
    expect(await p.getByTestId('set-open').isDisabled()).toBe(true);
    await p.getByLabel('Folder of the backup').fill(setDir);
    await shot(p, 'en', 1, 'restore-find');

    await p.getByTestId('set-open').click();
    await p.getByTestId('step-set').waitFor();
    expect(await p.getByTestId('set-host').textContent()).toBe(hostname());
    expect(await p.getByTestId('set-kind').textContent()).toBe('Full backup');
    const part = p.getByTestId('set-partition');
    expect(await part.count()).toBe(1);
    expect(await part.textContent()).toContain(`${src.device}p1`);
    expect(await part.textContent()).toContain('ext4');
    expect(await part.textContent()).toContain('lbdata');
    await shot(p, 'en', 2, 'restore-set');

    await p.getByTestId('set-next').click();
    await p.getByRole('heading', { name: 'Choose where to restore' }).waitFor();
    await chooseTarget(p, /^Too small: 8\.39\u00a0MB, this backup needs [\d.]+\u00a0MB$/);
    expect(await p.locator(`[data-testid=target-row][data-device="${target.device}"] [data-testid=target-fit]`).textContent()).toMatch(/^Fits: 67\.1\u00a0MB for/);
    await shot(p, 'en', 3, 'restore-targets');

    await p.getByTestId('targets-next').click();
    await p.getByTestId('step-review').waitFor();
    const row = p.getByTestId('plan-mapping-row');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(`${src.device}p1${target.device}p1`);
    const steps = p.getByTestId('plan-step');
    expect(await steps.count()).toBeGreaterThan(5);
    expect(await steps.first().textContent()).toContain('Check the');
    const destructive = p.locator('[data-testid=plan-step][data-destructive=true]');
    expect(await destructive.count()).toBeGreaterThan(2);
    // the exact command behind a destructive step, shown on demand
    await destructive.first().locator('summary').click();
    expect(await destructive.first().getByTestId('plan-command').textContent()).toContain(target.device);
    expect(await p.getByTestId('erase-list').textContent()).toContain(target.device);
    expect(await p.getByTestId('restore-go').isDisabled()).toBe(true);
    await p.getByLabel('I understand everything on these disks will be erased').check();
    await shot(p, 'en', 4, 'restore-review');

    await p.getByTestId('restore-go').click();
    await p.locator('[data-testid=step-running], [data-testid=step-result]').first().waitFor();
    if (await p.getByTestId('step-running').count()) await shot(p, 'en', 5, 'restore-running');
    const result = p.getByTestId('step-result');
    await result.waitFor({ timeout: 90_000 });
    if ((await result.getAttribute('data-outcome')) !== 'done') {
      throw new Error(`restore did not finish: ${await result.textContent()}\n${host!.output().slice(-3000)}`);
    }
    expect(await p.getByTestId('result-title').textContent()).toBe('The restore is finished');
    expect(await p.getByTestId('next-steps').textContent()).toContain('Restart the computer.');
    await shot(p, 'en', 6, 'restore-result');

    // The host side: same table as the source (non-clone: same identities), same files.
    const a = readTable(src.device);
    const b = readTable(target.device);
    expect(b.label).toBe(a.label);
    expect(b.id).toBe(a.id);
    expect(b.partitions.map((x) => [x.start, x.size, x.type, x.name, x.uuid])).toEqual(a.partitions.map((x) => [x.start, x.size, x.type, x.name, x.uuid]));
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', target.device);
    const check = join(dir, 'check');
    mkdirSync(check, { recursive: true });
    sh('mount -o ro "$1" "$2"', `${target.device}p1`, check);
    mounted.push(check);
    try {
      expect(tree(check)).toEqual(want);
      expect(sh('blkid -p -o value -s LABEL "$1"', `${target.device}p1`).trim()).toBe('lbdata');
    } finally {
      sh('umount "$1"', check);
      mounted.pop();
    }
  });

  it('goes through the same screens in French, finding the set by scanning', async () => {
    const p = await open('fr');
    await p.getByTestId('journey-restore').click();
    await p.getByRole('heading', { name: 'Trouver la sauvegarde' }).waitFor();
    await p.getByRole('button', { name: 'Chercher les sauvegardes' }).click();
    const found = p.locator(`[data-testid=found-set][data-dir="${setDir}"]`);
    await found.waitFor({ timeout: 60_000 });
    expect(await found.textContent()).toContain(hostname());
    expect(await found.textContent()).toContain('Sauvegarde complète');
    await shot(p, 'fr', 1, 'restore-find');

    await found.click();
    await p.getByTestId('step-set').waitFor();
    await p.getByRole('heading', { name: `Sauvegarde de ${hostname()}` }).waitFor();
    await shot(p, 'fr', 2, 'restore-set');

    await p.getByRole('button', { name: 'Choisir les disques' }).click();
    await p.getByRole('heading', { name: 'Choisir où restaurer' }).waitFor();
    await chooseTarget(p, /^Trop petit\u00a0?\s?: 8,39\u00a0Mo, cette sauvegarde demande [\d,]+\u00a0Mo$/);
    await p.getByText('Faire une copie avec de nouveaux identifiants (mode clone)').click();
    await shot(p, 'fr', 3, 'restore-targets');

    await p.getByRole('button', { name: 'Vérifier le plan' }).click();
    await p.getByTestId('step-review').waitFor();
    await p.getByText('Mode clone : le disque restauré reçoit de nouveaux identifiants.').waitFor();
    const destructive = p.locator('[data-testid=plan-step][data-destructive=true]');
    await destructive.first().locator('summary').click();
    expect(await p.getByRole('button', { name: 'Effacer et restaurer' }).isDisabled()).toBe(true);
    await p.getByLabel('Je comprends que tout ce qui se trouve sur ces disques sera effacé').check();
    await shot(p, 'fr', 4, 'restore-review');
    // No second restore: the English run proved it; the target was not touched by this one.
  });
});
