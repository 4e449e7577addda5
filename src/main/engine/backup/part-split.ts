/**
 * The last stage of an archive's pipeline (archive-fs.ts): cuts the compressed stream into
 * parts of at most SPLIT bytes and hashes each part as it is written — the data is read once.
 *
 * It is a small program run by the same Node (or Electron run as Node) as the engine, with
 * `-e`, reading stdin with blocking 1 MiB reads and hashing with node:crypto (OpenSSL: the
 * CPU's SHA instructions). It replaced `split --filter 'tee PART | openssl dgst'`, which
 * copied every compressed byte three more times through pipes in 8 KiB pieces (tee's
 * buffer): on a 2-core machine, where tar and the compressor already use both cores, that
 * cost 0.8–1.2 CPU seconds per 530 MB of parts, and wall time with them.
 *
 * Contract, as the split filter's was: parts are PREFIX + the part's number, zero-padded to
 * WIDTH digits (more digits past 10^WIDTH parts: the caller then renames them all to the
 * same width, archive-fs.ts); each part is written as NAME.partial and renamed to
 * NAME when whole, then reported as one "<size> <sha256> <name>" line on stdout; an empty
 * stream still gets its first part (every archive has a .000); a write that fails for
 * space says "No space left on device" (or the quota/size message) on stderr, which the
 * caller turns into dest-full; any failure exits 1.
 */

/** Plain CommonJS, no imports from the bundle: it runs in a process of its own. */
export const PART_SPLIT_JS = String.raw`'use strict';
const fs = require('fs');
const crypto = require('crypto');
const [splitArg, widthArg, prefix] = process.argv.slice(1);
const split = Number(splitArg);
const width = Number(widthArg);
const MESSAGES = { ENOSPC: 'No space left on device', EDQUOT: 'Disk quota exceeded', EFBIG: 'File too large' };
function fail(what, err) {
  const reason = (err && MESSAGES[err.code]) || (err && err.message) || String(err);
  fs.writeSync(2, 'lifeboat-split: ' + what + ': ' + reason + '\n');
  process.exit(1);
}
if (!(split > 0) || !(width > 0) || !prefix) fail('usage', 'SPLIT WIDTH PREFIX');
const buf = Buffer.allocUnsafe(1 << 20);
// a pipe that reports EAGAIN (someone made it non-blocking) is waited on, not spun on
const pause = new Int32Array(new SharedArrayBuffer(4));
let index = 0, fd = -1, size = 0, hash = null, name = '';
function open() {
  name = prefix + String(index).padStart(width, '0');
  // never replace a part: the rename below would (a FAT stick has no link() to make it atomic)
  if (fs.existsSync(name)) fail(name, 'already exists');
  try { fd = fs.openSync(name + '.partial', 'wx'); } catch (err) { fail(name, err); }
  size = 0;
  hash = crypto.createHash('sha256');
}
function close() {
  try {
    fs.closeSync(fd);
    fs.renameSync(name + '.partial', name);
  } catch (err) { fail(name, err); }
  fs.writeSync(1, size + ' ' + hash.digest('hex') + ' ' + name + '\n');
  fd = -1;
  index++;
}
for (;;) {
  let n;
  try { n = fs.readSync(0, buf, 0, buf.length, null); } catch (err) {
    if (err.code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 2); continue; }
    fail('stdin', err);
  }
  if (n === 0) break;
  let off = 0;
  while (off < n) {
    if (fd < 0) open();
    const take = Math.min(split - size, n - off);
    const piece = buf.subarray(off, off + take);
    let done = 0;
    try { while (done < take) done += fs.writeSync(fd, piece, done, take - done); } catch (err) { fail(name, err); }
    hash.update(piece);
    size += take;
    off += take;
    if (size === split) close();
  }
}
if (fd >= 0 || index === 0) {
  if (fd < 0) open();
  close();
}
`;

/** A part's line on the splitter's stdout: "<size> <sha256> <name>". */
export const PART_LINE = /^(\d+) ([0-9a-f]{64}) (.+)$/;

/** argv (after the program) of the stage: `-e PART_SPLIT_JS SPLIT WIDTH PREFIX`. */
export function partSplitArgs(split: number, width: number, prefix: string): string[] {
  return ['-e', PART_SPLIT_JS, String(split), String(width), prefix];
}
