import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cleanupScratch, scratchDir } from '../../../../test/util/loop';
import { compress, makeDiskImage, MiB } from '../../../../test/flash/fixtures';
import { LifeboatError } from '../../../shared/errors';
import { inspectImage } from './inspect';
import { bmapCandidates, readBmap } from './bmap';
import { detectCompression } from './magic';

let dir = '';
let raw = '';
let rawSize = 0;

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(LifeboatError);
    return (err as LifeboatError).code;
  }
}

beforeAll(() => {
  dir = scratchDir('lifeboat-inspect-');
  raw = makeDiskImage(dir);
  rawSize = statSync(raw).size;
});
afterAll(() => cleanupScratch());

describe('inspectImage', () => {
  it('reads a raw GPT image: exact size, partitions in bytes', async () => {
    const info = await inspectImage(raw);
    expect(info).toMatchObject({ compression: 'none', size: rawSize, sizeIsEstimate: false, contentType: 'disk-image', innerName: null, bmap: null });
    expect(info.partitionTable?.label).toBe('gpt');
    expect(info.partitionTable?.partitions).toEqual([
      { number: 1, start: 1 * MiB, size: 8 * MiB, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', name: 'EFI', bootable: false },
      { number: 2, start: 9 * MiB, size: 20 * MiB, type: '0FC63DAF-8483-11D2-8E6C-00A0C93EC93B', name: 'root', bootable: false },
    ]);
    expect(info.sourceDevice === null || info.sourceDevice.startsWith('/dev/')).toBe(true);
  });

  it('reads an MBR image with a bootable partition', async () => {
    const mbr = join(dir, 'mbr.img');
    writeFileSync(mbr, Buffer.alloc(0));
    truncateSync(mbr, 8 * MiB);
    execFileSync('sfdisk', ['-q', mbr], { input: 'label: dos\nstart=2048, size=4096, type=c, bootable\n', stdio: ['pipe', 'ignore', 'ignore'] });
    const info = await inspectImage(mbr);
    expect(info.partitionTable).toEqual({ label: 'dos', partitions: [{ number: 1, start: MiB, size: 2 * MiB, type: 'c', name: null, bootable: true }] });
  });

  it('recognises an ISO 9660 image made by xorriso', async () => {
    const tree = join(dir, 'isotree');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'hello.txt'), 'hello');
    const iso = join(dir, 'test.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'LIFEBOAT', '-o', iso, tree], { stdio: 'ignore' });
    const info = await inspectImage(iso);
    expect(info).toMatchObject({ compression: 'none', contentType: 'iso9660', size: statSync(iso).size });
  });

  for (const [kind, compression, exact] of [
    ['gz', 'gzip', true],
    ['xz', 'xz', true],
    ['zst', 'zstd', true],
    ['bz2', 'bzip2', false],
    ['zip', 'zip', true],
  ] as const) {
    it(`reads a ${kind} image: compression by magic, size, partition table of the content`, async () => {
      const path = compress(raw, kind);
      const info = await inspectImage(path);
      expect(info.compression).toBe(compression);
      expect(info.size).toBe(exact ? rawSize : null);
      expect(info.sizeIsEstimate).toBe(!exact);
      expect(info.contentType).toBe('disk-image');
      expect(info.partitionTable?.partitions.map((p) => p.start)).toEqual([MiB, 9 * MiB]);
      if (kind === 'zip') expect(info.innerName).toBe('disk.img');
    });
  }

  it('trusts magic bytes over the extension', async () => {
    const liar = join(dir, 'liar.img');
    copyFileSync(compress(raw, 'xz', join(dir, 'liar-src.xz')), liar);
    expect((await inspectImage(liar)).compression).toBe('xz');
    expect(detectCompression(Buffer.from('BZh but text'))).toBe('none');
  });

  it('refuses a zip holding two files', async () => {
    const two = join(dir, 'two.zip');
    const other = join(dir, 'other.img');
    copyFileSync(raw, other);
    execFileSync('zip', ['-q', '-j', two, raw, other]);
    const err = await inspectImage(two).catch((e: LifeboatError) => e);
    expect(err).toMatchObject({ code: 'image-zip-not-single', params: { count: 2 } });
  });

  it('refuses missing, unreadable, unknown and damaged images', async () => {
    expect(await codeOf(inspectImage(join(dir, 'nope.img')))).toBe('image-missing');
    expect(await codeOf(inspectImage(dir))).toBe('image-unreadable');
    const text = join(dir, 'readme.img');
    writeFileSync(text, 'This is not a disk image.\n'.repeat(100));
    expect(await codeOf(inspectImage(text))).toBe('image-unknown-format');
    const noise = join(dir, 'noise.bin');
    writeFileSync(noise, randomBytes(2 * MiB).fill(0, 510, 512));
    expect(await codeOf(inspectImage(noise))).toBe('image-unknown-format');
    const xz = compress(raw, 'xz', join(dir, 'cut.img.xz'));
    truncateSync(xz, statSync(xz).size - 100);
    expect(await codeOf(inspectImage(xz))).toBe('image-damaged');
    const gz = join(dir, 'tiny.gz');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    expect(await codeOf(inspectImage(gz))).toBe('image-damaged');
  });

  // The reason shown to the user is the tool's last whole lines: it was the last 300
  // characters, which began with zstd -v's banner or cut unzip's text mid-word ("unzip: e").
  it('names a truncated .zst or .zip image damaged with the tool’s reason in whole lines, without zstd’s banner', async () => {
    const zst = compress(raw, 'zst', join(dir, 'cut-reason.img.zst'));
    truncateSync(zst, Math.floor(statSync(zst).size / 2));
    const zerr = (await inspectImage(zst).catch((e: unknown) => e)) as LifeboatError;
    expect(zerr).toMatchObject({ code: 'image-damaged' });
    expect(String(zerr.params.detail)).toMatch(/^zstd: /);
    expect(String(zerr.params.detail)).not.toMatch(/Zstandard CLI|\n/);
    const zip = compress(raw, 'zip', join(dir, 'cut-reason.img.zip'));
    truncateSync(zip, Math.floor(statSync(zip).size / 2));
    const uerr = (await inspectImage(zip).catch((e: unknown) => e)) as LifeboatError;
    expect(uerr).toMatchObject({ code: 'image-damaged' });
    expect(String(uerr.params.detail)).toMatch(/^unzip: zipinfo: {1,2}cannot find zipfile directory/);
    // and the tool's name once, though xz starts its own complaint with it ("xz: xz: …" before)
    const xz = compress(raw, 'xz', join(dir, 'cut-reason.img.xz'));
    truncateSync(xz, statSync(xz).size - 100);
    const xerr = (await inspectImage(xz).catch((e: unknown) => e)) as LifeboatError;
    expect(xerr).toMatchObject({ code: 'image-damaged' });
    expect(String(xerr.params.detail)).toMatch(/^xz: /);
    expect(String(xerr.params.detail)).not.toMatch(/^xz: xz: /);
  });

  it('reads a bmap made by bmaptool beside the image (compression suffix stripped)', async () => {
    const sub = join(dir, 'bm');
    mkdirSync(sub);
    const img = join(sub, 'os.img');
    copyFileSync(raw, img);
    execFileSync('fallocate', ['--dig-holes', img]);
    execFileSync('bmaptool', ['-q', 'create', '-o', join(sub, 'os.img.bmap'), img]);
    const info = await inspectImage(compress(img, 'bz2'));
    expect(info.bmap).toMatchObject({ path: join(sub, 'os.img.bmap'), blockSize: 4096, imageSize: rawSize });
    // bzip2 records no size: the bmap supplies it
    expect(info).toMatchObject({ size: rawSize, sizeIsEstimate: false });
    const bmap = await readBmap(join(sub, 'os.img.bmap'));
    expect(bmap.checksumType).toBe('sha256');
    expect(bmap.ranges.length).toBe(info.bmap!.rangeCount);
    expect(bmap.ranges[0]).toMatchObject({ start: 0 });
    expect(bmap.ranges.at(-1)!.end).toBe(rawSize);
    expect(bmap.mappedBytes).toBeLessThan(rawSize / 2);
    expect(bmapCandidates('/x/os.img.xz')).toEqual(['/x/os.img.xz.bmap', '/x/os.img.bmap', '/x/os.bmap']);

    const xml = readFileSync(join(sub, 'os.img.bmap'), 'utf8');
    writeFileSync(join(sub, 'os.img.bmap'), xml.replace(/<MappedBlocksCount>\s*\d+/, '<MappedBlocksCount> 3'));
    expect(await codeOf(inspectImage(img))).toBe('bmap-invalid');
    writeFileSync(join(sub, 'os.img.bmap'), xml.replace('</Range>', '</Range><Range> 1-x </Range>'));
    expect(await codeOf(inspectImage(img))).toBe('bmap-invalid');
    writeFileSync(join(sub, 'os.img.bmap'), 'not xml');
    expect(await codeOf(inspectImage(img))).toBe('bmap-invalid');
  });
});
