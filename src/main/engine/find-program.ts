/**
 * Finding programs by name, without a shell: the rescue-system builder, `doctor` and the
 * engine's optional fast paths (pigz, lbzip2) all ask "where is this executable?".
 */
import { statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** PATH's folders, as `command -v` searches them (an empty entry, the current folder, is not searched). */
export function pathDirs(): string[] {
  return (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean);
}

/** PATH and the usual system folders (a root tool may live in an sbin that a user's PATH lacks). */
export function toolSearchPath(): string[] {
  return [...new Set([...pathDirs(), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])];
}

/** The first of `names` found as an executable file in `dirs`. */
export function findProgram(names: readonly string[], dirs: readonly string[]): { name: string; path: string } | null {
  for (const name of names) {
    for (const dir of dirs) {
      const p = join(dir, name);
      try {
        const st = statSync(p);
        if (st.isFile() && (st.mode & 0o111) !== 0) return { name, path: p };
      } catch {
        /* not here */
      }
    }
  }
  return null;
}
