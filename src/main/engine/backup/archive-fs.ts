/**
 * Archives one filesystem: `tar --create` | compressor | split, in one pass.
 *
 * The three are joined by OS pipes: no archive byte passes through Node (split writes
 * and hashes the parts, see splitIntoParts). Bytes in are counted from tar's checkpoints
 * and its final --totals. Any failure stops all three and the first real cause is thrown
 * (a full disk, a tool's stderr, or `cancelled`).
 */
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { spawnTool, ToolError } from '../run';
import type { Chosen } from './compressors';
import { chooseHasher, splitIntoParts } from './part-writer';
import { tarCreateArgs } from './tar-args';
import { spawnFromStream } from './piped';

/** 128 KiB records (blocking factor 256, not tar's default 20): 13× fewer writes by tar
 *  and reads by the compressor. Any tar reads them back (it finds the record size itself). */
const BLOCKING = 256;
/** tar's record size: checkpoints count records */
const RECORD = BLOCKING * 512;
/** a checkpoint every 8 records: progress every MiB */
const CHECKPOINT_RECORDS = 8;

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
  /** an incremental: the tar snapshot file (a copy of the base set's) that tar updates.
   *  A level-0 archive gets none: its snapshot is made by the metadata pass before it
   *  (estimate.ts), so tar reads directories in disk order, not sorted by name. */
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
  const tarArgs = [`--blocking-factor=${BLOCKING}`, `--checkpoint=${CHECKPOINT_RECORDS}`, '--checkpoint-action=echo=#%u', ...(await tarCreateArgs(o.mount, o.excludeArgs, '-', o.snapshot))];
  // resolved before tar starts: an await between the spawns would leave tar's pipe unread
  const hasher = await chooseHasher();
  const tar = spawnTool('tar', tarArgs, { signal, stdin: 'ignore' });
  const comp = o.compressor.program ? spawnFromStream(o.compressor.program, o.compressor.args, tar.stdout!, signal) : null;

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
  let parts: Part[] = [];
  const splitting = splitIntoParts(comp ? comp.stdout! : tar.stdout!, {
    setDir: o.setDir,
    base: o.base,
    split: o.split,
    width: o.partWidth,
    destLabel: o.destLabel,
    signal,
    hasher,
  }).then((p) => {
    parts = p;
  }, fail);
  const [tarRes, compRes] = await Promise.all([tar, comp ?? Promise.resolve(null), splitting]);
  o.onProgress(bytesIn, files, current);

  if (o.signal.aborted) throw new LifeboatError('cancelled');
  // split's error (dest-full, its own failure) is the cause: it is stopped only by a
  // cancel, and tar and the compressor then die of a broken pipe or of the stop
  if (firstError) throw firstError;
  // tar exit 1: some files changed while being read — the archive is still whole
  if (tarRes.exitCode !== 0 && tarRes.exitCode !== 1) {
    throw new ToolError('tar', tarArgs, tarRes.exitCode, messages.join('\n'), tarRes.signal ?? undefined);
  }
  if (compRes && compRes.exitCode !== 0) {
    throw new ToolError(o.compressor.program!, o.compressor.args, compRes.exitCode, compErr, compRes.signal ?? undefined);
  }
  return { bytesIn, files, parts, tarWarnings: messages };
}
