#!/usr/bin/env bash
# Restore bench (issue #5): `lifeboat restore` against the plain commands it runs, in one run.
#
#   node scripts/build.mjs && bench/restore.sh [--size-mib N] [--runs N] [--split SIZE]
#
# The source system: a GPT loop disk whose one partition holds a copy of the backup bench's
# ext4 image (bench/out/backup-ext4-<N>.img: a real /usr slice with ACLs and xattrs, built by
# `bench/backup.sh --size-mib N`; default N 1536). It is backed up once with
# `lifeboat backup --compress zstd` (--split passed through; default: the CLI's). Then the same
# blank target disk is restored, --runs rounds (default 2) of one run each, the order
# alternating from round to round, each run from a dropped page cache:
#   plain:    sfdisk (the recorded table) + mkfs.ext4 + mount        (prepare)
#             cat parts | zstd -dc | tar -x --numeric-owner --xattrs --acls + sync   (extract)
#   lifeboat: lifeboat restore --yes --json: re-hashes every part against the manifest
#             before anything is written and checks the targets (checks), wipes, partitions, mkfs with the recorded
#             parameters and UUIDs, mounts (prepare), extracts with xattrs/ACLs and syncs
#             (extract), unmounts; its stages come from the `phases` of its --json result.
# Printed: the best run of each (wall seconds, CPU seconds = user + sys of every process),
# the tar-stream throughput, the whole-run ratio lifeboat / plain (goal >= 0.95), lifeboat's
# stages and the extract stage's ratio against the plain extract, and every run.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=1536
runs=2
split=
usage() { echo "usage: $0 [--size-mib N] [--runs N] [--split SIZE]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--size-mib) size_mib=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--split) split=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $size_mib =~ ^[0-9]+$ && $runs =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices, mount, drop_caches)" >&2; exit 2; }
cli=${LIFEBOAT_CLI:-$here/dist/cli.cjs}
[ -f "$cli" ] || { echo "build first: node scripts/build.mjs" >&2; exit 2; }
img=$here/bench/out/backup-ext4-$size_mib.img
[ -f "$img.complete" ] || { echo "build the tree first: bench/backup.sh --size-mib $size_mib --runs 1 --formats zstd --modes warm" >&2; exit 2; }
for t in sfdisk partx mkfs.ext4 zstd tar bc /usr/bin/time; do command -v $t >/dev/null || { echo "missing: $t" >&2; exit 2; }; done

