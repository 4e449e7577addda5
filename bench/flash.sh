#!/usr/bin/env bash
# Flash bench: `lifeboat flash` against dd and bmaptool, onto loop devices, in one run.
#
#   node scripts/build.mjs && bench/flash.sh [--size MIB] [--runs N]
#
# Each case runs N times (default 3) and the fastest run is kept: the machines this runs
# on are shared, and the minimum is the figure least disturbed by other work.
#
# The image (cached in bench/out/) looks like an OS image: a GPT table, about a quarter
# random data in scattered extents, zeros (holes) elsewhere. Each run starts with the source
# files in the page cache (read once beforehand), so the figures compare the tools rather
# than this VM's disk, and ends with the data on the device (dd conv=fsync, bmaptool's
# fsync, lifeboat's fsync + BLKFLSBUF). The target's cached pages are dropped first.
# Loop devices are backed by files in bench/out/loops with --direct-io=on, so writes reach
# the VM's disk like a real drive; --ram backs them with /dev/shm instead (then the
# "device" is memcpy and the figures measure pure CPU overhead, hashing included).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=768
runs=3
ram=
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size_mib=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--ram) ram=1; shift ;;
	*) echo "usage: $0 [--size MIB] [--runs N] [--ram]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices)" >&2; exit 2; }
[ -f "$here/dist/cli.cjs" ] || { echo "build first: node scripts/build.mjs" >&2; exit 2; }

out=$here/bench/out
mkdir -p "$out/plain" "$out/mapped"
img=$out/plain/os-$size_mib.img          # no bmap beside it
mapped=$out/mapped/os-$size_mib.img      # the same bytes, with os-$size_mib.img.bmap beside it

if [ ! -f "$img" ] || [ ! -f "$img.zst" ] || [ ! -f "$mapped.bmap" ]; then
	echo "building a $size_mib MiB image in $out (cached)…" >&2
	rm -f "$img" "$img.zst" "$mapped" "$mapped.bmap"
	truncate -s "${size_mib}M" "$img"
	sfdisk -q "$img" <<-TABLE >/dev/null
	label: gpt
	size=256MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI"
	type=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name="root"
	TABLE
	# 1 MiB of data every 4 MiB: a quarter of the image holds data, like a fresh OS install.
	for ((i = 1; i < size_mib / 4; i++)); do
		head -c 1048576 /dev/urandom | dd of="$img" bs=1M seek=$((i * 4)) conv=notrunc status=none
	done
	zstd -q -T0 -3 "$img" -o "$img.zst"
	cp --sparse=always "$img" "$mapped"
	bmaptool -q create -o "$mapped.bmap" "$mapped"
fi

loops=()
if [ -n "$ram" ]; then shm=$(mktemp -d /dev/shm/lifeboat-bench.XXXXXX); else mkdir -p "$out/loops"; shm=$(mktemp -d "$out/loops/run.XXXXXX"); fi
cleanup() {
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$shm"
}
trap cleanup EXIT
newloop() {
	local f
	f=$(mktemp "$shm/disk.XXXXXX")
	truncate -s "$((size_mib + 64))M" "$f"
	loops+=("$(losetup -f --show --direct-io="$([ -n "$ram" ] && echo off || echo on)" "$f")")
}
newloop
newloop
a=${loops[0]}
b=${loops[1]}

bytes=$(stat -c %s "$img")
now() { date +%s.%N; }
declare -A secs
run() { # name, command...: keeps the fastest of $runs runs
	local name=$1 t0 t1 best= i d
	shift
	for ((i = 0; i < runs; i++)); do
		sync
		for l in "${loops[@]}"; do blockdev --flushbufs "$l"; done
		cat "$img" "$img.zst" "$mapped" >/dev/null
		t0=$(now)
		"$@" >/dev/null 2>"$shm/err" || { echo "$name failed:" >&2; cat "$shm/err" >&2; exit 1; }
		t1=$(now)
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then best=$d; fi
	done
	secs[$name]=$best
	printf '%-44s %7s s  %8s MiB/s\n' "$name" "${secs[$name]}" "$(awk -v s="${secs[$name]}" -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 / s }')"
}
lifeboat() { node "$here/dist/cli.cjs" flash "$@" --yes --include-loop --json; }

echo "targets: loop devices on $([ -n "$ram" ] && echo "RAM (/dev/shm)" || echo "files on $(findmnt -n -o SOURCE --target "$out"), direct I/O")"
echo "image: $size_mib MiB, $(awk -v b="$(stat -c %s "$img.zst")" 'BEGIN { printf "%.0f", b / 1048576 }') MiB as .zst, bmap maps $(grep -o '<MappedBlocksCount>[^<]*' "$mapped.bmap" | tr -dc 0-9) blocks of 4 KiB"
echo "(MiB/s = image size / wall time, the same yardstick for every tool; best of $runs runs; load: $(cut -d" " -f1-3 /proc/loadavg))"
run "dd bs=4M oflag=direct conv=fsync" dd if="$img" of="$a" bs=4M oflag=direct conv=fsync status=none
run "bmaptool copy (bmap, source checksums)" bmaptool -q copy "$mapped" "$a"
run "bmaptool copy --nobmap" bmaptool -q copy --nobmap "$img" "$a"
run "lifeboat flash raw --no-verify" lifeboat "$img" "$a" --no-verify
run "lifeboat flash raw + verify" lifeboat "$img" "$a"
run "zstd -dc | dd oflag=direct conv=fsync" sh -c 'zstd -dcq "$0" | dd of="$1" bs=4M iflag=fullblock oflag=direct conv=fsync status=none' "$img.zst" "$a"
run "lifeboat flash .zst --no-verify" lifeboat "$img.zst" "$a" --no-verify
run "lifeboat flash .zst + verify" lifeboat "$img.zst" "$a"
run "lifeboat flash bmap --no-verify" lifeboat "$mapped" "$a" --no-verify
run "lifeboat flash bmap + verify" lifeboat "$mapped" "$a"
run "lifeboat flash .zst + verify, 2 targets" lifeboat "$img.zst" "$a" "$b"
run "dd twice (2 targets, one after the other)" sh -c 'dd if="$0" of="$1" bs=4M oflag=direct conv=fsync status=none && dd if="$0" of="$2" bs=4M oflag=direct conv=fsync status=none' "$img" "$a" "$b"

ratio() { awk -v a="${secs[$1]}" -v b="${secs[$2]}" 'BEGIN { printf "%.2f", b / a }'; }
echo
echo "speed ratios (>1 = lifeboat faster):"
echo "  lifeboat raw --no-verify  vs dd:                 $(ratio "lifeboat flash raw --no-verify" "dd bs=4M oflag=direct conv=fsync")"
echo "  lifeboat bmap --no-verify vs bmaptool copy:      $(ratio "lifeboat flash bmap --no-verify" "bmaptool copy (bmap, source checksums)")"
echo "  lifeboat bmap --no-verify vs dd:                 $(ratio "lifeboat flash bmap --no-verify" "dd bs=4M oflag=direct conv=fsync")"
echo "  lifeboat .zst --no-verify vs zstd -dc | dd:     $(ratio "lifeboat flash .zst --no-verify" "zstd -dc | dd oflag=direct conv=fsync")"
echo "  lifeboat raw + verify     vs dd:                 $(ratio "lifeboat flash raw + verify" "dd bs=4M oflag=direct conv=fsync")"
echo "  lifeboat 2 targets .zst + verify vs dd twice:    $(ratio "lifeboat flash .zst + verify, 2 targets" "dd twice (2 targets, one after the other)")"
