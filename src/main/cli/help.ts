/**
 * commander's help in the user's language. Its own words ("Usage:", "Options:",
 * "(default: …)", "display help for command") are English literals; everything else in
 * the help comes from the locale files, so a French help was half English. The titles go
 * through `styleTitle`, the option and argument notes are rebuilt as commander builds
 * them, with translated labels. Set on the root command, these settings are inherited by
 * every command registered after them.
 */
import type { Argument, Command, HelpConfiguration, Option } from 'commander';
import type { TFunction } from 'i18next';

const TITLES: Record<string, string> = {
  'Usage:': 'usage',
  'Options:': 'options',
  'Commands:': 'commands',
  'Arguments:': 'arguments',
  'Global Options:': 'globalOptions',
};

function notes(t: TFunction, o: { argChoices?: string[]; defaultValue?: unknown; defaultValueDescription?: string }, showDefault: boolean): string[] {
  const out: string[] = [];
  if (o.argChoices) out.push(t('cli:help.choices', { list: o.argChoices.map((c) => JSON.stringify(c)).join(', ') }));
  if (o.defaultValue !== undefined && showDefault) out.push(t('cli:help.default', { value: o.defaultValueDescription || JSON.stringify(o.defaultValue) }));
  return out;
}

export function translatedHelp(t: TFunction): HelpConfiguration {
  return {
    styleTitle: (title: string) => (TITLES[title] ? t(`cli:help.${TITLES[title]}`) : title),
    optionDescription: (option: Option) => {
      // as commander: a default is worth showing for an option that takes a value
      const extra = notes(t, option, option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean'));
      return extra.length ? `${option.description} (${extra.join(', ')})` : option.description;
    },
    argumentDescription: (argument: Argument) => {
      const extra = notes(t, argument, true);
      if (!extra.length) return argument.description;
      return argument.description ? `${argument.description} (${extra.join(', ')})` : `(${extra.join(', ')})`;
    },
  };
}

/** The built-in --help, --version and `help` command, described in the user's language. */
export function translateBuiltins(program: Command, t: TFunction, version: string): Command {
  return program
    .version(version, '-V, --version', t('cli:help.version'))
    .helpOption('-h, --help', t('cli:help.help'))
    .helpCommand('help [command]', t('cli:help.help'))
    .configureHelp(translatedHelp(t));
}
