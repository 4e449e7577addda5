/**
 * The Flash journey's state: the image, the target selection and the running job.
 *
 * Targets are selected by device path; the drives themselves always come from the
 * latest scan, so a stick that was pulled out (or became unusable for this image)
 * drops out of the selection instead of lingering as a stale object. Components call
 * the named actions below, never `set`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Transport } from '../../shared/api';
import { naturalCompare, type Drive, type DriveStatus } from '../../shared/drive';
import { driveStatuses, type PolicyInput } from '../../shared/drive-policy';
import type { ErrorInfo } from '../../shared/errors';
import type { FlashResult, ImageInfo } from '../../shared/image';
import { errorOf, idleJob, trackJobs, type JobActions, type JobState } from '../app/job-tracker';

/** Where the wizard is. Each step carries what only it needs. */
export type FlashStep =
  | { kind: 'chooseImage' }
  | { kind: 'chooseTargets' }
  | { kind: 'confirm' }
  | { kind: 'flashing'; jobId: string }
  | { kind: 'result'; outcome: 'done' | 'failed' | 'cancelled'; result: FlashResult | null; error: ErrorInfo | null };

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

export interface FlashState extends JobState {
  step: FlashStep;
  image: ImageInfo | null;
  imageLoading: boolean;
  imageError: ErrorInfo | null;
  /** the latest scan, sorted by device; unchanged drives keep their object identity */
  drives: Drive[];
  /** false until the first scan answered, so "no drive" is not shown while looking */
  scanned: boolean;
  scanError: ErrorInfo | null;
  /** device paths of the chosen targets */
  selected: string[];
  /** once the user picked or unpicked a target, auto-selection stays out of the way */
  selectionTouched: boolean;
  verify: boolean;
}

export interface FlashActions extends JobActions {
  openImage(path: string): Promise<void>;
  clearImage(): void;
  goToTargets(): void;
  goToImage(): void;
  goToConfirm(): void;
  refreshDrives(): Promise<void>;
  drivesScanned(drives: Drive[]): void;
  toggleTarget(device: string): void;
  setVerify(verify: boolean): void;
  start(): Promise<void>;
  flashAnother(): void;
}

export type FlashStore = StoreApi<FlashState & FlashActions>;

export interface FlashStoreOptions {
  /** show loop devices as sticks (tests and power users; the host decides) */
  includeLoop: boolean;
}

const initial: FlashState = {
  step: { kind: 'chooseImage' },
  image: null,
  imageLoading: false,
  imageError: null,
  drives: [],
  scanned: false,
  scanError: null,
  selected: [],
  selectionTouched: false,
  verify: true,
  ...idleJob,
};

export function policyInput(image: ImageInfo | null): PolicyInput {
  return { imageSize: image?.size ?? null, imageSourceDevice: image?.sourceDevice ?? null };
}

export function statusesOf(drive: Drive, image: ImageInfo | null): DriveStatus[] {
  return driveStatuses(drive, policyInput(image));
}

function isBlocked(drive: Drive, image: ImageInfo | null): boolean {
  return statusesOf(drive, image).some((s) => s.blocking);
}

/** A drive worth choosing for the user: writable for this image and not suspiciously large. */
function isAutoSelectable(drive: Drive, image: ImageInfo | null): boolean {
  return statusesOf(drive, image).every((s) => !s.blocking && s.code !== 'large');
}

/** Keeps the previous object for a drive whose fields did not change, so its row does not re-render. */
function reuseUnchanged(prev: Drive[], next: Drive[]): Drive[] {
  const before = new Map(prev.map((d) => [d.device, d]));
  return [...next]
    .sort((a, b) => naturalCompare(a.device, b.device))
    .map((d) => {
      const old = before.get(d.device);
      return old && JSON.stringify(old) === JSON.stringify(d) ? old : d;
    });
}

/**
 * The selection that remains valid for these drives and this image.
 *
 * Stale devices and devices that became blocked are dropped; when nothing is chosen
 * and the user has not chosen yet, a single eligible drive is picked for them (two
 * or more would be a guess).
 */
