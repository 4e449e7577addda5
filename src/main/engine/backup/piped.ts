/**
 * Starts a tool of the archiving pipe with its stdin and stdout wired to OS-level ends:
 * another tool's stdout (so the uncompressed tar stream, the biggest one, never passes
 * through Node) and a FIFO's write end (read by FifoParts' worker).
 *
 * run.ts's spawnTool only takes pipes; this is the same execa call with the same
 * environment. execa hands a stream with a file descriptor to the child as is, and it
 * takes no plain fd numbers above 2 for stdout, hence the fd wrapped in a WriteStream
 * that never closes it (FifoParts owns it).
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';

export function spawnPiped(tool: string, argv: readonly string[], o: { stdin: Readable | 'ignore'; stdoutFd: number; signal: AbortSignal }): ResultPromise {
  const sub = execa(tool, argv, {
    reject: false,
    buffer: false,
    stdin: o.stdin,
    stdout: createWriteStream('', { fd: o.stdoutFd, autoClose: false }),
    stderr: 'pipe',
    env: { LC_ALL: 'C' },
    cancelSignal: o.signal,
  });
  // the child now holds its own copy of the upstream pipe; the parent's end must be closed,
  // or the upstream process's stream never ends here and Node's event loop stalls on it
  if (o.stdin !== 'ignore') o.stdin.destroy();
  return sub;
}
