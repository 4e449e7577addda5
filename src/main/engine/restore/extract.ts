/**
 * Runs an extraction pipeline natively: the parts are read in order and streamed into
 * the first command (decompressor), whose output feeds tar. Counting the bytes read
 * gives real progress; cancelling kills every stage. Each stage's exit status is
 * checked (a corrupt stream can make the decompressor fail while tar exits 0).
 */
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { LifeboatError } from '../../../shared/errors';
import { spawnTool } from '../run';
import { ToolError } from '../run';

export interface PipelineOptions {
  /** receives the last stage's output (otherwise it is discarded) */
  onStdout?: (d: Buffer) => void;
  /** exit codes of the last stage that count as success (tar --compare exits 1 on differences) */
  okExitCodes?: number[];
}

export async function runPipeline(input: string[], pipeline: string[][], signal: AbortSignal, onBytes: (n: number) => void, opts: PipelineOptions = {}): Promise<number> {
  const procs = pipeline.map(([tool, ...args]) => ({ tool, args, proc: spawnTool(tool, args, { signal }), stderr: '' }));
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    (p.proc.stderr as Readable).on('data', (d: Buffer) => {
      p.stderr = (p.stderr + d.toString()).slice(-4000);
    });
    if (i + 1 < procs.length) (p.proc.stdout as Readable).pipe(procs[i + 1].proc.stdin as Writable);
    else if (opts.onStdout) (p.proc.stdout as Readable).on('data', opts.onStdout);
    else (p.proc.stdout as Readable).resume();
  }
  const first = procs[0].proc.stdin as Writable;
  // a stage that dies early closes its stdin: that must end the feeding, not crash it
  first.on('error', () => {});
  for (const p of procs.slice(1)) (p.proc.stdin as Writable).on('error', () => {});

  const feed = (async () => {
    try {
      for (const file of input) {
        for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) {
          onBytes((chunk as Buffer).length);
          if (!first.write(chunk)) await new Promise<void>((r) => first.once('drain', r).once('close', r));
          if (first.destroyed) return;
        }
      }
    } finally {
      first.end();
    }
  })();

  const results = await Promise.all(procs.map((p) => p.proc));
  await feed.catch((err) => {
    if (!signal.aborted) throw err;
  });
  if (signal.aborted) throw new LifeboatError('cancelled');
  for (let i = 0; i < procs.length; i++) {
    const r = results[i];
    if ((r as { code?: string }).code === 'ENOENT' || (r.failed && r.exitCode === undefined && !r.signal)) {
      throw new LifeboatError('tool-missing', { tool: procs[i].tool });
    }
    const ok = i === procs.length - 1 ? (opts.okExitCodes ?? [0]) : [0];
    if (!ok.includes(r.exitCode ?? -1)) throw new ToolError(procs[i].tool, procs[i].args, r.exitCode, procs[i].stderr, r.signal ?? undefined);
  }
  return results[procs.length - 1].exitCode ?? 0;
}
