#!/bin/sh
# Lifeboat rescue system: PID 1 of the initramfs (POSIX sh — dash — with busybox applets, no systemd).
#
# Contract (DESIGN.md, "The rescue system"): kernel arguments lifeboat.set=, lifeboat.restore=auto,
# lifeboat.target=, lifeboat.poweroff=1, lifeboat.lang=fr|en, lifeboat.net=dhcp, lifeboat.selftest=1,
# lifeboat.rehearsal=1 (rehearsal.sh);
# prints LIFEBOAT-RESCUE-READY on every console when the menu or shell is up, and
# LIFEBOAT-RESTORE-OK / LIFEBOAT-RESTORE-FAILED: <reason> after an unattended restore, and
# LIFEBOAT-INSERT-DISC <n> <label> when a set on several discs needs another one (read-parts.sh).
# Build-time values (default language, module lists) come from /etc/lifeboat/build.conf;
# the words come from /etc/lifeboat/lang/<lang>.sh, generated from the app's i18n files.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=linux

mkdir -p /proc /sys /dev /run /tmp /mnt /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run/lifeboat
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/lifeboat
# Booted through UEFI: the firmware's boot entries, so that a restored system's own
# grub-install (run in a chroot that binds /sys) can write its NVRAM entry, and
# efibootmgr can show them. Without it only the removable-path fallback would be left.
if [ -d /sys/firmware/efi ]; then
	modprobe efivarfs 2>/dev/null
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
fi
# The kernel asks for modules by itself (crypto for SMB3, filesystems on mount) through
# this helper; its default /sbin/modprobe does not exist here.
command -v modprobe >/proc/sys/kernel/modprobe 2>/dev/null
# The kernel's log level would mix driver chatter into the menu on the serial console.
echo 1 >/proc/sys/kernel/printk 2>/dev/null
exec </dev/console >/dev/console 2>&1

. /etc/lifeboat/build.conf

LB_LANG=$DEFAULT_LANG
SET_SPEC= RESTORE= TARGET= POWEROFF= NET= SELFTEST= REHEARSAL=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lifeboat.set=*) SET_SPEC=${arg#*=} ;;
	lifeboat.restore=*) RESTORE=${arg#*=} ;;
	lifeboat.target=*) TARGET=${arg#*=} ;;
	lifeboat.poweroff=*) POWEROFF=${arg#*=} ;;
	lifeboat.lang=*) LB_LANG=${arg#*=} ;;
	lifeboat.net=*) NET=${arg#*=} ;;
	lifeboat.selftest=*) SELFTEST=${arg#*=} ;;
	lifeboat.rehearsal=*) REHEARSAL=${arg#*=} ;;
	esac
done
[ -f "/etc/lifeboat/lang/$LB_LANG.sh" ] || LB_LANG=en
. "/etc/lifeboat/lang/$LB_LANG.sh"

. /etc/lifeboat/lib.sh

say T_starting "$LIFEBOAT_VERSION"

say T_modules
for m in $MODULES_EARLY; do modprobe -q "$m" 2>/dev/null; done
[ "$NET" = dhcp ] || case "$SET_SPEC" in nfs:* | cifs:*) NET=dhcp ;; esac
if [ "$NET" = dhcp ]; then
	for m in $MODULES_NET; do modprobe -q "$m" 2>/dev/null; done
fi
# The rest (RAID, device-mapper, other filesystems) loads while the person reads the menu.
(for m in $MODULES_LATE; do modprobe -q "$m" 2>/dev/null; done) &

if [ "$NET" = dhcp ]; then
	say T_network
	ip link set lo up
	got=
	for i in $(ls /sys/class/net); do
		[ "$i" = lo ] && continue
		ip link set "$i" up
		udhcpc -i "$i" -s /etc/lifeboat/udhcpc.sh -q -n -t 5 -T 2 >/dev/null 2>&1 && got=1 && break
	done
	[ -n "$got" ] || say T_networkFailed
fi

# wait_for_disks: storage drivers find disks asynchronously; wait until a disk or
# CD shows up (or a few seconds pass, for a machine booted from the network alone).
wait_for_disks() {
	n=0
	while [ $n -lt 30 ]; do
		for b in /sys/class/block/*; do
			case "${b##*/}" in loop* | ram* | zram*) ;; *) return 0 ;; esac
		done
		sleep 0.1
		n=$((n + 1))
	done
}

# has_set DIR: sets SET_DIR when DIR holds a backup set at its root, or else in lifeboat/
# (embedded when the medium was made) or sets/*/ (added later by "media --again"): of
# those, the newest by its manifest's created date (ISO UTC, so text order is time order).
# SET_COUNT says how many there were to choose from.
has_set() {
	SET_COUNT=1
	if [ -f "$1/lifeboat.json" ]; then SET_DIR=$1; return 0; fi
	best=$(for d in "$1/lifeboat" "$1"/sets/*; do
		[ -f "$d/lifeboat.json" ] || continue
		echo "$(sed -n 's/^  "created": "\([^"]*\)",*$/\1/p' "$d/lifeboat.json" | head -n 1) $d"
	done | sort)
	[ -n "$best" ] || return 1
	SET_COUNT=$(echo "$best" | wc -l)
	best=$(echo "$best" | tail -n 1)
	SET_DIR=${best#* }
	return 0
}

# try_dev DEV: mounts DEV read-only and keeps it mounted when it holds a set.
# Looking must never write: a plain read-only mount still replays an ext4 or XFS
# journal, so those are mounted without it (the disk may be the one to rescue).
try_dev() {
	mp=/mnt/dev-${1##*/}
	fstype=$(blkid -p -o value -s TYPE "$1" 2>/dev/null)
	case "$fstype" in
	"" | swap | LVM2_member | linux_raid_member | crypto_LUKS) return 1 ;;
	ext3 | ext4) opts=ro,noload ;;
	xfs) opts=ro,norecovery ;;
	# A stick's exFAT data partition (--data-fs exfat): the module is loaded early, but
	# ask again in case the background loading has not reached it yet.
	exfat) modprobe -q exfat 2>/dev/null; opts=ro ;;
	*) opts=ro ;;
	esac
	mkdir -p "$mp"
	mount -t "$fstype" -o "$opts" "$1" "$mp" 2>/dev/null || { rmdir "$mp"; return 1; }
	has_set "$mp" && return 0
	umount "$mp"
	rmdir "$mp"
	return 1
}

