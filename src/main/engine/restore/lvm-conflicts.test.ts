/**
 * The LVM clash check with real LVM metadata on loop devices (pvcreate and vgcreate need
 * no device-mapper; nothing is activated): an "old disk" holds the VG a set recreates.
 * Both forms are run — the app's (typed error) and the sh the rescue script runs (dash).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { canUseLoop, cleanupScratch, loopSkipReason, makeLoop, type LoopDevice } from '../../../../test/util/loop';
import { assertNoLvmClash, findClash, lvmClashSh, onTarget, type LvmClaim } from './lvm-conflicts';

const MiB = 1024 * 1024;
const hasLvm = ['/sbin/lvm', '/usr/sbin/lvm'].some((p) => existsSync(p));
const why = !canUseLoop() ? loopSkipReason : !hasLvm ? 'needs lvm (apt-get install lvm2)' : null;
const lvm = (...args: string[]) => execFileSync('lvm', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' } });
const VG = 'lbclashvg';
const PV_UUID = 'Lbcl4s-h000-0000-0000-0000-0000-000001';

describe('onTarget / findClash', () => {
  it('knows which partitions are on which disk', () => {
    expect(onTarget('/dev/sdb3', ['/dev/sdb'])).toBe(true);
    expect(onTarget('/dev/nvme0n1p2', ['/dev/nvme0n1'])).toBe(true);
    expect(onTarget('/dev/sdba1', ['/dev/sdb'])).toBe(false);
    expect(onTarget('/dev/sdc1', ['/dev/sdb'])).toBe(false);
  });
  it('names the first PV outside the targets holding a VG or PV UUID the restore creates', () => {
    const out = `  /dev/sdb3|vg0|AAA\n  /dev/sdc2|other|BBB\n  /dev/sdd1|vg0|CCC\n`;
    expect(findClash(out, { vgs: ['vg0'], pvUuids: [], targets: ['/dev/sdb'] })).toEqual({ vg: 'vg0', device: '/dev/sdd1' });
    expect(findClash(out, { vgs: ['vgX'], pvUuids: ['BBB'], targets: ['/dev/sdb'] })).toEqual({ vg: 'other', device: '/dev/sdc2' });
    expect(findClash(out, { vgs: ['vg0'], pvUuids: [], targets: ['/dev/sdb', '/dev/sdd'] })).toBeNull();
  });
});

let old: LoopDevice | undefined;
let target: LoopDevice | undefined;

describe.skipIf(why !== null)(`with real LVM metadata on loop devices${why ? ` (${why})` : ''}`, () => {
  beforeAll(() => {
    old = makeLoop(16 * MiB);
    target = makeLoop(16 * MiB);
    lvm('pvcreate', '-ff', '-y', '--uuid', PV_UUID, '--norestorefile', old.device);
    lvm('vgcreate', '-y', VG, old.device);
  });
  afterAll(() => {
    try {
      lvm('vgremove', '-f', VG);
    } catch {}
    for (const d of [old, target]) {
      if (!d) continue;
      try {
        lvm('pvremove', '-ff', '-y', d.device);
      } catch {}
      d.detach();
    }
    cleanupScratch();
  });

  const sh = (c: LvmClaim) => spawnSync('dash', ['-c', `set -eu; ( ${lvmClashSh(c)} )`], { encoding: 'utf8', env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' } });

  it('refuses a VG that lives on a disk that is not a target, naming both', async () => {
    const claim = { vgs: [VG], pvUuids: [], targets: [target!.device] };
    await expect(assertNoLvmClash(claim)).rejects.toMatchObject({ code: 'restore-lvm-in-use', params: { vg: VG, device: old!.device } });
    const r = sh(claim);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`LVM volume group ${VG} already exists on ${old!.device}`);
  });

  it('refuses a PV UUID it would give again (non-clone), even under another VG name', async () => {
    const claim = { vgs: ['some-other-vg'], pvUuids: [PV_UUID], targets: [target!.device] };
    await expect(assertNoLvmClash(claim)).rejects.toMatchObject({ code: 'restore-lvm-in-use', params: { device: old!.device } });
    expect(sh(claim).status).toBe(1);
  });

  it('lets a restore run again over its own target, and a VG nobody has', async () => {
    for (const claim of [
      { vgs: [VG], pvUuids: [PV_UUID], targets: [old!.device] },
      { vgs: ['lbnobodyvg'], pvUuids: [], targets: [target!.device] },
    ]) {
      await expect(assertNoLvmClash(claim)).resolves.toBeUndefined();
      const r = sh(claim);
      expect(r.status, r.stderr).toBe(0);
    }
  });
});
