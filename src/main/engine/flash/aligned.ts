/**
 * Memory aligned for O_DIRECT, without a native addon.
 *
 * O_DIRECT needs the buffer address aligned to the device's DMA alignment (512 bytes on
 * most block devices), and Node gives no aligned allocation: a large ArrayBuffer comes from
 * malloc at page + 16. So one slab is allocated with slack, and the offset that the kernel
 * accepts is found by harmless O_DIRECT *reads* of the targets. Every buffer is carved at
 * that offset plus a multiple of the (page-multiple) buffer size, so all share the alignment.
 */
import type { FileHandle } from 'node:fs/promises';

export const ALIGN = 4096;

export interface BufferSlab {
  /** the one allocation every buffer is carved from (the hasher reads ranges of it) */
  slab: SharedArrayBuffer;
  buffers: Buffer[];
  /** false when no offset suited every probe: the caller must not use O_DIRECT */
  aligned: boolean;
}

/**
 * Carves `count` buffers of `size` bytes (a multiple of ALIGN) out of one shared slab, at
 * an offset every handle in `probes` accepts for O_DIRECT.
 */
export async function alignedBuffers(count: number, size: number, probes: FileHandle[]): Promise<BufferSlab> {
  const slab = new SharedArrayBuffer(count * size + ALIGN);
  let offset: number | null = probes.length === 0 ? 0 : null;
  for (let k = 0; offset === null && k < ALIGN; k += 16) {
    const view = new Uint8Array(slab, k, ALIGN);
    let ok = true;
    for (const fh of probes) {
      try {
        await fh.read(view, 0, ALIGN, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        ok = false;
        break;
      }
    }
    if (ok) offset = k;
  }
  const base = offset ?? 0;
  return {
    slab,
    buffers: Array.from({ length: count }, (_, i) => Buffer.from(slab, base + i * size, size)),
    aligned: offset !== null,
  };
}
