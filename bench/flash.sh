#!/usr/bin/env bash
# Flash bench: `lifeboat flash` of 1 GiB images onto a loop-device "stick", against
# `dd bs=4M oflag=direct conv=fsync` and `bmaptool copy` in the same run, with paired ratios.
#
#   node scripts/build.mjs && bench/flash.sh [--mode plain|throttled|both] [--runs N] [--throttled-runs N]
#
# Images (built once, cached in bench/out/flash1g/):
#   random.img          1 GiB of random data (under a GPT, so that lifeboat accepts it)
#   ext4.img            1 GiB ext4 filesystem holding ≈236 MB of real files from /usr; with the
#                       journal and metadata ≈280 MB (26 %) are mapped, ≈74 % is unused. Also as
#                       ext4.img.gz (pigz -6) and ext4.img.xz (xz -T0 -6: multi-block), and with
#                       ext4.img.bmap (bmaptool create)
#   The copies without a bmap live in nobmap/, the same files (hard links) with the bmap in bmap/.
#
# Two runs:
#   plain       the loop device as it is (backed by a file on this VM's disk, --direct-io=on)
#   throttled   the same loop device seen through a USB-stick-speed throttle: 40 MB/s write,
#               120 MB/s read (cgroup v1 blkio.throttle.*_bps_device on that loop device only;
#               each tool runs in a subshell that first joins the cgroup). Bytes that reach
#               the device outside the cgroup (buffered writeback by the flusher threads) escape
#               a v1 throttle: each row shows the bytes the cgroup saw ([cgroup: W … R … MB]),
#               and a row is marked when the writes escaped the throttle.
#   Decompression throughput (plain run only): lifeboat flashes the .gz and the .xz onto a
#   loop device in /dev/shm with --no-verify (writing is a memcpy there), against
#   `pigz -dc >/dev/null` and `xz -T0 -dc >/dev/null`. lifeboat's own step times
#   (LIFEBOAT_VERBOSE: integrity pre-test, write, verify) are printed under its rows.
#
# The tables print each goal of the issue next to its figure, with "met" / "NOT met".
#
# Every case runs N times (rounds interleave the tools, so each lifeboat run has its dd run
# next to it: "paired" ratios are per round); the table shows the best (fastest) run. The
# machine is shared, so the best run is the figure least disturbed by other work. Throttled
# figures are set by the throttle, hence 1 round by default there.
#
# Before each run: the source files are read into the page cache (so the bench compares the
# tools, not this VM's disk) and the target's cached pages are dropped. Every run ends with
# the data on the device (dd conv=fsync, bmaptool's fsync, lifeboat's fsync + BLKFLSBUF).
#
# Memory: every lifeboat run is wrapped in /usr/bin/time -v (max RSS of the node process or
# of its largest child, whichever is larger: not their sum) and node is started with a preload
# that records the node process's own peak RSS (process.resourceUsage().maxRSS: every page the
# process touched, the node binary's own ≈30–40 MiB of code and data included). The goal
# (≤ 64 MiB) is judged on that node figure; the decompressors lifeboat runs as separate
# processes (xz -T0, also during the pre-test) are measured standalone with the same
# arguments and reported beside it, with the sum. For scale, the memory table also gives
# Node's own floor (node -e 0) and the CLI's with only the flash command loaded (flash --help);
# each lifeboat row's steps line gives its CPU seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mode=both
runs=2
truns=1
while [ $# -gt 0 ]; do
	case "$1" in
	--mode) mode=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--throttled-runs) truns=$2; shift 2 ;;
	*) echo "usage: $0 [--mode plain|throttled|both] [--runs N] [--throttled-runs N]" >&2; exit 2 ;;
	esac
done
case "$mode" in plain | throttled | both) ;; *) echo "--mode plain|throttled|both" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices, mount, cgroups)" >&2; exit 2; }
[ -f "$here/dist/cli.cjs" ] || { echo "build first: node scripts/build.mjs" >&2; exit 2; }
for t in dd bmaptool pigz xz mkfs.ext4 losetup blockdev /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 2; }
done

