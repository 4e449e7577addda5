/**
 * MD arrays already running when a restore starts — the twin of lvm-conflicts.ts.
 *
 * - An array made only of the targets' partitions is what an earlier run of this restore
 *   left (or the disks' old life): the plan stops it before wiping (`mdStopSh`), since
 *   wipefs cannot erase a disk whose partitions md holds.
 * - An array running from a disk that is not a target must be left alone, and it must not
 *   stand in the way: if it has the UUID or the /dev/md/ name of an array the restore
 *   creates (the old disk still attached during a migration), `mdadm --create` would make
 *   a second array of that identity and the name would lead mkfs to the wrong one; if it
 *   also uses a target's partition, stopping it would break a running array. Both are
 *   refused before anything is written (`restore-md-in-use`).
 *
 * Read from /sys/block/md*, not /proc/mdstat: the slaves are kernel names, as the targets'
 * partitions are. The UUID comes from `mdadm --detail --export`.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LifeboatError } from '../../../shared/errors';
import { run } from '../run';
import { onTarget } from './lvm-conflicts';
import { shq } from './quote';

export interface MdClaim {
  /** the nodes the restore creates (/dev/md/root) with their UUIDs (mdadm form) */
  arrays: Array<{ node: string; uuid?: string }>;
  /** whole-disk target devices */
  targets: string[];
}

export interface RunningArray {
  /** /dev/md127 */
  array: string;
  uuid?: string;
  /** member devices (/dev/sdb1) */
  members: string[];
  /** the claimed nodes that lead to this array (/dev/md/root → /dev/md127) */
  claimedNodes: string[];
}

export interface MdClash {
  array: string;
  /** its member that is not on a target */
  device: string;
  /** what it stands in the way of: a claimed node, or the target it also uses */
  claimed: string;
}

const normUuid = (u: string) => u.replace(/[^0-9a-fA-F]/g, '').toLowerCase();

export function findMdClash(arrays: RunningArray[], c: MdClaim): MdClash | null {
  for (const a of arrays) {
    const off = a.members.filter((m) => !onTarget(m, c.targets));
    // stopped (no members), or entirely on the targets: the plan's stop step takes it down
    if (!off.length) continue;
    const onT = a.members.find((m) => onTarget(m, c.targets));
    const byUuid = a.uuid ? c.arrays.find((x) => x.uuid && normUuid(x.uuid) === normUuid(a.uuid!)) : undefined;
    const claimed = byUuid?.node ?? a.claimedNodes[0] ?? onT;
    if (claimed) return { array: a.array, device: off[0], claimed };
  }
  return null;
}

/** The arrays the kernel runs now, with what `findMdClash` needs. A machine without md has none. */
export async function runningArrays(claimedNodes: string[], signal?: AbortSignal, sys = '/sys/block'): Promise<RunningArray[]> {
  if (!existsSync(sys)) return [];
  const out: RunningArray[] = [];
  for (const name of readdirSync(sys).filter((n) => n.startsWith('md'))) {
    const slaves = join(sys, name, 'slaves');
    const members = existsSync(slaves) ? readdirSync(slaves).map((s) => `/dev/${s}`) : [];
    if (!members.length) continue;
    let uuid: string | undefined;
    try {
      uuid = /^MD_UUID=(.+)$/m.exec((await run('mdadm', ['--detail', '--export', `/dev/${name}`], { signal })).stdout)?.[1]?.trim();
    } catch (err) {
      // no mdadm, or an inactive array it cannot describe: judged by its members and name alone
      if (signal?.aborted) throw err;
    }
    const leadsHere = (node: string) => {
      try {
        return basename(realpathSync(node)) === name;
      } catch {
        return false;
      }
    };
    out.push({ array: `/dev/${name}`, uuid, members, claimedNodes: claimedNodes.filter(leadsHere) });
  }
  return out;
}

/** The app's check: refuses with restore-md-in-use. */
export async function assertNoMdClash(c: MdClaim, signal?: AbortSignal): Promise<void> {
  const clash = findMdClash(await runningArrays(c.arrays.map((a) => a.node), signal), c);
  if (clash) throw new LifeboatError('restore-md-in-use', { ...clash });
}

const targetCase = (targets: string[]) => targets.flatMap((t) => [shq(t), `${shq(t)}[0-9]*`, `${shq(t)}p[0-9]*`]).join('|');

/** The same check in POSIX sh, for the rescue system's restore script (exit 1 with a message). `sys`: for tests only. */
export function mdClashSh(c: MdClaim, sys = '/sys/block'): string {
  return [
    `for lb_d in ${shq(sys)}/md*; do`,
    ` [ -d "$lb_d/slaves" ] || continue`,
    ` lb_m=/dev/\${lb_d##*/}; lb_on=; lb_off=; lb_hit=`,
    ` for lb_s in "$lb_d"/slaves/*; do`,
    `  [ -e "$lb_s" ] || continue`,
    `  case "/dev/\${lb_s##*/}" in ${targetCase(c.targets)}) lb_on=/dev/\${lb_s##*/} ;; *) [ -n "$lb_off" ] || lb_off=/dev/\${lb_s##*/} ;; esac`,
    ` done`,
    ` [ -n "$lb_off" ] || continue`,
    ` lb_u=$(mdadm --detail --export "$lb_m" 2>/dev/null | sed -n 's/^MD_UUID=//p' | tr -d ':' | tr 'A-F' 'a-f') || lb_u=`,
    ` [ -z "$lb_on" ] || lb_hit=$lb_on`,
    // claims in reverse, so the first one that matches is the one named (as findMdClash does)
    ...[...c.arrays].reverse().map((a) => ` [ "$(readlink -f ${shq(a.node)} 2>/dev/null)" != "$lb_m" ] || lb_hit=${shq(a.node)}`),
    ...[...c.arrays].reverse().filter((a) => a.uuid).map((a) => ` [ "$lb_u" != ${shq(normUuid(a.uuid!))} ] || lb_hit=${shq(a.node)}`),
    ` if [ -n "$lb_hit" ]; then echo "The RAID array $lb_m is running with $lb_off, which is not a restore target, and stands in the way of $lb_hit: stop it (mdadm --stop $lb_m) or detach that disk, then restore again" >&2; exit 1; fi`,
    `done`,
  ].join('\n');
}

/** Stops every array made only of the targets' partitions (an earlier run's, or the disks' old arrays). `sys`: for tests only. */
export function mdStopSh(targets: string[], sys = '/sys/block'): string {
  return [
    `for lb_d in ${shq(sys)}/md*; do`,
    ` [ -d "$lb_d/slaves" ] || continue`,
    ` for lb_s in "$lb_d"/slaves/*; do`,
    `  case "/dev/\${lb_s##*/}" in ${targetCase(targets)}) echo "stopping /dev/\${lb_d##*/}"; mdadm --stop "/dev/\${lb_d##*/}"; break ;; esac`,
    ` done`,
    `done`,
  ].join('\n');
}
