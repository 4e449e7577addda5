#!/bin/sh
# Guest side of test/qemu/md.test.ts, run inside the rescue kernel (which has md) by
# node-in-vm.ts's init: dash + busybox + the rescue tools (mdadm among them) + node and the
# lifeboat CLI. One boot does every stage, in order; every output lands in /lab/out for
# the host to check. Disks: /dev/vda is the lab disk; /dev/vdb and /dev/vdc the source
# system, /dev/vdd and /dev/vde the blank targets of the same sizes.
set -eu
O=/lab/out

ROOT_UUID=3d0a7000-0000-4000-8000-00000000a001
SRV_UUID=3d0a7000-0000-4000-8000-00000000a002
MD_UUID=3d0a7000:00004000:80000000:0000d001
RAID_TYPE=A19D880F-05FC-4D3B-A006-743F0F84911E
BIOS_BOOT=21686148-6449-6E6F-744E-656564454649

# listing DIR: the comparison of a restored tree with its source, shared with the other guest script
. /lab/scripts/guest-listing.sh

# tree NAME MD DISK_A: the listing of the system (root on the array, /srv on DISK_A's 2nd partition)
tree() {
	mkdir -p /mnt/sys
	mount -t ext4 "$2" /mnt/sys
	mount -t ext4 "${3}2" /mnt/sys/srv
	: >"$O/$1-tree.txt"
	for m in / /srv; do
		echo "== $m" >>"$O/$1-tree.txt"
		listing "/mnt/sys$m" >>"$O/$1-tree.txt"
	done
	umount /mnt/sys/srv /mnt/sys
}

# record NAME MDNODE DEV...: the array as mdadm describes it, its members' superblocks, and blkid of it
record() {
	name=$1 md=$2
	shift 2
	mdadm --detail --export "$md" >"$O/$name-detail.txt"
	: >"$O/$name-examine.txt"
	for d in "$@"; do mdadm --examine "$d" >>"$O/$name-examine.txt"; done
	blkid -p -o export "$md" >"$O/$name-blkid.txt"
	cat /proc/mdstat >"$O/$name-mdstat.txt"
}

stamp() { while IFS= read -r l; do read -r up _ </proc/uptime; echo "[$up] $l"; done; }

