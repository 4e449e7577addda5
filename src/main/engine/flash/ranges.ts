/**
 * The bmap side of a flash: which parts of each chunk are written, and whether the
 * source bytes match the bmap's per-range checksums.
 */
import { createHash } from 'node:crypto';
import { LifeboatError } from '../../../shared/errors';
import type { BmapRange } from '../image/bmap';

/** Splits the chunk [position, position+len) into the parts the bmap maps (all of it without a bmap). */
export function mappedSegments(ranges: readonly BmapRange[] | null, cursor: { i: number }, position: number, len: number): [number, number][] {
  if (!ranges) return [[0, len]];
  const end = position + len;
  const out: [number, number][] = [];
  while (cursor.i < ranges.length && ranges[cursor.i].end <= position) cursor.i++;
  for (let i = cursor.i; i < ranges.length && ranges[i].start < end; i++) {
    const a = Math.max(ranges[i].start, position);
    const b = Math.min(ranges[i].end, end);
    if (b > a) out.push([a - position, b - a]);
  }
  return out;
}

/** Checks the bmap's per-range checksums on the source bytes as they stream past, like bmaptool. */
export class RangeChecker {
  private i = 0;
  private hash: ReturnType<typeof createHash> | null = null;
  constructor(
    private readonly ranges: readonly BmapRange[],
    private readonly algo: 'sha256' | 'sha1' | null,
    private readonly image: string,
  ) {}

  update(buf: Buffer, position: number, segments: [number, number][]): void {
    if (!this.algo) return;
    for (const [off, len] of segments) {
      let pos = position + off;
      let at = off;
      let left = len;
      while (left > 0) {
        while (this.i < this.ranges.length && this.ranges[this.i].end <= pos) this.i++;
        const r = this.ranges[this.i];
        if (!r) return;
        const n = Math.min(left, r.end - pos);
        if (r.checksum) {
          this.hash ??= createHash(this.algo);
          this.hash.update(buf.subarray(at, at + n));
        }
        pos += n;
        at += n;
        left -= n;
        if (pos === r.end) {
          if (this.hash && r.checksum && this.hash.digest('hex') !== r.checksum) {
            throw new LifeboatError('image-damaged', { path: this.image, detail: `bytes ${r.start}-${r.end - 1} do not match the block map's checksum` });
          }
          this.hash = null;
          this.i++;
        }
      }
    }
  }
}
