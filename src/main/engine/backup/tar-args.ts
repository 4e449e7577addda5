/**
 * The GNU tar options every archive is created with, so that a restore with plain
 * `tar -x --xattrs --xattrs-include='*' --numeric-owner` gets owners, modes, xattrs, ACLs,
 * SELinux labels, hard links and holes back (ACLs and labels are xattrs: archiveFeatures).
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
 * mirrors them). Neither --acls nor --selinux: --xattrs-include='*' already stores every
 * POSIX ACL as the raw system.posix_acl_access / _default xattr and the SELinux label as the
 * raw security.selinux xattr the kernel keeps them in, which a restore with the same include
 * sets back as they are. Each option stored its data a second time and read it again for
 * every file, labelled or not, on the tar that heads the pipeline: --acls 0.25 CPU s per
 * 71,000 files (libacl's getxattr + stat + allocations), --selinux 0.25 (lgetfilecon: the
 * metadata pass of bench/backup.sh's tree takes 0.80 s with it, 0.53 s without), on a 2-core
 * machine that the compressor already keeps busy. Without --xattrs (a tar built without it)
 * they are the only way to keep ACLs and labels, so they stay then.
 */
export async function archiveFeatures(): Promise<string[]> {
  const f = await tarFeatures();
  return f.includes('--xattrs') ? f.filter((o) => o !== '--acls' && o !== '--selinux') : f;
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
