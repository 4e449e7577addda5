import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines';

const lines = (evs: ReturnType<LineSplitter['push']>) => evs.map((e) => (e.kind === 'line' ? e.line : `<too-long ${e.bytes}>`));

describe('LineSplitter', () => {
  it('splits lines across chunk boundaries', () => {
    const s = new LineSplitter(100);
    expect(lines(s.push(Buffer.from('{"a":1}\n{"b"')))).toEqual(['{"a":1}']);
    expect(s.pending).toBe(4);
    expect(lines(s.push(Buffer.from(':2}\n\n')))).toEqual(['{"b":2}', '']);
    expect(s.pending).toBe(0);
  });

  it('keeps multi-byte characters split between chunks intact', () => {
    const s = new LineSplitter(100);
    const bytes = Buffer.from('"é"\n');
    expect(lines(s.push(bytes.subarray(0, 2)))).toEqual([]);
    expect(lines(s.push(bytes.subarray(2)))).toEqual(['"é"']);
  });

  it('reports an over-long line once, skips it, then reads the next one', () => {
    const s = new LineSplitter(10);
    const out = [...s.push(Buffer.alloc(8, 0x61)), ...s.push(Buffer.alloc(8, 0x61)), ...s.push(Buffer.alloc(1000, 0x61))];
    expect(lines(out)).toEqual(['<too-long 16>']);
    // Nothing of the skipped line is held in memory.
    expect((s as unknown as { held: number }).held).toBe(0);
    expect(lines(s.push(Buffer.from('aaa\nok\n')))).toEqual(['ok']);
  });

  it('accepts a line of exactly the limit', () => {
    const s = new LineSplitter(4);
    expect(lines(s.push(Buffer.from('abcd\nabcde\n')))).toEqual(['abcd', '<too-long 5>']);
  });
});
