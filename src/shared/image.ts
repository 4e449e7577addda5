/**
 * The image model for flashing: what `image.inspect` reports and what a flash returns.
 */
import type { ErrorInfo } from './errors';

export type ImageCompression = 'none' | 'gzip' | 'xz' | 'bzip2' | 'zstd' | 'zip';

export interface ImagePartition {
  number: number;
  /** byte offset in the image */
  start: number;
  size: number;
  /** GPT type GUID or MBR type byte, as sfdisk prints it */
  type: string;
  name: string | null;
  bootable: boolean;
}

export interface BmapInfo {
  path: string;
  blockSize: number;
  /** the image size the bmap describes, in bytes */
  imageSize: number;
  mappedBytes: number;
  rangeCount: number;
}

export interface ImageInfo {
  path: string;
  name: string;
  /** size of the file on disk */
  fileSize: number;
  compression: ImageCompression;
  /** the entry name inside a zip */
  innerName: string | null;
  /** bytes written to the target: exact when known (raw, gzip/xz/zstd/zip headers, bmap) */
  size: number | null;
  /** true when `size` comes from a header that can lie (gzip ISIZE mod 2^32) or is unknown */
  sizeIsEstimate: boolean;
  /** what the decompressed content looks like */
  contentType: 'iso9660' | 'disk-image' | 'unknown';
  partitionTable: { label: 'gpt' | 'dos'; partitions: ImagePartition[] } | null;
  bmap: BmapInfo | null;
  /** the block device holding the image file, for the "source drive" rule */
  sourceDevice: string | null;
}

export interface FlashTargetResult {
  device: string;
  ok: boolean;
  bytesWritten: number;
  verified: boolean;
  error?: ErrorInfo;
}

export interface FlashResult {
  image: string;
  /** sha256 of the bytes written (the mapped ones with a bmap), computed while writing */
  sha256: string | null;
  bytes: number;
  durationMs: number;
  targets: FlashTargetResult[];
}
