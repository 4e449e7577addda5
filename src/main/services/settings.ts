/**
 * The user's settings, remembered between runs in `$XDG_CONFIG_HOME/lifeboat/settings.json`.
 *
 * The file is validated on read: a damaged or hand-edited file falls back to the
 * defaults instead of breaking start-up (a setting is a convenience, not data).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { LANGUAGES, type Settings } from '../../shared/api';

const schema = z.object({ language: z.enum(LANGUAGES).nullable().default(null) });

export function settingsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'lifeboat', 'settings.json');
}

export function readSettings(path = settingsPath()): Settings {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : { language: null };
  } catch {
    return { language: null };
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeSettings(next: Settings, path = settingsPath()): Settings {
  const value = schema.parse(next);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return value;
}