export function reconcileSelection(
  selected: string[],
  drives: Drive[],
  image: ImageInfo | null,
  touched: boolean,
): string[] {
  const byDevice = new Map(drives.map((d) => [d.device, d]));
  const kept = selected.filter((dev) => {
    const d = byDevice.get(dev);
    return d !== undefined && !isBlocked(d, image);
  });
  if (kept.length > 0 || touched) return sameList(kept, selected) ? selected : kept;
  const eligible = drives.filter((d) => isAutoSelectable(d, image));
  return eligible.length === 1 ? [eligible[0].device] : sameList(kept, selected) ? selected : kept;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function createFlashStore(api: Transport, options: FlashStoreOptions): FlashStore {
  // The job's events reach the store only through here; see job-tracker for why.
  const jobs = trackJobs<FlashState>(api, 'flash', {
    current() {
      const step = store.getState().step;
      return step.kind === 'flashing' ? step.jobId : null;
    },
    update: (partial) => store.setState(partial),
    done(done) {
      const result = done.result?.kind === 'flash' ? done.result.flash : null;
      if (done.ok) {
        const failed = result?.targets.some((t) => !t.ok) ?? false;
        store.setState({ step: { kind: 'result', outcome: failed ? 'failed' : 'done', result, error: null }, cancelling: false });
      } else {
        const outcome = done.error.code === 'cancelled' ? 'cancelled' : 'failed';
        store.setState({ step: { kind: 'result', outcome, result, error: done.error }, cancelling: false });
      }
    },
  });

  const store: FlashStore = createStore<FlashState & FlashActions>()((set, get) => ({
    ...initial,

    async openImage(path) {
      set({ imageLoading: true, imageError: null });
      try {
        const image = await api.invoke('image.inspect', { path });
        const { drives, selected, selectionTouched } = get();
        set({
          image,
          imageLoading: false,
          selected: reconcileSelection(selected, drives, image, selectionTouched),
        });
      } catch (err) {
        set({ imageLoading: false, imageError: errorOf(err) });
      }
    },

    clearImage() {
      set({ image: null, imageError: null });
    },

    goToTargets() {
      if (get().image) set({ step: { kind: 'chooseTargets' } });
    },

    goToImage() {
      set({ step: { kind: 'chooseImage' } });
    },

    goToConfirm() {
      if (get().image && get().selected.length > 0) set({ step: { kind: 'confirm' }, startError: null });
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
      const { drives: prev, selected, image, selectionTouched } = get();
      const drives = reuseUnchanged(prev, scan);
      const unchanged = sameList(drives.map((d) => d.device), prev.map((d) => d.device)) && drives.every((d, i) => d === prev[i]);
      set({
        drives: unchanged ? prev : drives,
        scanned: true,
        scanError: null,
        selected: reconcileSelection(selected, drives, image, selectionTouched),
      });
    },

    toggleTarget(device) {
      const { drives, image, selected } = get();
      const drive = drives.find((d) => d.device === device);
      if (selected.includes(device)) {
        set({ selected: selected.filter((d) => d !== device), selectionTouched: true });
      } else if (drive && !isBlocked(drive, image)) {
        set({ selected: [...selected, device], selectionTouched: true });
      }
    },

    setVerify(verify) {
      set({ verify });
    },

    async start() {
      const { image, selected, verify, starting } = get();
      if (!image || selected.length === 0 || starting) return;
      await jobs.start(
        () => api.invoke('flash.start', { image: image.path, targets: selected, verify, includeLoop: options.includeLoop }),
        (jobId) => ({ step: { kind: 'flashing', jobId } }),
      );
    },

    ...jobs.actions,

    flashAnother() {
      // The sticks just written are still plugged in; the user chooses again on purpose.
      set({ step: { kind: 'chooseImage' }, progress: null, selected: [], selectionTouched: true, startError: null });
    },
  }));
  return store;
}
