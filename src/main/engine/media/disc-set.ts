/**
 * Writes the images of a disc set (`--split-media`): disc 1 is the bootable rescue ISO
 * with the set's description and the first parts, the others hold the further parts
 * (see split.ts for the distribution and the marker file).
 *
 * Files are grafted one by one from the set folder, so nothing is copied before
 * xorriso reads it. Images are written into `work`; the caller renames them.
 */
import { lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { readManifest } from '../set/read';
import { buildDataIso, graftPoint, prepareBootTree, writeBootIso, type IsoInput } from './iso';
import { checkDiscSizes, checkPartsFit, discMarker, planDiscs, type Disc, type SetFile } from './split';

export interface DiscImage {
  index: number;
  label: string;
  /** the image in the work folder */
  file: string;
  bytes: number;
  /** archive parts on this disc */
  parts: number;
}

/** The archive parts of a set, in the order its manifest lists them. */
export function setParts(setDir: string): SetFile[] {
  return readManifest(setDir).archives.flatMap((a) => a.parts.map((p) => ({ name: p.name, bytes: statSync(join(setDir, p.name)).size })));
}

/**
 * Refuses, before the slow stages, a part that no disc of this size can hold. Sizes come
 * from the manifest: the set is not checked yet, and a missing part is the set check's
 * to report.
 */
export function checkSetFitsDiscs(setDir: string, discBytes: number, spec: string): void {
  const parts = readManifest(setDir).archives.flatMap((a) => a.parts.map((p) => ({ name: p.name, bytes: p.size })));
  checkPartsFit(parts, discBytes, spec);
}

/** Every regular file of the set with its `/`-separated path inside it. */
function listFiles(dir: string, rel = ''): SetFile[] {
  const out: SetFile[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? posix.join(rel, name) : name;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) out.push(...listFiles(dir, r));
    else if (st.isFile()) out.push({ name: r, bytes: st.size });
  }
  return out;
}

function folderBytes(dir: string): number {
  return listFiles(dir).reduce((s, f) => s + f.bytes, 0);
}

export async function buildDiscSet(input: Omit<IsoInput, 'embedSet' | 'grafts' | 'volid' | 'out'> & { setDir: string; discBytes: number; spec: string }): Promise<DiscImage[]> {
  const setDir = resolve(input.setDir);
  const parts = setParts(setDir);
  const partNames = new Set(parts.map((p) => p.name));
  const base = listFiles(setDir).filter((f) => !partNames.has(f.name));
  const tree = await prepareBootTree(input);
  const rescueBytes = folderBytes(tree) + statSync(input.kernel).size + statSync(input.initrd).size;
  const setId = readManifest(setDir).id;
  const discs = planDiscs({ setId, base, parts, rescueBytes, discBytes: input.discBytes, spec: input.spec });

  const images: DiscImage[] = [];
  for (const disc of discs) {
    const marker = join(input.work, `disc-${disc.index}.txt`);
    writeFileSync(marker, discMarker(discs, disc.index, partNames));
    const grafts = [...disc.files.map((f) => graftPoint(`lifeboat/${f.name}`, join(setDir, f.name))), graftPoint('lifeboat/lifeboat-disc.txt', marker)];
    const file = join(input.work, `disc-${disc.index}.iso`);
    if (disc.index === 1) await writeBootIso(tree, { ...input, out: file, grafts, volid: disc.label });
    else await buildDataIso({ out: file, volid: disc.label, grafts });
    images.push({ index: disc.index, label: disc.label, file, bytes: statSync(file).size, parts: countParts(disc, partNames) });
  }
  checkDiscSizes(images, input.discBytes, input.spec);
  return images;
}

const countParts = (disc: Disc, parts: Set<string>) => disc.files.filter((f) => parts.has(f.name)).length;
