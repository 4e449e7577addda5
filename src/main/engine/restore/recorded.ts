/**
 * The plan for putting a set back on disks like the recorded ones, as a script: what a
 * set's `restore.sh` holds and what the rescue system runs when nobody picks other
 * targets. The set's folder and the target disks are variables (LIFEBOAT_SET,
 * LIFEBOAT_TARGET_<n>, in the order of `plan.targets`), defaulting to where they were
 * at backup time.
 */
import type { BackupSet } from '../../../shared/backup-set';
import type { RestorePlan } from '../../../shared/restore-plan';
import { compilePlan, type CompileOptions, type TargetSpec } from './compile';
import { renderShell } from './shell';

type RecordedOptions = { setDir: string; mountRoot?: string; bases?: CompileOptions['bases'] };

export function recordedPlan(set: BackupSet, opts: RecordedOptions): RestorePlan {
  const targets: Record<string, TargetSpec> = {};
  for (const d of set.layout.disks) targets[d.device] = { device: d.device, sizeBytes: d.sizeBytes, sectorSize: d.table?.sectorsize };
  return compilePlan(set, { setDir: opts.setDir, targets, mountRoot: opts.mountRoot ?? '/mnt/lifeboat', bases: opts.bases });
}

export function recordedScript(set: BackupSet, opts: RecordedOptions): string {
  return renderShell(recordedPlan(set, opts), { setVariable: true, targetVariables: true });
}
