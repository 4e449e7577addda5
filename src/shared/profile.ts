/**
 * Profiles: the "Make recovery media" choices saved as a JSON file, so the same backup
 * and rescue disk can be made again unattended (`lifeboat backup --profile FILE`, then
 * `lifeboat media --profile FILE`), and the command lines equivalent to those choices.
 *
 * A profile is the wizard's `media.make` request split in the two halves the CLI has
 * as commands, under a versioned header:
 *
 *   {"lifeboat":"profile","version":1,"backup":{root,dest,compress,...},"media":{iso,embed,lang,...}}
 *
 * It holds paths and options only: an SMB share's user and password (the request's
 * `destination`) are never copied into it. A USB stick is kept
 * as the kind only, never its device name: /dev/sdb today may be another disk tomorrow,
 * so an unattended run must name the stick itself (`--usb DEVICE`).
 */
import { z } from 'zod';
import { mediaMakeRequest } from './api';
import { DISC_BYTES, mediaOutputOf, SPLIT_CHOICES } from './media-make';
import { parseSize } from './format';

export const PROFILE_VERSION = 1;

export const profileBackupSchema = mediaMakeRequest.pick({ root: true, dest: true, compress: true, level: true, split: true, excludes: true, defaultExcludes: true }).strict();
export const profileMediaSchema = mediaMakeRequest
  .pick({ kind: true, iso: true, pxe: true, embed: true, lang: true, kernel: true, splitMedia: true, dataFs: true, again: true, keep: true })
  .strict();

export const profileSchema = z
  .object({
    lifeboat: z.literal('profile'),
    version: z.literal(PROFILE_VERSION),
    backup: profileBackupSchema,
    media: profileMediaSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    // A stick has no path here (see above); an ISO or PXE folder needs one, and only one.
    const m = p.media;
    const ok = m.kind === 'usb' ? m.iso === undefined && m.pxe === undefined : mediaOutputOf(m) !== null;
    if (!ok) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['media', m.kind ?? 'iso'], message: 'the output does not match the kind' });
  });

export type Profile = z.output<typeof profileSchema>;
export type MediaMakeRequest = z.output<typeof mediaMakeRequest>;

/** Why a file is not a usable profile; each maps to an error code (see `profileError`). */
export type ProfileProblem =
  | { kind: 'not-profile' }
  | { kind: 'version'; version: string }
  | { kind: 'invalid'; field: string };

/**
 * Validates a profile's JSON text. The header is checked first, so a file from a newer
 * Lifeboat is named as such rather than reported field by field.
 */
export function parseProfile(text: string): { ok: true; profile: Profile } | { ok: false; problem: ProfileProblem } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: { kind: 'not-profile' } };
  }
  if (typeof data !== 'object' || data === null || (data as { lifeboat?: unknown }).lifeboat !== 'profile') return { ok: false, problem: { kind: 'not-profile' } };
  const version = (data as { version?: unknown }).version;
  if (version !== PROFILE_VERSION) return { ok: false, problem: { kind: 'version', version: String(version) } };
  const r = profileSchema.safeParse(data);
  if (!r.success) return { ok: false, problem: { kind: 'invalid', field: r.error.issues[0]?.path.join('.') || '?' } };
  return { ok: true, profile: r.data };
}

export function profileFromRequest(req: MediaMakeRequest): Profile {
  const { root, dest, compress, level, split, excludes, defaultExcludes, iso, pxe, embed, lang, kernel, splitMedia, dataFs, again, keep } = req;
  const kind = req.kind ?? 'iso';
  // Only what the CLI reads back (see media.ts): absent fields stay absent.
  const extra = { splitMedia, dataFs, again, keep };
  const defined = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) as Partial<typeof extra>;
  return {
    lifeboat: 'profile',
    version: PROFILE_VERSION,
    backup: { root, dest, compress, ...(level !== undefined ? { level } : {}), ...(split !== undefined ? { split } : {}), excludes, defaultExcludes },
    media: { kind, ...(kind === 'iso' ? { iso } : kind === 'pxe' ? { pxe } : {}), embed, lang, ...(kernel !== undefined ? { kernel } : {}), ...defined },
  };
}

/** The request a profile holds; for a stick, without a device (the user picks one). */
export function requestFromProfile(p: Profile): MediaMakeRequest {
  return { ...p.backup, ...p.media };
}

