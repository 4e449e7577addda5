/**
 * Profiles and the command lines the wizard's Review step shows.
 *
 * The lines are checked the way a user would use them: the text is read back by a real
 * `sh`, the words are parsed by the real commander definitions of `lifeboat backup` and
 * `lifeboat media`, and the options those commands would run with must be the request
 * the wizard sends. Then a profile saved as the app saves it drives the real CLI: a
 * backup of a small folder and, where a kernel is installed, its rescue ISO.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { createI18n } from '../../../shared/i18n';
import { commandLines, commandText, profileFromRequest, rescueOnlyLine, rescueOnlyText, shellLine, type MediaMakeRequest } from '../../../shared/profile';
import { DISC_BYTES } from '../../../shared/media-make';
import { parseDiscSize } from '../../engine/media/split';
import { cleanupScratch, scratchDir } from '../../../../test/util/loop';
import { runCli } from '../../../../test/util/cli';
import { readProfile, writeProfile } from '../../services/profile';
import type { CliIo } from '../output';
import { backupOptionsOf, registerBackup, type BackupFlags } from './backup';
import { mediaFlagsOf, registerMedia, type MediaFlags } from './media';

const dir = scratchDir('lifeboat-profile-');
afterAll(() => cleanupScratch());

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const hasXorriso = spawnSync('xorriso', ['-version']).status === 0;

/** What the shell makes of a line: its words, exactly. */
function shellWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

/** Parses `lifeboat …` words with the real command definitions and stops before the action runs. */
async function parse(words: string[]): Promise<{ name: string; opts: Record<string, unknown>; cmd: Command }> {
  expect(words[0]).toBe('lifeboat');
  const { t } = await createI18n('en');
  const io: CliIo = { json: false, lang: 'en', t, interactive: false, isTTY: false, out: () => {}, err: () => {} };
  const program = new Command('lifeboat').exitOverride();
  const never = () => {
    throw new Error('setExitCode called: an action ran');
  };
  registerBackup(program, io, new AbortController().signal, never);
  registerMedia(program, io, new AbortController().signal, never);
  let seen: { name: string; opts: Record<string, unknown>; cmd: Command } | null = null;
  const stop = new Error('stop before the action');
  program.hook('preAction', (_p, cmd) => {
    seen = { name: cmd.name(), opts: cmd.opts(), cmd };
    throw stop;
  });
  await expect(program.parseAsync(words.slice(1), { from: 'user' })).rejects.toBe(stop);
  return seen!;
}

async function requestOfLines(req: MediaMakeRequest): Promise<MediaMakeRequest> {
  const lines = commandLines(req);
  // What the Review step shows (and copies): one option per line, the media command after `&&`.
  const [backupText, mediaText, ...rest] = commandText(req).split(' &&\n');
  expect(rest).toEqual([]);
  expect(shellWords(backupText)).toEqual(lines.backup);
  expect(shellWords(mediaText)).toEqual(lines.media);
  const b = await parse(shellWords(shellLine(lines.backup)));
  const m = await parse(shellWords(shellLine(lines.media)));
  expect([b.name, m.name]).toEqual(['backup', 'media']);
  const backup = backupOptionsOf(b.opts as unknown as BackupFlags, b.cmd, null);
  const media = mediaFlagsOf(m.opts as unknown as MediaFlags, m.cmd, null);
  // The set the media command reads is the one the backup command writes.
  expect(media.set).toBe(backup.dest);
  expect(backup.base).toBeUndefined();
  expect(backup.raw).toBe(true);
  // A loop device is a stick only when the CLI is told so, as the app's host does.
  expect(Boolean(media.includeLoop)).toBe(Boolean(req.usb?.startsWith('/dev/loop')));
  const back: MediaMakeRequest = {
    root: backup.root!,
    dest: backup.dest,
    compress: backup.compress!,
    ...(backup.level !== undefined ? { level: backup.level } : {}),
    ...(backup.split !== undefined ? { split: backup.split } : {}),
    excludes: backup.excludes!,
    defaultExcludes: backup.defaultExcludes!,
    ...(media.usb ? { kind: 'usb' as const, usb: media.usb } : media.pxe ? { kind: 'pxe' as const, pxe: media.pxe } : { iso: media.iso! }),
    // --again adds the set to the stick and rebuilds nothing, so neither embedding nor the
    // menu's language is on its line: the set is on the stick, and the language is unused.
    embed: media.again ? true : media.embed!,
    lang: media.again ? req.lang : media.lang!,
    ...(media.kernel !== undefined ? { kernel: media.kernel } : {}),
    ...(media.splitMedia !== undefined ? { splitMedia: parseDiscSize(media.splitMedia)! } : {}),
    ...(media.dataFs !== undefined ? { dataFs: media.dataFs } : {}),
    ...(media.again ? { again: true, keep: Number(media.keep) } : {}),
  };
  return back;
}

