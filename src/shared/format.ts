/**
 * Sizes, speeds and durations, formatted for the user's language as Intl formats them
 * (for English and French written here without loading Intl's data: formatNumber), and
 * size strings parsed from the command line (700M, 4G-1, 4.7G).
 */

/** What Intl.NumberFormat writes for English and French (others go to Intl itself). */
const PLAIN_NUMBERS: Record<string, { decimal: string; group: string; percent: string }> = {
  en: { decimal: '.', group: ',', percent: '%' },
  fr: { decimal: ',', group: '\u202f', percent: '\u00a0%' },
};

type NumberOptions = { maximumFractionDigits?: number; minimumIntegerDigits?: number };

/**
 * A number as `Intl.NumberFormat(lang, { maximumFractionDigits, minimumIntegerDigits })`
 * writes it — for English and French without Intl: the first NumberFormat a process makes
 * maps ICU's locale data, 7.5 MiB of resident memory, which alone took the interactive
 * `lifeboat flash` (its progress bar) to 66 MiB against the 59 of `--json`, over the 64 MiB
 * it must stay under. Rounded as ICU rounds: half away from zero, on the shortest decimal
 * form of the double (1.005 → 1.01, where toFixed says 1.00). format.test.ts proves it equal
 * to Intl over a sweep of values; any other language, and exponent-sized values, use Intl.
 */
export function formatNumber(value: number, lang: string, opts: NumberOptions = {}): string {
  return plainNumber(value, lang, 0, opts) ?? new Intl.NumberFormat(lang, opts).format(value);
}

/**
 * `value` times 10^shift as Intl writes it in English or French, or null where Intl itself
 * must write it (another language, a value only written with an exponent). The shift is
 * done on the digits, as ICU scales a percentage: 0.425 is 42.5 %, where 0.425 * 100 is
 * 42.49999999999999.
 */
function plainNumber(value: number, lang: string, shift: number, opts: NumberOptions): string | null {
  const plain = PLAIN_NUMBERS[lang];
  const text = String(Math.abs(value));
  if (!plain || !Number.isFinite(value) || text.includes('e')) return null;
  const maxFrac = opts.maximumFractionDigits ?? 3;
  const minInt = opts.minimumIntegerDigits ?? 1;
  const [whole, rest = ''] = text.split('.');
  const int = whole + rest.slice(0, shift).padEnd(shift, '0');
  const frac = rest.slice(shift);
  let digits = int + frac.slice(0, maxFrac).padEnd(maxFrac, '0');
  if (frac.length > maxFrac && frac.charCodeAt(maxFrac) >= 0x35) {
    // add one in the last kept place, carrying through the nines
    const d = digits.split('');
    let i = d.length - 1;
    while (i >= 0 && d[i] === '9') d[i--] = '0';
    if (i >= 0) d[i] = String(Number(d[i]) + 1);
    else d.unshift('1');
    digits = d.join('');
  }
  const intPart = digits.slice(0, digits.length - maxFrac).replace(/^0+(?=\d)/, '').padStart(minInt, '0');
  const fracPart = digits.slice(digits.length - maxFrac).replace(/0+$/, '');
  const grouped = intPart.replace(/\B(?=(\d{3})+$)/g, plain.group);
  const body = fracPart ? `${grouped}${plain.decimal}${fracPart}` : grouped;
  // Intl writes -0 for a negative value that rounds to zero
  return value < 0 || Object.is(value, -0) ? `-${body}` : body;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const UNITS_FR = ['o', 'ko', 'Mo', 'Go', 'To', 'Po'] as const;

/** Decimal units, as drive vendors and file managers show them (a "16 GB" stick). */
export function formatBytes(bytes: number, lang: string): string {
  const units = lang.startsWith('fr') ? UNITS_FR : UNITS;
  let v = Math.abs(bytes);
  let i = 0;
  // from 999.5 up: what would be written "1,000 kB" is "1 MB"
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = formatNumber(v, lang, { maximumFractionDigits: i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0 });
  return `${bytes < 0 ? '-' : ''}${digits}\u00a0${units[i]}`;
}

export function formatSpeed(bytesPerSecond: number, lang: string): string {
  return `${formatBytes(bytesPerSecond, lang)}/s`;
}

/** A duration such as "1 h 05 min", "3 min 07 s", "42 s", "0.4 s". */
export function formatDuration(seconds: number, lang: string): string {
  // under 10 s in tenths: a small image flashed in 0.4 s read "written in 0 s", as if
  // nothing had been done
  if (seconds > 0 && seconds < 9.95) {
    return `${formatNumber(Math.max(0.1, seconds), lang, { maximumFractionDigits: 1 })}\u00a0s`;
  }
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => formatNumber(n, lang, { minimumIntegerDigits: 2 });
  if (h > 0) return `${h}\u00a0h\u00a0${two(m)}\u00a0min`;
  if (m > 0) return `${m}\u00a0min\u00a0${two(sec)}\u00a0s`;
  return `${sec}\u00a0s`;
}

export function formatPercent(fraction: number, lang: string): string {
  const digits = plainNumber(fraction, lang, 2, { maximumFractionDigits: 0 });
  return digits !== null ? `${digits}${PLAIN_NUMBERS[lang]!.percent}` : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)?\s*(?:-\s*(\d+))?$/i;

/**
 * Parses "700M", "4.7G", "4G-1", "1GiB", "512k", "12345" into bytes.
 *
 * As split(1) and dd read them: a bare suffix or one with "iB" is binary (K, KiB = 1024),
 * one with "B" alone decimal (KB = 1000) — the same "GB" as the restore wizard's size
 * fields and every size the app shows. A trailing "-N" subtracts N bytes (4G-1 is the
 * FAT32 file size limit).
 */
export function parseSize(text: string): number | null {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return null;
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  const decimal = pow > 0 && (m[3] ?? '').toLowerCase() === 'b';
  const v = Math.floor(Number(m[1]) * Math.pow(decimal ? 1000 : 1024, pow)) - (m[4] ? Number(m[4]) : 0);
  return Number.isFinite(v) && v > 0 ? v : null;
}
