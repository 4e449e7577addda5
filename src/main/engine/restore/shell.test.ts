/**
 * The sh rendering, run for real with dash on a harmless plan whose names are hostile
 * (quotes, spaces, $(...), backquotes, newlines): they must reach the programs as they
 * are and nothing in them may run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderShell } from './shell';
import { compilePlan } from './compile';
import { recordedScript } from './recorded';
import { recordedLayout, setAround } from './test-util';
import { cleanupScratch, scratchDir } from '../../../../test/util/loop';
import type { RestorePlan, RestoreStep } from '../../../shared/restore-plan';

const hasDash = spawnSync('dash', ['-c', 'true']).status === 0;
afterAll(() => cleanupScratch());

const HOSTILE = `it's a "name" $(touch PWNED) \`touch PWNED2\` $HOME;\nline2`;

function harmlessPlan(dir: string, extra: RestoreStep[] = []): RestorePlan {
  const t = (key: string) => ({ key, params: { path: HOSTILE } });
  const target = join(dir, HOSTILE);
  const set = join(dir, 'set dir');
  return {
    setId: 'set $(touch PWNED3)',
    setDir: set,
    clone: false,
    mountRoot: dir,
    targets: [{ source: '/dev/x', device: `/dev/x'; touch PWNED4; '`, sizeBytes: 1, neededBytes: 1 }],
    mapping: [],
    warnings: [],
    steps: [
      { id: 'mkdir.1', phase: 'mount', title: t('steps.mkdir'), argv: ['mkdir', '-p', target], destructive: false, weight: 1 },
      { id: 'stdin.1', phase: 'configure', title: t('steps.fstab'), argv: ['tee', join(target, 'from-stdin')], stdin: `${HOSTILE}\n'quoted'\n`, destructive: false, weight: 1 },
      {
        id: 'extract.1',
        phase: 'extract',
        title: t('steps.extract'),
        argv: { pipeline: [['gzip', '-d', '-c'], ['tar', '-x', '-f', '-', '-C', target]], input: [join(set, 'part one.000'), join(set, "part 'two'.001")] },
        destructive: true,
        weight: 1,
      },
      { id: 'tolerated', phase: 'finish', title: t('steps.sync'), argv: ['sh', '-c', 'exit 1'], okExitCodes: [0, 1], destructive: false, weight: 1 },
      ...extra,
    ],
  };
}

/** A gzip'd tar split in two parts, the way a set stores archives. */
function makeParts(dir: string) {
  const src = join(dir, 'src');
  mkdirSync(join(src, HOSTILE), { recursive: true });
  writeFileSync(join(src, HOSTILE, 'file'), 'content\n');
  const set = join(dir, 'set dir');
  mkdirSync(set);
  const tgz = execFileSync('sh', ['-c', 'tar -C "$1" -cf - . | gzip -c', 'sh', src]);
  const half = Math.floor(tgz.length / 2);
  writeFileSync(join(set, 'part one.000'), tgz.subarray(0, half));
  writeFileSync(join(set, "part 'two'.001"), tgz.subarray(half));
}

