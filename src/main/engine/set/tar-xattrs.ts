/**
 * The extended attributes a tar stream records, member by member, read straight from
 * the headers: GNU tar has no way to print them (`tar -tvvv --xattrs` shows names and
 * sizes, never values), and `tar --compare` ignores them.
 *
 * A pax archive made with `--xattrs` keeps each xattr of a member as a record
 * `SCHILY.xattr.<name>=<raw bytes>` in the 'x' header before it: POSIX ACLs
 * (system.posix_acl_*), the SELinux label, file capabilities and user.* alike.
 *
 * Push-based (`write` chunks as they come from a pipe, then `end`), so it fits the
 * pipeline's stdout callback; only headers are kept in memory, member data is counted
 * and dropped as it passes.
 */

const BLOCK = 512;
/** Linux caps one xattr value at 64 KiB and a file's names at 64 KiB: a header far larger is garbage. */
const MAX_HEADER = 16 << 20;

export interface TarMemberXattrs {
  /** as archived ("./a/b", "./dir/"), the pax `path` or GNU.sparse.name when there is one */
  name: string;
  /** the tar type flag ('0' file, '1' hard link, '2' symlink, '5' directory, …) */
  type: string;
  /** xattr name → raw value; empty when none were recorded */
  xattrs: Map<string, Buffer>;
}

/** tar escapes '%' and '=' in xattr names so the pax keyword stays parseable (xattrs.c). */
function decodeXattrName(key: string): string {
  return key.replace(/%(25|3D)/g, (_, h: string) => (h === '25' ? '%' : '='));
}

/** "LEN key=value\n" records; LEN counts the whole record in bytes, so values may hold newlines and NULs. */
export function parsePaxRecords(body: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(body.toString('latin1', at, space));
    if (!Number.isInteger(len) || len <= space - at + 1 || at + len > body.length) throw new Error(`malformed pax record at offset ${at}`);
    const rec = body.subarray(space + 1, at + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new Error(`malformed pax record at offset ${at}`);
    out.push([rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1))]);
    at += len;
  }
  return out;
}

/** A numeric header field: octal text, or base-256 when the top bit of the first byte is set. */
export function headerNumber(field: Buffer): number {
  if (field[0] & 0x80) {
    // two's complement, big-endian; sizes are never negative
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === headerNumber(h.subarray(148, 156));
}

type State =
  | { kind: 'header' }
  /** an extended header body ('x', 'g', GNU 'L'/'K'), collected to its padded size */
  | { kind: 'collect'; type: string; size: number; padded: number }
  | { kind: 'skip'; left: number }
  /** old GNU sparse extension blocks that follow an 'S' header */
  | { kind: 'sparse-ext' }
  | { kind: 'end' };

export class TarXattrScanner {
  private state: State = { kind: 'header' };
  private buf: Buffer[] = [];
  private have = 0;
  /** what the extended headers said about the next member */
  private pax = new Map<string, Buffer>();
  private longName: string | null = null;
  private pendingSkip = 0;

  constructor(private readonly onMember: (m: TarMemberXattrs) => void) {}

  /** True once the end-of-archive block was read (the rest of the stream is padding). */
  get done(): boolean {
    return this.state.kind === 'end';
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state.kind !== 'end') {
      const s = this.state;
      if (s.kind === 'skip') {
        const n = Math.min(s.left, chunk.length - at);
        s.left -= n;
        at += n;
        if (!s.left) this.state = { kind: 'header' };
        continue;
      }
      const want = s.kind === 'collect' ? s.padded : BLOCK;
      if (want > MAX_HEADER) throw new Error(`tar extended header of ${want} bytes`);
      const n = Math.min(want - this.have, chunk.length - at);
      this.buf.push(chunk.subarray(at, at + n));
      this.have += n;
      at += n;
      if (this.have < want) continue;
      const whole = this.buf.length === 1 ? this.buf[0] : Buffer.concat(this.buf, this.have);
      this.buf = [];
      this.have = 0;
      if (s.kind === 'collect') this.extended(s.type, whole.subarray(0, s.size));
      else if (s.kind === 'sparse-ext') this.sparseExtension(whole);
      else this.header(whole);
    }
  }

  /** Throws when the stream ended inside a member (a truncated archive). */
  end(): void {
    if (this.state.kind === 'end') return;
    if (this.state.kind === 'header' && this.have === 0) return; // no end marker: tar itself only warns
    throw new Error('tar stream ends inside a member');
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.state = { kind: 'end' };
      return;
    }
    if (!checksumOk(h)) throw new Error('not a tar header (bad checksum)');
    const type = String.fromCharCode(h[156] || 0x30);
    let size = headerNumber(h.subarray(124, 136));
    if ('xXgLK'.includes(type)) {
      this.state = size ? { kind: 'collect', type, size, padded: Math.ceil(size / BLOCK) * BLOCK } : { kind: 'header' };
      if (!size) this.extended(type, Buffer.alloc(0));
      return;
    }
    const paxSize = this.pax.get('size');
    if (paxSize) size = Number(paxSize.toString('latin1'));
    // an empty record value unsets the keyword
    const sparseName = this.pax.get('GNU.sparse.name')?.length ? this.pax.get('GNU.sparse.name') : undefined;
    const path = this.pax.get('path')?.length ? this.pax.get('path') : undefined;
    const magic = h.toString('latin1', 257, 263);
    const prefix = magic === 'ustar\0' ? cString(h.subarray(345, 500)) : '';
    const name = sparseName?.toString('utf8') ?? path?.toString('utf8') ?? this.longName ?? (prefix ? `${prefix}/` : '') + cString(h.subarray(0, 100));
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of this.pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(decodeXattrName(k.slice('SCHILY.xattr.'.length)), v);
    this.pax = new Map();
    this.longName = null;
    // a volume label is no member
    if (type !== 'V') this.onMember({ name, type, xattrs });
    // as GNU tar's skip_member: everything but a directory has its size in data blocks
    // (pax sparse 1.0 keeps its map inside them; a pax directory's dumpdir is a record)
    const data = type === '5' ? 0 : Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'S' && h[482]) {
      this.pendingSkip = data;
      this.state = { kind: 'sparse-ext' };
    } else this.state = data ? { kind: 'skip', left: data } : { kind: 'header' };
  }

  /** old GNU sparse: 21 more map entries per block, byte 504 says whether another follows */
  private sparseExtension(b: Buffer): void {
    if (b[504]) return;
    this.state = this.pendingSkip ? { kind: 'skip', left: this.pendingSkip } : { kind: 'header' };
  }

  private extended(type: string, body: Buffer): void {
    if (type === 'x' || type === 'X') for (const [k, v] of parsePaxRecords(body)) this.pax.set(k, v);
    else if (type === 'L') this.longName = cString(body);
    // 'g' (global defaults: nothing per member worth keeping here) and 'K' (long link target) are not needed
    if (this.state.kind === 'collect') this.state = { kind: 'header' };
  }
}

/** Every member of a tar stream with its recorded xattrs. */
export async function* scanTarXattrs(source: AsyncIterable<Buffer>): AsyncGenerator<TarMemberXattrs> {
  const found: TarMemberXattrs[] = [];
  const scanner = new TarXattrScanner((m) => found.push(m));
  for await (const chunk of source) {
    scanner.write(chunk);
    yield* found.splice(0);
    if (scanner.done) return;
  }
  scanner.end();
  yield* found.splice(0);
}
