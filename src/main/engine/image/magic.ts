/**
 * Recognises compression and image content by their first bytes.
 *
 * Extensions lie (a `.img` that is really gzip, an `.iso` renamed `.bin`), so the
 * format is always decided by magic bytes; the extension is never consulted here.
 */
import type { ImageCompression, ImageInfo } from '../../../shared/image';

const startsWith = (head: Buffer, magic: number[], at = 0) =>
  head.length >= at + magic.length && magic.every((b, i) => head[at + i] === b);

/** The compression of a file from its first bytes ('none' when no known container). */
export function detectCompression(head: Buffer): ImageCompression {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  // "BZh" then a block size digit 1-9, so a text file starting "BZh" is not taken for bzip2
  if (startsWith(head, [0x42, 0x5a, 0x68]) && head.length > 3 && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  return 'none';
}

/**
 * What decompressed content looks like, or null when nothing is recognised.
 *
 * Besides ISO 9660 and partition tables, a bare filesystem image (ext*, XFS, btrfs,
 * squashfs, LUKS) is a legitimate thing to write to a stick, so those count as disk images.
 */
export function detectContent(head: Buffer): ImageInfo['contentType'] | null {
  if (head.length >= 0x8006 && head.toString('latin1', 0x8001, 0x8006) === 'CD001') return 'iso9660';
  if (head.length >= 520 && head.toString('latin1', 512, 520) === 'EFI PART') return 'disk-image';
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) return 'disk-image';
  if (head.length >= 1082 && head[1080] === 0x53 && head[1081] === 0xef) return 'disk-image'; // ext2/3/4
  if (startsWith(head, [0x58, 0x46, 0x53, 0x42])) return 'disk-image'; // XFS
  if (startsWith(head, [0x68, 0x73, 0x71, 0x73])) return 'disk-image'; // squashfs
  if (startsWith(head, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])) return 'disk-image'; // LUKS
  if (head.length >= 0x10048 && head.toString('latin1', 0x10040, 0x10048) === '_BHRfS_M') return 'disk-image'; // btrfs
  return null;
}