SIZE=$((1024 * 1024 * 1024))
WRITE_BPS=40000000  # 40 MB/s
READ_BPS=120000000  # 120 MB/s
out=$here/bench/out/flash1g
mkdir -p "$out/nobmap" "$out/bmap" "$out/loops"
random=$out/nobmap/random.img
ext4=$out/nobmap/ext4.img
ext4m=$out/bmap/ext4.img # hard link of ext4.img, with ext4.img.bmap beside it

# ---------------------------------------------------------------- cleanup: loops, mounts, cgroup
loops=()
mnt=
cg=
work=$(mktemp -d "$out/loops/run.XXXXXX")
cleanup() {
	set +e
	[ -n "$mnt" ] && mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$mnt" ] && rmdir "$mnt"
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		# any process still in it goes back to the root group first, or rmdir fails
		while read -r p; do echo "$p" >/sys/fs/cgroup/blkio/cgroup.procs 2>/dev/null; done <"$cg/cgroup.procs"
		rmdir "$cg"
	fi
	rm -rf "$work" /dev/shm/lifeboat-bench-ram.*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- images (cached)
# random data under a GPT (lifeboat flashes only images it recognises; the table is 33 KiB of 1 GiB)
if [ ! -f "$random" ] || [ "$(head -c 520 "$random" | tail -c 8)" != "EFI PART" ]; then
	echo "building $random (cached)…" >&2
	[ -f "$random" ] || head -c "$SIZE" /dev/urandom >"$random.tmp"
	[ -f "$random.tmp" ] || mv "$random" "$random.tmp"
	printf 'label: gpt\ntype=0FC63DAF-8483-11D2-8E6C-00A0C93EC93B, name="data"\n' | sfdisk -q "$random.tmp" >/dev/null
	mv "$random.tmp" "$random"
fi
if [ ! -f "$ext4" ] || [ ! -f "$ext4m.bmap" ] || [ ! -f "$ext4.gz" ] || [ ! -f "$ext4.xz" ]; then
	echo "building $ext4 with ≈236 MB of files from /usr, .gz, .xz and .bmap (cached)…" >&2
	rm -f "$ext4" "$ext4.gz" "$ext4.xz" "$ext4m" "$ext4m".* "$ext4.tmp"
	truncate -s "$SIZE" "$ext4.tmp"
	mkfs.ext4 -q -F -L lifeboat-bench "$ext4.tmp"
	mnt=$(mktemp -d /tmp/lifeboat-bench-mnt.XXXXXX)
	mount -o loop "$ext4.tmp" "$mnt"
	# real files, in a fixed order, until ≈236 MB: with the journal and metadata ≈280 MB, 26 % of the image
	(cd / && find usr/lib usr/share -xdev -type f -size -64M -printf '%s %p\n' 2>/dev/null | sort -k2 |
		awk '{ if (t + $1 > 236000000) next; t += $1; print $2 }') >"$work/files"
	tar -C / -cf - -T "$work/files" 2>/dev/null | tar -C "$mnt" -xf -
	umount "$mnt"; rmdir "$mnt"; mnt=
	e2fsck -fn "$ext4.tmp" >/dev/null
	pigz -6 -c "$ext4.tmp" >"$ext4.gz"
	xz -T0 -6 -c "$ext4.tmp" >"$ext4.xz"
	mv "$ext4.tmp" "$ext4"
	ln -f "$ext4" "$ext4m"
	ln -f "$ext4.gz" "$ext4m.gz"
	ln -f "$ext4.xz" "$ext4m.xz"
	bmaptool -q create -o "$ext4m.bmap" "$ext4m"
fi
mapped=$(($(grep -o '<MappedBlocksCount>[^<]*' "$ext4m.bmap" | tr -dc 0-9) * 4096))
xzblocks=$(xz -lv --robot "$ext4.xz" | awk -F'\t' '$1 == "totals" { print $3 }')

# ---------------------------------------------------------------- targets
newloop() { # backing dir, direct-io on|off: sets $loop
	local f
	f=$(mktemp "$1/disk.XXXXXX")
	truncate -s "$((SIZE + 64 * 1024 * 1024))" "$f"
	loop=$(losetup -f --show --direct-io="$2" "$f")
	loops+=("$loop")
}
newloop "$work" on
stick=$loop
shm=$(mktemp -d /dev/shm/lifeboat-bench-ram.XXXXXX)
newloop "$shm" off
ram=$loop # for decompression throughput: writing is a memcpy there
majmin=$(lsblk -dno MAJ:MIN "$stick" | tr -d ' ')

# ---------------------------------------------------------------- measuring
cat >"$work/rss.cjs" <<-'JS'
	process.on('exit', () => {
	  try { require('fs').writeFileSync(process.env.LB_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {}
	});
JS
now() { date +%s.%N; }
cgbytes() { awk -v d="$majmin" -v k="$1" '$1 == d && $2 == k { n = $3 } END { printf "%.0f\n", n }' "$cg/blkio.throttle.io_service_bytes"; }
order=()
declare -A written steps best bytesof round_secs maxrss_self maxrss_tree cpu cgw cgr
throttled=
cgexec() { # runs "$@" in a subshell that first joins the throttle cgroup (when throttled); its children inherit it
	if [ -n "$throttled" ]; then
		(echo "$BASHPID" >"$cg/cgroup.procs" && "$@")
	else
		"$@"
	fi
}
lifeboat() { # image target [flags]: through /usr/bin/time -v, with the RSS preload
	LIFEBOAT_VERBOSE=1 LB_RSS_FILE=$work/rss.self /usr/bin/time -v -o "$work/time.out" \
		node -r "$work/rss.cjs" "$here/dist/cli.cjs" flash "$@" --yes --include-loop --json
}
# run KEY BYTES CMD...: one timed run; BYTES = bytes the tool writes (or decompresses)
run() {
	local key=$1 bytes=$2 t0 t1 d
	shift 2
	sync
	blockdev --flushbufs "$stick" "$ram"
	cat "$random" "$ext4" "$ext4.gz" "$ext4.xz" "$ext4m.bmap" >/dev/null
	rm -f "$work/rss.self" "$work/time.out"
	# the throttle's byte counters do not reset (blkio.reset_stats leaves them): take differences
	local w0=0 r0=0
	if [ -n "$throttled" ]; then w0=$(cgbytes Write); r0=$(cgbytes Read); fi
	t0=$(now)
	if ! cgexec "$@" >"$work/stdout" 2>"$work/err"; then
		echo "$key failed:" >&2
		cat "$work/err" "$work/stdout" >&2
		exit 1
	fi
	t1=$(now)
	d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	[ -n "${bytesof[$key]:-}" ] || order+=("$key")
	bytesof[$key]=$bytes
	round_secs[$key,$r]=$d
	if [ -z "${best[$key]:-}" ] || awk -v d="$d" -v b="${best[$key]}" 'BEGIN { exit !(d < b) }'; then
		best[$key]=$d
		# lifeboat's own step times (LIFEBOAT_VERBOSE): the integrity pre-test of a compressed image, the write, the verify
		written[$key]=$(grep -oE 'written in [0-9]+ ms' "$work/err" | awk '{ printf "%.2f", $3 / 1000 }' || true)
		steps[$key]=$(grep -oE '(tested the compressed stream|written|flushed|verified) in [0-9]+ ms' "$work/err" | sed -E 's/tested the compressed stream/pre-test/; s/ in ([0-9]+) ms/ \1/' |
			awk '{ printf "%s%s %.1fs", (NR > 1 ? ", " : ""), $1, $2 / 1000 }' || true)
	fi
	if [ -f "$work/rss.self" ]; then
		local s t
		s=$(cat "$work/rss.self")
		t=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.out")
		[ "${maxrss_self[$key]:-0}" -ge "$s" ] || maxrss_self[$key]=$s
		[ "${maxrss_tree[$key]:-0}" -ge "$t" ] || maxrss_tree[$key]=$t
		# CPU seconds (user + sys of node and its children), steadier than wall time on a shared machine: the least of the rounds
		local c
		c=$(awk -F': ' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 } END { printf "%.2f", u + s }' "$work/time.out")
		if [ -z "${cpu[$key]:-}" ] || awk -v c="$c" -v b="${cpu[$key]}" 'BEGIN { exit !(c < b) }'; then cpu[$key]=$c; fi
	fi
	if [ -n "$throttled" ]; then
		cgw[$key]=$(($(cgbytes Write) - w0))
		cgr[$key]=$(($(cgbytes Read) - r0))
	fi
	printf '  round %d  %-34s %7s s\n' "$r" "$key" "$d" >&2
}

# ---------------------------------------------------------------- the cases
# key#bytes#command (eval'd); $S is the stick, $R the RAM loop
DD='bs=4M oflag=direct conv=fsync status=none'
cases_common=(
	"rnd dd#$SIZE#dd if=\"\$random\" $DD of=\"\$S\""
	"rnd bmaptool --nobmap#$SIZE#bmaptool -q copy --nobmap \"\$random\" \"\$S\""
	"rnd lifeboat --no-verify#$SIZE#lifeboat \"\$random\" \"\$S\" --no-verify"
	"rnd lifeboat +verify#$SIZE#lifeboat \"\$random\" \"\$S\""
	"ext4 dd#$SIZE#dd if=\"\$ext4\" $DD of=\"\$S\""
	"ext4 bmaptool (bmap)#$mapped#bmaptool -q copy \"\$ext4m\" \"\$S\""
	"ext4 lifeboat bmap --no-verify#$mapped#lifeboat \"\$ext4m\" \"\$S\" --no-verify"
	"ext4 lifeboat bmap +verify#$mapped#lifeboat \"\$ext4m\" \"\$S\""
	"gz lifeboat +verify#$SIZE#lifeboat \"\$ext4.gz\" \"\$S\""
	"xz lifeboat +verify#$SIZE#lifeboat \"\$ext4.xz\" \"\$S\""
	"xz bmaptool (bmap)#$mapped#bmaptool -q copy \"\$ext4m.xz\" \"\$S\""
	"xz lifeboat bmap +verify#$mapped#lifeboat \"\$ext4m.xz\" \"\$S\""
)
cases_plain_only=(
	"ext4 lifeboat raw +verify#$SIZE#lifeboat \"\$ext4\" \"\$S\""
	"gz pigz -dc | dd#$SIZE#sh -c 'pigz -dc \"\$0\" | dd $DD iflag=fullblock of=\"\$1\"' \"\$ext4.gz\" \"\$S\""
	"xz xz -T0 -dc | dd#$SIZE#sh -c 'xz -T0 -dc \"\$0\" | dd $DD iflag=fullblock of=\"\$1\"' \"\$ext4.xz\" \"\$S\""
	"dec pigz -dc >/dev/null#$SIZE#sh -c 'pigz -dc \"\$0\" >/dev/null' \"\$ext4.gz\""
	"dec gzip -dc >/dev/null#$SIZE#sh -c 'gzip -dc \"\$0\" >/dev/null' \"\$ext4.gz\""
	"dec lifeboat .gz → RAM --no-verify#$SIZE#lifeboat \"\$ext4.gz\" \"\$R\" --no-verify"
	"dec xz -T0 -dc >/dev/null#$SIZE#sh -c 'xz -T0 -dc \"\$0\" >/dev/null' \"\$ext4.xz\""
	"dec lifeboat .xz → RAM --no-verify#$SIZE#lifeboat \"\$ext4.xz\" \"\$R\" --no-verify"
)

S=$stick
R=$ram
r=0
# run_mode NAME ROUNDS CASES...
run_mode() {
	local name=$1 rounds=$2 c key bytes cmd
	shift 2
	for ((r = 1; r <= rounds; r++)); do
		for c in "$@"; do
			key=${c%%#*}; c=${c#*#}
			bytes=${c%%#*}; cmd=${c#*#}
			eval "run \"\$name \$key\" \"\$bytes\" $cmd"
		done
	done
}

echo "lifeboat flash bench — $(date -u '+%F %T UTC'), $(nproc) cores (shared with other work), kernel $(uname -r)"
echo "stick: $stick, a loop device on a file on $(findmnt -n -o SOURCE --target "$work") with --direct-io=on; RAM loop $ram on /dev/shm"
echo "images: random.img 1 GiB; ext4.img 1 GiB, bmap maps $((mapped / 1000000)) MB ($(awk -v m="$mapped" -v s="$SIZE" 'BEGIN { printf "%.1f", 100 - 100 * m / s }') % unused);" \
	".gz $(($(stat -c %s "$ext4.gz") / 1000000)) MB (pigz -6), .xz $(($(stat -c %s "$ext4.xz") / 1000000)) MB in $xzblocks blocks (xz -T0 -6)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$mode" != throttled ]; then
	echo "plain run: $runs rounds…" >&2
	run_mode plain "$runs" "${cases_common[@]}" "${cases_plain_only[@]}"
fi
if [ "$mode" != plain ]; then
	cg=/sys/fs/cgroup/blkio/lifeboat-bench.$$
	mkdir "$cg"
	echo "$majmin $WRITE_BPS" >"$cg/blkio.throttle.write_bps_device"
	echo "$majmin $READ_BPS" >"$cg/blkio.throttle.read_bps_device"
	throttled=1
	echo "throttled run ($majmin: 40 MB/s write, 120 MB/s read): $truns rounds…" >&2
	run_mode throttled "$truns" "${cases_common[@]}"
	throttled=
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- the table
ratio() { if [ -n "${best[$1]:-}" ] && [ -n "${best[$2]:-}" ]; then awk -v a="${best[$1]}" -v b="${best[$2]}" 'BEGIN { printf "%.3f", a / b }'; fi; }
paired() { # per-round ratios of $1 to $2
	local i out=
	for ((i = 1; i <= $3; i++)); do
		if [ -n "${round_secs[$1,$i]:-}" ] && [ -n "${round_secs[$2,$i]:-}" ]; then
			out+="$(awk -v a="${round_secs[$1,$i]}" -v b="${round_secs[$2,$i]}" 'BEGIN { printf "%.2f", a / b }') "
		fi
	done
	echo "${out% }"
}
mbps() { awk -v b="${bytesof[$1]}" -v s="${best[$1]}" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
phase_mbps() { awk -v b="${bytesof[$1]}" -v s="${written[$1]}" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
verdict() { awk -v x="$1" -v op="$2" -v g="$3" 'BEGIN { ok = (op == "<=") ? x <= g : x >= g; print ok ? "met" : "NOT met" }'; }

table() { # mode rounds
	local m=$1 n=$2 k key dd ref vsdd vsref line goal met esc thr pthr note
	echo
	echo "== $m: best of $n round(s); s = wall time of the whole command (node start-up included);"
	echo "   MB/s = bytes written to the stick (or decompressed) / s, MB = 10^6 B; ratios are time ratios (<1 = faster) =="
	printf '%-34s %6s %5s  %-6s %-11s %-6s %-30s %s\n' "case / tool" "s" "MB/s" "vs dd" "paired/dd" "vs ref" "goal" "met"
	for key in "${order[@]}"; do if [[ $key == "$m "* ]]; then echo "${key#"$m "}"; fi; done | while read -r k; do
		key="$m $k"
		dd=; ref=
		case "$k" in
		rnd*) dd="$m rnd dd"; ref="$m rnd bmaptool --nobmap" ;;
		ext4*) dd="$m ext4 dd"; ref="$m ext4 bmaptool (bmap)" ;;
		gz*) dd="$m ext4 dd"; ref="$m gz pigz -dc | dd" ;;
		"xz lifeboat bmap"*) dd="$m ext4 dd"; ref="$m xz bmaptool (bmap)" ;;
		xz*) dd="$m ext4 dd"; ref="$m xz xz -T0 -dc | dd" ;;
		"dec lifeboat .gz"*) ref="$m dec pigz -dc >/dev/null" ;;
		"dec lifeboat .xz"*) ref="$m dec xz -T0 -dc >/dev/null" ;;
		esac
		vsdd=; vsref=; line=; goal=; met=; note=
		if [ -n "$dd" ] && [ "$key" != "$dd" ]; then vsdd=$(ratio "$key" "$dd"); line=$(paired "$key" "$dd" "$n"); fi
		if [[ $k == *lifeboat* ]]; then vsref=$(ratio "$key" "$ref"); fi
		case "$k" in
		"rnd lifeboat +verify") goal="≤ 1.34× dd"; met=$(verdict "$vsdd" "<=" 1.34) ;;
		"ext4 lifeboat bmap +verify") goal="≤ 0.36× dd"; met=$(verdict "$vsdd" "<=" 0.36) ;;
		"xz lifeboat bmap +verify") goal="(≤ 0.36× dd, stated for .bmap)"; met=$(verdict "$vsdd" "<=" 0.36) ;;
		"rnd lifeboat --no-verify" | "ext4 lifeboat bmap --no-verify")
			# throughput ratios from the unrounded rates
			thr=$(awk -v b="${bytesof[$key]}" -v s="${best[$key]}" -v db="${bytesof[$dd]}" -v ds="${best[$dd]}" 'BEGIN { printf "%.3f", (b / s) / (db / ds) }')
			pthr=$(awk -v b="${bytesof[$key]}" -v s="${written[$key]}" -v db="${bytesof[$dd]}" -v ds="${best[$dd]}" 'BEGIN { printf "%.3f", (b / s) / (db / ds) }')
			goal="MB/s ≥ 0.97× dd: $thr×"; met=$(verdict "$thr" ">=" 0.97)
			note="write phase alone $(phase_mbps "$key") MB/s = $pthr× dd's MB/s: $(verdict "$pthr" ">=" 0.97)"
			if [ "$m" = plain ] && [ "$k" = "rnd lifeboat --no-verify" ]; then goal="≤ 1.5× dd; $goal"; met="$(verdict "$vsdd" "<=" 1.5); $met"; fi ;;
		"dec lifeboat .gz"*) goal="≥ 300 MB/s (whole run)"; met=$(verdict "$(mbps "$key")" ">=" 300)
			note="streaming phase alone (after the integrity pre-test) $(phase_mbps "$key") MB/s: $(verdict "$(phase_mbps "$key")" ">=" 300)" ;;
		"dec lifeboat .xz"*) goal="≥ 400 MB/s (whole run)"; met=$(verdict "$(mbps "$key")" ">=" 400)
			note="streaming phase alone (after the integrity pre-test) $(phase_mbps "$key") MB/s: $(verdict "$(phase_mbps "$key")" ">=" 400)" ;;
		esac
		esc=
		if [ "$m" = throttled ] && [ -n "${cgw[$key]:-}" ]; then
			esc="  [cgroup: W $((${cgw[$key]} / 1000000)) R $((${cgr[$key]} / 1000000)) MB]"
			if [ "${cgw[$key]}" -lt "$((${bytesof[$key]} * 9 / 10))" ]; then esc+=" ← writes ESCAPED the throttle (buffered writeback)"; fi
		fi
		printf '%-34s %6s %5s  %-6s %-11s %-6s %-30s %s%s\n' "$k" "${best[$key]}" "$(mbps "$key")" "${vsdd:--}" "${line:--}" "${vsref:--}" "${goal:-}" "${met:-}" "$esc"
		if [ -n "${steps[$key]:-}" ]; then printf '%-6s lifeboat steps: %s; CPU %ss (user + sys, least of the rounds)\n' "" "${steps[$key]}" "${cpu[$key]:-?}"; fi
		if [ -n "$note" ]; then printf '%-6s %s\n' "" "$note"; fi
	done
	echo "   vs ref: rnd → bmaptool copy --nobmap; ext4 → bmaptool copy with the bmap; gz → pigz -dc | dd; xz → xz -T0 -dc | dd,"
	echo "           or bmaptool copy of the .xz with the bmap; dec → the decompressor alone into /dev/null"
}
if [ "$mode" != throttled ]; then table plain "$runs"; fi
if [ "$mode" != plain ]; then table throttled "$truns"; fi

