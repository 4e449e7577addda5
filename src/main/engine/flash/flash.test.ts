import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { openSync, writeSync, closeSync, copyFileSync, existsSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../../test/util/loop';
import { compress, fillPattern, makeDiskImage, makeRandomImage, MiB, readBytes, sha256Of } from '../../../../test/flash/fixtures';
import { createJobContext } from '../job';
import { LifeboatError } from '../../../shared/errors';
import type { JobProgress } from '../../../shared/progress';
import { CHUNK, flashImage } from './index';
import { readBmap } from '../image/bmap';

const loopOk = canUseLoop();
const loops: LoopDevice[] = [];
let dir = '';
let raw = '';
let rawSize = 0;
let rawSha = '';

function loop(size = 64 * MiB): string {
  const l = makeLoop(size, { dir });
  loops.push(l);
  return l.device;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<LifeboatError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LifeboatError);
  expect((err as LifeboatError).code).toBe(code);
  return err as LifeboatError;
}

beforeAll(() => {
  if (!loopOk) return;
  dir = scratchDir('lifeboat-flash-');
  raw = makeDiskImage(dir);
  rawSize = statSync(raw).size;
  rawSha = sha256Of(raw);
});

afterAll(() => {
  for (const l of loops.splice(0)) l.detach();
  cleanupScratch();
});

