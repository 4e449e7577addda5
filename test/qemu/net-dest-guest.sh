# Sourced by the net-dest lab script inside the qemu guest (see net-dest.test.ts):
# the real `lifeboat backup` onto an NFS export and an SMB share served by the host
# (10.0.2.2 on qemu's user network), then the refusals. Outputs go to /lab/out.
# No password is ever written in this file or traced by `sh -x`: the credentials files
# are copied from the lab disk.
out=/lab/out
. /etc/lifeboat/build.conf

# the network, as the rescue system's init brings it up for lifeboat.set=nfs:/cifs:
for m in $MODULES_NET; do modprobe -q "$m" 2>/dev/null; done
ip link set lo up
for i in $(ls /sys/class/net); do
	[ "$i" = lo ] && continue
	ip link set "$i" up
	udhcpc -i "$i" -s /etc/lifeboat/udhcpc.sh -q -n -t 5 -T 2 && break
done
ip addr >"$out/ip.txt"
grep -E 'nfs|cifs' /proc/filesystems >"$out/filesystems.txt"
for t in mount.nfs mount.cifs; do command -v $t >>"$out/helpers.txt"; done

mkdir -p /src
mount -t ext4 /dev/vdb /src || exit 10
cp /lab/scripts/creds-good /tmp/creds-good
cp /lab/scripts/creds-wrong /tmp/creds-wrong
chmod 600 /tmp/creds-good /tmp/creds-wrong

# Every command line seen while the backups run, to show no password is ever in an argv.
(while :; do
	for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f" 2>/dev/null && echo; done | grep -E 'mount|lifeboat' >>"$out/cmdlines.txt"
	sleep 0.05
done) &
sampler=$!

export LIFEBOAT_VERBOSE=1
b() { # name, then the arguments of lifeboat backup
	name=$1
	shift
	start=$(date +%s)
	timeout 300 lifeboat backup --root /src --no-raw --compress zstd --json "$@" >"$out/$name.jsonl" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	echo $(($(date +%s) - start)) >"$out/$name.seconds"
	cat /proc/mounts >"$out/$name.mounts"
	find /run/lifeboat >"$out/$name.run" 2>/dev/null
}
b nfs --dest nfs:10.0.2.2:/sets/nfs-set
b smb --dest cifs://10.0.2.2/sets/host1/smb-set --smb-credentials /tmp/creds-good
b smb-wrong --dest cifs://10.0.2.2/sets/host1/wrong --smb-credentials /tmp/creds-wrong
b smb-noshare --dest cifs://10.0.2.2/nosuchshare/x --smb-credentials /tmp/creds-good
b nfs-noexport --dest nfs:10.0.2.2:/nosuch/export/x
b nfs-unreachable --dest nfs:10.0.2.9:/sets/x
b smb-exists --dest cifs://10.0.2.2/sets/host1/smb-set --smb-credentials /tmp/creds-good
# Ctrl-C mid-archive onto the NFS export: exit 130, the partial set removed, the share unmounted.
mkdir -p /src2
mount -t ext4 /dev/vdc /src2 || exit 11
timeout 300 lifeboat backup --root /src2 --no-raw --compress xz --level 9 --json --dest nfs:10.0.2.2:/sets/cancelled >"$out/cancel.jsonl" 2>"$out/cancel.err" &
pid=$!
n=0
while ! grep -q '"backup.archive"' "$out/cancel.jsonl" && [ $n -lt 600 ]; do sleep 0.2; n=$((n + 1)); done
grep -c '"backup.archive"' "$out/cancel.jsonl" >"$out/cancel.archiving"
kill -INT $pid
wait $pid
echo $? >"$out/cancel.rc"
cat /proc/mounts >"$out/cancel.mounts"
find /run/lifeboat >"$out/cancel.run" 2>/dev/null
umount /src2
kill $sampler
ls -la /tmp >"$out/tmp-after.txt"
umount /src
exit 0
