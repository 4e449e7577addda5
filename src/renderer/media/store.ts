/**
 * The "Make recovery media" journey's state: the source root and its inventory, the
 * backup options, the rescue ISO options, and the running job.
 *
 * The request sent to `media.make` is derived from this state in one place
 * (`makeRequest`), so what the Run step starts is exactly what the screens showed —
 * and what the Review step prints as command lines and saves as a profile. Loading a
 * profile goes the other way (`applyRequest`).
 * Components call the named actions below, never `set`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Language, RequestOf, Transport } from '../../shared/api';
import { MIN_SPLIT, type Compressor } from '../../shared/backup-set';
import type { ErrorInfo } from '../../shared/errors';
import { parseSize } from '../../shared/format';
import type { MediaMakeRequest } from '../../shared/profile';
import type { Drive } from '../../shared/drive';
import { isSystemDrive } from '../../shared/drive-policy';
import { DEFAULT_KEEP, DISC_BYTES, SPLIT_CHOICES, setsRemovedByKeep, type DiscSize, type MediaKind, type DoctorReport, type InventoryView, type MadeMedia, type MadeSet, type SplitChoice, type StickInfo, type StickSet } from '../../shared/media-make';
import { errorOf, idleJob, trackJobs, type JobActions, type JobState } from '../app/job-tracker';
import { createRehearseStore, type RehearseStore } from './rehearse-store';
import { componentMatches, excludingPattern, folderExclude, type FolderSize } from '../../shared/folder-sizes';
import { parseNetDest, type BackupDestination } from '../../shared/net-dest';

export type MediaStep =
  | { kind: 'source' }
  | { kind: 'backup' }
  | { kind: 'rescue' }
  | { kind: 'review' }
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
export type Problem =
  | 'rootRelative'
  | 'noInventory'
  | 'destRequired'
  | 'destRelative'
  | 'destIsRoot'
  | 'splitInvalid'
  | 'isoRelative'
  | 'isoInsideDest'
  | 'isoNotIso'
  | 'usbRequired'
  | 'pxeRelative'
  | 'pxeInsideDest'
  | 'kernelRelative'
  | 'doctorMissing'
  | 'usbNotConfirmed'
  | 'isoRequired'
  | 'discsInvalid'
  | 'stickReading'
  | 'netServerRequired'
  | 'netInvalid'
  | 'smbUserRequired';

/** Where the set goes: a folder (a mounted drive too), an NFS export or an SMB share the helper mounts. */
export type DestKind = 'folder' | 'nfs' | 'smb';
/** The network share's fields; the password lives only here and in the media.make request. */
export interface NetFields {
  server: string;
  /** NFS: the export path, with the set's folder (`/sets/tonight`) */
  nfsPath: string;
  /** SMB: the share, then the set's folder under it (`backup/tonight`) */
  smbPath: string;
  username: string;
  password: string;
  domain: string;
}
export const NO_NET: NetFields = { server: '', nfsPath: '', smbPath: '', username: '', password: '', domain: '' };

/** The ISO as one file, or as a set of discs of that size (the set inside, spread over them). */
export type DiscChoice = 'one' | DiscSize | 'custom';
/** The smallest disc the request takes (api.ts): a rescue system alone needs tens of MiB. */
export const MIN_DISC_BYTES = 64 * 1024 * 1024;
export type DataFs = 'ext4' | 'exfat';
/** What a Lifeboat stick gets: made afresh (erased), or the new set added beside its sets. */
export type UsbMode = 'erase' | 'again';

