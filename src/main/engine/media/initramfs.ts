/**
 * Builds the rescue system's initramfs from the host: static busybox, the restore tools
 * with their libraries, the kernel modules with their dependencies, the init script and
 * the menu's words.
 *
 * The tree is assembled in memory (see `RescueTree`) and streamed as newc cpio into the
 * compressor; only the modules are staged on disk, because `depmod -b` needs a folder.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, createWriteStream, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../../../shared/errors';
import type { Language } from '../../../shared/api';
import { APP_VERSION } from '../../version';
import { findProgram, toolSearchPath } from '../find-program';
import { run, spawnTool, ToolError } from '../run';
import { ALL_RESCUE_MODULES, RESCUE_MODULES, RESCUE_TOOLS, type RescueTool } from './catalog';
import { libraryClosure } from './closure';
import { writeCpio } from './cpio';
import { readAsset } from './assets';
import type { KernelChoice } from './kernel';
import { readModuleIndex, selectModules, stageModules } from './modules';
import { renderRescueMessages } from './rescue-i18n';
import { RescueTree } from './tree';

export type Compression = 'zstd' | 'xz' | 'gzip';

export interface InitramfsOptions {
  kernel: KernelChoice;
  lang: Language;
  out: string;
  compression?: Compression;
  /** where to look for programs (default: PATH plus the sbin folders) */
  searchPath?: string[];
  busybox?: string;
  log?: (line: string) => void;
}

export interface PackedTool {
  name: string;
  host: string;
  bytes: number;
  libs: string[];
}

export interface InitramfsManifest {
  lifeboatVersion: string;
  kernelVersion: string;
  compression: Compression;
  bytes: number;
  uncompressedBytes: number;
  files: number;
  tools: PackedTool[];
  missingTools: { name: string; needed: boolean }[];
  unresolvedLibraries: string[];
  modules: { present: string[]; builtin: string[]; missing: string[]; files: number; bytes: number };
  firmware: string[];
  /** every regular file of the rescue system with its size */
  contents: { path: string; bytes: number }[];
}

/** Paths as the rescue tree holds them: merged /usr, so /sbin/x and /usr/sbin/x are one file. */
export function usrPath(p: string): string {
  return p.replace(/^\/(bin|sbin|lib|lib64)(\/|$)/, '/usr/$1$2');
}

const COMPRESSORS: Record<Compression, { tool: string; argv: string[] }> = {
  // Measured on the rescue tree (62 MB): -12 takes 2 s for 19.6 MB, -19 takes 19 s for
  // 17.4 MB; xz -9 takes 49 s for 14.6 MB. -12 keeps the build well under 20 s.
  zstd: { tool: 'zstd', argv: ['-q', '-12', '-T0', '-c'] },
  // The kernel's xz decoder only knows CRC32 checks.
  xz: { tool: 'xz', argv: ['-q', '--check=crc32', '-9', '-T0', '-c'] },
  gzip: { tool: 'gzip', argv: ['-9', '-n', '-c'] },
};

// Prebuilt signed images, translations and the 2.4 MB GUI font: grub-install works without them.
const SKIP_DATA = new Set(['monolithic', 'locale', 'unicode.pf2', 'themes']);

const EARLY = new Set<string>([...RESCUE_MODULES.storage, 'isofs', 'ext4', 'vfat', 'exfat', 'nls_cp437', 'nls_iso8859_1', 'nls_utf8', 'squashfs', 'overlay']);
const NET = new Set<string>([...RESCUE_MODULES.network, ...RESCUE_MODULES.crypto, 'nfs', 'nfsv3', 'nfsv4', 'cifs']);

