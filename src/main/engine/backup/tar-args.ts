/**
 * The GNU tar options every archive is created with, so that a restore with plain
 * `tar -x --xattrs --xattrs-include='*' --numeric-owner` gets owners, modes, xattrs, ACLs,
 * SELinux labels, hard links and holes back.
 */
import { run } from '../run';

let features: Promise<string[]> | null = null;

/** The metadata options this tar supports (--selinux is a build-time option of GNU tar). */
function tarFeatures(): Promise<string[]> {
  features ??= run('tar', ['--help']).then(({ stdout }) => ['--xattrs', '--acls', '--selinux'].filter((o) => stdout.includes(o)));
  return features;
}

/**
 * The metadata options an archive is made with (recorded in the manifest: the restore
 * mirrors them). Not --acls: --xattrs-include='*' already stores every POSIX ACL as the raw
 * system.posix_acl_access / _default xattr the kernel keeps it in, which a restore with the
 * same include sets back as it is. --acls stored each ACL a second time, as text, and cost
 * libacl's getxattr + stat + allocations for every file, ACL or not: 0.25 CPU s per 71,000
 * files (tar's 1.23 → 1.70 CPU s with --xattrs and --acls on bench/backup.sh's tree) on a
 * 2-core machine that the compressor already keeps busy. Without --xattrs (a tar built
 * without it) --acls is the only way to keep ACLs, so it stays then. --selinux costs no
 * measurable time and lets `tar -x --selinux` restore labels without the include.
 */
export async function archiveFeatures(): Promise<string[]> {
  const f = await tarFeatures();
  return f.includes('--xattrs') ? f.filter((o) => o !== '--acls') : f;
}

/**
 * @param snapshot a `--listed-incremental` snapshot file: a new one makes a level-0
 *   (full) dump that a later incremental can start from; a copy of the base set's makes
 *   an incremental. Plain `tar -x` still extracts either.
 */
export async function tarCreateArgs(mount: string, excludeArgs: string[], archive: string, snapshot?: string): Promise<string[]> {
  const f = await archiveFeatures();
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