describe.skipIf(!loopOk)(`flashImage on real loop devices (skipped: ${loopSkipReason})`, () => {
  for (const kind of ['raw', 'gz', 'xz', 'zst', 'bz2', 'zip'] as const) {
    it(`writes a ${kind} image onto two loop devices at once, byte for byte, and verifies them`, async () => {
      const image = kind === 'raw' ? raw : compress(raw, kind);
      const targets = [loop(), loop()];
      const phases = new Set<string>();
      const ctx = createJobContext('flash', { onProgress: (p) => phases.add(p.phase) });
      const res = await flashImage(ctx, { image, targets, verify: true });
      expect(res.sha256).toBe(rawSha);
      expect(res.bytes).toBe(rawSize);
      for (const t of res.targets) expect(t).toMatchObject({ ok: true, verified: true, bytesWritten: rawSize });
      for (const dev of targets) expect(sha256Of(dev, rawSize)).toBe(rawSha);
      expect([...phases]).toEqual(expect.arrayContaining(['writing', 'verifying', 'done']));
    });
  }

  it('with a bmap writes only the mapped ranges and leaves the rest of the target untouched', async () => {
    const image = join(dir, 'sparse.img');
    copyFileSync(raw, image);
    // bmaptool finds holes in the file itself, so punch them back after the copy
    execFileSync('fallocate', ['--dig-holes', image]);
    execFileSync('bmaptool', ['-q', 'create', '-o', join(dir, 'sparse.bmap'), image]);
    const bmap = await readBmap(join(dir, 'sparse.bmap'));
    expect(bmap.mappedBytes).toBeLessThan(rawSize / 2);

    // the compressed image streams through zstd; the raw one is read range by range
    const zst = compress(image, 'zst', join(dir, 'sparse.img.zst'));
    for (const source of [zst, image]) {
      const dev = loop();
      fillPattern(dev, 64 * MiB, 0xa5);
      const res = await flashImage(createJobContext('flash'), { image: source, targets: [dev], verify: true });
      expect(res.targets[0]).toMatchObject({ ok: true, verified: true, bytesWritten: bmap.mappedBytes });
      expect(res.bytes).toBe(bmap.mappedBytes);

      let pos = 0;
      for (const r of bmap.ranges) {
        if (r.start > pos) expect(readBytes(dev, pos, r.start - pos).every((b) => b === 0xa5), `hole ${pos}-${r.start}`).toBe(true);
        expect(sha256Of(dev, r.end - r.start, r.start)).toBe(sha256Of(image, r.end - r.start, r.start));
        pos = r.end;
      }
      expect(readBytes(dev, rawSize, 4096).every((b) => b === 0xa5)).toBe(true);
    }
  });

  it('refuses a bmap whose range checksums do not match the image (image-damaged)', async () => {
    const image = join(dir, 'lying.img');
    copyFileSync(raw, image);
    execFileSync('bmaptool', ['-q', 'create', '-o', join(dir, 'lying.bmap'), image]);
    const fd = openSync(image, 'r+');
    writeSync(fd, Buffer.from('changed after the bmap was made'), 0, 31, 2 * MiB);
    closeSync(fd);
    await expectCode(flashImage(createJobContext('flash'), { image, targets: [loop()], verify: false }), 'image-damaged');
  });

  it('fails only the target whose bytes differ after writing (verify-mismatch), the other stays ok', async () => {
    const [a, b] = [loop(), loop()];
    const struck = Math.floor((10 * MiB + 17) / CHUNK) * CHUNK;
    let corrupted = false;
    let lastPhase = '';
    let readWhileWriting = false;
    const res = await flashImage(createJobContext('flash', { onProgress: (p) => (lastPhase = p.phase) }), {
      image: raw,
      targets: [a, b],
      verify: true,
      // Verification reads each chunk back once it is written: the device changes between its write and its read-back.
      beforeReadBack: async (device, position) => {
        // before 'syncing' is reported, the last chunk's write has not completed
        if (lastPhase === 'writing') readWhileWriting = true;
        if (device !== b || position !== struck) return;
        corrupted = true;
        const fd = openSync(b, 'r+');
        writeSync(fd, Buffer.from([0x00, 0xff, 0x00]), 0, 3, 10 * MiB + 17);
        execFileSync('blockdev', ['--flushbufs', b]);
        closeSync(fd);
      },
    });
    expect(corrupted).toBe(true);
    expect(readWhileWriting, 'chunks are read back while later ones are still being written').toBe(true);
    expect(res.targets[0]).toMatchObject({ device: a, ok: true, verified: true });
    // the difference is reported at the start of the chunk that holds it
    expect(res.targets[1]).toMatchObject({ device: b, ok: false, verified: false, error: { code: 'verify-mismatch', params: { offset: struck } } });
  });

  for (const kind of ['raw', 'gz'] as const) {
    it(`without verification writes a ${kind} image byte for byte and hashes nothing (sha256 null)`, async () => {
      const image = kind === 'raw' ? raw : compress(raw, kind);
      const dev = loop();
      fillPattern(dev, 64 * MiB, 0x5a);
      const res = await flashImage(createJobContext('flash'), { image, targets: [dev], verify: false });
      expect(res.sha256).toBeNull();
      expect(res.targets[0]).toEqual({ device: dev, ok: true, verified: false, bytesWritten: rawSize });
      expect(sha256Of(dev, rawSize)).toBe(rawSha);
    });
  }

  it('refuses a target that is too small before touching any target', async () => {
    const big = loop();
    const small = loop(16 * MiB);
    fillPattern(big, 64 * MiB, 0x3c);
    fillPattern(small, 16 * MiB, 0x3c);
    const before = [sha256Of(big), sha256Of(small)];
    const err = await expectCode(flashImage(createJobContext('flash'), { image: raw, targets: [big, small], verify: true }), 'target-too-small');
    expect(err.params).toMatchObject({ device: small, size: 16 * MiB, needed: rawSize });
    expect([sha256Of(big), sha256Of(small)]).toEqual(before);
  });

  // bzip2 records no size, zstd fed from a pipe writes none, and a gzip's trailer holds its
  // last member's only: the sizes come from the pre-test's count, so the stick is not
  // half-overwritten before it turns out too small (it was: 64 MiB written, then exit 1).
  it('refuses an image too big for the target whose header does not tell its size (bz2, zst from a pipe, gzip of two members), untouched', async () => {
    const big = makeDiskImage(dir, 'big-unsized.img', 72 * MiB);
    const bigSize = statSync(big).size;
    const cut = 70 * MiB;
    const images = {
      bz2: compress(big, 'bz2'),
      'zst from a pipe': join(dir, 'piped.img.zst'),
      'gzip of two members': join(dir, 'two-members-big.img.gz'),
    };
    execFileSync('sh', ['-c', 'zstd -q -1 -c < "$0" > "$1"', big, images['zst from a pipe']]);
    writeFileSync(images['gzip of two members'], Buffer.concat([execFileSync('sh', ['-c', `head -c ${cut} "$0" | gzip -1`, big], { maxBuffer: 1 << 30 }), execFileSync('sh', ['-c', `tail -c +${cut + 1} "$0" | gzip -1`, big], { maxBuffer: 1 << 30 })]));
    const dev = loop(64 * MiB);
    fillPattern(dev, 64 * MiB, 0x6b);
    const before = sha256Of(dev);
    for (const [what, image] of Object.entries(images)) {
      const err = await expectCode(flashImage(createJobContext('flash'), { image, targets: [dev], verify: true }), 'target-too-small');
      expect(err.params, what).toMatchObject({ device: dev, size: 64 * MiB, needed: bigSize });
      expect(sha256Of(dev), `${what}: the target is untouched`).toBe(before);
    }
    // the same images onto a target that holds them still write byte for byte
    const roomy = loop(80 * MiB);
    const bigSha = sha256Of(big);
    for (const image of Object.values(images)) {
      const res = await flashImage(createJobContext('flash'), { image, targets: [roomy], verify: true });
      expect(res.sha256).toBe(bigSha);
      expect(res.bytes).toBe(bigSize);
    }
  });

  it('refuses a damaged compressed image before touching the target', async () => {
    const gz = compress(raw, 'gz', join(dir, 'cut.img.gz'));
    truncateSync(gz, Math.floor(statSync(gz).size * 0.7));
    const dev = loop();
    fillPattern(dev, 64 * MiB, 0x5a);
    const before = sha256Of(dev);
    const err = await expectCode(flashImage(createJobContext('flash'), { image: gz, targets: [dev], verify: true }), 'image-damaged');
    expect(String(err.params.detail)).toMatch(/gzip|pigz/);
    expect(sha256Of(dev)).toBe(before);
  });

  // The gzip reader drives node:zlib's handle itself (decompress.ts): the stream's checks must all still hold.
  it('inflates a gzip of two concatenated members byte for byte, and refuses a flipped byte (CRC) before touching the target', async () => {
    const half = Math.floor(rawSize / 2);
    const parts = join(dir, 'two-members.img.gz');
    writeFileSync(parts, Buffer.concat([execFileSync('sh', ['-c', `head -c ${half} "$0" | gzip -1`, raw], { maxBuffer: 1 << 30 }), execFileSync('sh', ['-c', `tail -c +${half + 1} "$0" | gzip -1`, raw], { maxBuffer: 1 << 30 })]));
    const dev = loop();
    const res = await flashImage(createJobContext('flash'), { image: parts, targets: [dev], verify: true });
    expect(res.sha256).toBe(rawSha);
    expect(sha256Of(dev, rawSize)).toBe(rawSha);

    const bad = compress(raw, 'gz', join(dir, 'flipped.img.gz'));
    const fd = openSync(bad, 'r+');
    const at = Math.floor(statSync(bad).size / 2);
    const byte = readBytes(bad, at, 1)[0];
    writeSync(fd, Buffer.from([byte ^ 0xff]), 0, 1, at);
    closeSync(fd);
    const other = loop();
    fillPattern(other, 64 * MiB, 0x3c);
    const before = sha256Of(other);
    const err = await expectCode(flashImage(createJobContext('flash'), { image: bad, targets: [other], verify: true }), 'image-damaged');
    expect(String(err.params.detail)).toMatch(/gzip/);
    expect(sha256Of(other)).toBe(before);
  });

  it('refuses duplicates, regular files and refusals from the guard, untouched', async () => {
    const dev = loop();
    fillPattern(dev, 64 * MiB, 0x77);
    const before = sha256Of(dev);
    await expectCode(flashImage(createJobContext('flash'), { image: raw, targets: [dev, dev], verify: false }), 'target-duplicate');
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    await expectCode(flashImage(createJobContext('flash'), { image: raw, targets: [file], verify: false }), 'target-not-block-device');
    const guard = async (device: string) => {
      throw new LifeboatError('target-system', { device });
    };
    await expectCode(flashImage(createJobContext('flash'), { image: raw, targets: [dev], verify: false, guard }), 'target-system');
    expect(sha256Of(dev)).toBe(before);
  });

  it('writes to a regular file only when allowed (benchmarks)', async () => {
    const file = join(dir, 'out.img');
    writeFileSync(file, '');
    const res = await flashImage(createJobContext('flash'), { image: compress(raw, 'zst', join(dir, 'f.img.zst')), targets: [file], verify: true, allowFileTarget: true });
    expect(res.targets[0]).toMatchObject({ ok: true, verified: true });
    expect(sha256Of(file)).toBe(rawSha);
  });

  // A stick pulled out mid-write, on a machine without USB. `losetup -d` cannot model it: on a
  // loop device that is open, the kernel only marks it autoclear and it goes on working until
  // the last close (the flash would just succeed). There is no dmsetup or scsi_debug here. What
  // the kernel can do to an open loop device is make it read-only (BLKROSET): every later
  // write() fails with EPERM, a stick that stops taking writes. With its /dev node also taken
  // away, as udev does when a stick is unplugged, the engine sees what it sees of a pulled
  // stick: failing writes and a device path that no longer exists.
  for (const [how, code] of [
    ['turns read-only mid-write (blockdev --setro: the kernel refuses the writes with EPERM)', 'write-failed'],
    ['is "unplugged" mid-write as near as a loop device gets (--setro, and its /dev node removed as udev would)', 'target-vanished'],
  ] as const) {
    it(`a loop device that ${how} fails alone with ${code}; the other target completes and verifies`, async () => {
      const size = 192 * MiB;
      const image = makeRandomImage(dir, `mid-${code}.img`, size);
      const imageSha = sha256Of(image);
      const [a, b] = [loop(256 * MiB), loop(256 * MiB)];
      const hidden = `/dev/.lifeboat-test-${basename(b)}`;
      let struckAt = -1;
      const seen: { last?: JobProgress } = {};
      const ctx = createJobContext('flash', {
        onProgress: (p) => {
          seen.last = p;
          // the first report of the write comes after the first chunk: the image is far from written
          if (struckAt < 0 && p.phase === 'writing' && p.bytes > 0) {
            struckAt = p.bytes;
            execFileSync('blockdev', ['--setro', b]);
            if (code === 'target-vanished') renameSync(b, hidden);
          }
        },
      });
      const t0 = Date.now();
      let res;
      try {
        res = await flashImage(ctx, { image, targets: [a, b], verify: true });
      } finally {
        if (existsSync(hidden)) renameSync(hidden, b);
        execFileSync('blockdev', ['--setrw', b]);
      }
      expect(Date.now() - t0, 'the flash did not hang on the failed target').toBeLessThan(60_000);
      expect(struckAt).toBeGreaterThan(0);
      expect(struckAt).toBeLessThan(size / 2);
      expect(res.sha256).toBe(imageSha);
      expect(res.bytes).toBe(size);
      expect(res.targets[0]).toEqual({ device: a, ok: true, verified: true, bytesWritten: size });
      expect(res.targets[1]).toMatchObject({ device: b, ok: false, verified: false, error: { code, params: { device: b } } });
      expect(res.targets[1].bytesWritten).toBeLessThan(size);
      expect(sha256Of(a, size)).toBe(imageSha);
      expect(seen.last?.phase).toBe('done');
      expect(seen.last?.targets?.[b]).toMatchObject({ phase: 'failed', error: { code } });
      expect(seen.last?.targets?.[a]).toMatchObject({ phase: 'done' });
    });
  }

  it('stops promptly when cancelled mid-write and throws cancelled', async () => {
    const big = makeDiskImage(dir, 'big.img', 200 * MiB);
    const dev = loop(256 * MiB);
    const ac = new AbortController();
    let seen: JobProgress | null = null;
    const ctx = createJobContext('flash', {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'writing' && !seen) {
          seen = p;
          setImmediate(() => ac.abort());
        }
      },
    });
    // compressed before the clock starts: the bound is on the flash, not on xz under load
    const image = compress(big, 'xz');
    const t0 = Date.now();
    await expectCode(flashImage(ctx, { image, targets: [dev], verify: true }), 'cancelled');
    expect(seen).not.toBeNull();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
