/**
 * Block maps (bmaptool's `.bmap` XML): which blocks of an image hold data.
 *
 * With a bmap only the mapped ranges are written, like `bmaptool copy`: a 4 GiB image
 * holding 1 GiB of data flashes four times faster. The format is small and fixed, so it
 * is read with a few strict patterns; anything unexpected is 'bmap-invalid', never guessed.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { LifeboatError } from '../../../shared/errors';
import type { BmapInfo } from '../../../shared/image';

export interface BmapRange {
  /** byte offsets in the image, end exclusive */
  start: number;
  end: number;
  /** hex digest of the range's bytes, when the bmap records one */
  checksum: string | null;
}

export interface Bmap extends BmapInfo {
  /** 'sha256' (bmap 2.x), 'sha1' (1.x) or null when the ranges carry no checksums */
  checksumType: 'sha256' | 'sha1' | null;
  ranges: BmapRange[];
}

function tag(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml);
  return m ? m[1] : null;
}

/** Parses a `.bmap` file into its summary and its ranges (in bytes). */
export async function readBmap(path: string): Promise<Bmap> {
  const invalid = (detail: string) => new LifeboatError('bmap-invalid', { path, detail }, `bmap ${path}: ${detail}`);
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (!/<bmap\b[^>]*>/.test(xml) || !xml.includes('</bmap>')) throw invalid('no <bmap> element');
  const num = (name: string): number => {
    const v = tag(xml, name);
    if (v === null) throw invalid(`missing <${name}>`);
    if (!/^\d+$/.test(v)) throw invalid(`<${name}> is not a number: ${v.slice(0, 40)}`);
    return Number(v);
  };
  const imageSize = num('ImageSize');
  const blockSize = num('BlockSize');
  const blocksCount = num('BlocksCount');
  const mappedCount = num('MappedBlocksCount');
  if (blockSize === 0 || blockSize % 512 !== 0) throw invalid(`block size ${blockSize} is not a multiple of 512`);
  if (Math.ceil(imageSize / blockSize) !== blocksCount) throw invalid(`${blocksCount} blocks do not match image size ${imageSize}`);

  const typeText = tag(xml, 'ChecksumType');
  const version = /<bmap\b[^>]*version="(\d+)/.exec(xml)?.[1];
  const checksumType: Bmap['checksumType'] =
    typeText === 'sha256' ? 'sha256' : typeText === 'sha1' || (typeText === null && version === '1') ? 'sha1' : null;
  if (typeText !== null && checksumType === null) throw invalid(`unsupported checksum type ${typeText}`);

  const mapBody = /<BlockMap>([\s\S]*)<\/BlockMap>/.exec(xml);
  if (!mapBody) throw invalid('missing <BlockMap>');
  const ranges: BmapRange[] = [];
  let mappedBlocks = 0;
  let lastEnd = -1;
  const rangeRe = /<Range\b([^>]*)>\s*([^<]*?)\s*<\/Range>/g;
  for (const m of mapBody[1].matchAll(rangeRe)) {
    const r = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(m[2]);
    if (!r) throw invalid(`bad range "${m[2].slice(0, 40)}"`);
    const first = Number(r[1]);
    const last = r[2] !== undefined ? Number(r[2]) : first;
    if (last < first || first <= lastEnd || last >= blocksCount) throw invalid(`range ${m[2]} is out of order or past the image`);
    lastEnd = last;
    mappedBlocks += last - first + 1;
    const sum = /chksum="([0-9a-fA-F]+)"/.exec(m[1])?.[1]?.toLowerCase() ?? null;
    if (sum && checksumType && sum.length !== (checksumType === 'sha256' ? 64 : 40)) throw invalid(`checksum of range ${m[2]} has the wrong length`);
    ranges.push({ start: first * blockSize, end: Math.min((last + 1) * blockSize, imageSize), checksum: sum });
  }
  const leftover = mapBody[1].replace(rangeRe, '').replace(/<!--[\s\S]*?-->/g, '').trim();
  if (leftover) throw invalid(`unexpected content in <BlockMap>: ${leftover.slice(0, 40)}`);
  if (mappedBlocks !== mappedCount) throw invalid(`ranges hold ${mappedBlocks} blocks, <MappedBlocksCount> says ${mappedCount}`);

  return {
    path,
    blockSize,
    imageSize,
    mappedBytes: ranges.reduce((n, r) => n + (r.end - r.start), 0),
    rangeCount: ranges.length,
    checksumType: ranges.some((r) => r.checksum) ? checksumType : null,
    ranges,
  };
}

const COMPRESSION_SUFFIX = /\.(gz|xz|bz2|zst|zip)$/i;

/**
 * Where bmaptool would look for an image's bmap: `foo.img.xz.bmap`, `foo.img.bmap`, `foo.bmap`.
 */
export function bmapCandidates(imagePath: string): string[] {
  const stripped = imagePath.replace(COMPRESSION_SUFFIX, '');
  const bare = stripped.replace(/\.[^./]+$/, '');
  return [...new Set([`${imagePath}.bmap`, `${stripped}.bmap`, `${bare}.bmap`])].filter((p) => p !== imagePath);
}

/** The bmap lying beside an image, if any. */
export function findBmap(imagePath: string): string | null {
  return bmapCandidates(imagePath).find((p) => existsSync(p)) ?? null;
}
