#!/bin/sh
# Guest side of test/qemu/lvm.test.ts, run inside the rescue kernel by node-in-vm.ts's
# init (dash + busybox + the rescue tools + node and the lifeboat CLI). Sourced by the
# one-line stage scripts; every output lands in /lab/out for the host to check.
# Disks: /dev/vda is the lab disk; the stage's own disks follow as /dev/vdb, /dev/vdc.
set -eu
O=/lab/out
# No udev here, as in the rescue system. The fixture's own LVM commands are told to
# make their /dev nodes themselves; the CLI gets no such help (no DM_DISABLE_UDEV in its
# environment): it must cope as it will on the rescue media.
export LVM_SUPPRESS_FD_WARNINGS=1
lvm() { DM_DISABLE_UDEV=1 command lvm "$@"; }

ROOT_UUID=1b0a7000-0000-4000-8000-00000000a001
HOME_UUID=1b0a7000-0000-4000-8000-00000000a002
SRV_UUID=1b0a7000-0000-4000-8000-00000000a003
SWAP_UUID=1b0a7000-0000-4000-8000-00000000a004

# lvm_reports NAME: the LVM state as the host asserts it (and as the parser fixtures record it).
lvm_reports() {
	lvm pvs --reportformat json --units b -o pv_name,vg_name,pv_size,pv_free,pv_uuid >"$O/$1-pvs.json"
	lvm vgs --reportformat json --units b -o vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,pv_count,lv_count >"$O/$1-vgs.json"
	lvm lvs --reportformat json --units b -o lv_name,vg_name,lv_uuid,lv_size,lv_attr,segtype,devices >"$O/$1-lvs.json"
}

# blkids NAME DEV...: `blkid -p -o export` of each device, separated by blank lines.
blkids() {
	name=$1
	shift
	: >"$O/$name-blkid.txt"
	for d in "$@"; do
		echo "DEVNAME_ASKED=$d" >>"$O/$name-blkid.txt"
		blkid -p -o export "$d" >>"$O/$name-blkid.txt" || true
		echo >>"$O/$name-blkid.txt"
	done
}

# listing DIR: the comparison of a restored tree with its source, shared with the other guest script
. /lab/scripts/guest-listing.sh

# tree NAME MOUNTROOT: the listing of the whole system (root, /home and /srv).
tree() {
	: >"$O/$1-tree.txt"
	for m in / /home /srv; do
		echo "== $m" >>"$O/$1-tree.txt"
		listing "$2$m" >>"$O/$1-tree.txt"
	done
	# the hard links share an inode
	[ "$(stat -c %i "$2/home/alice/notes.txt")" = "$(stat -c %i "$2/home/alice/notes-hardlink.txt")" ] && echo same-inode >"$O/$1-hardlink.txt" || echo different-inodes >"$O/$1-hardlink.txt"
}

mount_system() {
	mkdir -p /mnt/sys
	mount -t ext4 "$1" /mnt/sys
	mount -t ext4 /dev/vgdata/home /mnt/sys/home
	mount -t ext4 /dev/vgdata/srv /mnt/sys/srv
}

umount_system() {
	umount /mnt/sys/srv /mnt/sys/home /mnt/sys
}

