/**
 * Runs the `lifeboat` CLI in-process, as a user would from a shell, and captures what it
 * printed (stdout and stderr together) plus its JSON lines, for tests of the commands.
 */
import { vi } from 'vitest';
import { main } from '../../src/main/cli';

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
    o.mockRestore();
    e.mockRestore();
  }
}
