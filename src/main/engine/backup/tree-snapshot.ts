/**
 * A comparable description of a file tree (type, mode, owner, size, mtime, content
 * hash, link count, symlink target, xattrs incl. ACLs, holes), for tests that prove a
 * restore gives back exactly what was archived.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';

export interface Entry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  mtime?: number;
  sha256?: string;
  nlink?: number;
  target?: string;
  sparse?: boolean;
  xattrs?: string;
  /** device number of a character or block device node */
  rdev?: number;
}

function typeOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'link';
  if (st.isFile()) return 'file';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chr';
  if (st.isBlockDevice()) return 'blk';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** Streams the file through sha256 in 1 MiB reads: a sparse file of several GiB must not be read into memory at once. */
function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every entry under `dir` keyed by relative path; `skip(rel)` leaves a path (and its subtree) out. */
export function snapshotTree(dir: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = join(dir, r);
      const st = lstatSync(abs);
      const e: Entry = { type: typeOf(st), mode: st.mode, uid: st.uid, gid: st.gid };
      if (st.isCharacterDevice() || st.isBlockDevice()) e.rdev = st.rdev;
      if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) e.mtime = Math.floor(st.mtimeMs / 1000);
      if (st.isFile()) {
        e.size = st.size;
        e.mtime = Math.floor(st.mtimeMs / 1000);
        e.sha256 = hashFile(abs);
        e.nlink = st.nlink;
        e.sparse = st.blocks * 512 < st.size;
      }
      if (st.isSymbolicLink()) e.target = readlinkSync(abs);
      else {
        // -m -: every namespace (user.*, system.posix_acl_*), so ACLs are compared too
        const x = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', abs], { encoding: 'utf8' });
        const lines = x.split('\n').filter((l) => l && !l.startsWith('# file:'));
        if (lines.length) e.xattrs = lines.sort().join('\n');
      }
      out.set(r, e);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
