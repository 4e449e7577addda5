#!/bin/sh
# Shared by the qemu guest scripts (lvm-guest.sh, md-guest.sh), which source it from
# /lab/scripts: how a restored tree is compared with its source.

# listing DIR: one line per entry, what a restore must keep (type+mode, owner, size and
# content of files, link targets, link counts, xattrs), by path; mount points included.
listing() {
	(
		cd "$1"
		find . -xdev | LC_ALL=C sort | while IFS= read -r f; do
			set -- $(stat -c '%f %u %g %h %s %Y' "$f")
			mode=$1 uid=$2 gid=$3 nlink=$4 size=$5 mtime=$6
			extra=
			if [ -L "$f" ]; then
				extra="-> $(readlink "$f") mtime=$mtime"
			elif [ -f "$f" ]; then
				extra="size=$size links=$nlink mtime=$mtime sha256=$(sha256sum <"$f" | cut -d' ' -f1)"
			fi
			x=$(getfattr -h -d -m - --absolute-names "$f" 2>/dev/null | grep -v '^#' | grep . | LC_ALL=C sort | tr '\n' ' ' || true)
			echo "$f mode=$mode uid=$uid gid=$gid $extra ${x:+xattr: $x}"
		done
	)
}