/** Builds the initramfs at `opts.out` (written under a temporary name, then renamed). */
export async function buildInitramfs(opts: InitramfsOptions): Promise<InitramfsManifest> {
  const log = opts.log ?? (() => {});
  const dirs = opts.searchPath ?? toolSearchPath();
  const compression = opts.compression ?? 'zstd';
  const tree = new RescueTree();

  // Merged /usr, as on current distributions: libraries named /lib/… and /usr/lib/… by
  // different tools land in one place, and both spellings resolve.
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64', 'proc', 'sys', 'dev', 'run', 'tmp', 'mnt', 'root', 'etc/lifeboat/lang', 'var/run']) tree.dir(d);
  tree.dir('tmp', 0o1777);
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) tree.symlink(d, `usr/${d}`);
  // The kernel opens /dev/console before init can mount devtmpfs.
  tree.char('dev/console', 5, 1);
  tree.char('dev/null', 1, 3, 0o666);

  const busybox = opts.busybox ?? ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new LifeboatError('tool-missing', { tool: 'busybox (static)' });
  const bbLibs = await libraryClosure(busybox);
  if (bbLibs.libs.length) throw new LifeboatError('tool-missing', { tool: 'busybox (static; this one is dynamically linked)' });
  tree.file('usr/bin/busybox', busybox, 0o755);
  const libs = new Set<string>();
  const applets = (await run(busybox, ['--list'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const a of applets) if (a !== 'busybox') tree.symlink(`usr/bin/${a}`, 'busybox');

  // The shell: busybox's ash runs its own applets before anything on PATH (it is built
  // with SH_STANDALONE), so under it `tar` would be busybox tar even with GNU tar packed.
  // dash (or bash) as /bin/sh keeps PATH lookup honest; bash, when present, is the
  // interactive shell for its line editing.
  const shells: PackedTool[] = [];
  for (const name of ['dash', 'bash']) {
    const found = findProgram([name], dirs);
    if (!found) continue;
    tree.file(`usr/bin/${name}`, realpathSync(found.path), 0o755);
    const closure = await libraryClosure(found.path);
    closure.libs.forEach((l) => libs.add(l));
    shells.push({ name, host: found.path, bytes: statSync(found.path).size, libs: closure.libs });
  }
  if (!shells.length) throw new LifeboatError('tool-missing', { tool: 'dash or bash' });
  tree.symlink('usr/bin/sh', shells[0].name);
  const tools: PackedTool[] = [...shells];
  const missingTools: { name: string; needed: boolean }[] = [];
  const unresolved = new Set<string>();
  const selftest: string[] = [];
  for (const spec of RESCUE_TOOLS) {
    const found = findProgram(spec.names, dirs);
    if (!found) {
      missingTools.push({ name: spec.names.join('|'), needed: spec.needed });
      continue;
    }
    const dest = usrPath(found.path);
    // A host tool replaces a busybox applet of the same name wherever that applet is.
    tree.delete(`usr/bin/${found.name}`);
    tree.delete(`usr/sbin/${found.name}`);
    tree.file(dest, realpathSync(found.path), 0o755);
    const closure = await libraryClosure(found.path);
    closure.libs.forEach((l) => libs.add(l));
    closure.notFound.forEach((l) => unresolved.add(l));
    for (const d of spec.data ?? []) {
      if (existsSync(d)) tree.copyDir(usrPath(d), d, (n) => SKIP_DATA.has(n) || n.endsWith('.module'));
    }
    tools.push({ name: found.name, host: found.path, bytes: statSync(found.path).size, libs: closure.libs });
    selftest.push(selftestLine(found.name, dest, spec));
  }
  // glibc opens libgcc_s at run time (thread cancellation), which ldd cannot see.
  for (const extra of ['/lib/x86_64-linux-gnu/libgcc_s.so.1', '/usr/lib64/libgcc_s.so.1', '/usr/lib/libgcc_s.so.1']) {
    if (existsSync(extra)) {
      libs.add(extra);
      break;
    }
  }
  for (const lib of libs) tree.file(usrPath(lib), realpathSync(lib), 0o755);
  log(`tools: ${tools.length} packed, missing: ${missingTools.map((m) => m.name).join(', ') || 'none'}`);

  // Modules: staged on disk for depmod, then copied into the tree.
  const index = readModuleIndex(opts.kernel.modulesDir);
  const selection = selectModules(index, ALL_RESCUE_MODULES);
  const stage = mkdtempSync(join(tmpdir(), 'lifeboat-modules-'));
  let moduleBytes: { firmware: string[]; bytes: number };
  try {
    moduleBytes = await stageModules(opts.kernel.modulesDir, opts.kernel.version, selection, stage);
    tree.copyDir(`usr/lib/modules/${opts.kernel.version}`, join(stage, 'lib/modules', opts.kernel.version));
    if (existsSync(join(stage, 'lib/firmware'))) tree.copyDir('usr/lib/firmware', join(stage, 'lib/firmware'));
    log(`modules: ${selection.files.length} files, missing: ${selection.missing.join(', ') || 'none'}`);

    const present = new Set(selection.present);
    const pick = (pred: (m: string) => boolean) => [...present].filter(pred).join(' ');
    tree.data(
      'etc/lifeboat/build.conf',
      [
        '# Written by `lifeboat media` at build time.',
        `LIFEBOAT_VERSION='${APP_VERSION}'`,
        `DEFAULT_LANG='${opts.lang}'`,
        `KERNEL_VERSION='${opts.kernel.version}'`,
        `INTERACTIVE_SHELL='${shells.some((t) => t.name === 'bash') ? 'bash' : 'sh'}'`,
        `MODULES_EARLY='${pick((m) => EARLY.has(m))}'`,
        `MODULES_NET='${pick((m) => NET.has(m))}'`,
        `MODULES_LATE='${pick((m) => !EARLY.has(m) && !NET.has(m))}'`,
        // efivarfs loads only on a machine booted through UEFI, the *_intel/_ssse3 crypto only
        // on CPUs with those instructions (not qemu's default CPU).
        `MODULES_SELFTEST='${pick((m) => m !== 'efivarfs' && !/_(intel|ssse3)$/.test(m))}'`,
        '',
      ].join('\n'),
    );
    for (const lang of ['en', 'fr'] as const) tree.data(`etc/lifeboat/lang/${lang}.sh`, renderRescueMessages(lang));
    tree.data('etc/lifeboat/selftest.list', selftest.join('\n') + '\n');
    tree.data('etc/lifeboat/udhcpc.sh', readAsset('udhcpc.sh'), 0o755);
    tree.data('init', readAsset('init.sh'), 0o755);
    tree.data('etc/lifeboat/menu.sh', readAsset('menu.sh'), 0o755);
    tree.data('etc/lifeboat/lib.sh', readAsset('lib.sh'));
    tree.data('etc/lifeboat/rehearsal.sh', readAsset('rehearsal.sh'));
    tree.data('etc/lifeboat/read-parts.sh', readAsset('read-parts.sh'), 0o755);
    tree.data('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
    tree.data('etc/group', 'root:x:0:\n');
    tree.data('etc/profile', "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nPS1='lifeboat# '\n");
    tree.data('etc/fstab', '');
    tree.symlink('etc/mtab', '/proc/self/mounts');

    const manifestBase = {
      lifeboatVersion: APP_VERSION,
      kernelVersion: opts.kernel.version,
      compression,
      uncompressedBytes: tree.hostBytes(),
      tools,
      missingTools,
      unresolvedLibraries: [...unresolved],
      modules: { present: selection.present, builtin: selection.builtin, missing: selection.missing, files: selection.files.length, bytes: moduleBytes.bytes },
      firmware: moduleBytes.firmware,
    };
    const entries = tree.list();
    const bytes = await packCpio(entries, opts.out, compression);
    return { ...manifestBase, bytes, files: entries.length, contents: tree.contents() };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** `name|path|ok exit codes|probe argv` — one line of /etc/lifeboat/selftest.list. */
export function selftestLine(name: string, path: string, spec: RescueTool): string {
  return `${name}|${path}|${(spec.probeOk ?? [0]).join(' ')}|${spec.probe.join(' ')}`;
}

/** Streams the entries through the compressor into `out` (temp name, renamed when complete). */
async function packCpio(entries: ReturnType<RescueTree['list']>, out: string, compression: Compression): Promise<number> {
  const { tool, argv } = COMPRESSORS[compression];
  const tmp = `${out}.part-${process.pid}`;
  const child = spawnTool(tool, argv);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const sink = pipeline(child.stdout!, createWriteStream(tmp));
    await writeCpio(child.stdin!, entries);
    child.stdin!.end();
    await sink;
    const res = await child;
    if (res.exitCode !== 0) throw new ToolError(tool, argv, res.exitCode, stderr);
    renameSync(tmp, out);
    return statSync(out).size;
  } catch (err) {
    rmSync(tmp, { force: true });
    child.kill();
    throw err;
  }
}