export interface MediaState extends JobState {
  step: MediaStep;
  /** the rescue system alone, no backup (`lifeboat media --rescue-only`): the set is found at restore time */
  rescueOnly: boolean;
  source: 'running' | 'other';
  /** the folder typed for "another system"; the running system is always `/` */
  otherRoot: string;
  inventory: InventoryView | null;
  inventoryLoading: boolean;
  inventoryError: ErrorInfo | null;
  /** the folder typed or picked (kept while a network share is chosen, for going back) */
  dest: string;
  destKind: DestKind;
  net: NetFields;
  compress: Compressor;
  /** null: the compressor's default level */
  level: number | null;
  split: SplitChoice;
  customSplit: string;
  /** default exclusions the user took out */
  removedDefaults: string[];
  excludes: string[];
  /** where the rescue system goes: an ISO file, a USB stick (erased), or network-boot files */
  mediaKind: MediaKind;
  /** empty until the user edits it: then the ISO goes beside the set, named after it (see `isoPath`) */
  iso: string;
  /** the stick chosen from `drives` (system drives are never offered) */
  usbDevice: string;
  /** empty until edited: `<dest>-pxe` beside the set (see `pxePath`) */
  pxe: string;
  drives: Drive[] | null;
  drivesLoading: boolean;
  drivesError: ErrorInfo | null;
  /** ISO only, with the set inside: one file, or CD- or DVD-size discs */
  discs: DiscChoice;
  /** the size typed for "discs of another size" (`--split-media SIZE`: BD-R, a small test disc…) */
  customDiscs: string;
  /** a stick made afresh: its data partition's filesystem (exFAT: Windows can read the sets) */
  dataFs: DataFs;
  /** what `media.stickInfo` said of the chosen stick (null until read) */
  stick: StickInfo | null;
  stickLoading: boolean;
  stickError: ErrorInfo | null;
  /** a Lifeboat stick: erase it, or add the new set and keep the newest `keep` */
  usbMode: UsbMode;
  keep: number;
  /** the Review step's "I understand the stick is erased" (or, adding a set, that old sets go) */
  usbConfirmed: boolean;
  embed: boolean;
  lang: Language;
  /** once the user picked the rescue menu's language, it no longer follows the UI's */
  langTouched: boolean;
  /** empty: the running kernel */
  kernel: string;
  doctor: DoctorReport | null;
  doctorLoading: boolean;
  doctorError: ErrorInfo | null;
  /** the Review step's profile file: the path typed, and the outcome of the last save or load */
  profilePath: string;
  profileBusy: boolean;
  profileError: ErrorInfo | null;
  profileDone: { action: 'saved' | 'loaded'; path: string } | null;
  /** the Done screen's rehearsal of the set and ISO just made: a store of its own (see rehearse-store) */
  rehearse: RehearseStore;
  /** the exclusion tree: one level per folder read, keyed by root-relative path ("/", "/var") */
  folders: Record<string, FolderLevel>;
  /** the root-relative folders opened in the tree */
  expanded: string[];
}

/** One level of the exclusion tree, as the helper measured it (see shared/folder-sizes). */
export type FolderLevel =
  | { status: 'loading' }
  | { status: 'error'; error: ErrorInfo }
  | { status: 'loaded'; files: number; children: FolderSize[] };

export interface MediaActions extends JobActions {
  chooseSource(source: 'running' | 'other'): void;
  setOtherRoot(path: string): void;
  loadInventory(): Promise<void>;
  goToSource(): void;
  goToBackup(): void;
  setDest(path: string): void;
  setDestKind(kind: DestKind): void;
  setNetField(field: keyof NetFields, value: string): void;
  setCompress(c: Compressor): void;
  setLevel(level: number | null): void;
  setSplit(choice: SplitChoice): void;
  setCustomSplit(text: string): void;
  toggleDefaultExclude(pattern: string): void;
  addExclude(pattern: string): boolean;
  removeExclude(pattern: string): void;
  loadFolder(rel: string): Promise<void>;
  measureForRules(): void;
  toggleFolder(rel: string): void;
  toggleFolderExclude(rel: string): void;
  goToRescue(): void;
  setMediaKind(kind: MediaKind): void;
  loadDrives(): Promise<void>;
  setUsbDevice(device: string): void;
  setPxe(path: string): void;
  setUsbConfirmed(confirmed: boolean): void;
  setRescueOnly(rescueOnly: boolean): void;
  setDiscs(discs: DiscChoice): void;
  setCustomDiscs(text: string): void;
  setDataFs(fs: DataFs): void;
  loadStickInfo(): Promise<void>;
  setUsbMode(mode: UsbMode): void;
  setKeep(keep: number): void;
  setIso(path: string): void;
  setEmbed(embed: boolean): void;
  setLang(lang: Language): void;
  followUiLanguage(lang: Language): void;
  setKernel(path: string): void;
  checkDoctor(): Promise<void>;
  goToReview(): void;
  setProfilePath(path: string): void;
  saveProfile(): Promise<void>;
  loadProfile(): Promise<void>;
  start(): Promise<void>;
  startOver(): void;
}

export type MediaStore = StoreApi<MediaState & MediaActions>;

