/**
 * Runs the `lifeboat` CLI in-process, as a user would from a shell, and captures what it
 * printed (stdout and stderr together) plus its JSON lines, for tests of the commands.
 */
import { vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { main } from '../../src/main/cli';

/** A command still running after this long is reported (it is not stopped: the test's own
 *  timeout does that): what the process waits on and every process left, so a rare hang
 *  in CI says where it is instead of only "timed out". */
const SLOW_MS = 90_000;

function reportSlow(args: string[], printed: string, write: (s: string) => boolean): void {
  let ps = '';
  try {
    ps = execFileSync('ps', ['-eo', 'pid,ppid,pgid,stat,etime,wchan:20,args', '--forest'], { encoding: 'utf8' });
  } catch (err) {
    ps = String(err);
  }
  const resources = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  write(`\n[runCli] lifeboat ${args.join(' ')} still running after ${SLOW_MS / 1000} s\nlast output: ${printed.slice(-1500)}\nactive resources: ${resources.join(', ')}\n${ps}\n`);
}

export interface CliRun {
  code: number;
  out: string;
  /** every `--json` line, parsed */
  lines: Array<Record<string, unknown>>;
  /** the last JSON line (the result or the error), or {} when there is none */
  last: Record<string, unknown>;
}

export async function runCli(args: string[]): Promise<CliRun> {
  let out = '';
  const realWrite = process.stderr.write.bind(process.stderr);
  const slow = setTimeout(() => reportSlow(args, out, realWrite), SLOW_MS);
  slow.unref();
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((out += String(s)), true));
  try {
    const code = await main(args);
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, out, lines, last: lines.at(-1) ?? {} };
  } finally {
    clearTimeout(slow);
    o.mockRestore();
    e.mockRestore();
  }
}
