/**
 * The GNU tar options every archive is created with, so that a restore with plain
 * `tar -x --xattrs --acls --numeric-owner` gets owners, modes, xattrs, ACLs, hard links
 * and holes back.
 */
import { run } from '../run';

let features: Promise<string[]> | null = null;

/** The metadata options this tar supports (--selinux is a build-time option of GNU tar). */
export function tarFeatures(): Promise<string[]> {
  features ??= run('tar', ['--help']).then(({ stdout }) => ['--xattrs', '--acls', '--selinux'].filter((o) => stdout.includes(o)));
  return features;
}

/**
 * @param snapshot a `--listed-incremental` snapshot file: a new one makes a level-0
 *   (full) dump that a later incremental can start from; a copy of the base set's makes
 *   an incremental. Plain `tar -x` still extracts either.
 */
export async function tarCreateArgs(mount: string, excludeArgs: string[], archive: string, snapshot?: string): Promise<string[]> {
  const f = await tarFeatures();
  return [
    '--create',
    `--file=${archive}`,
    // --verbose would also warn about every directory an incremental sees for the first time
    ...(snapshot ? [`--listed-incremental=${snapshot}`, '--warning=no-new-directory'] : []),
    '--one-file-system',
    // --xattrs makes the archive POSIX (pax), whose default is an extended header with the
    // atime and ctime of every entry: 1 KiB more per file (18 % of the stream for a tree of
    // small files), which a restore cannot use (ctime is the kernel's) and which changes
    // each time the tree is read. mtime keeps its nanoseconds.
    ...(f.includes('--xattrs') ? ['--xattrs', '--xattrs-include=*', '--pax-option=delete=atime,delete=ctime'] : []),
    ...(f.includes('--acls') ? ['--acls'] : []),
    ...(f.includes('--selinux') ? ['--selinux'] : []),
    '--numeric-owner',
    '--sparse',
    '--totals',
    // the member list on stderr is how files are counted and progress names the file
    '--verbose',
    ...excludeArgs,
    '-C',
    mount,
    '.',
  ];
}
