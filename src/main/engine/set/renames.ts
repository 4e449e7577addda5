/**
 * Folders renamed between the sets of an incremental chain.
 *
 * GNU tar's `--listed-incremental` recognises a renamed folder by its device and inode
 * and does not archive its unchanged contents again: the later archive only records
 * "renamed from … to …", and `tar -x` of the chain renames the folder before going on.
 * A listing built from member names alone would keep those files under the old name and
 * drop them (the newest snapshot no longer knows that name): a file restore of the last
 * state silently lost every unchanged file of a renamed folder. The snapshots each set
 * keeps give the same device/inode pairs tar used, so the renames are found here, applied
 * to the listing, and handed to tar as `--transform` when an older archive is read.
 */

export type Renames = Map<string, string>;

export interface SnapshotDir {
  /** relative, "" for the mountpoint */
  name: string;
  /** "dev:ino" as tar recorded it */
  key: string;
}

/** "./a/b/" or "a/b" → "a/b", "." → "" */
const rel = (name: string): string => name.replace(/^\.\/?/, '').replace(/\/+$/, '');

export interface SnapshotRecord extends SnapshotDir {
  /** its entries as recorded, each a flag letter (Y, N, D…) and a name */
  entries: string[];
}

/**
 * The folders a `--listed-incremental` snapshot (format 2) records: a "GNU tar-VERSION-2"
 * line, the dump time, then per folder six NUL-terminated fields (nfs, mtime s and ns, dev,
 * ino, name) and its entries, ended by two empty fields.
 */
export function snapshotRecords(body: Buffer): SnapshotRecord[] {
  const nl = body.indexOf(10);
  if (!body.subarray(0, nl).toString().endsWith('-2')) throw new Error('unsupported tar snapshot format');
  const fields = body.subarray(nl + 1).toString('utf8').split('\0');
  const records: SnapshotRecord[] = [];
  let i = 2; // the snapshot's own timestamp
  while (i + 5 < fields.length) {
    const record: SnapshotRecord = { name: rel(fields[i + 5]), key: `${fields[i + 3]}:${fields[i + 4]}`, entries: [] };
    i += 6;
    for (; i < fields.length && fields[i] !== ''; i++) record.entries.push(fields[i]);
    i += 2;
    records.push(record);
  }
  return records;
}

/** The folders of `before` found in `after` under another name (same device and inode), old → new. */
export function renamesBetween(before: SnapshotDir[], after: SnapshotDir[]): Renames {
  const byKey = new Map(before.map((d) => [d.key, d.name]));
  const out: Renames = new Map();
  for (const d of after) {
    const old = byKey.get(d.key);
    if (old !== undefined && old !== d.name && old !== '' && d.name !== '') out.set(old, d.name);
  }
  return out;
}

/** A path under the names of one step of renames (all applied at once, the deepest folder winning). */
export function applyRenames(renames: Renames, path: string): string {
  if (!renames.size || !path) return path;
  for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
    const to = renames.get(path.slice(0, end));
    if (to !== undefined) return to + path.slice(end);
  }
  return path;
}

/**
 * The fewest folder renames (as named in one archive → as named at the end of the chain)
 * that give every folder of `dirs` its final name, when `final` maps a name to its final one.
 */
export function minimalRenames(dirs: string[], final: (path: string) => string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const d of dirs) {
    const f = final(d);
    if (f === d) continue;
    const slash = d.lastIndexOf('/');
    const implied = slash < 0 ? d : `${final(d.slice(0, slash))}/${d.slice(slash + 1)}`;
    if (f !== implied) out.push([d, f]);
  }
  return out;
}

const bre = (s: string) => s.replace(/[\\.*[\]^$]/g, '\\$&');
const replacement = (s: string) => s.replace(/[\\&]/g, '\\$&');

/**
 * tar `--transform` options that rename members as the pairs say. Two passes through
 * unique markers so that swapped names (a → b and b → a) do not chain, the deepest folder
 * first; symlink targets are left alone (flag S), hard-link targets follow their file.
 */
export function transformArgs(pairs: Array<[string, string]>): string[] {
  if (!pairs.length) return [];
  // \x01 separates the sed fields and \x02 marks the first pass: no real name holds them
  if (pairs.some(([a, b]) => /[\x01\x02]/.test(a + b))) throw new Error('a renamed folder name holds a control character tar --transform cannot carry');
  const sorted = [...pairs].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
  const mark = (k: number) => `\x02${k}\x02`;
  const args: string[] = [];
  sorted.forEach(([from], k) => {
    args.push(`--transform=s\x01^\\./${bre(from)}/\x01./${mark(k)}/\x01S`, `--transform=s\x01^\\./${bre(from)}$\x01./${mark(k)}\x01S`);
  });
  sorted.forEach(([, to], k) => args.push(`--transform=s\x01^\\./${mark(k)}\x01./${replacement(to)}\x01S`));
  return args;
}
