#!/bin/sh
# Lifeboat rescue menu. Runs on the primary console (started by init) and on the screen
# (tty1) when the primary console is a serial line; both offer the same choices.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. /etc/lifeboat/build.conf
. /run/lifeboat/env
. "/etc/lifeboat/lang/$LB_LANG.sh"
. /etc/lifeboat/lib.sh

# The menu: plain numbered lines and `read`, so it works the same on a screen and on
# a serial console (no cursor addressing needed).
while :; do
	echo
	say T_menu_title
	[ -n "$SET_DIR" ] && say T_setFound "$SET_DIR"
	echo " 1) $(say T_menu_restore)"
	echo " 2) $(say T_menu_restoreOther)"
	echo " 3) $(say T_menu_shell)"
	echo " 4) $(say T_menu_reboot)"
	echo " 5) $(say T_menu_poweroff)"
	# shellcheck disable=SC2059
	printf "$T_menu_prompt"
	read -r choice || { sleep 1; continue; }
	case "$choice" in
	1 | 2)
		list_disks
		# shellcheck disable=SC2059
		printf "$T_restoreAskTarget"
		read -r disks || disks=
		[ -n "$disks" ] || continue
		# shellcheck disable=SC2059
		printf "$T_restoreConfirm" "$disks" "$T_restoreYes"
		read -r answer || answer=
		if [ "$answer" = "$T_restoreYes" ]; then run_restore "$disks"; else say T_restoreKept; fi
		;;
	3)
		say T_shellHint
		# cttyhack gives the shell a controlling terminal, so Ctrl-C works.
		setsid cttyhack "$INTERACTIVE_SHELL" -l
		;;
	4) say T_rebooting; sync; reboot -f ;;
	5) say T_poweringOff; sync; poweroff -f ;;
	*) say T_menu_invalid ;;
	esac
done
