/**
 * What a backup leaves out, and how a root-relative pattern becomes a tar --exclude for
 * one filesystem's stream.
 *
 * Folders such as /tmp keep their directory entry (restore needs /tmp to exist with its
 * mode) and lose only their contents, hence the `/*` patterns.
 */

/** Left out unless --no-default-excludes; listed in the manifest as they were applied. */
export const DEFAULT_EXCLUDES = [
  '/proc/*',
  '/sys/*',
  '/dev/*',
  '/run/*',
  '/tmp/*',
  '/var/tmp/*',
  '/var/cache/apt/archives/*.deb',
  '/var/cache/apt/archives/partial/*',
  '/home/*/.cache/*',
  '/root/.cache/*',
  '/home/*/.local/share/Trash/*',
  '/root/.local/share/Trash/*',
] as const;

/** lost+found is rebuilt by mkfs and fsck; its contents belong to the old disk. */
export function lostFoundExcludes(mountpoints: string[]): string[] {
  return mountpoints.map((m) => `${m === '/' ? '' : m}/lost+found/*`);
}

/**
 * tar arguments for one filesystem mounted at `mountpoint` (root-relative), archived
 * with `-C <mount> .` so members are named `./path`.
 *
 * Absolute patterns are anchored and `*` does not cross `/`, so `/tmp/*` cannot hit
 * `/srv/tmp/x`; a pattern without a leading `/` (`*.iso`) matches at any depth.
 */
export function tarExcludeArgs(patterns: string[], mountpoint: string): string[] {
  const anchored: string[] = [];
  const floating: string[] = [];
  for (const typed of patterns) {
    // "/home/anna/" (as shell completion types a folder) would match nothing: tar names
    // folders without the trailing slash, and the exclusion was silently lost
    const p = typed.length > 1 ? typed.replace(/(?<=.)\/+$/, '') : typed;
    if (!p.startsWith('/')) {
      floating.push(p);
      continue;
    }
    const rel = mountpoint === '/' ? p : p.startsWith(mountpoint + '/') ? p.slice(mountpoint.length) : null;
    if (rel !== null) anchored.push('.' + rel);
  }
  const args = ['--no-wildcards-match-slash'];
  if (anchored.length) args.push('--anchored', ...anchored.map((p) => `--exclude=${p}`));
  if (floating.length) args.push('--no-anchored', ...floating.map((p) => `--exclude=${p}`));
  return args;
}
