/**
 * The shared libraries a program needs, found with `ldd`, plus the dynamic loader.
 *
 * `ldd` runs the loader in trace mode; its output names each library by the path the
 * loader would open, which is the path the rescue system must hold. Libraries glibc
 * opens at run time (libgcc_s for thread cancellation) are added by the caller.
 */
import { run } from '../run';

/** Parses `ldd` output into absolute library paths; `not found` lines are returned apart. */
export function parseLdd(text: string): { libs: string[]; notFound: string[] } {
  const libs: string[] = [];
  const notFound: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('linux-vdso') || line.includes('statically linked') || line === 'not a dynamic executable') continue;
    const arrow = line.match(/^(\S+) => (\S+)/);
    if (arrow) {
      if (arrow[2] === 'not') notFound.push(arrow[1]);
      else if (arrow[2].startsWith('/')) libs.push(arrow[2]);
      continue;
    }
    const direct = line.match(/^(\/\S+) \(0x/);
    if (direct) libs.push(direct[1]);
  }
  return { libs, notFound };
}

/** Returns the libraries `binary` needs (empty for static programs). */
export async function libraryClosure(binary: string): Promise<{ libs: string[]; notFound: string[] }> {
  // ldd exits 1 for static binaries ("not a dynamic executable").
  const res = await run('ldd', [binary], { okExitCodes: [0, 1] });
  return parseLdd(res.stdout + '\n' + res.stderr);
}
