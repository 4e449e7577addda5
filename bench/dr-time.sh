#!/usr/bin/env bash
# Full disaster-recovery time (issue #5): rescue boot → LIFEBOAT-RESCUE-READY, the unattended
# restore → LIFEBOAT-RESTORE-OK, the restored disk → its login prompt, for the rehearsal
# fixture, in qemu (TCG here: no KVM). See bench/dr-time.ts for what each column is.
#
#   bench/dr-time.sh [--runs N]        (root: loop devices; qemu-system-x86, a kernel in /boot)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=2
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--runs N]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices, mount)" >&2; exit 2; }
out=$(mktemp -d /tmp/lifeboat-bench-dr.XXXXXX)
trap 'rm -rf "$out"' EXIT
# bundled beside the sources it imports; the rescue assets are found from the project root
"$here/node_modules/.bin/esbuild" "$here/bench/dr-time.ts" --bundle --platform=node --format=cjs --log-level=warning --outfile="$out/dr-time.cjs"
cd "$here"
node "$out/dr-time.cjs" "$runs"