function initial(lang: Language): Omit<MediaState, 'rehearse'> {
  return {
    step: { kind: 'source' },
    rescueOnly: false,
    source: 'running',
    otherRoot: '',
    inventory: null,
    inventoryLoading: false,
    inventoryError: null,
    dest: '',
    destKind: 'folder',
    net: NO_NET,
    compress: 'zstd',
    level: null,
    split: 'fat32',
    customSplit: '',
    removedDefaults: [],
    excludes: [],
    mediaKind: 'iso',
    iso: '',
    usbDevice: '',
    pxe: '',
    drives: null,
    drivesLoading: false,
    drivesError: null,
    usbConfirmed: false,
    discs: 'one',
    customDiscs: '',
    dataFs: 'ext4',
    stick: null,
    stickLoading: false,
    stickError: null,
    usbMode: 'erase',
    keep: DEFAULT_KEEP,
    embed: true,
    lang,
    langTouched: false,
    kernel: '',
    doctor: null,
    doctorLoading: false,
    doctorError: null,
    profilePath: '',
    profileBusy: false,
    profileError: null,
    profileDone: null,
    folders: {},
    expanded: [],
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

/**
 * The set's folder when files may go beside it (ISO, PXE folder, profile), else '':
 * beside a network share there is no folder of this machine to put them in.
 */
function folderBesideSet(s: Pick<MediaState, 'dest'> & { destKind?: DestKind }): string {
  if (s.destKind && s.destKind !== 'folder') return '';
  const dest = tidyPath(s.dest);
  return dest.startsWith('/') && dest !== '/' ? dest : '';
}

/** The ISO path: the one typed, or `<dest>-rescue.iso` beside the set. */
export function isoPath(s: Pick<MediaState, 'iso' | 'dest'> & { destKind?: DestKind }): string {
  if (s.iso.trim()) return tidyPath(s.iso);
  const dest = folderBesideSet(s);
  return dest ? `${dest}-rescue.iso` : '';
}

/** The network-boot folder: the one typed, or `<dest>-pxe` beside the set. */
export function pxePath(s: Pick<MediaState, 'pxe' | 'dest'> & { destKind?: DestKind }): string {
  if (s.pxe.trim()) return tidyPath(s.pxe);
  const dest = folderBesideSet(s);
  return dest ? `${dest}-pxe` : '';
}

/** The `--dest` text: the folder, or the share in the grammar of `lifeboat.set=` (no password). */
export function destOf(s: Pick<MediaState, 'dest' | 'destKind' | 'net'>): string {
  const server = s.net.server.trim();
  if (s.destKind === 'nfs') return `nfs:${server}:${tidyPath(s.net.nfsPath)}`;
  if (s.destKind === 'smb') return `cifs://${server}/${tidyPath(s.net.smbPath).replace(/^\//, '')}`;
  return tidyPath(s.dest);
}

/** The request's `destination` for a share (with the SMB credentials); none for a folder. */
export function destinationOf(s: Pick<MediaState, 'dest' | 'destKind' | 'net'>): BackupDestination | undefined {
  let d;
  try {
    d = parseNetDest(destOf(s));
  } catch {
    return undefined;
  }
  if (!d) return undefined;
  if (d.kind === 'nfs') return d;
  const domain = s.net.domain.trim();
  return { ...d, username: s.net.username.trim(), password: s.net.password, ...(domain ? { domain } : {}) };
}

/** Drives a stick may be picked from: the system's own are never offered, nor read-only ones. */
export function stickChoices(drives: Drive[] | null): Drive[] {
  return (drives ?? []).filter((d) => !isSystemDrive(d) && !d.readOnly);
}

export function splitBytes(s: Pick<MediaState, 'split' | 'customSplit'>): number | null {
  if (s.split === 'custom') {
    const n = parseSize(s.customSplit);
    return n !== null && n >= MIN_SPLIT ? n : null;
  }
  const text = SPLIT_CHOICES[s.split];
  return text === null ? NO_SPLIT : parseSize(text);
}

export function sourceProblem(s: MediaState): Problem | null {
  // The rescue system alone reads no system: nothing to choose here.
  if (s.rescueOnly) return null;
  if (!isAbsolute(rootOf(s))) return 'rootRelative';
  if (!s.inventory || s.inventory.root !== rootOf(s)) return 'noInventory';
  return null;
}

export function backupProblem(s: MediaState): Problem | null {
  if (s.destKind !== 'folder') {
    if (!s.net.server.trim()) return 'netServerRequired';
    if (!destinationOf(s) || !(s.destKind === 'nfs' ? s.net.nfsPath : s.net.smbPath).trim()) return 'netInvalid';
    if (s.destKind === 'smb' && !s.net.username.trim()) return 'smbUserRequired';
    return splitBytes(s) === null ? 'splitInvalid' : null;
  }
  const dest = tidyPath(s.dest);
  if (!dest) return 'destRequired';
  if (!isAbsolute(dest)) return 'destRelative';
  if (dest === '/' || dest === rootOf(s)) return 'destIsRoot';
  if (splitBytes(s) === null) return 'splitInvalid';
  return null;
}

export function rescueProblem(s: MediaState): Problem | null {
  // a share is no folder here: nothing of this machine can be inside it ("\0" matches no path)
  const dest = s.destKind === 'folder' ? tidyPath(s.dest) : '\0';
  if (s.rescueOnly || s.mediaKind === 'iso') {
    const iso = isoPath(s);
    if (!iso) return 'isoRequired';
    if (!isAbsolute(iso)) return 'isoRelative';
    if (!s.rescueOnly && (iso === dest || iso.startsWith(dest + '/'))) return 'isoInsideDest';
    if (!/\.iso$/i.test(iso)) return 'isoNotIso';
    if (!s.rescueOnly && s.embed && discBytes(s) === null) return 'discsInvalid';
  } else if (s.mediaKind === 'usb') {
    if (!stickChoices(s.drives).some((d) => d.device === s.usbDevice)) return 'usbRequired';
    // Whether it is a Lifeboat stick decides what is offered and what the Review step asks.
    if (s.stickLoading || s.stick?.device !== s.usbDevice) return 'stickReading';
  } else {
    const pxe = pxePath(s);
    if (!isAbsolute(pxe)) return 'pxeRelative';
    if (pxe === dest || pxe.startsWith(dest + '/') || dest.startsWith(pxe + '/')) return 'pxeInsideDest';
  }
  if (s.kernel.trim() && !isAbsolute(s.kernel.trim())) return 'kernelRelative';
  // adding a set to a Lifeboat stick builds no rescue system: the build tools do not matter then
  if (s.doctor && !s.doctor.ok && !isAgain(s)) return 'doctorMissing';
  return null;
}

/** The default exclusions still in force, then the user's own. */
export function effectiveExcludes(s: MediaState): { defaultExcludes: boolean; excludes: string[] } {
  if (s.removedDefaults.length === 0) return { defaultExcludes: true, excludes: s.excludes };
  // The engine takes defaults all or nothing; the kept ones are sent as the user's own.
  const kept = (s.inventory?.defaultExcludes ?? []).filter((d) => !s.removedDefaults.includes(d));
  return { defaultExcludes: false, excludes: [...kept, ...s.excludes.filter((e) => !kept.includes(e))] };
}

/** "/var" + "log" → "/var/log" (root-relative paths, as exclusion patterns name them). */
export function childPath(rel: string, name: string): string {
  return `${rel === '/' ? '' : rel}/${name}`;
}

/** The absolute path of a root-relative folder of the system at `root`. */
export function absoluteOf(root: string, rel: string): string {
  return rel === '/' ? root : `${root === '/' ? '' : root}${rel}`;
}

/**
 * Why a folder of the tree is left out, if it is: the user ticked it (its own box), a
 * default chip or another pattern covers it, a folder above it is left out, or it is
 * another filesystem the backup does not take (/proc, a network share…).
 */
export type FolderExclusion =
  | { by: 'ticked'; pattern: string }
  | { by: 'default'; pattern: string }
  | { by: 'pattern'; pattern: string }
  | { by: 'parent' }
  | { by: 'otherFs' }
  | null;

export function folderExclusion(s: MediaState, rel: string, mountpoint = false): FolderExclusion {
  const own = folderExclude(rel);
  if (s.excludes.includes(own)) return { by: 'ticked', pattern: own };
  const defaults = (s.inventory?.defaultExcludes ?? []).filter((d) => !s.removedDefaults.includes(d));
  const byDefault = excludingPattern(rel, defaults);
  if (byDefault) return { by: 'default', pattern: byDefault };
  const byUser = excludingPattern(rel, s.excludes);
  if (byUser) return { by: 'pattern', pattern: byUser };
  if (mountpoint && !(s.inventory?.archived ?? []).includes(rel)) return { by: 'otherFs' };
  return null;
}

/**
 * The size left to archive, from the folder sizes read so far: the root's files and
 * folders, less every folder left out; an opened folder counts as the sum of its own
 * level (more exact: it includes filesystems mounted below it that the backup takes).
 * `atLeast` when a walk hit its time cap; null until the root's level is read.
 */
export function sizeEstimate(s: MediaState): { bytes: number; excluded: number; atLeast: boolean; measuring: boolean } | null {
  const top = s.folders['/'];
  if (!top || top.status !== 'loaded') return null;
  let atLeast = false;
  let excluded = 0;
  const walk = (rel: string, level: Extract<FolderLevel, { status: 'loaded' }>): number => {
    let sum = level.files;
    for (const c of level.children) {
      const path = childPath(rel, c.name);
      const sub = s.folders[path];
      if (folderExclusion(s, path, c.mountpoint)) {
        // Another filesystem was never part of the backup: nothing is taken off for it.
        if (!c.mountpoint || (s.inventory?.archived ?? []).includes(path)) excluded += c.size;
        continue;
      }
      if (sub?.status === 'loaded') sum += walk(path, sub);
      else {
        sum += c.size;
        atLeast ||= c.capped;
      }
    }
    return sum;
  };
  // Folders left out inside an opened folder: below a left-out one nothing is walked.
  const bytes = walk('/', top);
  // Levels still being read (opened, or asked for by the rules) may change the figure.
  const measuring = Object.values(s.folders).some((l) => l.status === 'loading');
  return { bytes, excluded, atLeast, measuring };
}

/**
 * The folders to measure (without showing them) so the estimate sees what the rules
 * leave out deep down: the parents of every folder a root-anchored pattern empties
 * ("/var" for /var/tmp/*, "/home" then each "/home/<user>" for the users' caches). Patterns
 * for some files only (*.deb) and floating ones (*.iso) cannot be located this way.
 * Levels already read, being read, or that failed are not asked again.
 */
export function ruleLevels(s: MediaState): string[] {
  const defaults = (s.inventory?.defaultExcludes ?? []).filter((d) => !s.removedDefaults.includes(d));
  const want = new Set<string>();
  for (const p of [...defaults, ...s.excludes]) {
    if (!p.startsWith('/')) continue;
    const folder = p.endsWith('/*') ? p.slice(0, -2) : p;
    const parts = folder.split('/').filter(Boolean);
    if (parts.length === 0 || (!p.endsWith('/*') && /[*?[]/.test(parts.at(-1)!))) continue;
    let frontier = ['/'];
    for (let i = 0; i < parts.length - 1 && frontier.length > 0; i++) {
      const next: string[] = [];
      for (const rel of frontier) {
        const level = s.folders[rel];
        if (level?.status !== 'loaded') {
          want.add(rel);
          continue;
        }
        for (const c of level.children) {
          const path = childPath(rel, c.name);
          // A folder left out as a whole needs no detail.
          if (componentMatches(parts[i], c.name) && !folderExclusion(s, path, c.mountpoint)) next.push(path);
        }
      }
      frontier = next;
    }
    for (const rel of frontier) want.add(rel);
  }
  return [...want].filter((rel) => !s.folders[rel]);
}

/** "Backup again" is what happens: the stick chosen is a Lifeboat stick and the user kept its sets. */
export function isAgain(s: Pick<MediaState, 'rescueOnly' | 'mediaKind' | 'usbMode' | 'stick' | 'usbDevice'>): boolean {
  return !s.rescueOnly && s.mediaKind === 'usb' && s.usbMode === 'again' && s.stick?.lifeboat === true && s.stick.device === s.usbDevice;
}

/** The sets "backup again" removes from the stick (oldest first); none when erasing or building. */
export function setsToRemove(s: MediaState): StickSet[] {
  return isAgain(s) && s.stick?.lifeboat ? setsRemovedByKeep(s.stick.sets, s.keep) : [];
}

/** The stick is erased (made afresh), so the user's word is needed; adding a set asks it only when sets go. */
export function needsStickConfirm(s: MediaState): boolean {
  if (s.rescueOnly || s.mediaKind !== 'usb') return false;
  return isAgain(s) ? setsToRemove(s).length > 0 : true;
}

/** What stops Start on the Review step: an erased stick needs the user's word. */
export function reviewProblem(s: MediaState): Problem | null {
  if (s.rescueOnly) return rescueProblem(s);
  return sourceProblem(s) ?? backupProblem(s) ?? rescueProblem(s) ?? (needsStickConfirm(s) && !s.usbConfirmed ? 'usbNotConfirmed' : null);
}

/** The output fields of the request for the chosen kind (an ISO is sent as before kinds existed). */
function outputOf(s: MediaState): Pick<MediaMakeRequest, 'kind' | 'iso' | 'usb' | 'pxe' | 'splitMedia' | 'dataFs' | 'again' | 'keep'> {
  if (s.mediaKind === 'usb') {
    // Adding a set keeps the stick's filesystem, whichever it is; a stick made afresh names its own.
    return { kind: 'usb', usb: s.usbDevice, ...(isAgain(s) ? { again: true, keep: s.keep } : { dataFs: s.dataFs }) };
  }
  if (s.mediaKind === 'pxe') return { kind: 'pxe', pxe: pxePath(s) };
  // Discs carry the set itself: without it inside there is nothing to spread.
  const disc = s.embed ? discBytes(s) : undefined;
  return { iso: isoPath(s), ...(disc ? { splitMedia: disc } : {}) };
}

/** Bytes per disc for the choice: undefined for one ISO, null when the typed size is unusable. */
export function discBytes(s: Pick<MediaState, 'discs' | 'customDiscs'>): number | undefined | null {
  if (s.discs === 'one') return undefined;
  if (s.discs !== 'custom') return DISC_BYTES[s.discs];
  const n = parseSize(s.customDiscs);
  return n !== null && n >= MIN_DISC_BYTES ? n : null;
}

export function makeRequest(s: MediaState): RequestOf<'media.make'> {
  const split = splitBytes(s);
  const kernel = s.kernel.trim();
  return {
    root: rootOf(s),
    dest: destOf(s),
    // the share's credentials: only in this request, never in a profile or a command line
    ...(s.destKind !== 'folder' ? { destination: destinationOf(s) } : {}),
    compress: s.compress,
    ...(s.level !== null && s.compress !== 'none' ? { level: s.level } : {}),
    ...(split !== null ? { split } : {}),
    ...effectiveExcludes(s),
    ...outputOf(s),
    // Network-boot files hold no set: the rescue system reads it over NFS. Added to a stick, the set is on it.
    embed: s.mediaKind === 'pxe' ? false : isAgain(s) ? true : s.embed,
    lang: s.lang,
    // Adding a set leaves the stick's rescue system (and its kernel) as it is.
    ...(kernel && !isAgain(s) ? { kernel: tidyPath(kernel) } : {}),
  };
}

/** The request of "the rescue system only": an ISO, its menu's language, its kernel. */
export function rescueOnlyRequest(s: MediaState): RequestOf<'media.rescueOnly'> {
  const kernel = s.kernel.trim();
  return { iso: isoPath(s), lang: s.lang, ...(kernel ? { kernel: tidyPath(kernel) } : {}) };
}

/** The disc choice that sends `bytes`: CD or DVD when it is one of theirs, one ISO otherwise. */
export function discChoiceOf(bytes: number | undefined): Pick<MediaState, 'discs' | 'customDiscs'> {
  if (bytes === undefined) return { discs: 'one', customDiscs: '' };
  for (const size of Object.keys(DISC_BYTES) as DiscSize[]) if (DISC_BYTES[size] === bytes) return { discs: size, customDiscs: '' };
  return { discs: 'custom', customDiscs: bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}M` : String(bytes) };
}

/** The profile file offered by default: beside the set, named after it, like the ISO. */
export function profilePathOf(s: Pick<MediaState, 'profilePath' | 'dest'> & { destKind?: DestKind }): string {
  if (s.profilePath.trim()) return tidyPath(s.profilePath);
  const dest = folderBesideSet(s);
  return dest ? `${dest}-profile.json` : '';
}

/** The split choice that sends `bytes`: a preset when one matches, else a custom size. */
export function splitChoiceOf(bytes: number | undefined): Pick<MediaState, 'split' | 'customSplit'> {
  if (bytes === undefined) return { split: 'fat32', customSplit: '' };
  if (bytes === NO_SPLIT) return { split: 'none', customSplit: '' };
  for (const [choice, text] of Object.entries(SPLIT_CHOICES)) if (text !== null && parseSize(text) === bytes) return { split: choice as SplitChoice, customSplit: '' };
  return { split: 'custom', customSplit: String(bytes) };
}

/**
 * The screens' state for a request read from a profile: the inverse of `makeRequest`,
 * given the defaults of the root's inventory (so a default the profile dropped shows as
 * a chip taken out, not as one of the user's own patterns).
 */
/** A request's `dest` as the screens show it: a folder, or a share's fields (its password is typed again). */
export function destStateOf(dest: string): Pick<MediaState, 'dest' | 'destKind' | 'net'> {
  let d = null;
  try {
    d = parseNetDest(dest);
  } catch {
    /* not a share: shown as the folder it names */
  }
  if (!d) return { dest, destKind: 'folder', net: NO_NET };
  if (d.kind === 'nfs') return { dest: '', destKind: 'nfs', net: { ...NO_NET, server: d.server, nfsPath: d.path } };
  return { dest: '', destKind: 'smb', net: { ...NO_NET, server: d.server, smbPath: d.path ? `${d.share}/${d.path}` : d.share } };
}

export function stateOfRequest(req: MediaMakeRequest, defaults: string[]): Partial<MediaState> {
  const excl = req.defaultExcludes
    ? { removedDefaults: [], excludes: req.excludes }
    : { removedDefaults: defaults.filter((d) => !req.excludes.includes(d)), excludes: req.excludes.filter((e) => !defaults.includes(e)) };
  // An ISO or PXE folder at the default place stays "beside the set", so it follows a later change of folder.
  const iso = !req.iso || req.iso === isoPath({ iso: '', dest: req.dest }) ? '' : req.iso;
  const pxe = !req.pxe || req.pxe === pxePath({ pxe: '', dest: req.dest }) ? '' : req.pxe;
  return {
    rescueOnly: false,
    mediaKind: req.kind ?? 'iso',
    // A profile names no stick (see profile.ts): the user picks one again.
    usbDevice: req.usb ?? '',
    usbConfirmed: false,
    ...discChoiceOf(req.splitMedia),
    dataFs: req.dataFs ?? 'ext4',
    // "Again" is offered once the stick picked is seen to be a Lifeboat stick.
    usbMode: req.again ? 'again' : 'erase',
    keep: req.keep ?? DEFAULT_KEEP,
    pxe,
    source: req.root === '/' ? 'running' : 'other',
    otherRoot: req.root === '/' ? '' : req.root,
    ...destStateOf(req.dest),
    compress: req.compress,
    level: req.level ?? null,
    ...splitChoiceOf(req.split),
    ...excl,
    iso,
    embed: req.embed,
    lang: req.lang,
    langTouched: true,
    kernel: req.kernel ?? '',
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
        // Another root: its folders are read afresh when the tree shows.
        set({ inventory, inventoryLoading: false, ...(same ? {} : { removedDefaults: [], folders: {}, expanded: [] }) });
      } catch (err) {
        set({ inventoryLoading: false, inventoryError: errorOf(err), inventory: null });
      }
    },

    goToSource() {
      set({ step: { kind: 'source' } });
    },

    goToBackup() {
      if (sourceProblem(get())) return;
      set({ step: { kind: 'backup' } });
      if (get().folders['/']?.status !== 'loaded') void get().loadFolder('/');
    },

    async loadFolder(rel) {
      const root = get().inventory?.root;
      if (!root || get().folders[rel]?.status === 'loading') return;
      set({ folders: { ...get().folders, [rel]: { status: 'loading' } } });
      let level: FolderLevel;
      try {
        const r = await api.invoke('folders.sizes', { root, dir: absoluteOf(root, rel) });
        level = { status: 'loaded', files: r.files, children: r.children };
      } catch (err) {
        level = { status: 'error', error: errorOf(err) };
      }
      // The answer of a root the user has since left means nothing here.
      if (get().inventory?.root !== root) return;
      set({ folders: { ...get().folders, [rel]: level } });
      if (level.status === 'loaded') get().measureForRules();
    },

    measureForRules() {
      if (get().step.kind !== 'backup' && get().step.kind !== 'review') return;
      for (const rel of ruleLevels(get())) void get().loadFolder(rel);
    },

    toggleFolder(rel) {
      const open = get().expanded.includes(rel);
      set({ expanded: open ? get().expanded.filter((p) => p !== rel) : [...get().expanded, rel] });
      const level = get().folders[rel];
      if (!open && (!level || level.status === 'error')) void get().loadFolder(rel);
    },

    toggleFolderExclude(rel) {
      // The folder itself stays (empty) in the set, as with the default exclusions.
      const pattern = folderExclude(rel);
      if (get().excludes.includes(pattern)) get().removeExclude(pattern);
      else get().addExclude(pattern);
    },

    setDest(path) {
      set({ dest: path });
    },

    setDestKind(destKind) {
      set({ destKind });
    },

    setNetField(field, value) {
      set({ net: { ...get().net, [field]: value } });
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
      get().measureForRules();
    },

    addExclude(pattern) {
      const p = pattern.trim();
      if (!p || /[\0\n\r]/.test(p) || get().excludes.includes(p)) return false;
      set({ excludes: [...get().excludes, p] });
      get().measureForRules();
      return true;
    },

    removeExclude(pattern) {
      set({ excludes: get().excludes.filter((p) => p !== pattern) });
    },

    goToRescue() {
      if (get().rescueOnly ? sourceProblem(get()) : backupProblem(get())) return;
      set({ step: { kind: 'rescue' }, startError: null });
      if (!get().doctor) void get().checkDoctor();
    },

    setMediaKind(mediaKind) {
      if (mediaKind === get().mediaKind) return;
      // Each kind needs other tools (xorriso, sgdisk, mtools…): the doctor looks again.
      set({ mediaKind, usbConfirmed: false, doctor: null });
      void get().checkDoctor();
      if (mediaKind === 'usb' && !get().drives) void get().loadDrives();
    },

    async loadDrives() {
      if (get().drivesLoading) return;
      set({ drivesLoading: true, drivesError: null });
      try {
        // The host adds loop devices only when it shows them (tests, power users).
        const drives = await api.invoke('drives.list', {});
        // A stick that went away is no longer chosen.
        const still = stickChoices(drives).some((d) => d.device === get().usbDevice);
        set({ drives, drivesLoading: false, ...(still ? {} : { usbDevice: '', usbConfirmed: false }) });
      } catch (err) {
        set({ drivesLoading: false, drivesError: errorOf(err) });
      }
    },

    setUsbDevice(usbDevice) {
      // Choosing again asks for the user's word again; the stick is read again only if it is another one.
      if (usbDevice === get().usbDevice && get().stick?.device === usbDevice) {
        set({ usbConfirmed: false });
        return;
      }
      set({ usbDevice, usbConfirmed: false, stick: null, stickError: null });
      void get().loadStickInfo();
    },

    async loadStickInfo() {
      const device = get().usbDevice;
      if (!device) return;
      set({ stickLoading: true, stickError: null });
      try {
        const stick = await api.invoke('media.stickInfo', { device });
        // The answer about a stick the user has since left means nothing here.
        if (get().usbDevice !== device) return;
        // A Lifeboat stick: keeping its sets is offered first, erasing it is the user's explicit choice.
        set({ stick, stickLoading: false, usbMode: stick.lifeboat ? 'again' : 'erase', usbConfirmed: false });
      } catch (err) {
        if (get().usbDevice !== device) return;
        // Unreadable: treated as any stick (made afresh, after the user's word), the reason shown.
        set({ stick: { device, lifeboat: false, reason: '' }, stickLoading: false, stickError: errorOf(err), usbMode: 'erase', usbConfirmed: false });
      }
    },

    setUsbMode(usbMode) {
      set({ usbMode, usbConfirmed: false });
    },

    setKeep(keep) {
      if (!Number.isInteger(keep) || keep < 1 || keep > 100) return;
      set({ keep, usbConfirmed: false });
    },

    setRescueOnly(rescueOnly) {
      if (rescueOnly === get().rescueOnly) return;
      // The rescue system alone is an ISO (`--rescue-only --iso`): the doctor looks for its tools.
      const kindChanges = rescueOnly && get().mediaKind !== 'iso';
      set({ rescueOnly, ...(kindChanges ? { mediaKind: 'iso' as const, doctor: null } : {}), usbConfirmed: false });
    },

    setDiscs(discs) {
      set({ discs });
    },

    setCustomDiscs(customDiscs) {
      set({ customDiscs });
    },

    setDataFs(dataFs) {
      set({ dataFs });
    },

    setPxe(pxe) {
      set({ pxe });
    },

    setUsbConfirmed(usbConfirmed) {
      set({ usbConfirmed });
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
        const doctor = await api.invoke('media.doctor', { media: get().mediaKind, ...(kernel ? { kernel: tidyPath(kernel) } : {}) });
        set({ doctor, doctorLoading: false });
      } catch (err) {
        set({ doctorLoading: false, doctorError: errorOf(err) });
      }
    },

    goToReview() {
      const s = get();
      if (sourceProblem(s) || (!s.rescueOnly && backupProblem(s)) || rescueProblem(s) || !s.doctor || s.doctorLoading) return;
      set({ step: { kind: 'review' }, startError: null, profileError: null, profileDone: null });
    },

    setProfilePath(profilePath) {
      set({ profilePath, profileError: null, profileDone: null });
    },

    async saveProfile() {
      const s = get();
      const path = profilePathOf(s);
      if (s.profileBusy || !isAbsolute(path) || sourceProblem(s) || backupProblem(s) || rescueProblem(s)) return;
      set({ profileBusy: true, profileError: null, profileDone: null });
      try {
        // the password stays here: a profile holds no secret (see profile.ts)
        const { destination: _secret, ...request } = makeRequest(s);
        const r = await api.invoke('profile.save', { path, request });
        set({ profileBusy: false, profileDone: { action: 'saved', path: r.path } });
      } catch (err) {
        set({ profileBusy: false, profileError: errorOf(err) });
      }
    },

    async loadProfile() {
      const path = profilePathOf(get());
      if (get().profileBusy || !isAbsolute(path)) return;
      set({ profileBusy: true, profileError: null, profileDone: null });
      let req: MediaMakeRequest;
      try {
        req = (await api.invoke('profile.load', { path })).request;
      } catch (err) {
        set({ profileBusy: false, profileError: errorOf(err) });
        return;
      }
      const kernelBefore = get().kernel;
      const kindBefore = get().mediaKind;
      set({ ...stateOfRequest(req, []), profilePath: path });
      // The profile's root must be read before its defaults mean anything (and before Start).
      if (get().inventory?.root !== req.root) await get().loadInventory();
      set({ ...stateOfRequest(req, get().inventory?.defaultExcludes ?? []), profileBusy: false, profileDone: { action: 'loaded', path } });
      // Another kernel or kind: the doctor's report was about the previous one.
      if (get().kernel !== kernelBefore || get().mediaKind !== kindBefore || !get().doctor) await get().checkDoctor();
      if (get().mediaKind === 'usb') await get().loadDrives();
    },

    async start() {
      const s = get();
      if (s.starting || reviewProblem(s) || !s.doctor) return;
      await jobs.start(
        () => (s.rescueOnly ? api.invoke('media.rescueOnly', rescueOnlyRequest(s)) : api.invoke('media.make', makeRequest(s))),
        (jobId) => ({ step: { kind: 'running', jobId } }),
      );
    },

    ...jobs.actions,

    startOver() {
      // The rehearsal was of the set just made; a running one is cancelled, not left behind.
      get().rehearse.getState().reset();
      // The same machine is likely backed up again: keep the source and options, not the paths.
      // A stick just written has other sets now: it is read again when chosen again.
      set({ step: { kind: 'source' }, progress: null, dest: '', iso: '', pxe: '', usbConfirmed: false, stick: null, usbDevice: '', startError: null, profileDone: null, profileError: null });
    },
  }));
  return store;
}
