# Rehearsal only (lifeboat.rehearsal=1, given by `lifeboat rehearse`). Sourced by lib.sh.
#
# The restored disks live in a throwaway VM whose only screen is its serial line. A real
# system's boot entries start the kernel without console=ttyS0, so neither the kernel's
# messages nor a login prompt would ever reach that line (systemd starts a serial getty
# only for a console named on the command line) and a rehearsal could only time out.
# So, in the VM and nowhere else, the serial console is added to the kernel lines of
# every GRUB configuration on the restored disks. A real restore never runs this.

# rehearsal_console DISKS: DISKS as given to run_restore (comma-separated).
rehearsal_console() {
	mnt=/run/lifeboat/rehearsal-mnt
	mkdir -p "$mnt"
	devs=
	for d in $(echo "$1" | tr ',' ' '); do
		name=${d#/dev/}
		devs="$devs $d"
		for p in /sys/class/block/"$name"/"$name"*; do
			[ -e "$p" ] && devs="$devs /dev/${p##*/}"
		done
	done
	# logical volumes and arrays made by the restore (root on LVM)
	for m in /dev/mapper/* /dev/md[0-9]*; do
		[ -b "$m" ] && devs="$devs $m"
	done
	for dev in $devs; do
		[ -b "$dev" ] || continue
		mount "$dev" "$mnt" 2>/dev/null || continue
		for cfg in "$mnt/boot/grub/grub.cfg" "$mnt/grub/grub.cfg" "$mnt/boot/grub2/grub.cfg" "$mnt/grub2/grub.cfg"; do
			[ -f "$cfg" ] || continue
			# linux, linux16, linuxefi lines that do not already name the serial console
			sed -i '/^[[:space:]]*linux/{/console=ttyS0/!s/$/ console=tty0 console=ttyS0,115200/}' "$cfg" &&
				announce "LIFEBOAT-REHEARSAL-CONSOLE $dev ${cfg#"$mnt"}"
		done
		umount "$mnt"
	done
}