work=$(mktemp -d /var/tmp/lifeboat-bench-restore.XXXXXX)
loops=()
cleanup() {
	set +e
	for m in "$work/src" "$work/plain"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	for l in "${loops[@]}"; do partx -d "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "echo kept \$work" EXIT
trap 'exit 130' INT TERM

lb() { node -e 'require(process.argv[1]).main(process.argv.slice(2)).then((c) => process.exit(c))' "$cli" "$@"; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
sub() { echo "$1 - $2" | bc; }

# ---------------------------------------------------------------- the source system and its set
img_bytes=$(stat -c %s "$img")
disk_bytes=$((img_bytes + 8 * 1048576))
truncate -s "$disk_bytes" "$work/src.img"
src=$(losetup -f -P --show "$work/src.img"); loops+=("$src")
printf 'label: gpt\nstart=2048, size=%d, type=L\n' $((img_bytes / 512)) | sfdisk -q "$src" >/dev/null
partx -d "$src" 2>/dev/null || true; partx -a "$src"
dd if="$img" of="${src}p1" bs=4M conv=fsync status=none
mkdir "$work/src"; mount -o ro "${src}p1" "$work/src"
lb backup --root "$work/src" --dest "$work/set" --compress zstd ${split:+--split "$split"} >/dev/null 2>"$work/backup.log" || { tail -20 "$work/backup.log" >&2; exit 1; }
umount "$work/src"
read -r stream parts set_bytes < <(node -e 'const m=require(process.argv[1]);const p=m.archives.flatMap(a=>a.parts);console.log(m.archives.reduce((s,a)=>s+a.bytesIn,0),p.length,p.reduce((s,x)=>s+x.size,0))' "$work/set/lifeboat.json")
table=$(sfdisk -d "$src")

truncate -s "$disk_bytes" "$work/target.img"
tgt=$(losetup -f -P --show "$work/target.img"); loops+=("$tgt")
mkdir -p "$work/plain"

# ---------------------------------------------------------------- the two runs
# plain: what a person would type; stage boundaries go to $work/stamps
plain() {
	local st=$work/stamps
	now >"$st"
	echo "$table" | sed "s#$src#$tgt#g" | sfdisk -q --no-reread "$tgt" >/dev/null
	partx -d "$tgt" 2>/dev/null || true
	partx -a "$tgt"
	mkfs.ext4 -q -F "${tgt}p1"
	mount "${tgt}p1" "$work/plain"
	now >>"$st"
	cat "$work"/set/archives/*.tar.zst.* | zstd -dc -q | tar -x --numeric-owner --xattrs --xattrs-include='*' --acls -C "$work/plain"
	sync
	now >>"$st"
	umount "$work/plain"
	now >>"$st"
}
lifeboat() {
	lb restore --set "$work/set" --target "$tgt" --include-loop --yes --json >"$work/restore.out" 2>>"$work/restore.log" || { grep -v '"type":"progress"' "$work/restore.out" >&2; return 1; }
	grep '"type":"result"' "$work/restore.out" >"$work/result.json"
}
blank() { umount "$work/plain" 2>/dev/null || true; partx -d "$tgt" 2>/dev/null || true; wipefs -aq "$tgt"; drop; }
# timed CMD → "wall cpu" in $work/tc (cpu: user + sys of every process of the run)
timed() {
	blank
	export -f "$1" now lb
	export work table src tgt cli
	/usr/bin/time -f '%e %U %S' -o "$work/time" bash -c 'set -eo pipefail; "$0"' "$1" 2>>"$work/log" ||
		{ echo "failed: $1" >&2; tail -n 20 "$work/log" >&2; exit 1; }
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/time" >"$work/tc"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
tp=() cp=() tl=() cl=() pp=() pe=() pu=() lv=() lpr=() le=() lf=() ls=()
run_plain() {
	timed plain
	read -r w c <"$work/tc"
	tp+=("$w") cp+=("$c")
	mapfile -t s <"$work/stamps"
	pp+=("$(sub "${s[1]}" "${s[0]}")") pe+=("$(sub "${s[2]}" "${s[1]}")") pu+=("$(sub "${s[3]}" "${s[2]}")")
}
run_lifeboat() {
	timed lifeboat
	read -r w c <"$work/tc"
	tl+=("$w") cl+=("$c")
	# check → checks; wipe/partition/format/mount → prepare; extract + sync → extract; umount and the rest → finish;
	# start = the run's wall time outside the plan (node, loading the CLI, reading the set, measuring targets, planning)
	node -e '
		const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), ph = r.phases, sync = r.stepSeconds.sync || 0;
		const g = (...k) => k.reduce((s, x) => s + (ph[x] || 0), 0);
		console.log([g("check"), g("wipe", "partition", "format", "mount"), g("extract") + sync, g("configure", "boot", "finish") - sync, r.seconds].map((x) => x.toFixed(2)).join(" "))' "$work/result.json" >"$work/stages"
	read -r v p e f run <"$work/stages"
	lv+=("$v") lpr+=("$p") le+=("$e") lf+=("$f") ls+=("$(sub "$w" "$run")")
}
# the order alternates: whichever runs second would otherwise always meet the other's leftovers
for i in $(seq "$runs"); do
	if ((i % 2)); then run_plain; run_lifeboat; else run_lifeboat; run_plain; fi
done

best() { # best ARRAY-NAME → index of the fastest run
	local -n a=$1
	local i b=0
	for i in "${!a[@]}"; do (($(echo "${a[$i]} < ${a[$b]}" | bc))) && b=$i; done
	echo "$b"
}
bp=$(best tp) bl=$(best tl)
mibs() { echo "scale=1; $stream / 1048576 / $1" | bc; }
ratio() { echo "scale=3; $1 / $2" | bc; }
echo
echo "tar stream $(echo "scale=1; $stream / 1048576" | bc) MiB in $parts part(s) of $(echo "scale=1; $set_bytes / 1048576" | bc) MiB zstd; $(nproc) cores; loop files on $(df --output=source "$work" | tail -1); load average at start: $load0"
printf '%-62s %8s %7s %9s %7s\n' "best of $runs (page cache dropped before each)" "wall s" "cpu s" "MiB/s" "ratio"
printf '%-62s %8.2f %7.2f %9s\n' "plain: sfdisk + mkfs.ext4 + cat | zstd -dc | tar -x + sync" "${tp[$bp]}" "${cp[$bp]}" "$(mibs "${tp[$bp]}")"
printf '%-62s %8.2f %7.2f %9s %7s\n' "lifeboat restore (verify, wipe, table, mkfs, extract, sync)" "${tl[$bl]}" "${cl[$bl]}" "$(mibs "${tl[$bl]}")" "$(ratio "${tp[$bp]}" "${tl[$bl]}")"
echo "  whole run: lifeboat throughput / plain = $(ratio "${tp[$bp]}" "${tl[$bl]}")x (goal >= 0.95)"
printf '  stages (s)        %-8s %-8s %-8s %-14s %s\n' start checks prepare "extract+sync" finish
printf '  plain             %-8s %-8s %-8.2f %-14.2f %.2f\n' - - "${pp[$bp]}" "${pe[$bp]}" "${pu[$bp]}"
printf '  lifeboat          %-8.2f %-8.2f %-8.2f %-14.2f %.2f\n' "${ls[$bl]}" "${lv[$bl]}" "${lpr[$bl]}" "${le[$bl]}" "${lf[$bl]}"
echo "  extract stage: lifeboat / plain throughput = $(ratio "${pe[$bp]}" "${le[$bl]}")x; the pre-wipe checks (parts: $(echo "scale=1; $set_bytes / 1048576" | bc) MiB re-hashed; targets) cost ${lv[$bl]} s"
echo "  runs (wall s): plain ${tp[*]}; lifeboat ${tl[*]}; cpu s: plain ${cp[*]}; lifeboat ${cl[*]}"
echo "  per round: whole $(for i in "${!tp[@]}"; do ratio "${tp[$i]}" "${tl[$i]}"; done | tr '\n' ' '); extract $(for i in "${!tp[@]}"; do ratio "${pe[$i]}" "${le[$i]}"; done | tr '\n' ' '); checks ${lv[*]}"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