# bootcode NAME: what GRUB left on each target disk: the MBR's boot code ("GRUB " is in
# boot.img's messages) and the first sector of its BIOS boot partition (the core image)
bootcode() {
	: >"$O/$1-bootcode.txt"
	for d in vdd:3 vde:2; do
		disk=/dev/${d%:*} part=/dev/${d%:*}${d#*:}
		mbr=$(dd if=$disk bs=440 count=1 2>/dev/null | tr -c 'A-Z' ' ' | grep -c 'GRUB ' || true)
		core=$(dd if=$part bs=512 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n' | sed 's/^0*$/zero/' | cut -c1-16)
		echo "${disk#/dev/} mbr-grub=$mbr core=$core" >>"$O/$1-bootcode.txt"
	done
}

# The source: GPT on both disks, a RAID1 /dev/md/root across vdb1 and vdc1 holding the ext4
# root, and a plain ext4 /srv on vdb2. Then its inventory and backup, by lifeboat.
stage_source() {
	sfdisk -q /dev/vdb <<-EOF
		label: gpt
		label-id: 3D0A7000-0000-4000-8000-0000000000D1
		size=128MiB, type=$RAID_TYPE, name="raid-a", uuid=3D0A7000-0000-4000-8000-0000000000E1
		size=120MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="srv", uuid=3D0A7000-0000-4000-8000-0000000000E2
		size=1MiB, type=$BIOS_BOOT, name="bios-a"
	EOF
	sfdisk -q /dev/vdc <<-EOF
		label: gpt
		label-id: 3D0A7000-0000-4000-8000-0000000000D2
		size=128MiB, type=$RAID_TYPE, name="raid-b", uuid=3D0A7000-0000-4000-8000-0000000000E3
		size=1MiB, type=$BIOS_BOOT, name="bios-b"
	EOF
	n=0
	while { [ ! -b /dev/vdb3 ] || [ ! -b /dev/vdc2 ]; } && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	mdadm --create /dev/md/root --run --metadata=1.2 --level=raid1 --raid-devices=2 --uuid=$MD_UUID --name=mdguest:root /dev/vdb1 /dev/vdc1
	mkfs.ext4 -q -F -L lbroot -U $ROOT_UUID /dev/md/root
	mkfs.ext4 -q -F -L lbsrv -U $SRV_UUID /dev/vdb2
	mkdir -p /mnt/sys
	mount -t ext4 /dev/md/root /mnt/sys
	mkdir -p /mnt/sys/srv /mnt/sys/etc/mdadm /mnt/sys/home/alice/docs /mnt/sys/var/log /mnt/sys/boot/grub /mnt/sys/dev /mnt/sys/proc /mnt/sys/sys
	# a GRUB-booted system (BIOS boot partitions above): the restore puts GRUB's boot code on both disks
	echo "search --fs-uuid --set=root $ROOT_UUID" >/mnt/sys/boot/grub/grub.cfg
	mount -t ext4 /dev/vdb2 /mnt/sys/srv
	cat >/mnt/sys/etc/fstab <<-EOF
		UUID=$ROOT_UUID / ext4 defaults 0 1
		UUID=$SRV_UUID /srv ext4 defaults 0 2
	EOF
	echo "ARRAY /dev/md/root metadata=1.2 UUID=$MD_UUID name=mdguest:root" >/mnt/sys/etc/mdadm/mdadm.conf
	echo md-guest >/mnt/sys/etc/hostname
	echo "notes of alice" >/mnt/sys/home/alice/notes.txt
	ln /mnt/sys/home/alice/notes.txt /mnt/sys/home/alice/notes-hardlink.txt
	ln -s notes.txt /mnt/sys/home/alice/notes-symlink
	setfattr -n user.lifeboat -v kept /mnt/sys/home/alice/notes.txt
	dd if=/dev/urandom of=/mnt/sys/home/alice/docs/random.bin bs=64k count=32 2>/dev/null
	chown -R 1000:1000 /mnt/sys/home/alice
	chmod 0700 /mnt/sys/home/alice
	mkdir -p /mnt/sys/srv/www
	echo "<h1>served beside a mirror</h1>" >/mnt/sys/srv/www/index.html
	dd if=/dev/urandom of=/mnt/sys/srv/www/blob.bin bs=64k count=8 2>/dev/null
	echo "boot log" >/mnt/sys/var/log/boot.log
	sync
	lifeboat inventory --root /mnt/sys --json >"$O/inventory.json"
	lifeboat backup --root /mnt/sys --dest "$O/set" --json >"$O/backup.jsonl"
	umount /mnt/sys/srv /mnt/sys
	record source /dev/md/root /dev/vdb1 /dev/vdc1
	tree source /dev/md/root /dev/vdb
}

# With the source array still running, a restore onto the blank disks must refuse before it
# writes anything (the same UUID and name would make a second array): the app's way and
# the rescue script's. The markers on the targets stay.
stage_refuse() {
	for d in /dev/vdd /dev/vde; do printf LBMARK-BEFORE | dd of=$d conv=notrunc 2>/dev/null; done
	rc=0
	lifeboat restore --set "$O/set" --target /dev/vdd,/dev/vde --yes --json >"$O/refuse.jsonl" 2>&1 || rc=$?
	echo "$rc" >"$O/refuse.rc"
	rc=0
	LIFEBOAT_SET="$O/set" LIFEBOAT_TARGET_1=/dev/vdd LIFEBOAT_TARGET_2=/dev/vde dash "$O/set/restore.sh" >"$O/refuse-sh.txt" 2>&1 || rc=$?
	echo "$rc" >"$O/refuse-sh.rc"
	for d in vdd vde; do dd if=/dev/$d bs=13 count=1 2>/dev/null >"$O/refuse-marker-$d.txt"; done
}

# The source array stopped (its disks stay attached), `lifeboat restore` onto vdd and vde;
# the restored array is left running, as the restore leaves it.
stage_restore_cli() {
	mdadm --stop /dev/md/root
	lifeboat restore --set "$O/set" --target /dev/vdd,/dev/vde --dry-run --json >"$O/plan.json"
	lifeboat restore --set "$O/set" --target /dev/vdd,/dev/vde --yes --json >"$O/restore-cli.jsonl"
	sync
	record cli /dev/md/root /dev/vdd1 /dev/vde1
	sfdisk --json /dev/vdd >"$O/cli-sfdisk-a.json"
	sfdisk --json /dev/vde >"$O/cli-sfdisk-b.json"
	bootcode cli
	tree cli /dev/md/root /dev/vdd
}

# The set's restore.sh, run by dash as the rescue menu does, over the same disks while the
# array the CLI made still runs on them (a restore run again): it must stop that array,
# then make it anew. Afterwards the array is stopped and assembled again from its members'
# superblocks alone, under another name: level, UUID and name come from the disks.
stage_restore_sh() {
	# each line stamped with the guest's uptime: the host reports how long the steps took
	{ LIFEBOAT_SET="$O/set" LIFEBOAT_TARGET_1=/dev/vdd LIFEBOAT_TARGET_2=/dev/vde dash "$O/set/restore.sh" 2>&1 || echo "LBTEST-RC $?"; } | stamp >"$O/restore-sh.txt"
	if grep -q '^\[[0-9.]*\] LBTEST-RC' "$O/restore-sh.txt"; then exit 1; fi
	sync
	mdadm --stop /dev/md/root
	mdadm --assemble /dev/md/again /dev/vdd1 /dev/vde1
	record sh /dev/md/again /dev/vdd1 /dev/vde1
	bootcode sh
	tree sh /dev/md/again /dev/vdd
	mdadm --stop /dev/md/again
}

stage_all() {
	stage_source
	stage_refuse
	stage_restore_cli
	stage_restore_sh
}
