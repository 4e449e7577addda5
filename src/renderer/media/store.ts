/**
 * The "Make recovery media" journey's state: the source root and its inventory, the
 * backup options, the rescue ISO options, and the running job.
 *
 * The request sent to `media.make` is derived from this state in one place
 * (`makeRequest`), so what the Run step starts is exactly what the screens showed.
 * Components call the named actions below, never `set`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Language, RequestOf, Transport } from '../../shared/api';
import type { Compressor } from '../../shared/backup-set';
import type { ErrorInfo } from '../../shared/errors';
import { parseSize } from '../../shared/format';
import { SPLIT_CHOICES, type DoctorReport, type InventoryView, type MadeMedia, type MadeSet, type SplitChoice } from '../../shared/media-make';
import { errorOf, idleJob, trackJobs, type JobActions, type JobState } from '../app/job-tracker';
import { createRehearseStore, type RehearseStore } from './rehearse-store';

export type MediaStep =
  | { kind: 'source' }
  | { kind: 'backup' }
  | { kind: 'rescue' }
  | { kind: 'running'; jobId: string }
  | { kind: 'done'; outcome: 'done' | 'failed' | 'cancelled'; backup: MadeSet | null; media: MadeMedia | null; error: ErrorInfo | null };

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** Level range and default per compressor (the engine refuses anything else). */
export const LEVELS: Record<Exclude<Compressor, 'none'>, { min: number; max: number; default: number }> = {
  zstd: { min: 1, max: 19, default: 3 },
  gzip: { min: 1, max: 9, default: 6 },
  xz: { min: 0, max: 9, default: 6 },
  bzip2: { min: 1, max: 9, default: 9 },
  lz4: { min: 1, max: 12, default: 1 },
};

/** "No splitting" still needs a number for the engine: one part as large as any file can be. */
const NO_SPLIT = Number.MAX_SAFE_INTEGER;

/** What stops a step from going on; also the i18n key `makeMedia:problems.<code>`. */
export type Problem = 'rootRelative' | 'noInventory' | 'destRequired' | 'destRelative' | 'destIsRoot' | 'splitInvalid' | 'isoRelative' | 'isoInsideDest' | 'isoNotIso' | 'kernelRelative' | 'doctorMissing';

export interface MediaState extends JobState {
  step: MediaStep;
  source: 'running' | 'other';
  /** the folder typed for "another system"; the running system is always `/` */
  otherRoot: string;
  inventory: InventoryView | null;
  inventoryLoading: boolean;
  inventoryError: ErrorInfo | null;
  dest: string;
  compress: Compressor;
  /** null: the compressor's default level */
  level: number | null;
  split: SplitChoice;
  customSplit: string;
  /** default exclusions the user took out */
  removedDefaults: string[];
  excludes: string[];
  /** empty until the user edits it: then the ISO goes beside the set, named after it (see `isoPath`) */
  iso: string;
  embed: boolean;
  lang: Language;
  /** once the user picked the rescue menu's language, it no longer follows the UI's */
  langTouched: boolean;
  /** empty: the running kernel */
  kernel: string;
  doctor: DoctorReport | null;
  doctorLoading: boolean;
  doctorError: ErrorInfo | null;
  /** the Done screen's rehearsal of the set and ISO just made: a store of its own (see rehearse-store) */
  rehearse: RehearseStore;
}

export interface MediaActions extends JobActions {
  chooseSource(source: 'running' | 'other'): void;
  setOtherRoot(path: string): void;
  loadInventory(): Promise<void>;
  goToSource(): void;
  goToBackup(): void;
  setDest(path: string): void;
  setCompress(c: Compressor): void;
  setLevel(level: number | null): void;
  setSplit(choice: SplitChoice): void;
  setCustomSplit(text: string): void;
  toggleDefaultExclude(pattern: string): void;
  addExclude(pattern: string): boolean;
  removeExclude(pattern: string): void;
  goToRescue(): void;
  setIso(path: string): void;
  setEmbed(embed: boolean): void;
  setLang(lang: Language): void;
  followUiLanguage(lang: Language): void;
  setKernel(path: string): void;
  checkDoctor(): Promise<void>;
  start(): Promise<void>;
  startOver(): void;
}

export type MediaStore = StoreApi<MediaState & MediaActions>;

