#!/usr/bin/env bash
# Restore bench: `lifeboat restore` against the plain commands it runs, in one run.
#
#   node scripts/build.mjs && bench/restore.sh [--size-mib N]
#
# A GPT loop disk with one ext4 filesystem holding the backup bench's tree (built by
# bench/backup.sh, cached in bench/out/backup-tree) is backed up once with zstd. Then the
# same blank target disk is restored twice, each time from a dropped page cache:
#   plain:    sfdisk (the recorded table) + mkfs.ext4 + mount + cat parts | zstd -dc | tar -x + sync
#   lifeboat: lifeboat restore --yes (re-hashes every part first, wipes, partitions, mkfs with
#             the recorded parameters and UUIDs, extracts with xattrs/ACLs, syncs, unmounts)
# and prints both times, the tar-stream throughput and the ratio.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=400
while [ $# -gt 0 ]; do
	case "$1" in
	--size-mib) size_mib=$2; shift 2 ;;
	*) echo "usage: $0 [--size-mib N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices, mount)" >&2; exit 2; }
cli=$here/dist/cli.cjs
[ -f "$cli" ] || { echo "build first: node scripts/build.mjs" >&2; exit 2; }
tree=$here/bench/out/backup-tree
[ -f "$tree/.complete-$size_mib" ] || { echo "build the tree first: bench/backup.sh --size-mib $size_mib" >&2; exit 2; }

work=$(mktemp -d /var/tmp/lifeboat-bench-restore.XXXXXX)
loops=()
cleanup() {
	for m in "$work/src" "$work/plain"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	for l in "${loops[@]}"; do partx -d "$l" 2>/dev/null || true; losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

disk_mib=$((size_mib * 2 + 256))
lb() { node -e 'require(process.argv[1]).main(process.argv.slice(2)).then((c) => process.exit(c))' "$cli" "$@"; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
now() { date +%s.%N; }

# the source system: GPT, one ext4 filesystem, the tree
truncate -s "${disk_mib}M" "$work/src.img"
src=$(losetup -f -P --show "$work/src.img"); loops+=("$src")
printf 'label: gpt\n,,L\n' | sfdisk -q "$src" >/dev/null
partx -d "$src" 2>/dev/null || true; partx -a "$src"
mkfs.ext4 -q "${src}p1"
mkdir "$work/src"; mount "${src}p1" "$work/src"
cp -a "$tree/." "$work/src/"
lb backup --root "$work/src" --dest "$work/set" --compress zstd >/dev/null 2>"$work/backup.log"
umount "$work/src"
stream=$(node -e 'const m=require(process.argv[1]);console.log(m.archives.reduce((s,a)=>s+a.bytesIn,0))' "$work/set/lifeboat.json")
table=$(sfdisk -d "$src")

truncate -s "${disk_mib}M" "$work/target.img"
tgt=$(losetup -f -P --show "$work/target.img"); loops+=("$tgt")

# plain: what a person would type
wipefs -aq "$tgt"; drop
t0=$(now)
echo "$table" | sed "s#$src#$tgt#g" | sfdisk -q --no-reread "$tgt" >/dev/null
partx -d "$tgt" 2>/dev/null || true; partx -a "$tgt"
mkfs.ext4 -q -F "${tgt}p1"
mkdir -p "$work/plain"; mount "${tgt}p1" "$work/plain"
cat "$work"/set/archives/*.tar.zst.* | zstd -dc -q | tar -x --numeric-owner --xattrs --xattrs-include='*' --acls -C "$work/plain"
sync
t1=$(now)
umount "$work/plain"
t_plain=$(echo "$t1 - $t0" | bc)

# lifeboat
partx -d "$tgt" 2>/dev/null || true; wipefs -aq "$tgt"; drop
t0=$(now)
lb restore --set "$work/set" --target "$tgt" --include-loop --yes >/dev/null 2>"$work/restore.log" || { tail -20 "$work/restore.log" >&2; exit 1; }
t1=$(now)
t_lb=$(echo "$t1 - $t0" | bc)

mibs() { echo "scale=1; $stream / 1048576 / $1" | bc; }
echo
echo "tar stream: $(echo "scale=1; $stream / 1048576" | bc) MiB, $(nproc) cores, loop devices on $(df --output=source "$work" | tail -1)"
printf '%-58s %8s %12s\n' "run" "seconds" "MiB/s stream"
printf '%-58s %8.2f %12s\n' "plain: sfdisk + mkfs.ext4 + zstd -dc | tar -x + sync" "$t_plain" "$(mibs "$t_plain")"
printf '%-58s %8.2f %12s\n' "lifeboat restore (checks, wipe, table, mkfs, extract, sync)" "$t_lb" "$(mibs "$t_lb")"
echo "lifeboat throughput / plain: $(echo "scale=2; $t_plain / $t_lb" | bc)x (goal >= 0.95)"
