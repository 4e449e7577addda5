/**
 * Before anything is erased: the volume groups a restore recreates must not already exist
 * on a disk that is not one of its targets. LVM refuses a second VG of the same name and a
 * second PV with the same UUID, so restoring onto a new disk while the old one is still
 * attached (a migration) would otherwise fail at `pvcreate`/`vgcreate` — after the target
 * was wiped and partitioned. (`lvm --devices` would avoid it, but needs LVM 2.03.12.)
 *
 * PVs found on the targets themselves are fine: that is a restore being run again.
 * PVs on MD arrays are not judged (an array made from the targets' partitions has a name
 * of its own); the restore's own mdadm/pvcreate steps still refuse a real clash.
 */
import { LifeboatError } from '../../../shared/errors';
import { run } from '../run';
import { shq } from './quote';

export interface LvmClaim {
  /** volume groups the restore creates */
  vgs: string[];
  /** PV UUIDs it gives (none in clone mode: new ones are made) */
  pvUuids: string[];
  /** whole-disk target devices */
  targets: string[];
}

/** `/dev/sdb3` is on `/dev/sdb`, `/dev/nvme0n1p2` on `/dev/nvme0n1`; `/dev/sdba1` is not on `/dev/sdb`. */
export function onTarget(pv: string, targets: string[]): boolean {
  return targets.some((t) => pv === t || (pv.startsWith(t) && /^p?\d+$/.test(pv.slice(t.length))));
}

export interface LvmClash {
  vg: string;
  device: string;
}

/** The first PV outside the targets that holds a VG or a PV UUID the restore creates, from `pvs` lines `name|vg|uuid`. */
export function findClash(pvsOutput: string, c: LvmClaim): LvmClash | null {
  for (const line of pvsOutput.split('\n')) {
    const [name = '', vg = '', uuid = ''] = line.split('|').map((f) => f.trim());
    if (!name || name.startsWith('/dev/md') || onTarget(name, c.targets)) continue;
    if (c.vgs.includes(vg) || c.pvUuids.includes(uuid)) return { vg: vg || uuid, device: name };
  }
  return null;
}

const PVS = ['pvs', '--noheadings', '--separator', '|', '-o', 'pv_name,vg_name,pv_uuid'];

/** The app's check: refuses with restore-lvm-in-use. A machine without LVM tools has no VG to clash with. */
export async function assertNoLvmClash(c: LvmClaim, signal?: AbortSignal): Promise<void> {
  let out = '';
  try {
    out = (await run('lvm', PVS, { signal })).stdout;
  } catch (err) {
    if (err instanceof LifeboatError && err.code === 'tool-missing') return;
    throw err;
  }
  const clash = findClash(out, c);
  if (clash) throw new LifeboatError('restore-lvm-in-use', { vg: clash.vg, device: clash.device });
}

/** The same check in POSIX sh, for the rescue system's restore script (exit 1 with a message). */
export function lvmClashSh(c: LvmClaim): string {
  const words = (xs: string[]) => xs.join(' ');
  const targetPatterns = c.targets.flatMap((t) => [shq(t), `${shq(t)}[0-9]*`, `${shq(t)}p[0-9]*`]).join('|');
  return [
    `command -v lvm >/dev/null 2>&1 || exit 0`,
    `lvm ${PVS.map(shq).join(' ')} 2>/dev/null | while IFS='|' read -r n v u; do`,
    ` n=$(echo $n); v=$(echo $v); u=$(echo $u)`,
    ` case "$n" in /dev/md*|${targetPatterns}) continue ;; esac`,
    ` case " ${words(c.vgs)} " in *" $v "*) echo "LVM volume group $v already exists on $n, which is not a restore target: detach that disk, then restore again" >&2; exit 1 ;; esac`,
    ...(c.pvUuids.length ? [` case " ${words(c.pvUuids)} " in *" $u "*) echo "LVM physical volume $u already exists on $n, which is not a restore target: detach that disk, then restore again" >&2; exit 1 ;; esac`] : []),
    `done`,
  ].join('\n');
}
