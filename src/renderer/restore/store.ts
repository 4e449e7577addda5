/**
 * The Restore journey's state: the set, the disk mapping, the reviewed plan and the job.
 *
 * Targets are kept by device path and the drives always come from the latest scan, so
 * a disk that went away (or became unusable for this set) drops out of the mapping.
 * The plan shown at review is the one the helper runs; changing the set, the mapping
 * or clone mode forgets it, so nothing runs that the user did not read. Components
 * call the named actions below, never `set`.
 *
 * Partition sizes an expert types on the review step are kept as typed (per recorded
 * partition node); once every one reads as a size the planner would accept, the plan is
 * asked for again with them, and the run uses the sizes of the plan on screen only.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Transport } from '../../shared/api';
import { naturalCompare, type Drive, type DriveStatus } from '../../shared/drive';
import { driveStatuses } from '../../shared/drive-policy';
import type { ErrorInfo } from '../../shared/errors';
import type { FoundSet, RestoreRunResult, ReviewedPlan, SetSummary, SetSummaryDisk } from '../../shared/restore-sets';
import { parseSizeInput, sizeProblems, type DiskSizing, type SizeProblem } from '../../shared/restore-sizes';
import { errorOf, idleJob, trackJobs, type JobActions, type JobState } from '../app/job-tracker';

export type RestoreStep =
  | { kind: 'find' }
  | { kind: 'set' }
  | { kind: 'targets' }
  | { kind: 'review' }
  | { kind: 'running'; jobId: string }
  | { kind: 'result'; outcome: 'done' | 'failed' | 'cancelled'; result: RestoreRunResult | null; error: ErrorInfo | null };

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** The log pane keeps the end of a long run; the helper's full log is on its stderr. */
export const MAX_LOG_LINES = 400;

export interface RestoreState extends JobState {
  step: RestoreStep;
  /** the folder path typed by the user */
  path: string;
  finding: boolean;
  /** null until a scan answered */
  found: FoundSet[] | null;
  findError: ErrorInfo | null;
  set: SetSummary | null;
  setLoading: boolean;
  setError: ErrorInfo | null;
  drives: Drive[];
  scanned: boolean;
  scanError: ErrorInfo | null;
  /** recorded disk → target device path */
  mapping: Record<string, string>;
  clone: boolean;
  planning: boolean;
  planError: ErrorInfo | null;
  reviewed: ReviewedPlan | null;
  /** the "everything on these disks will be erased" box */
  confirmed: boolean;
  log: string[];
  /** recorded partition node → the size the user typed (an empty or missing field: automatic) */
  sizeTexts: Record<string, string>;
  /** the language the sizes were typed in ("2,5 Gio" reads differently in English) */
  sizeLang: string;
  /** asking for the plan again with edited sizes */
  replanning: boolean;
  /** the helper refused the edited sizes */
  sizesError: ErrorInfo | null;
}

export interface RestoreActions extends JobActions {
  setPath(path: string): void;
  findSets(): Promise<void>;
  openSet(dir: string): Promise<void>;
  goToFind(): void;
  goToSet(): void;
  goToTargets(): void;
  refreshDrives(): Promise<void>;
  drivesScanned(drives: Drive[]): void;
  chooseTarget(recorded: string, device: string | null): void;
  setClone(clone: boolean): void;
  review(): Promise<void>;
  setConfirmed(confirmed: boolean): void;
  start(): Promise<void>;
  jobLogged(jobId: string, line: string): void;
  restart(): void;
  /** the size typed for one partition; the plan is asked for again once every field reads well */
  setSizeText(node: string, text: string, lang: string): void;
  /** every partition back to the planner's own sizes */
  resetSizes(): void;
  /** asks for the plan with the sizes typed now (called by the two actions above, after a pause in typing) */
  replan(): Promise<void>;
}

export type RestoreStore = StoreApi<RestoreState & RestoreActions>;

export interface RestoreStoreOptions {
  /** offer loop devices as disks (tests and power users; the host decides) */
  includeLoop: boolean;
  /** pause after the last key stroke before the plan is asked for again (default 500 ms) */
  replanDelayMs?: number;
}

const initial: RestoreState = {
  step: { kind: 'find' },
  path: '',
  finding: false,
  found: null,
  findError: null,
  set: null,
  setLoading: false,
  setError: null,
  drives: [],
  scanned: false,
  scanError: null,
  mapping: {},
  clone: false,
  planning: false,
  planError: null,
  reviewed: null,
  confirmed: false,
  ...idleJob,
  log: [],
  sizeTexts: {},
  sizeLang: 'en',
  replanning: false,
  sizesError: null,
};

/** What the sizes panel shows and sends: each typed size read, and what is wrong with it. */
export interface SizeFields {
  /** node → bytes, for every field that reads as a size */
  sizes: Record<string, number>;
  /** node → what is wrong with the field (unreadable, locked, below the minimum, over the disk) */
  problems: Record<string, SizeProblem>;
  /** every field reads and fits: these sizes may be planned */
  valid: boolean;
}

