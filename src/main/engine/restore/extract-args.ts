/**
 * The commands that unpack an archive: the standard decompressor for the set's format
 * (never a parallel variant a rescue system may lack) and GNU tar with the metadata
 * options the archive was made with.
 */
import type { Compressor } from '../../../shared/backup-set';

export function decompressArgv(tool: Compressor): string[] | null {
  switch (tool) {
    case 'none':
      return null;
    case 'zstd':
    case 'lz4':
      return [tool, '-q', '-d', '-c'];
    default:
      return [tool, '-d', '-c'];
  }
}

/** tarFeatures hold the options the archive was created with ("--xattrs" or "xattrs"). */
export function tarExtractArgv(features: string[], dir: string): string[] {
  const f = new Set(features.map((x) => x.replace(/^--/, '')));
  return [
    'tar',
    '-x',
    '-f',
    '-',
    // 1 MiB records (read whole from the pipe): file data is written in large pieces rather
    // than tar's default 10 KiB, a quarter less system time for the same files (any record
    // size reads any archive; -B is what tar assumes on stdin anyway)
    '-b',
    '2048',
    '-B',
    // owners by number: the rescue system's /etc/passwd is not the restored system's
    '--numeric-owner',
    '-p',
    ...(f.has('xattrs') ? ['--xattrs', '--xattrs-include=*'] : []),
    ...(f.has('acls') ? ['--acls'] : []),
    ...(f.has('selinux') ? ['--selinux'] : []),
    '-C',
    dir,
  ];
}