# ---------------------------------------------------------------- memory
echo
echo "== peak memory (goal ≤ 64 MiB): max RSS per case over its rounds =="
worst_self=0
worst_xz=0
worst_gz=0
worst_raw=0
for key in "${!maxrss_self[@]}"; do echo "$key"; done | sort >"$work/memkeys"
while read -r key; do
	printf '  %-40s node %4d MiB   /usr/bin/time -v %4d MiB\n' "$key" "$((${maxrss_self[$key]} / 1024))" "$((${maxrss_tree[$key]} / 1024))"
	if [ "${maxrss_self[$key]}" -gt "$worst_self" ]; then worst_self=${maxrss_self[$key]}; fi
	if [[ $key == *xz* ]] && [ "${maxrss_self[$key]}" -gt "$worst_xz" ]; then worst_xz=${maxrss_self[$key]}; fi
	if [[ $key == *gz* ]] && [ "${maxrss_self[$key]}" -gt "$worst_gz" ]; then worst_gz=${maxrss_self[$key]}; fi
	if [[ $key != *gz* && $key != *xz* ]] && [ "${maxrss_self[$key]}" -gt "$worst_raw" ]; then worst_raw=${maxrss_self[$key]}; fi
done <"$work/memkeys"
/usr/bin/time -v -o "$work/time.base" node "$here/dist/cli.cjs" --version >/dev/null
/usr/bin/time -v -o "$work/time.flashhelp" node "$here/dist/cli.cjs" flash --help >/dev/null
/usr/bin/time -v -o "$work/time.node" node -e 0
/usr/bin/time -v -o "$work/time.xz" xz -dc -T0 -- "$ext4.xz" >/dev/null
rssof() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
xzrss=$(rssof "$work/time.xz")
echo "  (/usr/bin/time -v reports the larger of node and its largest child, not their sum)"
startup() { awk -F': ' '/Elapsed \(wall clock\)/ { w = $2 } /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 } END { sub(/^0:/, "", w); printf "%s MiB, %s s wall, %.2f s CPU", int(m / 1024), w, u + s }' "$1"; }
echo "  for scale: node -e 0: $(startup "$work/time.node"); node dist/cli.cjs flash --help (the flash command alone is loaded): $(startup "$work/time.flashhelp");"
echo "  node dist/cli.cjs --version (every command loaded): $(startup "$work/time.base"); the flash's buffers: 4 × 1 MiB for writing, plus 1 MiB per target for the read-back that runs beside it (with verification; 2 MiB when UV_THREADPOOL_SIZE is set below 6)"
echo "  counted: 'node' = the lifeboat node process's own peak RSS (getrusage; what the 64 MiB goal is judged on); '/usr/bin/time -v' = the larger of node and its largest child"
echo "  xz -dc -T0 (the separate process lifeboat runs for .xz), the same command standalone: $((xzrss / 1024)) MiB (its multi-threaded block buffers; xz -t -T0 alike); .gz is inflated inside node"
echo "  worst lifeboat node process: $((worst_self / 1024)) MiB → $(verdict "$((worst_self / 1024))" "<=" 64)" \
	"(raw images, with or without bmap: $((worst_raw / 1024)) MiB → $(verdict "$((worst_raw / 1024))" "<=" 64);" \
	".xz: $((worst_xz / 1024)) MiB → $(verdict "$((worst_xz / 1024))" "<=" 64); .gz: $((worst_gz / 1024)) MiB → $(verdict "$((worst_gz / 1024))" "<=" 64))"
if [ "$worst_xz" -gt 0 ]; then
	echo "  worst .xz flash, node + xz together: $(((worst_xz + xzrss) / 1024)) MiB → $(verdict "$(((worst_xz + xzrss) / 1024))" "<=" 64)"
fi