/** Reads the typed sizes against the planner's figures for each disk. */
export function sizeFields(texts: Record<string, string>, lang: string, sizing: DiskSizing[]): SizeFields {
  const sizes: Record<string, number> = {};
  const problems: Record<string, SizeProblem> = {};
  for (const disk of sizing) {
    const edited: Record<string, number> = {};
    for (const p of disk.partitions) {
      const text = texts[p.node]?.trim();
      if (!text) continue;
      const bytes = parseSizeInput(text, lang);
      if (bytes === null) problems[p.node] = { code: 'unreadable' };
      else edited[p.node] = bytes;
    }
    Object.assign(sizes, edited);
    Object.assign(problems, sizeProblems(disk, edited));
  }
  return { sizes, problems, valid: Object.keys(problems).length === 0 };
}

function sameSizes(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Whether the plan on screen is the one for the sizes typed now (nothing pending, nothing wrong). */
export function sizesSettled(state: Pick<RestoreState, 'sizeTexts' | 'sizeLang' | 'reviewed' | 'replanning'>): boolean {
  if (!state.reviewed) return false;
  const f = sizeFields(state.sizeTexts, state.sizeLang, state.reviewed.sizing);
  return f.valid && !state.replanning && sameSizes(f.sizes, state.reviewed.sizes);
}

/** What a drive is as the target of one recorded disk: the flash policy, with the disk's needed size. */
export function targetStatuses(drive: Drive, disk: SetSummaryDisk, set: SetSummary): DriveStatus[] {
  return driveStatuses(drive, { imageSize: disk.neededBytes, imageSourceDevice: set.sourceDevice });
}

export function isBlockedFor(drive: Drive, disk: SetSummaryDisk, set: SetSummary): boolean {
  return targetStatuses(drive, disk, set).some((s) => s.blocking);
}

/** The mapping that stays valid for these drives: vanished or blocked targets are dropped. */
export function reconcileMapping(mapping: Record<string, string>, drives: Drive[], set: SetSummary | null): Record<string, string> {
  if (!set) return {};
  const byDevice = new Map(drives.map((d) => [d.device, d]));
  const out: Record<string, string> = {};
  for (const [recorded, device] of Object.entries(mapping)) {
    const disk = set.disks.find((d) => d.device === recorded);
    const drive = byDevice.get(device);
    if (disk && drive && !isBlockedFor(drive, disk, set)) out[recorded] = device;
  }
  return out;
}

/** Every disk holding backed-up data has a target (others may be left out). */
export function mappingComplete(set: SetSummary | null, mapping: Record<string, string>): boolean {
  return set !== null && set.disks.some((d) => mapping[d.device]) && set.disks.every((d) => !d.holdsData || Boolean(mapping[d.device]));
}

function sameMapping(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function createRestoreStore(api: Transport, options: RestoreStoreOptions): RestoreStore {
  // The job's events and log reach the store only through here; see job-tracker for why.
  const jobs = trackJobs<RestoreState>(api, 'restore', {
    current() {
      const step = store.getState().step;
      return step.kind === 'running' ? step.jobId : null;
    },
    update: (partial) => store.setState(partial),
    logged(line) {
      store.setState({ log: [...store.getState().log, line].slice(-MAX_LOG_LINES) });
    },
    done(done) {
      const result = done.result?.kind === 'restore' ? done.result.restore : null;
      if (done.ok) store.setState({ step: { kind: 'result', outcome: 'done', result, error: null }, cancelling: false });
      else store.setState({ step: { kind: 'result', outcome: done.error.code === 'cancelled' ? 'cancelled' : 'failed', result, error: done.error }, cancelling: false });
    },
  });

  const store: RestoreStore = createStore<RestoreState & RestoreActions>()((set, get) => ({
    ...initial,

    setPath(path) {
      set({ path, setError: null });
    },

    async findSets() {
      if (get().finding) return;
      set({ finding: true, findError: null });
      try {
        const found = await api.invoke('restore.find', {});
        set({ finding: false, found });
      } catch (err) {
        set({ finding: false, findError: errorOf(err) });
      }
    },

    async openSet(dir) {
      set({ setLoading: true, setError: null, path: dir });
      try {
        const summary = await api.invoke('restore.inspect', { setDir: dir });
        // Another set: nothing chosen for the previous one carries over.
        set({ set: summary, setLoading: false, step: { kind: 'set' }, mapping: {}, reviewed: null, confirmed: false, planError: null, sizeTexts: {}, sizesError: null });
      } catch (err) {
        set({ setLoading: false, setError: errorOf(err) });
      }
    },

    goToFind() {
      set({ step: { kind: 'find' } });
    },

    goToSet() {
      if (get().set) set({ step: { kind: 'set' } });
    },

    goToTargets() {
      if (get().set) set({ step: { kind: 'targets' }, confirmed: false, startError: null });
    },

    async refreshDrives() {
      try {
        const drives = await api.invoke('drives.list', { includeLoop: options.includeLoop });
        get().drivesScanned(drives);
      } catch (err) {
        set({ scanError: errorOf(err), scanned: true });
      }
    },

    drivesScanned(scan) {
      const { mapping, set: summary } = get();
      const drives = [...scan].sort((a, b) => naturalCompare(a.device, b.device));
      const next = reconcileMapping(mapping, drives, summary);
      set({ drives, scanned: true, scanError: null, ...(sameMapping(next, mapping) ? {} : { mapping: next, reviewed: null }) });
    },

    chooseTarget(recorded, device) {
      const { mapping, drives, set: summary } = get();
      const disk = summary?.disks.find((d) => d.device === recorded);
      if (!summary || !disk) return;
      const next: Record<string, string> = {};
      // One drive per recorded disk: choosing it here takes it away from any other disk.
      for (const [k, v] of Object.entries(mapping)) if (k !== recorded && v !== device) next[k] = v;
      if (device) {
        const drive = drives.find((d) => d.device === device);
        if (!drive || isBlockedFor(drive, disk, summary)) return;
        next[recorded] = device;
      }
      // sizes were typed for the previous disk: another disk starts from the planner's own sizes
      set({ mapping: next, reviewed: null, planError: null, confirmed: false, sizeTexts: {}, sizesError: null });
    },

    setClone(clone) {
      set({ clone, reviewed: null, confirmed: false });
    },

    async review() {
      const { set: summary, mapping, clone, planning, reviewed: before, sizeTexts, sizeLang } = get();
      if (!summary || planning || !mappingComplete(summary, mapping)) return;
      set({ planning: true, planError: null });
      // back from the review with the same disks: the sizes typed there still apply, when they read well
      const typed = before ? sizeFields(sizeTexts, sizeLang, before.sizing) : null;
      const sizes = typed?.valid ? typed.sizes : {};
      try {
        const reviewed = await api.invoke('restore.plan', { setDir: summary.dir, targets: mapping, clone, includeLoop: options.includeLoop, ...(Object.keys(sizes).length ? { sizes } : {}) });
        set({ planning: false, reviewed, confirmed: false, startError: null, sizesError: null, step: { kind: 'review' }, ...(typed?.valid ? {} : { sizeTexts: {} }) });
      } catch (err) {
        set({ planning: false, planError: errorOf(err) });
      }
    },

    setConfirmed(confirmed) {
      set({ confirmed });
    },

    async start() {
      const { set: summary, mapping, clone, reviewed, confirmed, starting } = get();
      if (!summary || !reviewed || !confirmed || starting || !sizesSettled(get())) return;
      // the sizes of the plan on screen, never what is typed and not yet planned
      const sizes = reviewed.sizes;
      await jobs.start(
        () => api.invoke('restore.start', { setDir: summary.dir, targets: mapping, clone, includeLoop: options.includeLoop, ...(Object.keys(sizes).length ? { sizes } : {}) }),
        (jobId) => ({ step: { kind: 'running', jobId } }),
        { log: [] },
      );
    },

    ...jobs.actions,

    jobLogged(jobId, line) {
      jobs.logged(jobId, line);
    },

    restart() {
      clearTimeout(replanTimer);
      set({ ...initial, drives: get().drives, scanned: get().scanned });
    },

    setSizeText(node, text, lang) {
      set({ sizeTexts: { ...get().sizeTexts, [node]: text }, sizeLang: lang, confirmed: false, sizesError: null });
      scheduleReplan();
    },

    resetSizes() {
      set({ sizeTexts: {}, confirmed: false, sizesError: null });
      scheduleReplan();
    },

    async replan() {
      const { set: summary, mapping, clone, reviewed, sizeTexts, sizeLang, step, replanning } = get();
      // one request at a time: the answer to this one schedules the next if typing went on
      if (!summary || !reviewed || step.kind !== 'review' || replanning) return;
      const fields = sizeFields(sizeTexts, sizeLang, reviewed.sizing);
      if (!fields.valid || sameSizes(fields.sizes, reviewed.sizes)) return;
      set({ replanning: true, sizesError: null });
      try {
        const next = await api.invoke('restore.plan', { setDir: summary.dir, targets: mapping, clone, includeLoop: options.includeLoop, ...(Object.keys(fields.sizes).length ? { sizes: fields.sizes } : {}) });
        // typing went on meanwhile: only the answer for what is typed now counts
        const now = get();
        if (now.reviewed !== reviewed || now.step.kind !== 'review') return set({ replanning: false });
        set({ reviewed: next, replanning: false, confirmed: false });
        scheduleReplan();
      } catch (err) {
        set({ replanning: false, sizesError: errorOf(err) });
      }
    },
  }));
  let replanTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleReplan(): void {
    clearTimeout(replanTimer);
    replanTimer = setTimeout(() => void store.getState().replan(), options.replanDelayMs ?? 500);
  }
  return store;
}