function initial(lang: Language): Omit<MediaState, 'rehearse'> {
  return {
    step: { kind: 'source' },
    source: 'running',
    otherRoot: '',
    inventory: null,
    inventoryLoading: false,
    inventoryError: null,
    dest: '',
    compress: 'zstd',
    level: null,
    split: 'fat32',
    customSplit: '',
    removedDefaults: [],
    excludes: [],
    iso: '',
    embed: true,
    lang,
    langTouched: false,
    kernel: '',
    doctor: null,
    doctorLoading: false,
    doctorError: null,
    ...idleJob,
  };
}

/** Drops trailing slashes and collapses repeated ones: "/a//b/" → "/a/b". */
export function tidyPath(p: string): string {
  const t = p.trim().replace(/\/{2,}/g, '/');
  return t.length > 1 ? t.replace(/\/+$/, '') : t;
}

const isAbsolute = (p: string) => p.startsWith('/');

export function rootOf(s: Pick<MediaState, 'source' | 'otherRoot'>): string {
  return s.source === 'running' ? '/' : tidyPath(s.otherRoot);
}

/** The ISO path: the one typed, or `<dest>-rescue.iso` beside the set. */
export function isoPath(s: Pick<MediaState, 'iso' | 'dest'>): string {
  if (s.iso.trim()) return tidyPath(s.iso);
  const dest = tidyPath(s.dest);
  return dest && dest !== '/' ? `${dest}-rescue.iso` : '';
}

export function splitBytes(s: Pick<MediaState, 'split' | 'customSplit'>): number | null {
  if (s.split === 'custom') {
    const n = parseSize(s.customSplit);
    return n !== null && n >= 1024 * 1024 ? n : null;
  }
  const text = SPLIT_CHOICES[s.split];
  return text === null ? NO_SPLIT : parseSize(text);
}

export function sourceProblem(s: MediaState): Problem | null {
  if (!isAbsolute(rootOf(s))) return 'rootRelative';
  if (!s.inventory || s.inventory.root !== rootOf(s)) return 'noInventory';
  return null;
}

export function backupProblem(s: MediaState): Problem | null {
  const dest = tidyPath(s.dest);
  if (!dest) return 'destRequired';
  if (!isAbsolute(dest)) return 'destRelative';
  if (dest === '/' || dest === rootOf(s)) return 'destIsRoot';
  if (splitBytes(s) === null) return 'splitInvalid';
  return null;
}

export function rescueProblem(s: MediaState): Problem | null {
  const iso = isoPath(s);
  const dest = tidyPath(s.dest);
  if (!isAbsolute(iso)) return 'isoRelative';
  if (iso === dest || iso.startsWith(dest + '/')) return 'isoInsideDest';
  if (!/\.iso$/i.test(iso)) return 'isoNotIso';
  if (s.kernel.trim() && !isAbsolute(s.kernel.trim())) return 'kernelRelative';
  if (s.doctor && !s.doctor.ok) return 'doctorMissing';
  return null;
}

/** The default exclusions still in force, then the user's own. */
export function effectiveExcludes(s: MediaState): { defaultExcludes: boolean; excludes: string[] } {
  if (s.removedDefaults.length === 0) return { defaultExcludes: true, excludes: s.excludes };
  // The engine takes defaults all or nothing; the kept ones are sent as the user's own.
  const kept = (s.inventory?.defaultExcludes ?? []).filter((d) => !s.removedDefaults.includes(d));
  return { defaultExcludes: false, excludes: [...kept, ...s.excludes.filter((e) => !kept.includes(e))] };
}

export function makeRequest(s: MediaState): RequestOf<'media.make'> {
  const split = splitBytes(s);
  const kernel = s.kernel.trim();
  return {
    root: rootOf(s),
    dest: tidyPath(s.dest),
    compress: s.compress,
    ...(s.level !== null && s.compress !== 'none' ? { level: s.level } : {}),
    ...(split !== null ? { split } : {}),
    ...effectiveExcludes(s),
    iso: isoPath(s),
    embed: s.embed,
    lang: s.lang,
    ...(kernel ? { kernel: tidyPath(kernel) } : {}),
  };
}

