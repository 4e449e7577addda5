/**
 * `media.stickInfo`: whether a stick is a Lifeboat stick, and the backup sets on it, so
 * the wizard can offer "add a new set to this stick" instead of erasing it, and name the
 * sets that `keep` would remove before anything is written.
 *
 * Read only: the data partition is mounted read-only (no ext4 journal replay) in a
 * folder of its own and unmounted before the answer goes out. The drive guard runs
 * first, as for a stick about to be written: a system disk is never even mounted.
 */
import { statfsSync } from 'node:fs';
import { LifeboatError } from '../../shared/errors';
import type { StickInfo } from '../../shared/media-make';
import { assertWritableTarget } from '../engine/drives/guard';
import { assertLifeboatStick, listStickSets, withStickData } from '../engine/media/usb-again';

export async function stickInfo(p: { device: string; includeLoop?: boolean }): Promise<StickInfo> {
  const drive = await assertWritableTarget(p.device, { imageSize: null, imageSourceDevice: null, includeLoop: Boolean(p.includeLoop) });
  let data;
  try {
    data = await assertLifeboatStick(drive.device);
  } catch (err) {
    // "Not a Lifeboat stick" is an answer, not a failure: the stick is then made afresh.
    if (err instanceof LifeboatError && err.code === 'invalid-request') return { device: drive.device, lifeboat: false, reason: String(err.params.reason ?? err.message) };
    throw err;
  }
  return withStickData(data, true, async (root) => {
    const st = statfsSync(root);
    return { device: drive.device, lifeboat: true, sets: listStickSets(root), freeBytes: st.bavail * st.bsize };
  });
}
