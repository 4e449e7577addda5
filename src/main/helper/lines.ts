/**
 * Splits a byte stream into lines, refusing any line longer than a limit.
 *
 * Memory stays bounded whatever arrives: a line over the limit is reported once
 * and then skipped up to its newline, so a 10 MB line (or an endless stream with
 * no newline) is never held whole.
 */
export type LineEvent = { kind: 'line'; line: string } | { kind: 'too-long'; bytes: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** bytes of an over-long line seen so far, while it is being skipped */
  private skipping: number | null = null;

  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk; returns the complete lines (and refusals) it finished. */
  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping !== null) {
        this.skipping += piece.length;
      } else if (this.held + piece.length > this.maxBytes) {
        // Report as soon as the limit is crossed, not when (if ever) the newline comes.
        this.skipping = this.held + piece.length;
        this.parts = [];
        this.held = 0;
        out.push({ kind: 'too-long', bytes: this.skipping });
      } else if (piece.length) {
        this.parts.push(Buffer.from(piece));
        this.held += piece.length;
      }
      if (nl === -1) break;
      if (this.skipping === null) out.push({ kind: 'line', line: Buffer.concat(this.parts).toString('utf8') });
      this.parts = [];
      this.held = 0;
      this.skipping = null;
      start = nl + 1;
    }
    return out;
  }

  /** Bytes of an unfinished line left when the stream ended (a request cut off mid-way). */
  get pending(): number {
    return this.skipping ?? this.held;
  }
}
