# Shared by init and the menu: the translated messages and the console contract.
# Sourced (not run); expects LB_LANG and the message file for it to be loaded.

# say VAR [ARGS...]: prints a translated message (a printf format) with its values.
say() {
	eval "fmt=\$$1"
	shift
	# shellcheck disable=SC2059 # the format is ours, generated from rescue.json
	printf "$fmt\n" "$@"
}

# announce LINE: the console contract; written to every active console so a person
# (or a test) on the screen or the serial line sees it.
announce() {
	done_any=
	for c in $(cat /sys/class/tty/console/active 2>/dev/null); do
		[ -c "/dev/$c" ] && echo "$1" >"/dev/$c" && done_any=1
	done
	[ -n "$done_any" ] || echo "$1"
}

# run_restore DISKS: runs the set's compiled plan (restore.sh, rendered from the same
# TypeScript plan the app executes) onto DISKS (comma-separated, in the order of the
# recorded disks). Prints the console contract line; returns the plan's status.
run_restore() {
	disks=$1
	if [ -z "$SET_DIR" ]; then
		say T_restoreNoSet
		announce "LIFEBOAT-RESTORE-FAILED: no backup set found"
		return 1
	fi
	if [ ! -f "$SET_DIR/restore.sh" ]; then
		say T_restoreNoPlan
		announce "LIFEBOAT-RESTORE-FAILED: the backup set has no restore plan"
		return 1
	fi
	if [ -z "$disks" ]; then
		say T_restoreNoTarget
		announce "LIFEBOAT-RESTORE-FAILED: no target disk given"
		return 1
	fi
	say T_restoreRunning "$disks"
	# The plan reads its targets from LIFEBOAT_TARGET_<n> and the set from LIFEBOAT_SET.
	n=1
	for d in $(echo "$disks" | tr ',' ' '); do
		export "LIFEBOAT_TARGET_$n=$d"
		n=$((n + 1))
	done
	status=/run/lifeboat/restore-status
	rm -f "$status"
	plan=$SET_DIR/restore.sh
	# A set on several discs: the boot disc leaves the drive, so the plan runs from RAM.
	if [ -f "$SET_DIR/lifeboat-disc.txt" ] || [ -f /run/lifeboat/disc-now ]; then
		use_disc_set
		plan=/run/lifeboat/restore.sh
	fi
	if LIFEBOAT_SET="$SET_DIR" LIFEBOAT_STATUS_FILE="$status" dash "$plan"; then
		# in a rehearsal VM only: let the restored system talk on the serial line
		if [ "${REHEARSAL:-}" = 1 ]; then
			. /etc/lifeboat/rehearsal.sh
			rehearsal_console "$disks"
		fi
		say T_restoreOk
		announce "LIFEBOAT-RESTORE-OK"
		return 0
	fi
	rc=$?
	# "<n> <step id> <status>" from the plan, when it got as far as a step
	reason="status $rc"
	if [ -s "$status" ]; then
		read -r n id src <"$status"
		reason="step $n ($id) failed with status $src"
	fi
	say T_restoreFailed "$reason"
	announce "LIFEBOAT-RESTORE-FAILED: $reason"
	return 1
}

# use_disc_set: the plan reads its parts through read-parts.sh, which asks for each
# further disc by its label. The boot disc's plan, disc map and SHA256SUMS are kept in
# RAM the first time (a second attempt may start with another disc in the drive).
use_disc_set() {
	if [ ! -f /run/lifeboat/disc-now ]; then
		cp "$SET_DIR/restore.sh" /run/lifeboat/restore.sh
		cp "$SET_DIR/lifeboat-disc.txt" /run/lifeboat/discs.txt
		cp "$SET_DIR/SHA256SUMS" /run/lifeboat/SHA256SUMS
		rm -f /run/lifeboat/parts-checked
		echo 1 >/run/lifeboat/disc-now
	fi
	export LIFEBOAT_READ_PARTS=/etc/lifeboat/read-parts.sh LIFEBOAT_DISCS=/run/lifeboat/discs.txt
	export LIFEBOAT_SUMS=/run/lifeboat/SHA256SUMS LIFEBOAT_DISC_MOUNT="${SET_DIR%/lifeboat}" LB_LANG
	# init's unattended restore: nobody is there to press Enter
	[ "${RESTORE:-}" = auto ] && export LIFEBOAT_UNATTENDED=1
	return 0
}

# list_disks: whole disks with their size, for a person choosing a target.
list_disks() {
	say T_restoreDisks
	for s in /sys/block/*; do
		name=${s##*/}
		case "$name" in loop* | ram* | sr* | fd* | zram*) continue ;; esac
		sectors=$(cat "$s/size" 2>/dev/null || echo 0)
		model=$(cat "$s/device/model" 2>/dev/null || true)
		echo "  /dev/$name  $((sectors / 2048)) MiB  $model"
	done
}
