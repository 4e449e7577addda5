/**
 * The file browser behind "choose an image": lists one folder at a time.
 *
 * It runs unprivileged (in the Electron main or the browser host), so it sees what
 * the user may see, nothing more. Folders first, then files, each sorted by name the
 * way the user's language sorts.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { FileEntry, FileListing } from '../../shared/api';

export async function listFolder(dir: string | undefined, opts: { showHidden?: boolean; home?: string } = {}): Promise<FileListing> {
  const folder = resolve(dir ?? opts.home ?? process.env.HOME ?? homedir());
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LifeboatError('image-missing', { path: folder });
    throw new LifeboatError('image-unreadable', { path: folder, reason: code ?? String(err) });
  }
  const entries: FileEntry[] = [];
  for (const name of names) {
    if (!opts.showHidden && name.startsWith('.')) continue;
    const path = join(folder, name);
    // stat follows symlinks, so a link to an image shows as the image; broken links are skipped.
    const st = await stat(path).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) entries.push({ name, path, kind: 'dir', size: 0 });
    else if (st.isFile()) entries.push({ name, path, kind: 'file', size: st.size });
  }
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  entries.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === 'dir' ? -1 : 1));
  return { dir: folder, parent: folder === '/' ? null : dirname(folder), entries };
}
