/**
 * A tiny streaming writer for the `newc` cpio format the kernel unpacks as initramfs.
 *
 * Writing the archive ourselves (rather than `find | cpio`) lets the build add device
 * nodes without being root, fix owners to 0 and mtimes to one value (reproducible
 * images), and stream straight into the compressor without a staging copy.
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export type CpioEntry =
  | { path: string; kind: 'dir'; mode?: number }
  | { path: string; kind: 'file'; mode: number; source: string }
  | { path: string; kind: 'data'; mode: number; data: Buffer }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'char'; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, nlink: number, size: number, mtime: number, name: string, rdev: [number, number] = [0, 0]): Buffer {
  const nameBuf = Buffer.from(name + '\0', 'utf8');
  const fields = [ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const head = Buffer.from('070701' + fields.map(hex8).join(''), 'latin1');
  return Buffer.concat([head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length))]);
}

/** Writes chunks to a stream, waiting for 'drain' so memory stays bounded. */
async function put(out: Writable, buf: Buffer): Promise<void> {
  if (!out.write(buf)) await new Promise<void>((resolve, reject) => {
    const onDrain = () => { out.off('error', onError); resolve(); };
    const onError = (e: Error) => { out.off('drain', onDrain); reject(e); };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/** Streams `entries` as one newc archive (with its TRAILER!!!) and returns the bytes written. */
export async function writeCpio(out: Writable, entries: Iterable<CpioEntry>, mtime = 0): Promise<number> {
  let ino = 1;
  let total = 0;
  const emit = async (b: Buffer) => {
    total += b.length;
    await put(out, b);
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    switch (e.kind) {
      case 'dir':
        await emit(header(ino++, S_IFDIR | (e.mode ?? 0o755), 2, 0, mtime, name));
        break;
      case 'symlink': {
        const data = Buffer.from(e.target, 'utf8');
        await emit(header(ino++, S_IFLNK | 0o777, 1, data.length, mtime, name));
        await emit(Buffer.concat([data, Buffer.alloc(pad4(data.length))]));
        break;
      }
      case 'char':
        await emit(header(ino++, S_IFCHR | (e.mode ?? 0o600), 1, 0, mtime, name, [e.major, e.minor]));
        break;
      case 'file':
      case 'data': {
        const data = e.kind === 'data' ? e.data : await readFile(e.source);
        await emit(header(ino++, S_IFREG | (e.mode & 0o7777), 1, data.length, mtime, name));
        await emit(Buffer.concat([data, Buffer.alloc(pad4(data.length))]));
        break;
      }
    }
  }
  await emit(header(0, 0, 1, 0, 0, 'TRAILER!!!'));
  return total;
}

