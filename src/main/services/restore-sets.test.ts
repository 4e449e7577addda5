/**
 * Finding and describing sets on a real folder tree: manifests made around a layout
 * recorded from real loop devices, at several depths, plus folders that only look
 * like sets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupScratch, scratchDir } from '../../../test/util/loop';
import { recordedLayout, setAround } from '../engine/restore/test-util';
import { FIND_DEPTH, findSets, inspectSet } from './restore-sets';

afterAll(() => cleanupScratch());

function writeSet(dir: string, created = '2026-11-25T14:00:00.000Z'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lifeboat.json'), JSON.stringify({ ...setAround(recordedLayout('gpt')), created }));
}

describe('findSets', () => {
  it(`finds sets up to ${FIND_DEPTH} folders deep, newest first, and skips what only looks like one`, async () => {
    const root = scratchDir('lifeboat-find-');
    writeSet(join(root, 'old'), '2026-01-01T00:00:00.000Z');
    writeSet(join(root, 'a/b/new'), '2026-11-01T00:00:00.000Z');
    writeSet(join(root, 'a/b/c/too-deep'));
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken/lifeboat.json'), '{"format": 1}');
    mkdirSync(join(root, '.hidden/set'), { recursive: true });
    writeSet(join(root, '.hidden/set'));
    const found = await findSets([root]);
    expect(found.map((f) => f.dir)).toEqual([join(root, 'a/b/new'), join(root, 'old')]);
    expect(found[0]).toMatchObject({ host: 'recorder', kind: 'full', archives: expect.any(Number) });
    expect(found[0]!.bytes).toBeGreaterThan(0);
  });

  it('looks deeper into a folder first reached near the depth limit from another root', async () => {
    const top = scratchDir('lifeboat-find-');
    const home = join(top, 'x/home');
    writeSet(join(home, 'backups/set'));
    // from `top`, the set is 4 folders deep; from `home`, 2
    expect(await findSets([top, home])).toHaveLength(1);
    expect(await findSets([join(top, 'missing'), home])).toHaveLength(1);
  });
});

describe('inspectSet', () => {
  it('describes the recorded disks with what each needs', async () => {
    const dir = join(scratchDir('lifeboat-inspect-'), 'set');
    writeSet(dir);
    const s = await inspectSet(dir);
    const layout = recordedLayout('gpt');
    expect(s.disks.map((d) => d.device)).toEqual(layout.disks.map((d) => d.device));
    const disk = s.disks[0]!;
    expect(disk.holdsData).toBe(true);
    expect(disk.neededBytes).toBeGreaterThan(0);
    expect(disk.neededBytes).toBeLessThanOrEqual(disk.sizeBytes);
    expect(disk.partitions.length).toBe(layout.disks[0]!.table!.partitions.length);
    expect(disk.partitions.some((p) => p.mountpoint === '/' && p.fsType === 'ext4')).toBe(true);
    expect(s.archiveList.length).toBeGreaterThan(0);
  });

  it('says why a folder is not a set', async () => {
    const dir = scratchDir('lifeboat-inspect-');
    await expect(inspectSet(dir)).rejects.toMatchObject({ code: 'set-invalid', params: { detail: 'lifeboat.json is missing' } });
  });
});
