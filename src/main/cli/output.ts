/**
 * How the CLI speaks: translated text for people, JSON lines with --json, a progress
 * bar on a TTY (cli-progress), and one exit code per outcome (0 ok, 1 failure,
 * 2 refused, 130 cancelled).
 */
import cliProgress from 'cli-progress';
import type { TFunction } from 'i18next';
import { toErrorInfo, exitCodeFor, EXIT_CODES, type ErrorInfo } from '../../shared/errors';
import type { JobProgress } from '../../shared/progress';
import { formatBytes, formatDuration, formatSpeed } from '../../shared/format';
import type { Language } from '../../shared/api';

export interface CliIo {
  json: boolean;
  lang: Language;
  t: TFunction;
  /** true when a person can answer (stdin is a TTY) */
  interactive: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

/** One JSON line on stdout (--json). */
/**
 * A file name as one line of a terminal listing: a newline or another control character
 * in a name would split the line or move the cursor, so those are written as tar and
 * `ls -b` write them (\n, \t, \ooo), and a backslash doubled to keep that unambiguous.
 */
export function shownName(name: string): string {
  const short: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\' };
  return name.replace(/[\x00-\x1f\x7f\\]/g, (c) => short[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function emitJson(io: CliIo, obj: Record<string, unknown>): void {
  io.out(JSON.stringify(obj) + '\n');
}

/** The translated, human form of an error. */
export function describeError(t: TFunction, info: ErrorInfo): string {
  const text = t(`errors:${info.code}`, { ...info.params });
  return text && text !== `${info.code}` ? text : info.message;
}

/** Reports an error in the chosen form and returns the exit code for it. */
export function reportError(io: CliIo, err: unknown): number {
  const info = toErrorInfo(err);
  const code = exitCodeFor(info.code);
  if (io.json) emitJson(io, { type: 'error', code: info.code, params: info.params, message: describeError(io.t, info), exitCode: code });
  else io.err(`lifeboat: ${describeError(io.t, info)}\n`);
  if (process.env.LIFEBOAT_DEBUG && err instanceof Error && err.stack) io.err(err.stack + '\n');
  return code;
}

/** A progress sink: JSON lines, a bar on a TTY, or phase lines on a plain stream. */
export function progressPrinter(io: CliIo): { update: (p: JobProgress) => void; stop: () => void } {
  if (io.json) {
    let last = 0;
    let lastPhase = '';
    return {
      update: (p) => {
        // JSON consumers want every phase change and a steady heartbeat, not a flood.
        const now = Date.now();
        if (p.phase !== lastPhase || now - last >= 500) {
          last = now;
          lastPhase = p.phase;
          emitJson(io, { type: 'progress', ...p });
        }
      },
      stop: () => {},
    };
  }
  if (io.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: ' {phase} |{bar}| {percentage}% {done}/{totalText} {speed} {eta}',
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const total = p.total ?? 0;
        const payload = {
          phase: io.t(`cli:phases.${p.phase}`, { defaultValue: p.phase }),
          done: formatBytes(p.bytes, io.lang),
          totalText: p.total !== null ? formatBytes(p.total, io.lang) : '?',
          speed: p.speed ? formatSpeed(p.speed, io.lang) : '',
          eta: p.eta !== null ? formatDuration(p.eta, io.lang) : '',
        };
        // an unknown total (a backup's first moments, before its estimate walk is done) is an
        // empty bar with the bytes so far, not a full one: the bar clamps bytes/1 to 100 %
        const value = p.total !== null ? p.bytes : 0;
        if (!started) {
          bar.start(total || 1, value, payload);
          started = true;
        } else {
          bar.setTotal(total || 1);
          bar.update(value, payload);
        }
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastPhase = '';
  return {
    update: (p) => {
      if (p.phase !== lastPhase) {
        lastPhase = p.phase;
        io.err(`${io.t(`cli:phases.${p.phase}`, { defaultValue: p.phase })}…\n`);
      }
    },
    stop: () => {},
  };
}

export { EXIT_CODES };