const plain: MediaMakeRequest = {
  root: '/',
  dest: '/media/backup/lifeboat-2026-11-25',
  compress: 'zstd',
  split: 4 * 1024 ** 3 - 1,
  excludes: [],
  defaultExcludes: true,
  iso: '/media/backup/lifeboat-2026-11-25-rescue.iso',
  embed: true,
  lang: 'en',
};

describe('the Review step’s command lines', () => {
  it('read back by sh and parsed by the real CLI, give the request the wizard sends', async () => {
    const odd: MediaMakeRequest = {
      root: "/mnt/Alice's disk",
      dest: '/media/sauvegarde $HOME "été" `x`',
      compress: 'xz',
      level: 9,
      split: Number.MAX_SAFE_INTEGER,
      excludes: ['/home/*/Vidéos', '*.iso', '-leading-dash', "it's here", 'back\\slash', 'a  b'],
      defaultExcludes: false,
      iso: '/tmp/a;b&c|d>e.iso',
      embed: false,
      lang: 'fr',
      kernel: '/boot/vmlinuz-6.1 (old)',
    };
    const cases: MediaMakeRequest[] = [
      plain,
      odd,
      { ...plain, compress: 'none', split: 3 * 1024 ** 2, excludes: ['/srv/scratch'] },
      { ...plain, compress: 'gzip', level: 1, split: 700 * 1024 ** 2 + 1 },
      { ...plain, split: undefined, excludes: ['/tmp/*', '/var/tmp/*'], defaultExcludes: false },
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc' },
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/loop7', embed: false },
      { ...plain, iso: undefined, kind: 'pxe', pxe: '/srv/tftp/lifeboat host', embed: false },
      // Disc sets: the wizard's CD and DVD sizes, and any other size in bytes.
      { ...plain, splitMedia: DISC_BYTES.cd },
      { ...plain, split: 700 * 1024 ** 2, splitMedia: DISC_BYTES.dvd, lang: 'fr' },
      { ...plain, splitMedia: 300 * 1024 ** 2 + 5 },
      // A stick made afresh, with its data partition's filesystem.
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc', dataFs: 'exfat' },
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/loop7', dataFs: 'ext4', embed: false },
      // Backup again onto a Lifeboat stick: the set is added, the newest `keep` kept.
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc', again: true, keep: 2 },
      { ...plain, iso: undefined, kind: 'usb', usb: '/dev/loop3', again: true, keep: 1, lang: 'fr' },
    ];
    for (const req of cases) {
      const clean = JSON.parse(JSON.stringify(req)) as MediaMakeRequest;
      expect(await requestOfLines(clean)).toEqual(clean);
    }
  });

  it('the rescue system alone: one media command, read back by sh and the real CLI', async () => {
    for (const req of [
      { iso: '/srv/rescue.iso', lang: 'en' as const },
      { iso: "/home/Zoé's/secours (2).iso", lang: 'fr' as const, kernel: '/boot/vmlinuz-6.1 x' },
    ]) {
      const words = shellWords(rescueOnlyText(req));
      expect(words).toEqual(rescueOnlyLine(req));
      const m = await parse(words);
      expect(m.name).toBe('media');
      const o = mediaFlagsOf(m.opts as unknown as MediaFlags, m.cmd, null);
      // No set: `--rescue-only` builds the ISO alone (the CLI refuses a set-less run without it).
      expect(o).toMatchObject({ rescueOnly: true, iso: req.iso, lang: req.lang });
      expect(o.kernel).toBe('kernel' in req ? req.kernel : undefined);
      expect(o.set).toBeUndefined();
      expect(o.embed).toBeUndefined();
    }
  });

  it('is plain where nothing needs quoting, and quotes what would change meaning', () => {
    expect(commandText({ ...plain, level: 5, excludes: ['*.bak'] })).toBe(
      [
        'lifeboat backup \\',
        '  --root / \\',
        '  --dest /media/backup/lifeboat-2026-11-25 \\',
        '  --compress zstd \\',
        '  --level 5 \\',
        '  --split 4G-1 \\',
        "  '--exclude=*.bak' &&",
        'lifeboat media \\',
        '  --set /media/backup/lifeboat-2026-11-25 \\',
        '  --iso /media/backup/lifeboat-2026-11-25-rescue.iso \\',
        '  --embed \\',
        '  --lang en',
      ].join('\n'),
    );
    const lines = commandLines({ ...plain, excludes: ['*.bak'] });
    expect(shellLine(lines.backup)).toBe(
      "lifeboat backup --root / --dest /media/backup/lifeboat-2026-11-25 --compress zstd --split 4G-1 '--exclude=*.bak'",
    );
    expect(shellLine(lines.media)).toBe(
      'lifeboat media --set /media/backup/lifeboat-2026-11-25 --iso /media/backup/lifeboat-2026-11-25-rescue.iso --embed --lang en',
    );
  });
});

