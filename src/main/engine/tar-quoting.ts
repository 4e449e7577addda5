/**
 * GNU tar's default way of printing a member name (`--quoting-style=escape`: C escapes,
 * octal for every byte outside printable ASCII), so that one name is always one line;
 * member lists are read in that form and shown decoded.
 */

/** Undoes tar's `--quoting-style=escape` (C escapes, octal for bytes outside ASCII). */
export function unescapeTar(s: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39, '?': 63, ' ': 32 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += oct[0].length;
        continue;
      }
      if (s[i + 1] in simple) {
        bytes.push(simple[s[i + 1]]);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
