/**
 * Kernel modules for the rescue system, with everything they depend on.
 *
 * The closure follows `modules.dep` and the `pre:` soft dependencies (ext4 wants
 * crc32c), modules built into the kernel count as present, and firmware files that a
 * module names are copied when the host has them. Compressed modules are unpacked at
 * build time so busybox's modprobe can load them; `depmod -b` then rebuilds the index
 * for exactly the modules that went in.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, copyFileSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import { run, spawnTool, ToolError } from '../run';

export interface ModuleIndex {
  /** normalised name → path relative to the modules dir */
  byName: Map<string, string>;
  /** relative path → dependency paths */
  deps: Map<string, string[]>;
  builtin: Set<string>;
  /** module → the modules its soft dependencies (pre: and post:) name */
  softPre: Map<string, string[]>;
  /** plain alias → module names */
  aliases: Map<string, string[]>;
}

/** Module names use `-` and `_` interchangeably; the kernel treats them as one. */
export const normModule = (name: string) => name.replace(/-/g, '_');

const stripKo = (file: string) => basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, '');

export function readModuleIndex(modulesDir: string): ModuleIndex {
  const byName = new Map<string, string>();
  const deps = new Map<string, string[]>();
  const depText = existsSync(join(modulesDir, 'modules.dep')) ? readFileSync(join(modulesDir, 'modules.dep'), 'utf8') : '';
  for (const line of depText.split('\n')) {
    const m = line.match(/^([^:]+):\s*(.*)$/);
    if (!m) continue;
    byName.set(normModule(stripKo(m[1])), m[1]);
    deps.set(m[1], m[2].split(/\s+/).filter(Boolean));
  }
  const builtin = new Set<string>();
  const builtinFile = join(modulesDir, 'modules.builtin');
  if (existsSync(builtinFile)) {
    for (const line of readFileSync(builtinFile, 'utf8').split('\n')) if (line) builtin.add(normModule(stripKo(line)));
  }
  const softPre = new Map<string, string[]>();
  const softFile = join(modulesDir, 'modules.softdep');
  if (existsSync(softFile)) {
    // "softdep cifs pre: ccm pre: gcm post: …": every word after a pre: or post: marker is a
    // module the first one needs at run time (cifs cannot negotiate SMB3 without them).
    for (const line of readFileSync(softFile, 'utf8').split('\n')) {
      const words = line.trim().split(/\s+/);
      if (words[0] !== 'softdep' || !words[1]) continue;
      const wants = words.slice(2).filter((w) => w !== 'pre:' && w !== 'post:').map(normModule);
      softPre.set(normModule(words[1]), [...(softPre.get(normModule(words[1])) ?? []), ...wants]);
    }
  }
  // Soft dependencies often name an alias ("aes" → aesni_intel); plain aliases (no
  // wildcards) resolve to every module that provides them.
  const aliases = new Map<string, string[]>();
  const aliasFile = join(modulesDir, 'modules.alias');
  if (existsSync(aliasFile)) {
    for (const line of readFileSync(aliasFile, 'utf8').split('\n')) {
      const m = line.match(/^alias (\S+) (\S+)$/);
      if (!m || /[*?[]/.test(m[1])) continue;
      const key = normModule(m[1]);
      aliases.set(key, [...(aliases.get(key) ?? []), normModule(m[2])]);
    }
  }
  return { byName, deps, builtin, softPre, aliases };
}

export interface ModuleSelection {
  /** relative paths of the module files to copy, dependencies included */
  files: string[];
  /** requested names found as modules or built in */
  present: string[];
  builtin: string[];
  missing: string[];
}

/** Resolves requested module names to files, following hard and soft dependencies. */
export function selectModules(index: ModuleIndex, wanted: readonly string[]): ModuleSelection {
  const files = new Set<string>();
  const present: string[] = [];
  const builtin: string[] = [];
  const missing: string[] = [];
  const addFile = (rel: string) => {
    if (files.has(rel)) return;
    files.add(rel);
    for (const d of index.deps.get(rel) ?? []) addFile(d);
    for (const pre of index.softPre.get(normModule(stripKo(rel))) ?? []) {
      for (const name of index.byName.has(pre) ? [pre] : index.aliases.get(pre) ?? []) {
        const p = index.byName.get(name);
        if (p) addFile(p);
      }
    }
  };
  for (const raw of wanted) {
    const name = normModule(raw);
    const rel = index.byName.get(name);
    if (rel) {
      present.push(name);
      addFile(rel);
    } else if (index.builtin.has(name)) builtin.push(name);
    else missing.push(name);
  }
  return { files: [...files].sort(), present, builtin, missing };
}

/**
 * Copies the selected modules into `<root>/lib/modules/<version>` (uncompressed), adds the
 * firmware they name, and runs `depmod -b root`. Returns the firmware files copied.
 */
export async function stageModules(
  modulesDir: string,
  version: string,
  selection: ModuleSelection,
  root: string,
  firmwareDir = '/lib/firmware',
): Promise<{ firmware: string[]; bytes: number }> {
  const dest = join(root, 'lib/modules', version);
  let bytes = 0;
  for (const rel of selection.files) {
    const src = join(modulesDir, rel);
    const out = join(dest, rel.replace(/\.(xz|zst|gz)$/, ''));
    mkdirSync(dirname(out), { recursive: true });
    if (rel.endsWith('.ko')) copyFileSync(src, out);
    else {
      const tool = rel.endsWith('.xz') ? 'xz' : rel.endsWith('.zst') ? 'zstd' : 'gzip';
      await decompressTo(tool, src, out);
    }
    bytes += statSync(out).size;
  }
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    if (existsSync(join(modulesDir, f))) copyFileSync(join(modulesDir, f), join(dest, f));
  }
  // modinfo lists firmware per module; one call for all files keeps the build quick.
  const firmware: string[] = [];
  if (selection.files.length) {
    const res = await run('modinfo', ['-F', 'firmware', ...selection.files.map((r) => join(modulesDir, r))], { okExitCodes: [0, 1] });
    for (const fw of new Set(res.stdout.split('\n').map((s) => s.trim()).filter(Boolean))) {
      for (const cand of [fw, fw + '.xz', fw + '.zst']) {
        const src = join(firmwareDir, cand);
        if (existsSync(src)) {
          const out = join(root, 'lib/firmware', cand);
          mkdirSync(dirname(out), { recursive: true });
          copyFileSync(src, out);
          firmware.push(cand);
          bytes += statSync(out).size;
          break;
        }
      }
    }
  }
  await run('depmod', ['-b', root, version]);
  return { firmware, bytes };
}

/** Unpacks one compressed module with the matching tool, streaming to `out`. */
async function decompressTo(tool: string, src: string, out: string): Promise<void> {
  const child = spawnTool(tool, ['-dc', src], { stdin: 'ignore' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await pipeline(child.stdout!, createWriteStream(out));
  const res = await child;
  if (res.exitCode !== 0) throw new ToolError(tool, ['-dc', src], res.exitCode, stderr);
}
