/**
 * The privileged helper's entry point (dist/helper.cjs), started by the app through
 * pkexec, or directly when already root.
 *
 * It speaks newline-delimited JSON on stdin/stdout (see src/shared/helper-protocol.ts)
 * and nothing else: every log goes to stderr, so a stray print can never corrupt a
 * response. It exits when stdin closes (the app quit or died), after cancelling and
 * awaiting its jobs so no half-written stick is left looking finished.
 */
import { MAX_LINE_BYTES, type HelperMessage } from '../../shared/helper-protocol';
import { LineSplitter } from './lines';
import { HelperServer } from './server';

function logToStderr(...args: unknown[]): void {
  process.stderr.write(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : JSON.stringify(a))).join(' ') + '\n');
}

// A dependency that prints with console.log must not inject lines into the protocol stream.
console.log = logToStderr;
console.info = logToStderr;
console.debug = logToStderr;

let stdoutBroken = false;
const send = (msg: HelperMessage): void => {
  if (stdoutBroken) return;
  process.stdout.write(JSON.stringify(msg) + '\n');
};

const server = new HelperServer({ send, log: logToStderr });
const splitter = new LineSplitter(MAX_LINE_BYTES);
let shuttingDown = false;
const inFlight = new Set<Promise<void>>();

async function shutdown(reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logToStderr(`helper: ${reason}; cancelling ${server.runningJobs} running job(s)`);
  // Requests already read are answered (the app may be waiting on them), then jobs are cancelled.
  await Promise.all([...inFlight, server.shutdown()]);
  // Let the last job.done lines drain before leaving (a broken pipe has nothing left to drain).
  if (stdoutBroken) process.exit(0);
  process.stdout.write('', () => process.exit(0));
}

process.stdout.on('error', (err) => {
  // EPIPE: the app is gone; nobody is left to answer, so stop the work cleanly.
  stdoutBroken = true;
  void shutdown(`stdout closed (${(err as NodeJS.ErrnoException).code ?? err.message})`);
});

process.stdin.on('data', (chunk: Buffer) => {
  for (const ev of splitter.push(chunk)) {
    if (ev.kind === 'too-long') server.refuseTooLong(ev.bytes, MAX_LINE_BYTES);
    else if (ev.line.trim()) {
      const p = server.handleLine(ev.line).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }
});
process.stdin.on('error', (err) => void shutdown(`stdin failed (${err.message})`));
process.stdin.on('end', () => {
  if (splitter.pending) logToStderr(`helper: stdin closed with ${splitter.pending} bytes of an unfinished request; ignored`);
  void shutdown('stdin closed');
});

// The helper must outlive any bug in one request: report it and carry on serving.
process.on('uncaughtException', (err) => logToStderr('helper: uncaught exception:', err));
process.on('unhandledRejection', (err) => logToStderr('helper: unhandled rejection:', err));
// Signals from the session (logout) end jobs as cleanly as a closed stdin.
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
