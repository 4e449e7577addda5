/**
 * The extended attributes files carry now, read with getfattr (attr package): Node has no
 * xattr API. Names are given explicitly (no -R): a recursive walk would cross into other
 * filesystems (/proc, /sys, nested mounts) that the backup's --one-file-system never
 * entered, and would read excluded trees for nothing.
 *
 * `-h` reads a symlink's own attributes, `-m -` every namespace (user, trusted, security,
 * system: POSIX ACLs are system.posix_acl_*), `-e hex` keeps values byte-exact.
 */
import { run } from '../run';
import { memberName, relName } from './listing';

export type XattrMap = Map<string, Buffer>;

/**
 * getfattr's quoting (attr's quote()): control characters, DEL and backslash in file
 * names, and '=' too in attribute names, become a backslash and three octal digits.
 */
export function unescapeGetfattr(s: string): string {
  const bytes = Buffer.from(s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1');
  return bytes.toString('utf8');
}

/** `getfattr -d -e hex` output → file name (as given to getfattr) → attributes. */
export function parseGetfattr(out: string): Map<string, XattrMap> {
  const files = new Map<string, XattrMap>();
  let current: XattrMap | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      files.set(unescapeGetfattr(line.slice('# file: '.length)), current);
      continue;
    }
    if (!line || !current) continue;
    // '=' inside a name is escaped, and a hex value holds none: the last '=' splits
    const eq = line.lastIndexOf('=');
    const name = unescapeGetfattr(eq < 0 ? line : line.slice(0, eq));
    const value = eq < 0 ? '' : line.slice(eq + 1);
    if (value && !value.startsWith('0x')) throw new Error(`unexpected getfattr value for ${name}: ${value.slice(0, 40)}`);
    current.set(name, Buffer.from(value.slice(2), 'hex'));
  }
  return files;
}

/** argv room per getfattr call, far below ARG_MAX (2 MiB with an 8 MiB stack) */
const BATCH_BYTES = 128 * 1024;

/**
 * The attributes of `rels` (relative to `dir`), keyed by the same relative names; files
 * without any are absent. A file that vanished since it was listed prints an error, which
 * goes to `log`: it then counts as having none.
 */
export async function liveXattrs(dir: string, rels: string[], signal: AbortSignal, log: (line: string) => void = () => {}): Promise<Map<string, XattrMap>> {
  const out = new Map<string, XattrMap>();
  for (let i = 0; i < rels.length; ) {
    const batch: string[] = [];
    let bytes = 0;
    for (; i < rels.length && (!batch.length || bytes < BATCH_BYTES); i++) {
      // "./name": relative to cwd, and never taken for an option
      const arg = memberName(rels[i]);
      batch.push(arg);
      bytes += Buffer.byteLength(arg) + 1;
    }
    // exit 1: some file could not be read (vanished meanwhile); the others are printed
    const { stdout, stderr } = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', ...batch], { cwd: dir, signal, okExitCodes: [0, 1], binary: true });
    for (const line of stderr.split('\n')) if (line) log(line);
    // escaped output is ASCII apart from UTF-8 names, which latin1 keeps byte for byte until unescaping
    for (const [name, attrs] of parseGetfattr((stdout as unknown as Buffer).toString('latin1'))) if (attrs.size) out.set(relName(name), attrs);
  }
  return out;
}

/** Same names, same values. */
export function sameXattrs(a: XattrMap | undefined, b: XattrMap | undefined): boolean {
  const x = a ?? new Map<string, Buffer>();
  const y = b ?? new Map<string, Buffer>();
  if (x.size !== y.size) return false;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (!w || !w.equals(v)) return false;
  }
  return true;
}