find_set() {
	SET_DIR=
	case "$SET_SPEC" in
	label:* | uuid:*)
		key=$(echo "${SET_SPEC%%:*}" | tr a-z A-Z)
		n=0
		while [ $n -lt 50 ]; do
			dev=$(findfs "$key=${SET_SPEC#*:}" 2>/dev/null) && break
			sleep 0.2
			n=$((n + 1))
		done
		[ -n "$dev" ] && try_dev "$dev" && return 0
		say T_setSpecFailed "$SET_SPEC"
		return 1
		;;
	nfs:*)
		mkdir -p /mnt/net
		mount -t nfs -o ro,nolock "${SET_SPEC#nfs:}" /mnt/net && has_set /mnt/net && return 0
		say T_setSpecFailed "$SET_SPEC"
		return 1
		;;
	cifs://*)
		rest=${SET_SPEC#cifs://}
		server=${rest%%/*}
		rest=${rest#*/}
		share=${rest%%/*}
		sub=
		[ "$rest" = "$share" ] || sub=${rest#*/}
		mkdir -p /mnt/net
		mount -t cifs -o ro,guest "//$server/$share" /mnt/net && has_set "/mnt/net/$sub" && return 0
		say T_setSpecFailed "$SET_SPEC"
		return 1
		;;
	esac
	wait_for_disks
	# The boot medium first (a CD, or the disk the ISO was written to), then every disk.
	for dev in /dev/sr* /dev/sd* /dev/vd* /dev/nvme* /dev/mmcblk*; do
		[ -b "$dev" ] || continue
		try_dev "$dev" && return 0
	done
	return 1
}

say T_searching
if find_set; then
	say T_setFound "$SET_DIR"
	[ "$SET_COUNT" -gt 1 ] && say T_setNewest "$SET_COUNT"
	echo "$SET_DIR" >/run/lifeboat/set
	# For logs and tests: which set (its id) and where it was read from: the type and source
	# of the mount holding SET_DIR (longest mount point above it), e.g. nfs4 SERVER:/PATH.
	set_id=$(sed -n 's/^  "id": "\([^"]*\)",*$/\1/p' "$SET_DIR/lifeboat.json" | head -n 1)
	set_src=$(awk -v d="$SET_DIR/" 'index(d, $2 "/") == 1 && length($2) >= n { n = length($2); s = $3 " " $1 } END { print s }' /proc/mounts)
	announce "LIFEBOAT-SET-FOUND $set_id $set_src"
else
	say T_setNone
fi

if [ "$SELFTEST" = 1 ]; then
	say T_selftest
	failed=
	while IFS='|' read -r tool path okcodes probe; do
		[ -n "$tool" ] || continue
		# The name must reach the packed program, not a busybox applet of the same name.
		[ "$(command -v "$tool")" = "$path" ] || failed="$failed $tool(shadowed:$(command -v "$tool"))"
		# shellcheck disable=SC2086 # the probe is a list of words
		"$path" $probe </dev/null >/dev/null 2>&1
		rc=$?
		case " $okcodes " in *" $rc "*) ;; *) failed="$failed $tool($rc)" ;; esac
	done </etc/lifeboat/selftest.list
	for m in $MODULES_SELFTEST; do
		modprobe "$m" 2>/dev/null || failed="$failed module:$m"
	done
	if [ -z "$failed" ]; then announce "LIFEBOAT-SELFTEST-OK"; else announce "LIFEBOAT-SELFTEST-FAILED:$failed"; fi
fi

finish() {
	if [ "$POWEROFF" = 1 ]; then
		say T_poweringOff
		sync
		poweroff -f
	fi
}

if [ "$RESTORE" = auto ]; then
	run_restore "$TARGET"
	finish
fi

# What the menus need to know, for the second menu on the screen and for any later tool.
cat >/run/lifeboat/env <<EOF_ENV
LB_LANG='$LB_LANG'
SET_DIR='$SET_DIR'
EOF_ENV

announce "LIFEBOAT-RESCUE-READY"
# The kernel's primary console (the last console= argument; the serial line by default)
# gets this menu; a person at the screen gets the same menu on tty1, so neither side is
# left without one.
primary=
for arg in $(cat /proc/cmdline); do
	case "$arg" in console=*) primary=${arg#console=} ;; esac
done
primary=${primary%%,*}
case "$primary" in
tty0 | tty1 | "") ;;
*) [ -c /dev/tty1 ] && setsid sh -c 'exec /etc/lifeboat/menu.sh </dev/tty1 >/dev/tty1 2>&1' & ;;
esac
exec /etc/lifeboat/menu.sh
