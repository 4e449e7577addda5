/**
 * Pure reading of `lsblk -J -b -O`: the tree of block devices, flattened, and the
 * whole disks each node sits on.
 *
 * lsblk builds its tree from sysfs (holders/slaves), not from udev, so the parent
 * chain (disk → partition → md/dm) is right even on machines without udev, where
 * FSTYPE, UUID and LABEL are empty. Only the topology and kernel attributes are
 * trusted from it; filesystem details come from `blkid -p` elsewhere.
 */

/** The fields of one lsblk node that the scan uses (lsblk 2.3x spellings). */
export interface LsblkNode {
  name: string;
  kname?: string;
  path?: string | null;
  'maj:min'?: string;
  type: string;
  size: number | string | null;
  rm?: boolean | string | null;
  hotplug?: boolean | string | null;
  ro?: boolean | string | null;
  tran?: string | null;
  pttype?: string | null;
  fstype?: string | null;
  label?: string | null;
  model?: string | null;
  vendor?: string | null;
  serial?: string | null;
  'log-sec'?: number | string | null;
  mountpoint?: string | null;
  mountpoints?: (string | null)[] | null;
  children?: LsblkNode[];
}

export interface LsblkOutput {
  blockdevices: LsblkNode[];
}

/** One node with its place in the tree: the top-level disks it belongs to. */
export interface FlatNode {
  node: LsblkNode;
  kname: string;
  path: string;
  majmin: string | null;
  /** paths of the top-level devices (whole disks, loops) this node lives on */
  disks: string[];
  /** the direct parents' paths (a partition's disk, an md array's members) */
  parents: string[];
}

/** lsblk prints booleans as true/false in JSON, but "0"/"1" in older versions. */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

/** Trims and drops the empty strings and nulls lsblk uses for "unknown". */
export function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  return s ? s : null;
}

export function nodePath(n: LsblkNode): string {
  return text(n.path) ?? `/dev/${n.kname ?? n.name}`;
}

/** Mountpoints of one node, without lsblk's `[null]` placeholder; older lsblk has only MOUNTPOINT. */
export function nodeMountpoints(n: LsblkNode): string[] {
  const list = Array.isArray(n.mountpoints) ? n.mountpoints : [n.mountpoint ?? null];
  return list.filter((m): m is string => typeof m === 'string' && m.length > 0);
}

/**
 * Flattens the tree, keyed by device path.
 *
 * A device stacked on several parents (an md array on two disks, an LV spanning
 * two PVs) appears once under each of them; merging those appearances is what
 * lets a system mount on the array mark every member disk.
 */
export function flattenLsblk(out: LsblkOutput): Map<string, FlatNode> {
  const flat = new Map<string, FlatNode>();
  const visit = (n: LsblkNode, parent: FlatNode | null, top: string, depth: number) => {
    // A corrupt or cyclic tree must not hang the scan; real stacks are a few levels deep.
    if (depth > 32) return;
    const path = nodePath(n);
    let f = flat.get(path);
    if (!f) {
      f = { node: n, kname: n.kname ?? n.name, path, majmin: text(n['maj:min']), disks: [], parents: [] };
      flat.set(path, f);
    }
    if (!f.disks.includes(top)) f.disks.push(top);
    if (parent && !f.parents.includes(parent.path)) f.parents.push(parent.path);
    for (const c of n.children ?? []) visit(c, f, top, depth + 1);
  };
  for (const n of out.blockdevices ?? []) visit(n, null, nodePath(n), 0);
  return flat;
}

/** Every device path below a top-level device (its partitions and what is stacked on them). */
export function descendantsOf(flat: Map<string, FlatNode>, top: string): FlatNode[] {
  return [...flat.values()].filter((f) => f.path !== top && f.disks.includes(top));
}
