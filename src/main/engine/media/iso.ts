/**
 * The hybrid rescue ISO: isolinux for BIOS, a GRUB EFI image for UEFI, an isohybrid MBR
 * and GPT so the same file boots as a CD and, written raw, as a disk (the Debian
 * installer's recipe, `xorriso -as mkisofs … -isohybrid-gpt-basdat`).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run';
import { BUILD_REQUIREMENTS } from './catalog';
import { LifeboatError } from '../../../shared/errors';
import { renderGrubCfg, renderIsolinuxCfg, type BootMenuOptions } from './bootcfg';
import { buildEfiImage, buildGrubEfi } from './efi';

/** The first existing file of a build requirement, or a `tool-missing` refusal. */
export function requiredFile(id: string): string {
  const req = BUILD_REQUIREMENTS.find((r) => r.id === id);
  const file = req?.files?.find((f) => existsSync(f));
  if (!file) throw new LifeboatError('tool-missing', { tool: `${id} (${req?.packages.debian ?? '?'})` });
  return file;
}

export interface IsoInput {
  work: string;
  kernel: string;
  initrd: string;
  /** a backup set folder to copy in as /lifeboat */
  embedSet?: string;
  /** further xorriso graft points (`path/in/iso=host/file`): disc 1 of a disc set */
  grafts?: string[];
  menu: Omit<BootMenuOptions, 'kernelPath' | 'initrdPath'>;
  /** a name unique to this medium, so GRUB finds its own files and not another disk's */
  mediumId: string;
  out: string;
  volid?: string;
}

export async function buildIso(input: IsoInput): Promise<void> {
  await writeBootIso(await prepareBootTree(input), input);
}

/** The boot loaders' files and configuration, in `<work>/iso`; returns that folder. */
export async function prepareBootTree(input: Pick<IsoInput, 'work' | 'menu' | 'mediumId'>): Promise<string> {
  const tree = join(input.work, 'iso');
  mkdirSync(join(tree, 'isolinux'), { recursive: true });
  mkdirSync(join(tree, 'boot/grub'), { recursive: true });
  // Copied because -boot-info-table patches isolinux.bin.
  copyFileSync(requiredFile('isolinux.bin'), join(tree, 'isolinux/isolinux.bin'));
  copyFileSync(requiredFile('ldlinux.c32'), join(tree, 'isolinux/ldlinux.c32'));
  const menu = { ...input.menu, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' };
  const iso = renderIsolinuxCfg(menu);
  writeFileSync(join(tree, 'isolinux/isolinux.cfg'), iso.cfg);
  writeFileSync(join(tree, 'isolinux/boot.txt'), iso.display);
  const idFile = `/.lifeboat-${input.mediumId}`;
  writeFileSync(join(tree, idFile), input.mediumId + '\n');
  const grubCfg = renderGrubCfg({ ...menu, searchFile: idFile });
  writeFileSync(join(tree, 'boot/grub/grub.cfg'), grubCfg);
  const efiBin = await buildGrubEfi(input.work, grubCfg);
  await buildEfiImage(efiBin, join(tree, 'boot/grub/efi.img'));
  return tree;
}

/** Writes the bootable image from a prepared tree, the kernel, the initramfs and the set. */
export async function writeBootIso(tree: string, input: IsoInput): Promise<void> {
  const graft = [`boot/vmlinuz=${input.kernel}`, `boot/initrd.img=${input.initrd}`];
  if (input.embedSet) graft.push(`lifeboat=${input.embedSet}`);
  graft.push(...(input.grafts ?? []));
  await run('xorriso', [
    '-as', 'mkisofs', '-quiet',
    '-o', input.out,
    '-iso-level', '3', '-full-iso9660-filenames', '-rational-rock', '-joliet', '-joliet-long',
    '-volid', input.volid ?? 'LIFEBOAT',
    '-isohybrid-mbr', requiredFile('isohdpfx.bin'),
    '-eltorito-boot', 'isolinux/isolinux.bin', '-eltorito-catalog', 'isolinux/boot.cat',
    '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
    '-eltorito-alt-boot', '-e', 'boot/grub/efi.img', '-no-emul-boot', '-isohybrid-gpt-basdat',
    '-graft-points', tree, ...graft,
  ]);
}

/** A graft point naming `source` as `path` on the disc (xorriso escapes `\\` and `=`). */
export const graftPoint = (path: string, source: string) => `${graftEscape(path)}=${graftEscape(source)}`;
const graftEscape = (s: string) => s.replace(/[\\=]/g, (c) => `\\${c}`);

/** A disc that only holds files (the later discs of a disc set): no boot record. */
export async function buildDataIso(input: { out: string; volid: string; grafts: string[] }): Promise<void> {
  await run('xorriso', [
    '-as', 'mkisofs', '-quiet',
    '-o', input.out,
    '-iso-level', '3', '-full-iso9660-filenames', '-rational-rock', '-joliet', '-joliet-long',
    '-volid', input.volid,
    '-graft-points', ...input.grafts,
  ]);
}
