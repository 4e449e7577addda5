/**
 * The rescue system's file tree, held as a map before it is streamed to cpio.
 *
 * Later additions replace earlier ones at the same path, which is how a host tool
 * (GNU tar) takes the place of the busybox applet of the same name. Parent folders
 * are created on demand; the output is sorted so parents come before children.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CpioEntry } from './cpio';

export class RescueTree {
  private readonly entries = new Map<string, CpioEntry>();

  private norm(p: string): string {
    return posix.normalize('/' + p).replace(/\/+$/, '') || '/';
  }

  private parents(p: string): void {
    let dir = posix.dirname(p);
    const missing: string[] = [];
    while (dir !== '/' && !this.entries.has(dir)) {
      missing.push(dir);
      dir = posix.dirname(dir);
    }
    for (const d of missing) this.entries.set(d, { path: d, kind: 'dir' });
  }

  private set(e: CpioEntry): void {
    const path = this.norm(e.path);
    this.parents(path);
    this.entries.set(path, { ...e, path } as CpioEntry);
  }

  dir(path: string, mode = 0o755): void {
    this.set({ path, kind: 'dir', mode });
  }

  /** Adds a host file's contents (following symlinks) under `path`. */
  file(path: string, source: string, mode?: number): void {
    this.set({ path, kind: 'file', source, mode: mode ?? statSync(source).mode & 0o7777 });
  }

  data(path: string, data: string | Buffer, mode = 0o644): void {
    this.set({ path, kind: 'data', data: Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'), mode });
  }

  symlink(path: string, target: string): void {
    this.set({ path, kind: 'symlink', target });
  }

  char(path: string, major: number, minor: number, mode = 0o600): void {
    this.set({ path, kind: 'char', major, minor, mode });
  }

  has(path: string): boolean {
    return this.entries.has(this.norm(path));
  }

  delete(path: string): void {
    this.entries.delete(this.norm(path));
  }

  /** Copies a host folder recursively (symlinks stay symlinks), skipping names `skip` rejects. */
  copyDir(dest: string, source: string, skip: (name: string) => boolean = () => false): void {
    this.dir(dest);
    for (const name of readdirSync(source).sort()) {
      if (skip(name)) continue;
      const src = join(source, name);
      const to = posix.join(dest, name);
      const st = lstatSync(src);
      if (st.isSymbolicLink()) this.symlink(to, readlinkSync(src));
      else if (st.isDirectory()) this.copyDir(to, src, skip);
      else if (st.isFile()) this.file(to, src, st.mode & 0o7777);
    }
  }

  /** Sum of the file sizes on the host (before compression), for the manifest. */
  hostBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.kind === 'file') n += statSync(e.source).size;
      else if (e.kind === 'data') n += e.data.length;
    }
    return n;
  }

  /** Every regular file with its size, for the manifest. */
  contents(): { path: string; bytes: number }[] {
    const out: { path: string; bytes: number }[] = [];
    for (const e of this.list()) {
      if (e.kind === 'file') out.push({ path: e.path, bytes: statSync(e.source).size });
      else if (e.kind === 'data') out.push({ path: e.path, bytes: e.data.length });
    }
    return out;
  }

  list(): CpioEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
