/**
 * SHA256SUMS: one `<sha256>  <path>` line per file, paths relative to the set, so
 * `cd SET && sha256sum -c SHA256SUMS` checks a set without Lifeboat.
 */
import { LifeboatError } from '../../../shared/errors';

export interface SumEntry {
  name: string;
  sha256: string;
}

export function formatSums(entries: SumEntry[]): string {
  for (const e of entries) {
    // sha256sum escapes such names with a leading backslash; set paths never need it
    if (/[\n\\]/.test(e.name)) throw new Error(`unexpected character in set path: ${JSON.stringify(e.name)}`);
  }
  return entries.map((e) => `${e.sha256}  ${e.name}\n`).join('');
}

export function parseSums(text: string, dir: string): SumEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
      if (!m) throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS: unreadable line “${line.slice(0, 80)}”` });
      const name = m[2];
      if (name.startsWith('/') || name.split('/').includes('..')) {
        throw new LifeboatError('set-invalid', { path: dir, detail: `SHA256SUMS names a file outside the set: ${name}` });
      }
      return { name, sha256: m[1].toLowerCase() };
    });
}
