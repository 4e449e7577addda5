#!/usr/bin/env bash
# Rescue-media bench: build time and size of a rescue-only ISO and of one with an
# embedded set, and seconds from qemu start to LIFEBOAT-RESCUE-READY (CD, BIOS, TCG).
#
#   npm run build && bench/media.sh [--kernel FILE] [--rear]
#
# Goals: rescue-only ISO built in <= 20 s, <= 36 MiB, ready in <= 10 s with no menu wait.
# --rear also times `rear mkrescue` (OUTPUT=ISO) when ReaR is installed (apt-get install rear).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
kernel=
rear=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--rear) rear=1; shift ;;
	*) echo "usage: $0 [--kernel FILE] [--rear]" >&2; exit 2 ;;
	esac
done
if [ -z "$kernel" ]; then
	kernel=/boot/vmlinuz-$(uname -r)
	[ -f "$kernel" ] || kernel=$(ls /boot/vmlinuz-* 2>/dev/null | head -1)
fi
[ -f "$kernel" ] || { echo "no kernel found; pass --kernel FILE" >&2; exit 2; }

work=$(mktemp -d /tmp/lifeboat-bench.XXXXXX)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

lifeboat() { node "$here/bin/lifeboat.cjs" "$@"; }
now() { date +%s.%N; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# A small set: manifest, one 20 MiB archive part, SHA256SUMS.
mkdir -p "$work/set/archives"
echo '{"format":1,"host":"bench","filesystems":[]}' >"$work/set/lifeboat.json"
head -c 20M /dev/urandom | zstd -q -1 >"$work/set/archives/root.tar.zst.000"
(cd "$work/set" && sha256sum lifeboat.json archives/root.tar.zst.000 >SHA256SUMS)

t0=$(now)
lifeboat media --rescue-only --iso "$work/rescue.iso" --kernel "$kernel" --timeout 0 >/dev/null 2>&1
t1=$(now)
lifeboat media --set "$work/set" --embed --iso "$work/set.iso" --kernel "$kernel" --timeout 0 >/dev/null 2>&1
t2=$(now)

# Boot the rescue-only ISO as a CD under BIOS and wait for the marker on the serial line.
log=$work/serial.log
start=$(now)
qemu-system-x86_64 -m 1024 -smp 1 -display none -monitor none -nic none -no-reboot \
	-drive "file=$work/rescue.iso,media=cdrom,readonly=on,if=ide,index=2" -boot d \
	-serial "file:$log" &
qpid=$!
ready=
for _ in $(seq 1 900); do
	if grep -q LIFEBOAT-RESCUE-READY "$log" 2>/dev/null; then ready=$(now); break; fi
	sleep 0.1
done
kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true
qpid=

echo "kernel:                      $kernel"
echo "rescue-only ISO:             $(mib "$work/rescue.iso") MiB, built in $(secs "$t0" "$t1") s"
echo "ISO with a 20 MiB set:       $(mib "$work/set.iso") MiB, built in $(secs "$t1" "$t2") s"
if [ -n "$ready" ]; then
	echo "qemu start -> READY (CD):    $(secs "$start" "$ready") s"
else
	echo "qemu start -> READY (CD):    not reached in 90 s"; tail -20 "$log"
fi

if [ -n "$rear" ]; then
	if command -v rear >/dev/null; then
		# ReaR refuses a backup folder on /, so its output goes to tmpfs; the kernel and the
		# boot loader are named because it cannot guess them on every machine.
		out=$(mktemp -d /dev/shm/lifeboat-rear.XXXXXX)
		mkdir -p "$work/rear"
		cat >"$work/rear/local.conf" <<EOF_REAR
OUTPUT=ISO
OUTPUT_URL=file://$out
BACKUP=NETFS
BACKUP_URL=file://$out
KERNEL_FILE=$kernel
KERNEL_VERSION=$(basename "$kernel" | sed 's/^vmlinuz-//')
BOOTLOADER=GRUB2
EOF_REAR
		r0=$(now)
		# ReaR signals its whole process group when it aborts: give it its own.
		if setsid rear -c "$work/rear" mkrescue >"$work/rear.log" 2>&1; then
			iso=$(find "$out" -name '*.iso' | head -1)
			echo "ReaR mkrescue:               $(mib "$iso") MiB, built in $(secs "$r0" "$(now)") s"
		else
			echo "ReaR mkrescue:               failed here (see below)"; tail -5 "$work/rear.log"
		fi
		rm -rf "$out"
	else
		echo "ReaR:                        not installed (apt-get install rear)"
	fi
fi
