/**
 * `inspectImage`: everything a flash needs to know about an image before any target
 * is touched — compression (by magic bytes), size on the target, content, partition
 * table, block map and the device the file lives on.
 *
 * Every refusal ('image-missing', 'image-unknown-format', 'image-damaged', …) happens
 * here, before a drive is opened.
 */
import { open, stat, mkdtemp, writeFile, truncate, rm, access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import type { ImageCompression, ImageInfo, ImagePartition } from '../../../shared/image';
import { run, runJson, ToolError } from '../run';
import { detectCompression, detectContent } from './magic';
import { lastLines, readHead, toolSays } from './decompress';
import { findBmap, readBmap } from './bmap';
import { sourceDeviceOf } from './source-device';

/** Enough for ISO 9660 (0x8001), GPT entries and most filesystem superblocks. */
const HEAD_BYTES = 1024 * 1024;
const GIB4 = 4 * 1024 * 1024 * 1024;

/** Reads the first bytes of the file itself (compressed or not). */
async function fileHead(path: string, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function gzipSize(path: string, fileSize: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, fileSize - 4);
    return buf.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

async function toolOutput(path: string, tool: string, argv: string[]): Promise<string> {
  try {
    return (await run(tool, argv)).stdout;
  } catch (err) {
    if (err instanceof ToolError) throw new LifeboatError('image-damaged', { path, detail: toolSays(tool, lastLines(err.stderr, 2) || `exit ${err.exitCode}`) });
    throw err;
  }
}

async function xzSize(path: string): Promise<number> {
  const out = await toolOutput(path, 'xz', ['--robot', '--list', '--', path]);
  const line = out.split('\n').find((l) => l.startsWith('totals\t'));
  const size = line ? Number(line.split('\t')[4]) : NaN;
  if (!Number.isFinite(size)) throw new LifeboatError('image-damaged', { path, detail: 'xz --list gave no size' });
  return size;
}

/** zstd stores the content size in the frame header when the compressor knew it (not for pipes). */
async function zstdSize(path: string): Promise<number | null> {
  const out = await toolOutput(path, 'zstd', ['-lv', '--', path]);
  const m = /Decompressed Size:.*\((\d+) B\)/.exec(out);
  return m ? Number(m[1]) : null;
}

async function zipEntry(path: string): Promise<{ name: string; size: number }> {
  const names = (await toolOutput(path, 'unzip', ['-Z1', '--', path])).split('\n').filter((n) => n.length > 0);
  const listing = (await toolOutput(path, 'unzip', ['-l', '--', path])).split('\n');
  const sizes = listing.map((l) => /^\s*(\d+)\s+\S+\s+\S+\s{3}/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
  // Directories are structure, not content; anything else counts, so an archive of two images is refused rather than guessed.
  const files = names.map((name, i) => ({ name, size: sizes[i] })).filter((e) => !e.name.endsWith('/'));
  if (files.length !== 1) throw new LifeboatError('image-zip-not-single', { path, count: files.length });
  if (!Number.isFinite(files[0].size)) throw new LifeboatError('image-damaged', { path, detail: 'unreadable zip listing' });
  return files[0];
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    partitions?: { start: number; size: number; type: string; name?: string; bootable?: boolean }[];
  };
}

/**
 * How large a disk the head describes when the image size is unknown (bzip2): the GPT
 * header names its backup's LBA; otherwise 1 TiB of sparse file lets any MBR table fit.
 */
function impliedSize(head: Buffer): number {
  if (head.length >= 560 && head.toString('latin1', 512, 520) === 'EFI PART') {
    const backupLba = Number(head.readBigUInt64LE(512 + 32));
    if (backupLba > 0 && backupLba < 2 ** 40) return (backupLba + 1) * 512;
  }
  return 2 ** 40;
}

/**
 * Reads the partition table with sfdisk. A compressed image's head is copied into a
 * sparse temp file as large as the image, so partitions near the end still fit.
 */
async function partitionTable(path: string, compression: ImageCompression, head: Buffer, size: number | null): Promise<ImageInfo['partitionTable']> {
  let file = path;
  let dir: string | null = null;
  try {
    if (compression !== 'none') {
      dir = await mkdtemp(join(tmpdir(), 'lifeboat-inspect-'));
      file = join(dir, 'head.img');
      await writeFile(file, head);
      const span = size ?? impliedSize(head);
      if (span > head.length) await truncate(file, span);
    }
    const json = await runJson<SfdiskJson>('sfdisk', ['--json', file]);
    const table = json.partitiontable;
    if (table.label !== 'gpt' && table.label !== 'dos') return null;
    const sector = table.sectorsize ?? 512;
    const partitions: ImagePartition[] = (table.partitions ?? []).map((p, i) => ({
      number: i + 1,
      start: p.start * sector,
      size: p.size * sector,
      type: p.type,
      name: p.name ?? null,
      bootable: Boolean(p.bootable),
    }));
    return { label: table.label, partitions };
  } catch (err) {
    if (err instanceof LifeboatError && err.code === 'tool-missing') throw err;
    return null; // sfdisk says "does not contain a recognized partition table": a plain ISO or filesystem image
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Inspects an image file; throws a LifeboatError naming the problem. */
export async function inspectImage(path: string, signal: AbortSignal = new AbortController().signal): Promise<ImageInfo> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new LifeboatError('image-missing', { path });
    throw new LifeboatError('image-unreadable', { path, detail: e.message });
  }
  if (!st.isFile()) throw new LifeboatError('image-unreadable', { path, detail: 'not a regular file' });
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new LifeboatError('image-unreadable', { path, detail: (err as Error).message });
  }

  const magic = await fileHead(path, 512);
  const compression = detectCompression(magic);
  let innerName: string | null = null;
  let size: number | null = null;
  let sizeIsEstimate = false;
  switch (compression) {
    case 'none':
      size = st.size;
      break;
    case 'gzip':
      if (st.size < 18) throw new LifeboatError('image-damaged', { path, detail: 'gzip file too short' });
      size = await gzipSize(path, st.size);
      // ISIZE is the size modulo 2^32 (of the last member only): past 4 GiB of file it cannot be trusted.
      sizeIsEstimate = st.size > GIB4;
      break;
    case 'xz':
      size = await xzSize(path);
      break;
    case 'zstd':
      size = await zstdSize(path);
      sizeIsEstimate = size === null;
      break;
    case 'zip': {
      const entry = await zipEntry(path);
      innerName = entry.name;
      size = entry.size;
      break;
    }
    case 'bzip2':
      sizeIsEstimate = true; // bzip2 records no size: only a bmap or decompressing tells
      break;
  }

  const head = await readHead(path, compression, innerName, HEAD_BYTES, signal);
  const contentType = detectContent(head);
  if (contentType === null) throw new LifeboatError('image-unknown-format', { path });

  const bmapPath = findBmap(path);
  const bmap = bmapPath ? await readBmap(bmapPath) : null;
  if (bmap) {
    if (size !== null && !sizeIsEstimate && size !== bmap.imageSize) {
      throw new LifeboatError('bmap-invalid', { path: bmap.path, detail: `it describes ${bmap.imageSize} bytes, the image has ${size}` });
    }
    size = bmap.imageSize;
    sizeIsEstimate = false;
  }

  const partitions = await partitionTable(path, compression, head, size);
  return {
    path,
    name: basename(path),
    fileSize: st.size,
    compression,
    innerName,
    size,
    sizeIsEstimate,
    contentType,
    partitionTable: partitions,
    // the summary only: the ranges can number thousands and the flash re-reads them with readBmap
    bmap: bmap
      ? { path: bmap.path, blockSize: bmap.blockSize, imageSize: bmap.imageSize, mappedBytes: bmap.mappedBytes, rangeCount: bmap.rangeCount }
      : null,
    sourceDevice: await sourceDeviceOf(path),
  };
}