describe('profile files', () => {
  it('a saved profile reads back as the request, under its versioned header', () => {
    const file = join(dir, 'saved', 'home.lifeboat.json');
    const req: MediaMakeRequest = { ...plain, level: 5, excludes: ['*.iso'], kernel: '/boot/vmlinuz-x' };
    writeProfile(file, req);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data).toMatchObject({ lifeboat: 'profile', version: 1, backup: { dest: plain.dest, level: 5 }, media: { iso: plain.iso, kernel: '/boot/vmlinuz-x' } });
    expect(readProfile(file)).toEqual(profileFromRequest(req));
    // A stick is kept as the kind only: its device name could be another disk next time.
    writeProfile(file, { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc' });
    expect(readFileSync(file, 'utf8')).not.toContain('/dev/sdc');
    expect(readProfile(file).media).toEqual({ kind: 'usb', embed: true, lang: 'en' });
    // Nothing left beside it from the write-then-rename.
    expect(readdirSync(join(dir, 'saved'))).toEqual(['home.lifeboat.json']);
  });

  it('a bad file is refused by the CLI (exit 2) with a code that says what is wrong', async () => {
    const bad = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const good = profileFromRequest(plain);
    const cases: Array<[string, string, Record<string, unknown>]> = [
      [join(dir, 'nowhere.json'), 'profile-missing', {}],
      [bad('text.json', 'not json at all'), 'profile-not-profile', {}],
      [bad('other.json', JSON.stringify({ name: 'something else' })), 'profile-not-profile', {}],
      [bad('future.json', JSON.stringify({ ...good, version: 2 })), 'profile-version', { version: '2' }],
      [bad('relative.json', JSON.stringify({ ...good, backup: { ...good.backup, dest: 'relative/dir' } })), 'profile-invalid', { field: 'backup.dest' }],
      [bad('extra.json', JSON.stringify({ ...good, media: { ...good.media, password: 'x' } })), 'profile-invalid', { field: 'media' }],
      [bad('two.json', JSON.stringify({ ...good, media: { ...good.media, pxe: '/srv/pxe' } })), 'profile-invalid', { field: 'media.iso' }],
      [bad('stick.json', JSON.stringify({ ...good, media: { ...good.media, kind: 'usb', usb: '/dev/sda' } })), 'profile-invalid', { field: 'media' }],
    ];
    for (const [file, code, params] of cases) {
      for (const command of ['backup', 'media']) {
        const r = await runCli([command, '--profile', file, '--json']);
        expect(r.code, r.out).toBe(2);
        expect(r.last).toMatchObject({ type: 'error', code, params: { path: file, ...params } });
      }
    }
    // In words too, in the user's language.
    process.env.LIFEBOAT_LANG = 'fr';
    try {
      const r = await runCli(['backup', '--profile', join(dir, 'future.json')]);
      expect(r.out).toContain('est en version 2 ; ce Lifeboat lit la version 1');
    } finally {
      delete process.env.LIFEBOAT_LANG;
    }
  });

  it('carries the disc set, the stick filesystem and "add to the stick" to the CLI', async () => {
    const discs = join(dir, 'discs.json');
    writeProfile(discs, { ...plain, splitMedia: DISC_BYTES.dvd });
    expect(readProfile(discs).media).toMatchObject({ kind: 'iso', splitMedia: DISC_BYTES.dvd });
    const d = await parse(['lifeboat', 'media', '--profile', discs]);
    expect(mediaFlagsOf(d.opts as unknown as MediaFlags, d.cmd, readProfile(discs))).toMatchObject({ iso: plain.iso, embed: true, splitMedia: 'dvd' });
    // A stick made afresh keeps its filesystem; one added to keeps its sets.
    const exfat = join(dir, 'exfat.json');
    writeProfile(exfat, { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc', dataFs: 'exfat' });
    const x = await parse(['lifeboat', 'media', '--profile', exfat, '--usb', '/dev/sdd']);
    expect(mediaFlagsOf(x.opts as unknown as MediaFlags, x.cmd, readProfile(exfat))).toMatchObject({ usb: '/dev/sdd', dataFs: 'exfat' });
    const again = join(dir, 'again.json');
    writeProfile(again, { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc', again: true, keep: 2 });
    expect(readFileSync(again, 'utf8')).not.toContain('/dev/sdc');
    const a = await parse(['lifeboat', 'media', '--profile', again, '--usb', '/dev/sdd']);
    const flags = mediaFlagsOf(a.opts as unknown as MediaFlags, a.cmd, readProfile(again));
    expect(flags).toMatchObject({ usb: '/dev/sdd', set: plain.dest, again: true, keep: '2' });
    expect(flags.dataFs).toBeUndefined();
  });

  it('a profile for a stick needs the stick named on the command line', async () => {
    const file = join(dir, 'stick-profile.json');
    writeProfile(file, { ...plain, iso: undefined, kind: 'usb', usb: '/dev/sdc' });
    const r = await runCli(['media', '--profile', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--usb' } });
  });

  it('without --dest or a profile, backup is refused (exit 2) as before', async () => {
    const r = await runCli(['backup', '--root', dir, '--json']);
    expect(r.code).toBe(2);
    expect(r.last).toMatchObject({ type: 'error', code: 'invalid-request', params: { field: '--dest' } });
  });
});

describe('an unattended run from a profile, with the real CLI', () => {
  it(`backs up with the profile's choices, command-line options winning${kernelName && hasXorriso ? ', then builds its rescue ISO' : ' (the ISO half is skipped: needs /boot/vmlinuz-* and xorriso)'}`, async () => {
    const root = join(dir, 'root');
    for (const d of ['etc', 'home/alice', 'tmp', 'srv']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc/hostname'), 'profiled\n');
    writeFileSync(join(root, 'home/alice/notes.txt'), 'remember the milk\n'.repeat(500));
    writeFileSync(join(root, 'home/alice/old.bak'), 'left out by the profile');
    writeFileSync(join(root, 'tmp/junk'), 'left out by default');
    const file = join(dir, 'nightly.json');
    const inProfile = join(dir, 'from-profile');
    writeProfile(file, {
      root,
      dest: inProfile,
      compress: 'gzip',
      level: 1,
      split: 1024 ** 2,
      excludes: ['*.bak'],
      defaultExcludes: true,
      iso: join(dir, 'from-profile-rescue.iso'),
      embed: true,
      lang: 'fr',
      ...(kernelName ? { kernel: `/boot/${kernelName}` } : {}),
    });

    // --dest on the command line wins over the profile's; everything else comes from it.
    const dest = join(dir, 'tonight');
    const b = await runCli(['backup', '--profile', file, '--dest', dest, '--json']);
    expect(b.code, b.out).toBe(0);
    expect(existsSync(inProfile)).toBe(false);
    const manifest = JSON.parse(readFileSync(join(dest, 'lifeboat.json'), 'utf8')) as { excludes: string[]; compression: { tool: string; level?: number } };
    expect(manifest.compression).toMatchObject({ tool: 'gzip', level: 1 });
    expect(manifest.excludes).toEqual(expect.arrayContaining(['*.bak', '/tmp/*']));
    expect((await runCli(['verify', dest, '--json'])).code).toBe(0);
    const listing = execFileSync('sh', ['-c', 'cat "$1"/archives/*.tar.gz.* | gzip -d | tar -t', 'sh', dest], { encoding: 'utf8' });
    expect(listing).toContain('home/alice/notes.txt');
    expect(listing).not.toContain('old.bak');
    expect(listing).not.toContain('tmp/junk');

    if (!kernelName || !hasXorriso) return;
    // The ISO half: --set names the set just made; the ISO path, embedding, language and kernel come from the profile.
    const m = await runCli(['media', '--profile', file, '--set', dest, '--json']);
    expect(m.code, m.out).toBe(0);
    const iso = join(dir, 'from-profile-rescue.iso');
    expect(m.last).toMatchObject({ type: 'result', path: iso });
    const report = execFileSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(report).toMatch(/El Torito boot img\s*:\s*1\s+BIOS/);
    // Embedded, as the profile says: the set is inside the ISO.
    const files = execFileSync('xorriso', ['-indev', iso, '-find', '/', '-name', 'lifeboat.json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(files).toContain('lifeboat.json');
  }, 300_000);
});
