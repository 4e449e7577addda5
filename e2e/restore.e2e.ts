/**
 * The Restore journey end to end: real Chromium, the real browser host and its helper,
 * a real backup set made by the backup engine from a GPT loop disk, and blank loop
 * disks as targets. Both runs restore for real onto a larger disk after typing a size
 * for the partition in the review's "Partition sizes" panel (English "100 MiB", French
 * "80 Mio", after the panel refused sizes it must refuse), and pass only when the
 * target's partition has exactly that size, the rest of its table matches the source's
 * and the files are back. The French run finds the set by scanning, in clone mode.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
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

/** the backed-up system's own name (its etc/hostname): what the set is labelled with */
const SYSTEM_NAME = 'restored-by-lifeboat';
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

/** A locator's text once it matches (React renders after the key stroke; Playwright's textContent does not wait). */
async function textOf(loc: Locator, want: RegExp | string | ((t: string) => boolean), timeout = 15_000): Promise<string> {
  const ok = (t: string) => (typeof want === 'string' ? t === want : typeof want === 'function' ? want(t) : want.test(t));
  const until = Date.now() + timeout;
  let text = '';
  while (Date.now() < until) {
    text = (await loc.textContent({ timeout }).catch(() => null)) ?? '';
    if (ok(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

describe.skipIf(skipReason !== null)('Restore journey in Chromium', () => {
  let dir: string;
  let home: string;
  let setDir: string;
  let src: LoopDevice;
  let target: LoopDevice;
  let big: LoopDevice;
  let big2: LoopDevice;
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
    writeFileSync(join(root, 'etc/hostname'), `${SYSTEM_NAME}\n`);
    mkdirSync(join(root, 'home/alice/Documents'), { recursive: true });
    writeFileSync(join(root, 'home/alice/Documents/été 日本.txt'), 'notes d’Alice\n');
    writeFileSync(join(root, 'home/alice/random.bin'), randomBytes(3 * MiB));
    want = tree(root);
    setDir = join(home, 'backups', 'set-1');
    await runBackup({ dest: setDir, root, compress: 'zstd', split: MiB }, createJobContext('backup'));
    sh('umount "$1"', root);
    mounted.pop();
    target = makeLoop(DISK, { dir });
    // larger disks: the partition gets the size typed in the sizes panel
    big = makeLoop(2 * DISK, { dir });
    big2 = makeLoop(1.5 * DISK, { dir });
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
    for (const l of [src, target, big, big2, tiny]) {
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

  /** Picks a blank disk for the recorded one and checks the too-small disk is refused with its sizes. */
  async function chooseTarget(p: Page, tooSmall: RegExp, onto: LoopDevice): Promise<void> {
    const disk = p.locator(`[data-testid=recorded-disk][data-device="${src.device}"]`);
    const row = disk.locator(`[data-testid=target-row][data-device="${onto.device}"]`);
    await row.waitFor();
    await row.locator('input').check();
    expect(await row.locator('input').isChecked()).toBe(true);
    const small = disk.locator(`[data-testid=target-row][data-device="${tiny.device}"]`);
    expect(await small.locator('input').isDisabled()).toBe(true);
    expect(await small.locator('[data-testid=target-status][data-code=too-small]').textContent()).toMatch(tooSmall);
  }

  /** The sizes panel's row for the recorded partition, its field and the note or problem under it. */
  function sizeRow(p: Page) {
    const row = p.locator(`[data-testid=size-row][data-node="${src.device}p1"]`);
    return { row, input: row.getByTestId('size-input'), problem: row.getByTestId('size-problem'), note: row.getByTestId('size-note') };
  }

  /** Waits until the partition step's sfdisk script gives the first partition `sectors`. */
  async function waitForSfdiskSize(p: Page, sectors: number): Promise<string> {
    const step = p.locator('[data-testid=plan-step][data-step="partition.1"]');
    const cmd = step.getByTestId('plan-command');
    if (!(await cmd.isVisible())) await step.locator('summary').click();
    const want = `p1 : start=2048, size=${sectors},`;
    const text = await textOf(cmd, (t) => t.includes(want), 30_000);
    expect(text).toContain(want);
    return text;
  }

  /** What must be true of the target after the restore: the typed size exactly, the rest as recorded, the files back. */
  function checkRestored(onto: LoopDevice, bytes: number, clone: boolean): void {
    const a = readTable(src.device);
    const b = readTable(onto.device);
    expect(b.label).toBe(a.label);
    if (!clone) expect(b.id).toBe(a.id);
    expect(b.partitions).toHaveLength(1);
    // sfdisk --json and the kernel agree: the partition has exactly the size typed
    expect(b.partitions[0]!.size * 512).toBe(bytes);
    sh('partx -d "$1" 2>/dev/null; partx -a "$1"', onto.device);
    expect(Number(sh('blockdev --getsize64 "$1"', `${onto.device}p1`).trim())).toBe(bytes);
    expect(b.partitions.map((x) => [x.start, x.type, x.name])).toEqual(a.partitions.map((x) => [x.start, x.type, x.name]));
    if (!clone) expect(b.partitions[0]!.uuid).toBe(a.partitions[0]!.uuid);
    else expect(b.partitions[0]!.uuid).not.toBe(a.partitions[0]!.uuid);
    const check = join(dir, 'check');
    mkdirSync(check, { recursive: true });
    sh('mount -o ro "$1" "$2"', `${onto.device}p1`, check);
    mounted.push(check);
    try {
      expect(tree(check)).toEqual(want);
      expect(sh('blkid -p -o value -s LABEL "$1"', `${onto.device}p1`).trim()).toBe('lbdata');
      // the filesystem was made for the new size, not the recorded 48 MiB
      expect(Number(sh('df -B1 --output=size "$1" | tail -1', check).trim())).toBeGreaterThan(48 * MiB);
    } finally {
      sh('umount "$1"', check);
      mounted.pop();
    }
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
    expect(await p.getByTestId('set-host').textContent()).toBe(SYSTEM_NAME);
    expect(await p.getByTestId('set-kind').textContent()).toBe('Full backup');
    const part = p.getByTestId('set-partition');
    expect(await part.count()).toBe(1);
    expect(await part.textContent()).toContain(`${src.device}p1`);
    expect(await part.textContent()).toContain('ext4');
    expect(await part.textContent()).toContain('lbdata');
    await shot(p, 'en', 2, 'restore-set');

    await p.getByTestId('set-next').click();
    await p.getByRole('heading', { name: 'Choose where to restore' }).waitFor();
    expect(await p.locator(`[data-testid=target-row][data-device="${target.device}"] [data-testid=target-fit]`).textContent()).toMatch(/^Fits: 67\.1\u00a0MB for/);
    await chooseTarget(p, /^Too small: 8\.39\u00a0MB, this backup needs [\d.]+\u00a0MB$/, big);
    await shot(p, 'en', 3, 'restore-targets');

    await p.getByTestId('targets-next').click();
    await p.getByTestId('step-review').waitFor();
    const row = p.getByTestId('plan-mapping-row');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(`${src.device}p1${big.device}p1`);
    const steps = p.getByTestId('plan-step');
    expect(await steps.count()).toBeGreaterThan(5);
    expect(await steps.first().textContent()).toContain('Check the');
    const destructive = p.locator('[data-testid=plan-step][data-destructive=true]');
    expect(await destructive.count()).toBeGreaterThan(2);
    // the exact command behind a destructive step, shown on demand
    await destructive.first().locator('summary').click();
    expect(await destructive.first().getByTestId('plan-command').textContent()).toContain(big.device);
    expect(await p.getByTestId('erase-list').textContent()).toContain(big.device);
    expect(await p.getByTestId('restore-go').isDisabled()).toBe(true);

    // Partition sizes: closed until asked for, automatic, the partition growing with the larger disk
    const panel = p.getByTestId('sizes-panel');
    expect(await textOf(panel.locator('summary'), 'Partition sizesautomatic')).toBe('Partition sizesautomatic');
    await panel.locator('summary').click();
    const size = sizeRow(p);
    expect(await size.row.textContent()).toContain(`${big.device}p1from ${src.device}p1/ · ext4 · lbdata48\u00a0MiB`);
    expect(await textOf(size.note, 'scales with the disk, and gets what rounding leaves over')).toBe('scales with the disk, and gets what rounding leaves over');
    // the field is empty (automatic) and shows the planned size: grown from the recorded 48 MiB
    expect(await size.input.inputValue()).toBe('');
    const auto = /^([\d.]+)\u00a0MiB$/.exec((await size.input.getAttribute('placeholder')) ?? '');
    expect(Number(auto?.[1])).toBeGreaterThan(48);
    await shot(p, 'en', 4, 'restore-sizes-automatic');
    // sizes the planner would refuse are refused at once, with the numbers, and block the run
    await size.input.fill('forty');
    expect(await textOf(size.problem, 'Not a size: write it like 40 GiB or 512 MiB.')).toBe('Not a size: write it like 40 GiB or 512 MiB.');
    await size.input.fill('1 MiB');
    expect(await textOf(size.problem, /^Too small: its files need at least \d+\u00a0MiB\.$/)).toMatch(/^Too small: its files need at least \d+\u00a0MiB\.$/);
    await size.input.fill('1 TiB');
    expect(await textOf(size.problem, /^Too large: at most 12\d\u00a0MiB is left for it on this disk\.$/)).toMatch(/^Too large: at most 12\d\u00a0MiB is left for it on this disk\.$/);
    await size.input.scrollIntoViewIfNeeded();
    await shot(p, 'en', 4, 'restore-sizes-refused');
    await p.getByLabel('I understand everything on these disks will be erased').check();
    expect(await p.getByTestId('restore-go').isDisabled()).toBe(true);
    expect(await textOf(p.getByTestId('sizes-pending'), 'Correct or clear the partition sizes above to continue.')).toBe('Correct or clear the partition sizes above to continue.');
    // the size an expert wants: the plan is compiled again with it
    await size.input.fill('100 MiB');
    expect(await size.problem.count()).toBe(0);
    const sfdisk = await waitForSfdiskSize(p, (100 * MiB) / 512);
    expect(sfdisk).toContain(`sfdisk -q --no-reread --no-tell-kernel ${big.device}`);
    await p.getByTestId('sizes-pending').waitFor({ state: 'detached' });
    expect(await textOf(panel.locator('summary'), 'Partition sizes1 size set by you')).toBe('Partition sizes1 size set by you');
    expect(await textOf(size.note, 'your size')).toBe('your size');
    expect(await size.input.inputValue()).toBe('100 MiB');
    // in the unit typed above, not "50.3 MB → 105 MB"
    expect(await textOf(p.getByTestId('plan-mapping-row'), (t: string) => t.includes('48\u00a0MiB → 100\u00a0MiB'))).toContain('48\u00a0MiB → 100\u00a0MiB');
    expect(await textOf(p.getByTestId('sizes-free'), /^Left free at the end of the disk: 2\d(\.\d+)?\u00a0MiB\. Every partition has a set size: the rest of the disk stays free\.$/)).toMatch(/^Left free at the end of the disk: 2\d(\.\d+)?\u00a0MiB\. Every partition has a set size: the rest of the disk stays free\.$/);
    // a plan changed under the erase box: it must be ticked again
    expect(await p.getByTestId('understand').isChecked()).toBe(false);
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

    // The host side: the size typed, exactly; the same identities otherwise (not clone); the same files.
    checkRestored(big, 100 * MiB, false);
  });

  it('goes through the same screens in French, finding the set by scanning', async () => {
    const p = await open('fr');
    await p.getByTestId('journey-restore').click();
    await p.getByRole('heading', { name: 'Trouver la sauvegarde' }).waitFor();
    await p.getByRole('button', { name: 'Chercher les sauvegardes' }).click();
    const found = p.locator(`[data-testid=found-set][data-dir="${setDir}"]`);
    await found.waitFor({ timeout: 60_000 });
    expect(await found.textContent()).toContain(SYSTEM_NAME);
    expect(await found.textContent()).toContain('Sauvegarde complète');
    await shot(p, 'fr', 1, 'restore-find');

    await found.click();
    await p.getByTestId('step-set').waitFor();
    await p.getByRole('heading', { name: `Sauvegarde de ${SYSTEM_NAME}` }).waitFor();
    await shot(p, 'fr', 2, 'restore-set');

    await p.getByRole('button', { name: 'Choisir les disques' }).click();
    await p.getByRole('heading', { name: 'Choisir où restaurer' }).waitFor();
    await chooseTarget(p, /^Trop petit\u00a0?\s?: 8,39\u00a0Mo, cette sauvegarde demande [\d,]+\u00a0Mo$/, big2);
    await p.getByText('Faire une copie avec de nouveaux identifiants (mode clone)').click();
    await shot(p, 'fr', 3, 'restore-targets');

    await p.getByRole('button', { name: 'Vérifier le plan' }).click();
    await p.getByTestId('step-review').waitFor();
    await p.getByText('Mode clone : le disque restauré reçoit de nouveaux identifiants.').waitFor();
    expect(await p.getByRole('button', { name: 'Effacer et restaurer' }).isDisabled()).toBe(true);

    await p.getByTestId('sizes-panel').locator('summary').click();
    const size = sizeRow(p);
    await size.row.waitFor();
    expect(await textOf(size.note, 'suit la taille du disque, et reçoit ce que l’arrondi laisse')).toBe('suit la taille du disque, et reçoit ce que l’arrondi laisse');
    // French units and decimal comma
    await size.input.fill('0,001 Gio');
    expect(await textOf(size.problem, /^Trop petit : ses fichiers demandent au moins \d+\u00a0Mio\.$/)).toMatch(/^Trop petit : ses fichiers demandent au moins \d+\u00a0Mio\.$/);
    await size.input.fill('1 Tio');
    expect(await textOf(size.problem, /^Trop grand : il reste au plus 9\d\u00a0Mio pour elle sur ce disque\.$/)).toMatch(/^Trop grand : il reste au plus 9\d\u00a0Mio pour elle sur ce disque\.$/);
    await shot(p, 'fr', 4, 'restore-sizes-refused');
    await size.input.fill('40');
    expect(await textOf(size.problem, 'Ce n’est pas une taille : écrivez-la comme 40 Gio ou 512 Mio.')).toBe('Ce n’est pas une taille : écrivez-la comme 40 Gio ou 512 Mio.');
    // "Reset to automatic" empties the field and the plan is the planner's own again
    await p.getByRole('button', { name: 'Revenir aux tailles automatiques' }).click();
    expect(await size.input.inputValue()).toBe('');
    expect(await size.problem.count()).toBe(0);
    await size.input.fill('80 Mio');
    await waitForSfdiskSize(p, (80 * MiB) / 512);
    await p.getByTestId('sizes-pending').waitFor({ state: 'detached' });
    expect(await textOf(p.getByTestId('sizes-panel').locator('summary'), 'Tailles des partitions1 taille choisie par vous')).toBe('Tailles des partitions1 taille choisie par vous');
    expect(await textOf(size.note, 'votre taille')).toBe('votre taille');
    await p.getByLabel('Je comprends que tout ce qui se trouve sur ces disques sera effacé').check();
    await shot(p, 'fr', 4, 'restore-review');

    await p.getByRole('button', { name: 'Effacer et restaurer' }).click();
    const result = p.getByTestId('step-result');
    await result.waitFor({ timeout: 90_000 });
    if ((await result.getAttribute('data-outcome')) !== 'done') {
      throw new Error(`restore did not finish: ${await result.textContent()}\n${host!.output().slice(-3000)}`);
    }
    await shot(p, 'fr', 6, 'restore-result');
    checkRestored(big2, 80 * MiB, true);
  });
});
