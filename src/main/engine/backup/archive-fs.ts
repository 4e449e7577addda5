/**
 * Archives one filesystem: `tar --create` | compressor | parts, in one pass.
 *
 * tar's stdout feeds the compressor through an OS pipe (no copy through Node); bytes in
 * are counted from tar's checkpoints and its final --totals. The compressor's stdout
 * goes to the PartWriter, which splits and hashes. Any failure stops all three
 * and the first real cause is thrown (a full disk, a tool's stderr, or `cancelled`).
 */
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { spawnTool, ToolError } from '../run';
import type { Chosen } from './compressors';
import { PartWriter } from './part-writer';
import { tarCreateArgs } from './tar-args';
import { spawnFromStream } from './piped';

/** tar's record size (blocking factor 20 × 512): checkpoints count records */
const RECORD = 10240;
/** a checkpoint every 100 records: progress every MiB */
const CHECKPOINT_RECORDS = 100;

export interface ArchiveFsResult {
  bytesIn: number;
  files: number;
  parts: Part[];
  /** tar's own messages (files changed while read, sockets ignored) */
  tarWarnings: string[];
}

export interface ArchiveFsOptions {
  mount: string;
  excludeArgs: string[];
  compressor: Chosen;
  setDir: string;
  base: string;
  /** absolute path of the tar snapshot file to create or update */
  snapshot?: string;
  split: number;
  partWidth: number;
  destLabel: string;
  signal: AbortSignal;
  onProgress: (bytesIn: number, files: number, current: string) => void;
}

/** Reads tar's stderr: "./member" lines are files, "tar: …" lines are messages. */
function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  };
}

export async function archiveFilesystem(o: ArchiveFsOptions): Promise<ArchiveFsResult> {
  // one controller stops every process when any part of the pipe fails, not only on cancel
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const tarArgs = [`--checkpoint=${CHECKPOINT_RECORDS}`, '--checkpoint-action=echo=#%u', ...(await tarCreateArgs(o.mount, o.excludeArgs, '-', o.snapshot))];
  const tar = spawnTool('tar', tarArgs, { signal, stdin: 'ignore' });
  const comp = o.compressor.program ? spawnFromStream(o.compressor.program, o.compressor.args, tar.stdout!, signal) : null;
  const writer = new PartWriter(o.setDir, o.base, o.split, o.partWidth, o.destLabel);

  let bytesIn = 0;
  let files = 0;
  let current = '';
  const messages: string[] = [];
  tar.stderr!.on(
    'data',
    lineReader((line) => {
      if (line.startsWith('./')) {
        files++;
        current = line;
      } else if (line.startsWith('tar: #')) {
        // %u is the number of records written so far
        bytesIn = Number(line.slice(6)) * RECORD;
        o.onProgress(bytesIn, files, current);
      } else if (line.startsWith('Total bytes written: ')) {
        bytesIn = parseInt(line.slice(21), 10);
      } else if (line) messages.push(line);
    }),
  );
  let compErr = '';
  comp?.stderr!.on('data', (c: Buffer) => (compErr = (compErr + c.toString()).slice(-4000)));

  let firstError: unknown = null;
  const fail = (err: unknown) => {
    firstError ??= err;
    stop.abort();
  };
  const pipes = [pipeline(comp ? comp.stdout! : tar.stdout!, writer).catch(fail)];
  const [tarRes, compRes] = await Promise.all([tar, comp ?? Promise.resolve(null), ...pipes]);
  o.onProgress(bytesIn, files, current);

  if (o.signal.aborted) throw new LifeboatError('cancelled');
  // the writer's error (dest-full) is the cause; the tools then die of a broken pipe
  if (firstError instanceof LifeboatError) throw firstError;
  // tar exit 1: some files changed while being read — the archive is still whole
  if (tarRes.exitCode !== 0 && tarRes.exitCode !== 1) {
    throw new ToolError('tar', tarArgs, tarRes.exitCode, messages.join('\n'), tarRes.signal ?? undefined);
  }
  if (compRes && compRes.exitCode !== 0) {
    throw new ToolError(o.compressor.program!, o.compressor.args, compRes.exitCode, compErr, compRes.signal ?? undefined);
  }
  if (firstError) throw firstError;
  return { bytesIn, files, parts: writer.parts, tarWarnings: messages };
}
