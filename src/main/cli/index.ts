/**
 * `lifeboat`: the command line over the same engine the app uses.
 *
 * commander parses the arguments (a well-kept library beats a hand-written parser);
 * each command lives in `commands/<name>.ts` and registers itself.
 */
import { Command, CommanderError } from 'commander';
import { createI18n, languageFromLocale } from '../../shared/i18n';
import { LifeboatError } from '../../shared/errors';
import { reportError, EXIT_CODES, type CliIo } from './output';
import type { RegisterCommand } from './commands';
import { APP_VERSION } from '../version';
import { translateBuiltins } from './help';

/**
 * The commands to register. `lifeboat flash …` loads the flash command alone: the other
 * commands pull in the backup, media, restore and rehearse engines (tar, zod schemas, the
 * rescue templates), which cost a flash about 15 MiB and 40 ms of start-up for nothing.
 * esbuild turns these dynamic imports into lazily initialised modules of the same bundle.
 */
async function loadCommands(argv: string[]): Promise<RegisterCommand[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  if (name === 'flash') return [(await import('./commands/flash')).registerFlash];
  return (await import('./commands')).COMMANDS;
}

export async function main(argv: string[]): Promise<number> {
  const lang = languageFromLocale(process.env.LIFEBOAT_LANG ?? process.env.LC_ALL ?? process.env.LC_MESSAGES ?? process.env.LANG);
  const { t } = await createI18n(lang);
  const json = argv.includes('--json');
  const io: CliIo = {
    json,
    lang,
    t,
    interactive: Boolean(process.stdin.isTTY),
    isTTY: Boolean(process.stderr.isTTY),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };

  // Ctrl-C cancels the running job cleanly (the job removes its partial output), then exits 130.
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT_CODES.cancelled);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let exitCode = 0;
  const program = translateBuiltins(new Command('lifeboat').description(t('cli:description')), t, APP_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  for (const register of await loadCommands(argv)) {
    register(program, io, abort.signal, (code) => {
      exitCode = code;
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_CODES.refused;
    }
    if (abort.signal.aborted && !(err instanceof LifeboatError && err.code !== 'cancelled')) {
      return reportError(io, new LifeboatError('cancelled'));
    }
    return reportError(io, err);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`lifeboat: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
