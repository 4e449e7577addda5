/**
 * Starts a tool whose stdin is another tool's stdout, as an OS pipe between the two
 * processes: the uncompressed tar stream (the biggest one) never passes through Node.
 *
 * run.ts's spawnTool only takes 'pipe' or 'ignore' for stdin; this is the same execa
 * call with the same environment, given the upstream stream instead (execa hands a
 * stream with a file descriptor to the child as is). Worth folding into spawnTool.
 */
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';

export function spawnFromStream(tool: string, argv: readonly string[], stdin: Readable, signal: AbortSignal): ResultPromise {
  const sub = execa(tool, argv, {
    reject: false,
    buffer: false,
    stdin,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { LC_ALL: 'C' },
    cancelSignal: signal,
  });
  // the child now holds its own copy of the pipe; the parent's end must be closed, or
  // the upstream process's stream never ends here and Node's event loop stalls on it
  stdin.destroy();
  return sub;
}
