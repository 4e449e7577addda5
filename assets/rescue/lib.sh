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