# Stage 1: the LVM system on /dev/vdb (512 MiB), its inventory by lifeboat.
stage_fixture() {
	A=/dev/vdb
	sfdisk -q "$A" <<-EOF
		label: gpt
		label-id: 1B0A7000-0000-4000-8000-0000000000D1
		size=160MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root", uuid=1B0A7000-0000-4000-8000-0000000000E1
		size=32MiB, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name="swap", uuid=1B0A7000-0000-4000-8000-0000000000E2
		type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name="lvm", uuid=1B0A7000-0000-4000-8000-0000000000E3
	EOF
	n=0
	while [ ! -b ${A}3 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	mkfs.ext4 -q -F -L lbroot -U $ROOT_UUID ${A}1
	mkswap -L lbswap -U $SWAP_UUID ${A}2
	lvm pvcreate -y ${A}3
	# 8 MiB extents, not the default 4: the restore must keep them
	lvm vgcreate -y -s 8m vgdata ${A}3
	lvm lvcreate -y -Wy -Zy -L 120m -n home vgdata
	lvm lvcreate -y -Wy -Zy -L 64m -n srv vgdata
	mkfs.ext4 -q -F -L lbhome -U $HOME_UUID /dev/vgdata/home
	mkfs.ext4 -q -F -L lbsrv -U $SRV_UUID /dev/vgdata/srv
	mkdir -p /mnt/sys
	mount -t ext4 ${A}1 /mnt/sys
	mkdir -p /mnt/sys/home /mnt/sys/srv /mnt/sys/etc
	mount -t ext4 /dev/vgdata/home /mnt/sys/home
	mount -t ext4 /dev/vgdata/srv /mnt/sys/srv
	cat >/mnt/sys/etc/fstab <<-EOF
		UUID=$ROOT_UUID / ext4 defaults 0 1
		/dev/mapper/vgdata-home /home ext4 defaults 0 2
		/dev/vgdata/srv /srv ext4 defaults 0 2
		UUID=$SWAP_UUID none swap sw 0 0
	EOF
	echo lvm-guest >/mnt/sys/etc/hostname
	mkdir -p /mnt/sys/home/alice/docs /mnt/sys/srv/www /mnt/sys/var/log
	echo "notes of alice" >/mnt/sys/home/alice/notes.txt
	ln /mnt/sys/home/alice/notes.txt /mnt/sys/home/alice/notes-hardlink.txt
	ln -s notes.txt /mnt/sys/home/alice/notes-symlink
	setfattr -n user.lifeboat -v kept /mnt/sys/home/alice/notes.txt
	setfattr -n user.colour -v blue /mnt/sys/home/alice/docs
	dd if=/dev/urandom of=/mnt/sys/home/alice/docs/random.bin bs=64k count=48 2>/dev/null
	chown -R 1000:1000 /mnt/sys/home/alice
	chmod 0700 /mnt/sys/home/alice
	echo "<h1>served from an LV</h1>" >/mnt/sys/srv/www/index.html
	chmod 0640 /mnt/sys/srv/www/index.html
	dd if=/dev/urandom of=/mnt/sys/srv/www/blob.bin bs=64k count=16 2>/dev/null
	echo "boot log" >/mnt/sys/var/log/boot.log
	sync
	lvm_reports source
	blkids source ${A}1 ${A}2 ${A}3 /dev/vgdata/home /dev/vgdata/srv
	sfdisk --json "$A" >"$O/source-sfdisk.json"
	tree source /mnt/sys
	lifeboat inventory --root /mnt/sys --json >"$O/inventory.json"
	umount_system
	lvm vgchange -an vgdata
}

# Stage 2: a backup of that system, mounted, and its verification.
stage_backup() {
	lvm vgchange -ay vgdata
	mount_system /dev/vdb1
	rm -rf "$O/set"
	lifeboat backup --root /mnt/sys --dest "$O/set" --json >"$O/backup.jsonl"
	lifeboat verify "$O/set" --json >"$O/verify.jsonl"
	umount_system
	lvm vgchange -an vgdata
}

# Stage 3: restore the set onto the blank /dev/vdb, then record what is there.
# $1: the name of the outputs (big, small; same: the set's restore.sh, as the rescue menu runs it)
stage_restore() {
	if [ "$1" = same ]; then
		# what lib.sh's run_restore does: the compiled plan rendered as sh, run by dash
		LIFEBOAT_SET="$O/set" LIFEBOAT_TARGET_1=/dev/vdb dash "$O/set/restore.sh" >"$O/restore-sh-$1.txt" 2>&1
	else
		lifeboat restore --set "$O/set" --target /dev/vdb --dry-run --json >"$O/plan-$1.json"
		lifeboat restore --set "$O/set" --target /dev/vdb --yes --json >"$O/restore-$1.jsonl"
	fi
	sync
	lvm vgchange -ay vgdata
	lvm_reports "$1"
	blkids "$1" /dev/vdb1 /dev/vdb2 /dev/vdb3 /dev/vgdata/home /dev/vgdata/srv
	sfdisk --json /dev/vdb >"$O/$1-sfdisk.json"
	mount_system /dev/vdb1
	tree "$1" /mnt/sys
	umount_system
	lvm vgchange -an vgdata
}

# Stage 4: a migration — the old disk (/dev/vdb, holding vgdata) still attached while the
# set is restored onto /dev/vdc. LVM cannot hold the same VG or PV UUID twice, so the
# restore must refuse before it writes anything: the marker on the target stays.
stage_migrate() {
	printf LBMARK-BEFORE | dd of=/dev/vdc conv=notrunc 2>/dev/null
	rc=0
	lifeboat restore --set "$O/set" --target /dev/vdc --yes --json >"$O/migrate.jsonl" 2>&1 || rc=$?
	echo "$rc" >"$O/migrate.rc"
	rc=0
	LIFEBOAT_SET="$O/set" LIFEBOAT_TARGET_1=/dev/vdc dash "$O/set/restore.sh" >"$O/migrate-sh.txt" 2>&1 || rc=$?
	echo "$rc" >"$O/migrate-sh.rc"
	dd if=/dev/vdc bs=13 count=1 2>/dev/null >"$O/migrate-marker.txt"
}
