import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyPlainTree, DATA_TYPE_GUID } from './usb-data';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-usb-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('copyPlainTree (a set onto a stick that stores only folders and files)', () => {
  it('copies folders and files byte for byte, empty folders included', () => {
    const src = join(dir, 'set');
    mkdirSync(join(src, 'archives'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    const part = randomBytes(5 * 1024 * 1024 + 7);
    writeFileSync(join(src, 'archives/root.tar.zst.000'), part);
    writeFileSync(join(src, 'lifeboat.json'), '{"id":"x"}\n');
    copyPlainTree(src, join(dir, 'copy'));
    expect(readFileSync(join(dir, 'copy/archives/root.tar.zst.000')).equals(part)).toBe(true);
    expect(readFileSync(join(dir, 'copy/lifeboat.json'), 'utf8')).toBe('{"id":"x"}\n');
    expect(existsSync(join(dir, 'copy/empty'))).toBe(true);
  });

  it('refuses a symbolic link with set-invalid, naming it, before writing anything', () => {
    const src = join(dir, 'linked');
    mkdirSync(join(src, 'archives'), { recursive: true });
    writeFileSync(join(src, 'archives/a'), 'a');
    symlinkSync('a', join(src, 'archives/b'));
    let err: unknown;
    try {
      copyPlainTree(src, join(dir, 'linked-copy'));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'set-invalid', params: { path: src, detail: expect.stringContaining('archives/b: a symbolic link') } });
    expect(existsSync(join(dir, 'linked-copy'))).toBe(false);
  });

  it('gives exFAT the GPT type Windows mounts ("Microsoft basic data")', () => {
    expect(DATA_TYPE_GUID.exfat).toBe('EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
    expect(DATA_TYPE_GUID.ext4).toBe('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
  });
});