describe.skipIf(!hasDash)('renderShell, run with dash (skipped when dash is missing)', () => {
  it('runs every step with hostile names passed as they are, and nothing in them runs', () => {
    const dir = scratchDir();
    makeParts(dir);
    const script = renderShell(harmlessPlan(dir));
    const res = spawnSync('dash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.split('\n').filter((l) => l.startsWith('LIFEBOAT-STEP '))).toEqual([
      'LIFEBOAT-STEP 1/4 mkdir.1',
      'LIFEBOAT-STEP 2/4 stdin.1',
      'LIFEBOAT-STEP 3/4 extract.1',
      'LIFEBOAT-STEP 4/4 tolerated',
    ]);
    expect(res.stdout).toContain('LIFEBOAT-PLAN-DONE');
    const target = join(dir, HOSTILE);
    expect(readFileSync(join(target, 'from-stdin'), 'utf8')).toBe(`${HOSTILE}\n'quoted'\n`);
    expect(readFileSync(join(target, HOSTILE, 'file'), 'utf8')).toBe('content\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(existsSync(join(process.cwd(), 'PWNED'))).toBe(false);
  });

  it('stops at the first failing step, names it, and a failing pipeline stage counts as a failure', () => {
    const dir = scratchDir();
    makeParts(dir);
    writeFileSync(join(dir, 'set dir', "part 'two'.001"), 'garbage that gzip rejects');
    const after: RestoreStep = { id: 'never', phase: 'finish', title: { key: 'steps.sync', params: {} }, argv: ['touch', join(dir, 'NEVER')], destructive: false, weight: 1 };
    const res = spawnSync('dash', ['-c', renderShell(harmlessPlan(dir, [after]))], { cwd: dir, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stdout).toMatch(/LIFEBOAT-STEP-FAILED 3 extract\.1 \d+/);
    expect(existsSync(join(dir, 'NEVER'))).toBe(false);
  });

  it.skipIf(!hasDash)('a stage cut off by SIGPIPE is not a failure when the next one succeeds: tar stops at its end marker, before a large record\'s padding', () => {
    const dir = scratchDir();
    const set = join(dir, 'set dir');
    mkdirSync(join(dir, 'src'));
    mkdirSync(set);
    writeFileSync(join(dir, 'src', 'file'), 'content\n');
    // 256-block records: the archive ends with ~128 KiB of zeros that tar never reads
    execFileSync('sh', ['-c', 'tar -C "$1" --blocking-factor=256 -cf - . | gzip -c >"$2"', 'sh', join(dir, 'src'), join(set, 'part one.000')]);
    const plan = harmlessPlan(dir);
    plan.steps = plan.steps.filter((s) => s.id === 'mkdir.1' || s.id === 'extract.1');
    const extract = plan.steps[1]!.argv as { pipeline: string[][]; input: string[] };
    extract.input = [join(set, 'part one.000')];
    const res = spawnSync('dash', ['-c', renderShell(plan)], { cwd: dir, encoding: 'utf8' });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(readFileSync(join(dir, HOSTILE, 'file'), 'utf8')).toBe('content\n');
  });

  it('renders a compiled plan that dash parses, with the set folder as a variable when asked', () => {
    const p = compilePlan(setAround(recordedLayout('gpt')), {
      setDir: "/media/it's set",
      mountRoot: '/mnt/lb',
      targets: { '/dev/loopG': { device: '/dev/loop9', sizeBytes: 536870912 } },
    });
    for (const setVariable of [false, true]) {
      const script = renderShell(p, { setVariable });
      // -n: parse only; the script must be valid POSIX sh
      expect(spawnSync('dash', ['-n', '-c', script]).status).toBe(0);
      expect(script.match(/^echo 'LIFEBOAT-STEP /gm)!.length).toBe(p.steps.length);
      if (setVariable) expect(script).toContain(`"$LIFEBOAT_SET"/'archives/a0.tar.zst.000'`);
      else expect(script).toContain(`'/media/it'\\''s set/archives/a0.tar.zst.000'`);
    }
  });

  it('with target variables, names disks and their partitions the way the kernel does', () => {
    const p = compilePlan(setAround(recordedLayout('gpt')), { setDir: '/s', mountRoot: '/m', targets: { '/dev/loopG': { device: '/dev/loop9', sizeBytes: 536870912 } } });
    const script = renderShell(p, { targetVariables: true });
    expect(script).toContain(`LIFEBOAT_TARGET_1=\${LIFEBOAT_TARGET_1:-'/dev/loop9'}`);
    expect(script).toContain(`'wipefs' '-a' "$LIFEBOAT_TARGET_1"`);
    expect(script).toContain(`'mkswap' '-f' '-U' '0f0f0f0f-1111-4222-8333-444444444444' '-L' 'lbswap' "$(lb_part "$LIFEBOAT_TARGET_1" 4)"`);
    // outside the variable's default, the plan's device name is gone
    expect(script.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('LIFEBOAT_TARGET_1=') && l.includes('/dev/loop9'))).toEqual([]);
    const header = script.split('\n').find((l) => l.startsWith('lb_part()'))!;
    const names = spawnSync('dash', ['-c', `${header}\nfor d in /dev/sda /dev/vdb /dev/nvme0n1 /dev/mmcblk0 /dev/loop3; do lb_part "$d" 2; done`], { encoding: 'utf8' }).stdout;
    expect(names.trim().split('\n')).toEqual(['/dev/sda2', '/dev/vdb2', '/dev/nvme0n1p2', '/dev/mmcblk0p2', '/dev/loop3p2']);
  });

  /**
   * The rescue's check of the parts, run with dash: with openssl on PATH (and no sha256sum, so
   * only openssl can have passed it), with sha256sum only (media made on a host without
   * openssl), and a damaged or missing part refused either way, before any later step.
   */
  it('verify-parts: openssl when present, sha256sum otherwise; a bad or missing part stops the script', () => {
    const dir = scratchDir('lifeboat-sh-sums-');
    makeParts(dir);
    const set = join(dir, 'set dir');
    const names = ['part one.000', "part 'two'.001"];
    const sha = (f: string) => execFileSync('sha256sum', [join(set, f)], { encoding: 'utf8' }).split(' ')[0];
    const sums = names.map((n) => [sha(n), n] as const);
    const verify = (list: ReadonlyArray<readonly [string, string]>): RestoreStep => ({
      id: 'verify-parts',
      phase: 'check',
      title: { key: 'steps.verifyParts', params: {} },
      argv: ['sha256sum', '-c', '-'],
      stdin: list.map(([h, n]) => `${h}  ${join(set, n)}\n`).join(''),
      native: 'verify-parts',
      destructive: false,
      weight: 1,
    });
    const after: RestoreStep = { id: 'after', phase: 'finish', title: { key: 'steps.sync', params: {} }, argv: ['rm', '-f', join(dir, 'marker')], destructive: false, weight: 1 };
    const planOf = (list: ReadonlyArray<readonly [string, string]>): RestorePlan => ({ ...harmlessPlan(dir), setDir: set, steps: [verify(list), after] });
    /** a PATH holding only these host tools */
    const pathWith = (tools: string[]) => {
      const bin = scratchDir('lifeboat-sh-bin-');
      for (const t of tools) execFileSync('ln', ['-s', execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), join(bin, t)]);
      return bin;
    };
    const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
    const dash = execFileSync('sh', ['-c', 'command -v dash'], { encoding: 'utf8' }).trim();
    // [kind, PATH, whether sha256sum is there to name the bad part]
    const kinds: Array<[string, string, boolean]> = [['sha256sum', pathWith(['rm', 'cat', 'sha256sum']), true]];
    if (hasOpenssl) kinds.push(['openssl only', pathWith(['rm', 'cat', 'openssl']), false], ['openssl and sha256sum', pathWith(['rm', 'cat', 'openssl', 'sha256sum']), true]);
    else console.log('verify-parts with openssl: skipped, no openssl on this host');
    // the rescue system's own sha256sum and cat are busybox's applets
    const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((b) => existsSync(b));
    if (busybox) {
      const bin = pathWith(['rm']);
      for (const t of ['cat', 'sha256sum']) execFileSync('ln', ['-s', busybox, join(bin, t)]);
      kinds.push(['busybox sha256sum', bin, true]);
    } else console.log('verify-parts with busybox sha256sum: skipped, no busybox on this host');
    for (const [kind, bin, names_bad] of kinds) {
      for (const setVariable of [false, true]) {
        const run = (list: ReadonlyArray<readonly [string, string]>) => {
          writeFileSync(join(dir, 'marker'), '');
          const r = spawnSync(dash, ['-c', renderShell(planOf(list), { setVariable })], { encoding: 'utf8', env: { PATH: bin, LIFEBOAT_SET: set } });
          return { ...r, after: !existsSync(join(dir, 'marker')) };
        };
        const what = `${kind}, setVariable=${setVariable}`;
        const ok = run(sums);
        expect(ok.status, `${what}: ${ok.stdout}${ok.stderr}`).toBe(0);
        expect(ok.stdout, what).toMatch(/part one\.000: OK\n/);
        expect(ok.stdout, what).toMatch(/part 'two'\.001: OK\n/);
        expect(ok.after, what).toBe(true);
        // a damaged part, a missing one
        for (const bad of [[sums[0], ['0'.repeat(64), names[1]]], [...sums, [sums[0][0], 'part three.002']]] as const) {
          const r = run(bad);
          expect(r.status, what).not.toBe(0);
          expect(r.stdout, what).toMatch(/LIFEBOAT-STEP-FAILED 1 verify-parts/);
          if (names_bad) expect(r.stdout, what).toMatch(/(part 'two'\.001|part three\.002): FAILED/);
          expect(r.after, `${what}: the step after the check ran`).toBe(false);
        }
      }
    }
  });

  it('the recorded-layout script (restore.sh of a set) parses and defaults to the recorded disks', () => {
    const set = setAround(recordedLayout('mbr'));
    const script = recordedScript(set, { setDir: '/media/set' });
    expect(spawnSync('dash', ['-n', '-c', script]).status).toBe(0);
    expect(script).toContain(`LIFEBOAT_TARGET_1=\${LIFEBOAT_TARGET_1:-'/dev/loopM'}`);
    expect(script).toContain(`LIFEBOAT_SET=\${LIFEBOAT_SET:-'/media/set'}`);
    expect(script).toContain('p5 : start=208896, size=655360, type=83');
  });
});
