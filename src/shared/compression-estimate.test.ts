/** The wizard's arithmetic: set size = bytes × ratio; time = bytes over the slower of compressing and reading. */
import { describe, expect, it } from 'vitest';
import { projectEstimate } from './compression-estimate';

describe('projectEstimate', () => {
  const zstd = { status: 'measured' as const, ratio: 0.4, inputBytesPerSec: 200e6 };
  it('scales the size by the ratio and takes the slower of compressor and disk', () => {
    expect(projectEstimate(10e9, zstd, 100e6)).toEqual({ size: 4e9, seconds: 100 });
    expect(projectEstimate(10e9, zstd, 400e6)).toEqual({ size: 4e9, seconds: 50 });
    expect(projectEstimate(10e9, zstd, null)).toEqual({ size: 4e9, seconds: 50 });
  });
  it('uncompressed: bounded by reading alone; no speed at all gives no time', () => {
    const none = { status: 'measured' as const, ratio: 1.01, inputBytesPerSec: null };
    expect(projectEstimate(1e9, none, 250e6)).toEqual({ size: 1.01e9, seconds: 4 });
    expect(projectEstimate(1e9, none, null)).toEqual({ size: 1.01e9, seconds: null });
  });
  it('nothing for a compressor that was not measured', () => {
    expect(projectEstimate(1e9, { status: 'missing', ratio: null, inputBytesPerSec: null }, 1e8)).toBeNull();
    expect(projectEstimate(1e9, { status: 'no-time', ratio: null, inputBytesPerSec: null }, 1e8)).toBeNull();
  });
});
