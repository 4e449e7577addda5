/**
 * The one question the CLI asks before it erases anything.
 *
 * A run that cannot be asked (no terminal, or --json for a script) must have said
 * --yes, otherwise it is refused with `not-confirmed` (exit 2): a script never wipes
 * a disk by accident. On a terminal only an explicit yes in the user's language
 * counts; Ctrl-C or a closed stdin while asking means no.
 */
import { createInterface } from 'node:readline/promises';
import { LifeboatError } from '../../shared/errors';
import type { CliIo } from './output';

export async function confirmErase(io: CliIo, opts: { yes?: boolean; question: string; signal: AbortSignal }): Promise<void> {
  if (opts.yes) return;
  if (!io.interactive || io.json) throw new LifeboatError('not-confirmed');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer = '';
  try {
    answer = await rl.question(opts.question.trimEnd() + ' ', { signal: opts.signal });
  } catch {
    answer = '';
  } finally {
    rl.close();
  }
  const yes = io.t('cli:yesAnswers').split(',');
  if (!yes.includes(answer.trim().toLowerCase())) throw new LifeboatError('not-confirmed');
}