/** What the command line shows for the credentials file of an SMB destination. */
export const SMB_CREDENTIALS_PLACEHOLDER = 'FILE';

/** The text `lifeboat backup --split` takes for "one part per archive, however large". */
export const NO_SPLIT_TEXT = 'none';

/** Bytes as the shortest `--split` text that means exactly them (a preset's text when it is one). */
export function splitText(bytes: number): string {
  if (bytes === Number.MAX_SAFE_INTEGER) return NO_SPLIT_TEXT;
  for (const text of Object.values(SPLIT_CHOICES)) if (text !== null && parseSize(text) === bytes) return text;
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2]] as const) if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/**
 * The two commands that do what the request does: the backup, then the rescue ISO
 * from the set it wrote, as groups of words (a command, then one option with its value
 * per group). Every option is written out (no reliance on a default that a later
 * version might change), so the lines mean the same thing wherever they run.
 */
function commandGroups(req: MediaMakeRequest): { backup: string[][]; media: string[][] } {
  // An SMB share's password never goes into a command line (every user sees argv): the
  // command reads it from a mount.cifs credentials file the user keeps (chmod 600).
  const credentials = req.dest.startsWith('cifs://') ? [['--smb-credentials', SMB_CREDENTIALS_PLACEHOLDER]] : [];
  const backup = [['lifeboat', 'backup'], ['--root', req.root], ['--dest', req.dest], ...credentials, ['--compress', req.compress]];
  if (req.level !== undefined && req.compress !== 'none') backup.push(['--level', String(req.level)]);
  if (req.split !== undefined) backup.push(['--split', splitText(req.split)]);
  // `--exclude=VALUE`: a pattern that starts with "-" cannot be taken for an option.
  for (const x of req.excludes) backup.push([`--exclude=${x}`]);
  if (!req.defaultExcludes) backup.push(['--no-default-excludes']);
  const out = mediaOutputOf(req);
  const media = [['lifeboat', 'media'], ['--set', req.dest], ...credentials];
  if (out) media.push([`--${out.kind}`, out.path]);
  // The CLI takes a loop device as a stick only when told (tests, power users), as the app does.
  if (out?.kind === 'usb' && out.path.startsWith('/dev/loop')) media.push(['--include-loop']);
  // Adding a set to a Lifeboat stick rebuilds nothing: the CLI refuses rescue-system options there.
  if (req.again) {
    media.push(['--again'], ['--keep', String(req.keep ?? 3)]);
    return { backup, media };
  }
  media.push([req.embed ? '--embed' : '--no-embed'], ['--lang', req.lang]);
  if (req.kernel) media.push(['--kernel', req.kernel]);
  if (req.splitMedia !== undefined) media.push(['--split-media', discSizeText(req.splitMedia)]);
  if (req.dataFs) media.push(['--data-fs', req.dataFs]);
  return { backup, media };
}

/** Bytes per disc as `--split-media` takes them: `cd` or `dvd` when a preset, else the shortest exact size. */
export function discSizeText(bytes: number): string {
  for (const [name, size] of Object.entries(DISC_BYTES)) if (size === bytes) return name;
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2]] as const) if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** What "the rescue system only" sends (`media.rescueOnly`). */
export interface RescueOnlyRequest {
  iso: string;
  lang: 'en' | 'fr';
  kernel?: string;
}

/** The one command that builds the rescue system alone, as words. */
export function rescueOnlyLine(req: RescueOnlyRequest): string[] {
  return ['lifeboat', 'media', '--rescue-only', '--iso', req.iso, '--lang', req.lang, ...(req.kernel ? ['--kernel', req.kernel] : [])];
}

/** The same, as a shell reads it (no backup command: there is no set to make). */
export function rescueOnlyText(req: RescueOnlyRequest): string {
  return shellLine(rescueOnlyLine(req));
}

export function commandLines(req: MediaMakeRequest): { backup: string[]; media: string[] } {
  const g = commandGroups(req);
  return { backup: g.backup.flat(), media: g.media.flat() };
}

/**
 * Both commands as a shell reads them, one option per line (a long list of exclusions
 * stays readable), the media command run only if the backup succeeded.
 */
export function commandText(req: MediaMakeRequest): string {
  const g = commandGroups(req);
  const one = (groups: string[][]) => groups.map((words) => shellLine(words)).join(' \\\n  ');
  return `${one(g.backup)} &&\n${one(g.media)}`;
}

/** One argument as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
