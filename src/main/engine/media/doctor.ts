/**
 * `lifeboat doctor`: what this computer has, and lacks, to build rescue media.
 *
 * Reads the same catalog the builders use, so a green doctor means the build will find
 * what it needs. Each missing item names the package to install on Debian/Ubuntu,
 * Fedora and Arch.
 */
import { existsSync } from 'node:fs';
import { LifeboatError } from '../../../shared/errors';
import { ALL_RESCUE_MODULES, BUILD_REQUIREMENTS, KERNEL_PACKAGES, RESCUE_TOOLS, type MediaKind, type Packages } from './catalog';
import { findProgram, toolSearchPath } from '../find-program';
import { chooseKernel } from './kernel';
import { readModuleIndex, selectModules } from './modules';

export interface DoctorItem {
  group: 'build' | 'rescue' | 'kernel';
  id: string;
  found: boolean;
  needed: boolean;
  path?: string;
  packages: Packages;
  detail?: string;
}

export interface DoctorReport {
  ok: boolean;
  media: MediaKind;
  items: DoctorItem[];
  /** drivers the kernel lacks (the rescue system tolerates them; shown for information) */
  missingModules: string[];
}

export function runDoctor(opts: { media?: MediaKind; kernel?: string; modules?: string } = {}): DoctorReport {
  const media = opts.media ?? 'iso';
  const dirs = toolSearchPath();
  const items: DoctorItem[] = [];
  for (const req of BUILD_REQUIREMENTS) {
    if (!req.media.includes(media)) continue;
    const path = req.command ? findProgram([req.command], dirs)?.path : req.files?.find((f) => existsSync(f));
    items.push({ group: 'build', id: req.id, found: Boolean(path), needed: req.needed, path, packages: req.packages });
  }
  for (const tool of RESCUE_TOOLS) {
    const hit = findProgram(tool.names, dirs);
    items.push({ group: 'rescue', id: tool.names.join(' | '), found: Boolean(hit), needed: tool.needed, path: hit?.path, packages: tool.packages });
  }
  let missingModules: string[] = [];
  try {
    const k = chooseKernel({ kernel: opts.kernel, modules: opts.modules });
    items.push({ group: 'kernel', id: 'kernel', found: true, needed: true, path: k.kernel, packages: KERNEL_PACKAGES, detail: k.version });
    items.push({ group: 'kernel', id: 'modules', found: true, needed: true, path: k.modulesDir, packages: KERNEL_PACKAGES });
    missingModules = selectModules(readModuleIndex(k.modulesDir), ALL_RESCUE_MODULES).missing;
  } catch (err) {
    if (!(err instanceof LifeboatError)) throw err;
    const kernelFound = err.code !== 'kernel-missing';
    items.push({ group: 'kernel', id: 'kernel', found: kernelFound, needed: true, path: kernelFound ? undefined : String(err.params.path), packages: KERNEL_PACKAGES });
    items.push({ group: 'kernel', id: 'modules', found: false, needed: true, path: kernelFound ? String(err.params.path) : undefined, packages: KERNEL_PACKAGES });
  }
  return { ok: items.every((i) => i.found || !i.needed), media, items, missingModules };
}
