/**
 * Archives one partition as a raw image: the block device's bytes | compressor | parts,
 * in one pass, through the same PartWriter as the tar streams (split and hashed as
 * written, never a second copy).
 *
 * The device is read in Node, not by the compressor, so the bytes read give progress
 * and are checked against the recorded partition size: an image shorter than its
 * partition (a device that went away) is an error, not a silently truncated restore.
 * Zero runs (unused space of a freshly made or trimmed filesystem) compress to almost
 * nothing with every supported compressor.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Part } from '../../../shared/backup-set';
import { LifeboatError } from '../../../shared/errors';
import { spawnTool, ToolError } from '../run';
import type { Chosen } from './compressors';
import { PartWriter } from './part-writer';

export interface RawImageOptions {
  device: string;
  sizeBytes: number;
  compressor: Chosen;
  setDir: string;
  base: string;
  split: number;
  partWidth: number;
  destLabel: string;
  signal: AbortSignal;
  onProgress: (bytesIn: number) => void;
}

/** `archives/<id>.img.<ext>`: a name that says "not a tar stream" to a person listing the set. */
export function rawBase(id: string, ext: string): string {
  return `archives/${id}.img${ext ? '.' + ext : ''}`;
}

export async function archiveRaw(o: RawImageOptions): Promise<{ bytesIn: number; parts: Part[] }> {
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const writer = new PartWriter(o.setDir, o.base, o.split, o.partWidth, o.destLabel);
  let bytesIn = 0;
  const counter = new PassThrough({ highWaterMark: 4 << 20 });
  counter.on('data', (c: Buffer) => {
    bytesIn += c.length;
    o.onProgress(bytesIn);
  });
  const source = createReadStream(o.device, { highWaterMark: 4 << 20, signal });

  let firstError: unknown = null;
  const fail = (err: unknown) => {
    firstError ??= err;
    stop.abort();
  };
  if (!o.compressor.program) {
    await pipeline(source, counter, writer).catch(fail);
  } else {
    const comp = spawnTool(o.compressor.program, o.compressor.args, { signal });
    let compErr = '';
    comp.stderr!.on('data', (c: Buffer) => (compErr = (compErr + c.toString()).slice(-4000)));
    const [, , res] = await Promise.all([
      pipeline(source, counter, comp.stdin as Writable).catch(fail),
      pipeline(comp.stdout as Readable, writer).catch(fail),
      comp,
    ]);
    if (!o.signal.aborted && !firstError && res.exitCode !== 0) {
      throw new ToolError(o.compressor.program, o.compressor.args, res.exitCode, compErr, res.signal ?? undefined);
    }
  }
  if (o.signal.aborted) throw new LifeboatError('cancelled');
  if (firstError) throw firstError;
  if (bytesIn !== o.sizeBytes) {
    throw new LifeboatError('internal', { detail: `${o.device}: read ${bytesIn} bytes, the partition table says ${o.sizeBytes}` });
  }
  return { bytesIn, parts: writer.parts };
}
