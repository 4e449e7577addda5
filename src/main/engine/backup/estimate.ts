/**
 * How big the tar streams will be: GNU tar writing to /dev/null walks the tree with the
 * very same excludes but reads no file data, and its --totals is the stream size. That is
 * the "du" that honours exclusions exactly.
 *
 * It runs beside the archiving of the same filesystem instead of before it (as a pass
 * of its own it cost 1.5 s of CPU and 1.5–3.4 s of wall time per 1.5 GB, 71k entries).
 * For a full set it also writes the level-0 `--listed-incremental` snapshot a later
 * incremental starts from, so that the archive itself can go without one: in incremental
 * mode GNU tar archives every directory's entries sorted by name (whatever --sort says),
 * which read a cold ext4 tree 1.5–2× slower than tar's plain directory order here. The
 * walk is started first, so its snapshot time is before anything is read: a file changed
 * meanwhile goes into the next incremental again, never missed. For an incremental set
 * the walk only feeds the ETA: it runs at nice 19 and is stopped if the archive ends first.
 */
import { setPriority } from 'node:os';
import { LifeboatError } from '../../../shared/errors';
import { spawnTool, ToolError } from '../run';
import { lineReader } from './lines';
import { tarCreateArgs } from './tar-args';

export interface Estimate {
  /** the stream size and member count, once the walk is done */
  result: Promise<{ bytes: number; files: number }>;
}

/**
 * Starts the walk and resolves once tar runs (a level-0 snapshot records that moment).
 * @param o.snapshot a `--listed-incremental` file: a new one gets a level-0 snapshot, a
 *   scratch copy of the base's measures an incremental (tar rewrites the file it is given)
 * @param o.lowPriority nice 19: for a walk only the ETA needs
 */
export async function startEstimate(mount: string, excludeArgs: string[], signal: AbortSignal, o: { snapshot?: string; lowPriority: boolean }): Promise<Estimate> {
  const args = await tarCreateArgs(mount, excludeArgs, '/dev/null', o.snapshot);
  const tar = spawnTool('tar', args, { signal, stdin: 'ignore' });
  let files = 0;
  let stderr = '';
  // with /dev/null as the archive, the member list goes to stdout
  tar.stdout!.on('data', lineReader((line) => line.startsWith('./') && files++));
  tar.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const result = (async () => {
    const res = await tar;
    if (signal.aborted) throw new LifeboatError('cancelled');
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new ToolError('tar', args, res.exitCode, stderr, res.signal ?? undefined);
    const m = /Total bytes written: (\d+)/.exec(stderr);
    return { bytes: m ? Number(m[1]) : 0, files };
  })();
  // a tool that cannot start fails `result`; nothing to wait for then
  await new Promise<void>((resolve) => {
    tar.once('spawn', () => resolve());
    result.catch(() => resolve());
  });
  if (o.lowPriority && tar.pid) {
    try {
      setPriority(tar.pid, 19);
    } catch {
      // already gone (its exit code tells why), or a system that refuses: it runs at normal priority
    }
  }
  return { result };
}
