/**
 * Parsers for volume managers: LVM JSON reports (`--reportformat json --units b`) and
 * `mdadm --detail --export`.
 */
import type { Lvm, MdArray } from '../../../../shared/layout';

type Report<K extends string> = { report: Array<Record<K, Array<Record<string, string>>>> };

/** "205520896B" → 205520896 (reports are asked for with --units b). */
function bytes(v: string | undefined): number {
  const n = Number((v ?? '').replace(/B$/i, ''));
  if (!Number.isFinite(n)) throw new Error(`not a byte count: ${v}`);
  return n;
}

function rows<K extends string>(text: string, key: K): Array<Record<string, string>> {
  return ((JSON.parse(text) as Report<K>).report ?? []).flatMap((r) => r[key] ?? []);
}

/** `devices` column: "/dev/sda2(0),/dev/sdb1(12)" → ["/dev/sda2", "/dev/sdb1"]. */
function devices(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((d) => d.replace(/\(\d+\)$/, '').trim())
    .filter(Boolean);
}

export function parseLvm(pvsJson: string, vgsJson: string, lvsJson: string): Lvm {
  return {
    pvs: rows(pvsJson, 'pv').map((r) => ({ name: r.pv_name, vg: r.vg_name, sizeBytes: bytes(r.pv_size), freeBytes: bytes(r.pv_free), uuid: r.pv_uuid })),
    vgs: rows(vgsJson, 'vg').map((r) => ({ name: r.vg_name, uuid: r.vg_uuid, sizeBytes: bytes(r.vg_size), freeBytes: bytes(r.vg_free), extentBytes: bytes(r.vg_extent_size) })),
    lvs: rows(lvsJson, 'lv').map((r) => ({ name: r.lv_name, vg: r.vg_name, uuid: r.lv_uuid, sizeBytes: bytes(r.lv_size), segtype: r.segtype, devices: devices(r.devices) })),
  };
}

/**
 * `mdadm --detail --export /dev/mdX` (MD_LEVEL=raid1, MD_DEVICE_dev_sda1_DEV=/dev/sda1 …).
 *
 * Members come in their role order (slot 0, 1, …; spares last): RAID 0/4/5/6/10 place
 * data by slot, so a recreated array must list them the same way. MD_DEVNAME is the
 * /dev/md/ name mdadm gave the array; MD_NAME the name written in its superblock
 * ("host:name"), which the system's mdadm.conf may match on.
 */
export function parseMdadmExport(device: string, text: string): MdArray {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  if (!kv.MD_LEVEL) throw new Error('mdadm output lacks MD_LEVEL');
  const members = Object.entries(kv)
    .filter(([k]) => /^MD_DEVICE_.+_DEV$/.test(k))
    .map(([k, dev]) => ({ dev, role: kv[k.replace(/_DEV$/, '_ROLE')] ?? '' }));
  const slot = (role: string) => (/^\d+$/.test(role) ? Number(role) : Number.MAX_SAFE_INTEGER);
  members.sort((a, b) => slot(a.role) - slot(b.role) || a.dev.localeCompare(b.dev));
  const spares = members.filter((m) => m.role === 'spare').map((m) => m.dev);
  return {
    device,
    level: kv.MD_LEVEL,
    metadata: kv.MD_METADATA,
    uuid: kv.MD_UUID,
    name: kv.MD_DEVNAME,
    ...(kv.MD_NAME ? { superName: kv.MD_NAME } : {}),
    raidDevices: kv.MD_DEVICES ? Number(kv.MD_DEVICES) : undefined,
    members: members.map((m) => m.dev),
    ...(spares.length ? { spares } : {}),
  };
}