export function createMediaStore(api: Transport, opts: { lang: Language }): MediaStore {
  // The job's events reach the store only through here; see job-tracker for why.
  const jobs = trackJobs<MediaState>(api, 'media', {
    current() {
      const step = store.getState().step;
      return step.kind === 'running' ? step.jobId : null;
    },
    update: (partial) => store.setState(partial),
    done(done) {
      const r = done.result?.kind === 'media' ? done.result : null;
      const made = { backup: r?.backup ?? null, media: r?.media ?? null };
      if (done.ok) store.setState({ step: { kind: 'done', outcome: 'done', ...made, error: null }, cancelling: false });
      else {
        const outcome = done.error.code === 'cancelled' ? 'cancelled' : 'failed';
        store.setState({ step: { kind: 'done', outcome, ...made, error: done.error }, cancelling: false });
      }
    },
  });

  const store: MediaStore = createStore<MediaState & MediaActions>()((set, get) => ({
    ...initial(opts.lang),
    rehearse: createRehearseStore(api),

    chooseSource(source) {
      set({ source, inventoryError: null });
    },

    setOtherRoot(path) {
      set({ otherRoot: path, inventoryError: null });
    },

    async loadInventory() {
      const root = rootOf(get());
      if (!isAbsolute(root) || get().inventoryLoading) return;
      set({ inventoryLoading: true, inventoryError: null });
      try {
        const inventory = await api.invoke('inventory.collect', { root });
        // The chips of another root mean nothing here: start from its own defaults.
        const same = get().inventory?.root === inventory.root;
        set({ inventory, inventoryLoading: false, ...(same ? {} : { removedDefaults: [] }) });
      } catch (err) {
        set({ inventoryLoading: false, inventoryError: errorOf(err), inventory: null });
      }
    },

    goToSource() {
      set({ step: { kind: 'source' } });
    },

    goToBackup() {
      if (!sourceProblem(get())) set({ step: { kind: 'backup' } });
    },

    setDest(path) {
      set({ dest: path });
    },

    setCompress(compress) {
      set({ compress, level: null });
    },

    setLevel(level) {
      set({ level });
    },

    setSplit(split) {
      set({ split });
    },

    setCustomSplit(customSplit) {
      set({ customSplit });
    },

    toggleDefaultExclude(pattern) {
      const removed = get().removedDefaults;
      set({ removedDefaults: removed.includes(pattern) ? removed.filter((p) => p !== pattern) : [...removed, pattern] });
    },

    addExclude(pattern) {
      const p = pattern.trim();
      if (!p || /[\0\n\r]/.test(p) || get().excludes.includes(p)) return false;
      set({ excludes: [...get().excludes, p] });
      return true;
    },

    removeExclude(pattern) {
      set({ excludes: get().excludes.filter((p) => p !== pattern) });
    },

    goToRescue() {
      if (backupProblem(get())) return;
      set({ step: { kind: 'rescue' }, startError: null });
      if (!get().doctor) void get().checkDoctor();
    },

    setIso(iso) {
      set({ iso });
    },

    setEmbed(embed) {
      set({ embed });
    },

    setLang(lang) {
      set({ lang, langTouched: true });
    },

    followUiLanguage(lang) {
      if (!get().langTouched && get().lang !== lang) set({ lang });
    },

    setKernel(kernel) {
      // The report was for the previous kernel; it is checked again on request.
      set({ kernel });
    },

    async checkDoctor() {
      const kernel = get().kernel.trim();
      if (kernel && !isAbsolute(kernel)) return;
      set({ doctorLoading: true, doctorError: null });
      try {
        const doctor = await api.invoke('media.doctor', { media: 'iso', ...(kernel ? { kernel: tidyPath(kernel) } : {}) });
        set({ doctor, doctorLoading: false });
      } catch (err) {
        set({ doctorLoading: false, doctorError: errorOf(err) });
      }
    },

    async start() {
      const s = get();
      if (s.starting || sourceProblem(s) || backupProblem(s) || rescueProblem(s) || !s.doctor) return;
      await jobs.start(
        () => api.invoke('media.make', makeRequest(s)),
        (jobId) => ({ step: { kind: 'running', jobId } }),
      );
    },

    ...jobs.actions,

    startOver() {
      // The rehearsal was of the set just made; a running one is cancelled, not left behind.
      get().rehearse.getState().reset();
      // The same machine is likely backed up again: keep the source and options, not the paths.
      set({ step: { kind: 'source' }, progress: null, dest: '', iso: '', startError: null });
    },
  }));
  return store;
}
