/**
 * One level of the wizard's exclusion tree: the child folders of a folder of the
 * system being backed up, each with the apparent size of its files (see the engine's
 * folder-sizes.ts), and the pure helpers the renderer uses to match them against
 * exclusion patterns and sum an estimate.
 */

export interface FolderSize {
  name: string;
  /** bytes of regular files below it, on its own filesystem; a lower bound when `capped` */
  size: number;
  /** the time cap stopped the walk before it finished */
  capped: boolean;
  /** another filesystem is mounted here */
  mountpoint: boolean;
}

export interface FolderSizes {
  /** the root and folder as resolved (no symlinks) */
  root: string;
  dir: string;
  /** bytes of the regular files directly in `dir` */
  files: number;
  children: FolderSize[];
}

/** Default and longest time cap of one folder-sizes request. */
export const FOLDER_SIZES_BUDGET_MS = 4000;
export const FOLDER_SIZES_MAX_BUDGET_MS = 30_000;

/** "/var/tmp/*" → a regex for tar's matching (anchored at the root, `*` does not cross `/`). */
function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  // A pattern without a leading "/" matches at any depth, as tar's --no-anchored does.
  return new RegExp(pattern.startsWith('/') ? `^${body}$` : `(^|/)${body}$`);
}

/**
 * The pattern that leaves out the folder at `rel` (root-relative, "/var/tmp"), if any:
 * one naming the folder itself, or all of its contents ("/var/tmp/*"). A pattern for
 * some files inside ("/var/cache/apt/archives/*.deb") does not empty the folder.
 */
export function excludingPattern(rel: string, patterns: readonly string[]): string | null {
  for (const p of patterns) {
    const re = patternRegex(p);
    if (re.test(rel)) return p;
    if (p.endsWith('/*') && patternRegex(p.slice(0, -2)).test(rel)) return p;
  }
  return null;
}

/** Whether one path component matches one component of a pattern ("*", ".cache", "lost+found"). */
export function componentMatches(glob: string, name: string): boolean {
  return patternRegex(`/${glob}`).test(`/${name}`);
}

/** The pattern a ticked folder adds: its contents, keeping the folder itself (as the defaults do). */
export function folderExclude(rel: string): string {
  return `${rel === '/' ? '' : rel}/*`;
}
