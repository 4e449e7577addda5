#!/usr/bin/env bash
# Backup bench: `lifeboat backup` against the plain pipes it wraps, in one run.
#
#   node scripts/build.mjs && bench/backup.sh [--size-mib N]
#   LIFEBOAT_CLI=/path/to/cli.cjs bench/backup.sh      # any CLI bundle exporting main()
#
# The tree (cached in bench/out/backup-tree) is ~400 MiB of mixed data a system holds:
# text (docs, headers, locales), binaries and libraries copied from /usr, random data
# (already compressed media) and zeros. Each run starts with the page cache dropped.
# Lifeboat does more than the plain pipe: it records the layout, walks the tree once
# first to estimate (for the ETA), splits into parts and sha256-hashes every part in
# the same pass. The figures say what that costs.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
size_mib=400
while [ $# -gt 0 ]; do
	case "$1" in
	--size-mib) size_mib=$2; shift 2 ;;
	*) echo "usage: $0 [--size-mib N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "needs root (tar --numeric-owner of a copied /usr tree, drop_caches)" >&2; exit 2; }
cli=${LIFEBOAT_CLI:-$here/dist/cli.cjs}
[ -f "$cli" ] || { echo "build first: node scripts/build.mjs (or set LIFEBOAT_CLI)" >&2; exit 2; }
for t in zstd pigz tar; do command -v $t >/dev/null || { echo "missing: $t" >&2; exit 2; }; done

out=$here/bench/out
tree=$out/backup-tree
if [ ! -f "$tree/.complete-$size_mib" ]; then
	rm -rf "$tree"
	mkdir -p "$tree/text" "$tree/bin" "$tree/random" "$tree/zeros"
	q=$((size_mib / 4))
	# each quarter is filled from its sources until it holds q MiB (sizes summed by awk, not du per file)
	fill() { # fill DEST SRC...
		local dest=$1; shift
		find "$@" -type f -size -8M -printf '%s\t%p\n' 2>/dev/null |
			awk -F'\t' -v q=$((q * 1024 * 1024)) '{ s += $1; if (s > q) exit; print $2 }' |
			xargs -d '\n' -r cp --parents -a -t "$dest" 2>/dev/null || true
	}
	fill "$tree/text" /usr/share/doc /usr/include /usr/share/locale
	fill "$tree/bin" /usr/bin /usr/lib/x86_64-linux-gnu
	head -c $((q * 1024 * 1024)) /dev/urandom >"$tree/random/media.bin"
	head -c $((q * 1024 * 1024)) /dev/zero >"$tree/zeros/zeros.bin"
	touch "$tree/.complete-$size_mib"
fi
tree_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
files=$(find "$tree" | wc -l)

work=$(mktemp -d /var/tmp/lifeboat-bench-backup.XXXXXX)
trap 'rm -rf "$work"' EXIT

drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
# run NAME CMD... → prints seconds; the output size is measured by the caller
secs() { local s e; drop; s=$(date +%s.%N); "$@" >/dev/null 2>>"$work/log" || { echo "failed: $*" >&2; tail -5 "$work/log" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
size_of() { du -sb --apparent-size "$@" | awk '{s+=$1} END {print s}'; }

t_tar_zstd=$(secs sh -c 'tar -c --numeric-owner --sparse -C "$1" . | zstd -T0 -3 -q >"$2"' sh "$tree" "$work/plain.tar.zst")
s_tar_zstd=$(size_of "$work/plain.tar.zst")
t_lb_zstd=$(secs node -e 'require(process.argv[1]).main(process.argv.slice(2)).then((c) => process.exit(c))' "$cli" backup --root "$tree" --dest "$work/lb-zstd" --compress zstd)
s_lb_zstd=$(size_of "$work/lb-zstd/archives")

t_tar_pigz=$(secs sh -c 'tar -c --numeric-owner --sparse -C "$1" . | pigz -6 >"$2"' sh "$tree" "$work/plain.tar.gz")
s_tar_pigz=$(size_of "$work/plain.tar.gz")
t_lb_gzip=$(secs node -e 'require(process.argv[1]).main(process.argv.slice(2)).then((c) => process.exit(c))' "$cli" backup --root "$tree" --dest "$work/lb-gzip" --compress gzip)
s_lb_gzip=$(size_of "$work/lb-gzip/archives")

t_verify=$(secs node -e 'require(process.argv[1]).main(process.argv.slice(2)).then((c) => process.exit(c))' "$cli" verify "$work/lb-zstd")

mib() { echo "scale=1; $1 / 1048576" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "tree: $(mib "$tree_bytes") MiB, $files entries, $(nproc) cores"
printf '%-34s %8s %10s %12s %8s\n' "run" "seconds" "MiB out" "MiB/s in" "ratio"
row() { printf '%-34s %8.2f %10s %12s %8s\n' "$1" "$2" "$(mib "$3")" "$(echo "scale=1; $tree_bytes / 1048576 / $2" | bc)" "$(ratio "$tree_bytes" "$3")"; }
row "tar | zstd -T0 -3" "$t_tar_zstd" "$s_tar_zstd"
row "lifeboat backup --compress zstd" "$t_lb_zstd" "$s_lb_zstd"
row "tar | pigz -6" "$t_tar_pigz" "$s_tar_pigz"
row "lifeboat backup --compress gzip" "$t_lb_gzip" "$s_lb_gzip"
printf '%-34s %8.2f\n' "lifeboat verify (zstd set)" "$t_verify"
echo "lifeboat/plain time: zstd $(ratio "$t_lb_zstd" "$t_tar_zstd")x, gzip $(ratio "$t_lb_gzip" "$t_tar_pigz")x; size: zstd $(ratio "$s_lb_zstd" "$s_tar_zstd")x, gzip $(ratio "$s_lb_gzip" "$s_tar_pigz")x"
