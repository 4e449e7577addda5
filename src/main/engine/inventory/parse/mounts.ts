/**
 * Parsers for what is mounted and swapped: `findmnt -J -b` and /proc/swaps.
 */

export interface MountEntry {
  target: string;
  source: string;
  fstype: string;
  options: string;
  size: number | null;
  used: number | null;
}

interface FindmntNode {
  target: string;
  source: string;
  fstype: string;
  options?: string;
  size?: number | string | null;
  used?: number | string | null;
  children?: FindmntNode[];
}

const num = (v: number | string | null | undefined): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/** `findmnt -J -b -o TARGET,SOURCE,FSTYPE,OPTIONS,SIZE,USED` (tree or -l list) → flat list. */
export function parseFindmnt(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  const walk = (nodes: FindmntNode[]) => {
    for (const n of nodes) {
      out.push({ target: n.target, source: n.source, fstype: n.fstype, options: n.options ?? '', size: num(n.size), used: num(n.used) });
      if (n.children) walk(n.children);
    }
  };
  walk((JSON.parse(text) as { filesystems: FindmntNode[] }).filesystems ?? []);
  return out;
}

/** A bind mount shows as `/dev/vda[/srv/data]`: the device and the subtree. */
export function splitSource(source: string): { device: string; subtree: string | null } {
  const m = /^(.*)\[(.*)\]$/.exec(source);
  return m ? { device: m[1], subtree: m[2] } : { device: source, subtree: null };
}

/** Filesystems with no on-disk data to archive: they are recreated at boot. */
export const VIRTUAL_FS = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'cgroup', 'cgroup2', 'securityfs', 'pstore', 'bpf', 'debugfs',
  'tracefs', 'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'efivarfs', 'rpc_pipefs',
  'nsfs', 'ramfs', 'selinuxfs', 'fuse.gvfsd-fuse', 'fuse.portal',
]);

export interface SwapEntry {
  filename: string;
  type: string;
  sizeBytes: number;
}

/**
 * /proc/swaps → entries; sizes there are KiB. Paths with spaces are escaped by the
 * kernel as \040, which is undone.
 */
export function parseProcSwaps(text: string): SwapEntry[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => ({ filename: f[0].replace(/\\040/g, ' '), type: f[1], sizeBytes: Number(f[2]) * 1024 }));
}

/** /etc/fstab → the swap entries and the ESP mount (the entries restore cares about). */
export function parseFstab(text: string): Array<{ spec: string; file: string; vfstype: string; options: string }> {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length >= 3)
    .map((f) => ({ spec: f[0].replace(/\\040/g, ' '), file: f[1].replace(/\\040/g, ' '), vfstype: f[2], options: f[3] ?? 'defaults' }));
}
