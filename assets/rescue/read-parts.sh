#!/bin/sh
# Reads the archive parts of a backup set spread over several discs (lifeboat media --split-media).
# The restore plan calls it through its lb_sums and lb_cat when LIFEBOAT_READ_PARTS names it
# (run_restore in lib.sh sets that up):
#   read-parts.sh --check    stdin: "<sha256>  <part>" lines, relative to the set (the plan cds there).
#                            Checks the parts on the disc in the drive before anything is erased; the
#                            others are checked when their disc is read.
#   read-parts.sh PART...    writes the parts, in order, to stdout. A part on another disc makes it
#                            unmount the disc, ask for the one holding the part by its label, wait for
#                            it, and check the part against SHA256SUMS before a byte of it goes on.
# Parts are streamed straight from the disc, so a set larger than the RAM restores.
# stdout is the archive stream: every message goes to stderr and the consoles.
#
# Environment: LIFEBOAT_SET (the set folder on the disc), LIFEBOAT_DISC_MOUNT (where discs are
# mounted), LIFEBOAT_DISCS (the disc map, lifeboat-disc.txt of disc 1), LIFEBOAT_SUMS
# (SHA256SUMS of disc 1), LIFEBOAT_UNATTENDED=1 (nobody presses Enter), LB_LANG.

set -u
. "/etc/lifeboat/lang/${LB_LANG:-en}.sh"
. /etc/lifeboat/lib.sh

map=$LIFEBOAT_DISCS
now_file=/run/lifeboat/disc-now
checked=/run/lifeboat/parts-checked

# The map (see split.ts): "disc <n> <count> <label>", "label <n> <label>", "part <n> <name>".
disc_of() {
	while read -r kind n name; do
		[ "$kind" = part ] && [ "$name" = "$1" ] && { echo "$n"; return; }
	done <"$map"
	echo 1
}
label_of() {
	while read -r kind n label; do
		[ "$kind" = label ] && [ "$n" = "$1" ] && { echo "$label"; return; }
	done <"$map"
}
disc_count() {
	while read -r kind n count label; do
		[ "$kind" = disc ] && { echo "$count"; return; }
	done <"$map"
}
current_disc() { cat "$now_file" 2>/dev/null || echo 1; }

# mount_labelled LABEL N: mounts the disc labelled LABEL whose marker says it is disc N.
mount_labelled() {
	mp=$LIFEBOAT_DISC_MOUNT
	for dev in /dev/sr* /dev/sd* /dev/vd* /dev/nvme* /dev/mmcblk*; do
		[ -b "$dev" ] || continue
		[ "$(blkid -p -o value -s LABEL "$dev" 2>/dev/null)" = "$1" ] || continue
		fstype=$(blkid -p -o value -s TYPE "$dev" 2>/dev/null)
		mount -t "${fstype:-iso9660}" -o ro "$dev" "$mp" 2>/dev/null || continue
		marker=$LIFEBOAT_SET/lifeboat-disc.txt
		if [ -f "$marker" ] && grep -q "^disc $2 " "$marker"; then
			echo "$2" >"$now_file"
			return 0
		fi
		umount "$mp"
	done
	return 1
}

# change_disc N: puts disc N in the place of the one mounted now.
change_disc() {
	want=$1
	label=$(label_of "$want")
	sync
	# Unmounted, the drive unlocks its tray; the same drive or another one may hold disc N.
	umount "$LIFEBOAT_DISC_MOUNT" 2>/dev/null
	echo 0 >"$now_file"
	mount_labelled "$label" "$want" && return 0
	count=$(disc_count)
	announce "LIFEBOAT-INSERT-DISC $want $label" >&2
	if [ -n "${LIFEBOAT_UNATTENDED:-}" ]; then
		say T_disc_insertAuto "$want" "$count" "$label" >&2
	else
		say T_disc_insert "$want" "$count" "$label" >&2
	fi
	waited=0
	while :; do
		[ -n "${LIFEBOAT_UNATTENDED:-}" ] || read -r _ || sleep 1
		# A drive takes a few seconds to spin up and read a new disc.
		tries=0
		while [ $tries -lt 15 ]; do
			mount_labelled "$label" "$want" && { say T_disc_found "$want" "$label" >&2; return 0; }
			sleep 1
			tries=$((tries + 1))
		done
		waited=$((waited + tries))
		if [ -n "${LIFEBOAT_UNATTENDED:-}" ]; then
			# Said again now and then, for a person who walks up to a serial console later.
			[ $((waited % 300)) -lt 15 ] && announce "LIFEBOAT-INSERT-DISC $want $label" >&2
		else
			say T_disc_notFound "$label" >&2
		fi
	done
}

# expected_sum PART: its checksum in the boot disc's SHA256SUMS.
expected_sum() {
	awk -v n="$1" '$2 == n || $2 == "*" n { print $1; exit }' "$LIFEBOAT_SUMS"
}

if [ "${1:-}" = --check ]; then
	now=$(current_disc)
	list=/run/lifeboat/check-list
	: >"$list"
	while read -r sum name; do
		[ -n "$name" ] || continue
		d=$(disc_of "$name")
		if [ "$d" = "$now" ]; then
			echo "$sum  $name" >>"$list"
			echo "$name" >>"$checked"
		else
			say T_disc_later "$name" "$d" >&2
		fi
	done
	# Disc 1 may hold no part at all (parts as large as a disc): nothing to check now.
	[ -s "$list" ] || exit 0
	sha256sum -c "$list"
	exit $?
fi

for part in "$@"; do
	rel=${part#"$LIFEBOAT_SET"/}
	d=$(disc_of "$rel")
	[ "$d" = "$(current_disc)" ] || change_disc "$d" || exit 1
	if ! grep -qxF "$rel" "$checked" 2>/dev/null; then
		got=$(sha256sum "$part" | awk '{ print $1 }')
		if [ -z "$got" ] || [ "$got" != "$(expected_sum "$rel")" ]; then
			say T_disc_corrupt "$rel" "$d" >&2
			exit 1
		fi
		echo "$rel" >>"$checked"
	fi
	cat "$part" || exit 1
done
