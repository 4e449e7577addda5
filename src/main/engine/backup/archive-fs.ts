/**
 * Archives one filesystem: `tar --create` | compressor | parts, in one pass.
 *
 * tar's stdout feeds the compressor directly (no copy through Node); bytes in are counted
 * from tar's checkpoints and its final --totals. The compressor writes into a FIFO read by
 * FifoParts' worker, which splits and hashes. Any failure stops all three and the first
 * real cause is thrown (a full disk, a tool's stderr, or `cancelled`).
 */
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { spawnTool, ToolError } from '../run';
import type { Chosen } from './compressors';
import { FifoParts } from './fifo-parts';
import { RECORD_BYTES, tarCreateArgs } from './tar-args';
import { spawnPiped } from './piped';
import { lineReader } from './lines';

/** a checkpoint every 32 records: progress every 4 MiB (checkpoints count records) */
const CHECKPOINT_RECORDS = 32;

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

export async function archiveFilesystem(o: ArchiveFsOptions): Promise<ArchiveFsResult> {
  // one controller stops every process when any part of the pipe fails, not only on cancel
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const tarArgs = [`--checkpoint=${CHECKPOINT_RECORDS}`, '--checkpoint-action=echo=#%u', ...(await tarCreateArgs(o.mount, o.excludeArgs, '-', o.snapshot))];
  const sink = await FifoParts.open({ setDir: o.setDir, base: o.base, split: o.split, width: o.partWidth, destLabel: o.destLabel });
  let tar, comp;
  try {
    // without a compressor, tar itself writes into the FIFO
    if (o.compressor.program) {
      tar = spawnTool('tar', tarArgs, { signal, stdin: 'ignore' });
      comp = spawnPiped(o.compressor.program, o.compressor.args, { stdin: tar.stdout!, stdoutFd: sink.writeFd, signal });
    } else {
      tar = spawnPiped('tar', tarArgs, { stdin: 'ignore', stdoutFd: sink.writeFd, signal });
      comp = null;
    }
  } finally {
    sink.closeWriteEnd();
  }

  let bytesIn = 0;
  let files = 0;
  let current = '';
  const messages: string[] = [];
  // tar's stderr: "./member" lines are files, "tar: …" lines are messages
  tar.stderr!.on(
    'data',
    lineReader((line) => {
      if (line.startsWith('./')) {
        files++;
        current = line;
      } else if (line.startsWith('tar: #')) {
        // %u is the number of records written so far
        bytesIn = Number(line.slice(6)) * RECORD_BYTES;
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
  let parts: Part[] = [];
  const written = sink.done().then((p) => (parts = p), fail);
  const [tarRes, compRes] = await Promise.all([tar, comp ?? Promise.resolve(null), written]);
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
  return { bytesIn, files, parts, tarWarnings: messages };
}
