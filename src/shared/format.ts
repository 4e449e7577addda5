/**
 * Sizes, speeds and durations, formatted for the user's language with Intl, and
 * size strings parsed from the command line (700M, 4G-1, 4.7G).
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const UNITS_FR = ['o', 'ko', 'Mo', 'Go', 'To', 'Po'] as const;

/** Decimal units, as drive vendors and file managers show them (a "16 GB" stick). */
export function formatBytes(bytes: number, lang: string): string {
  const units = lang.startsWith('fr') ? UNITS_FR : UNITS;
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const nf = new Intl.NumberFormat(lang, { maximumFractionDigits: i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0 });
  return `${bytes < 0 ? '-' : ''}${nf.format(v)}\u00a0${units[i]}`;
}

export function formatSpeed(bytesPerSecond: number, lang: string): string {
  return `${formatBytes(bytesPerSecond, lang)}/s`;
}

/** A duration such as "1 h 05 min", "3 min 07 s", "42 s", "0.4 s". */
export function formatDuration(seconds: number, lang: string): string {
  // under 10 s in tenths: a small image flashed in 0.4 s read "written in 0 s", as if
  // nothing had been done
  if (seconds > 0 && seconds < 9.95) {
    return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(Math.max(0.1, seconds))}\u00a0s`;
  }
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const nf = new Intl.NumberFormat(lang, { minimumIntegerDigits: 2 });
  if (h > 0) return `${h}\u00a0h\u00a0${nf.format(m)}\u00a0min`;
  if (m > 0) return `${m}\u00a0min\u00a0${nf.format(sec)}\u00a0s`;
  return `${sec}\u00a0s`;
}

export function formatPercent(fraction: number, lang: string): string {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
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
