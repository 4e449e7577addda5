/**
 * A comparable description of a file tree (type, mode, owner, size, mtime, content
 * hash, link count, symlink target, xattrs incl. ACLs, holes), for tests that prove a
 * restore gives back exactly what was archived.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
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
      const e: Entry = { type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other', mode: st.mode, uid: st.uid, gid: st.gid };
      if (st.isFile()) {
        e.size = st.size;
        e.mtime = Math.floor(st.mtimeMs / 1000);
        e.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
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
