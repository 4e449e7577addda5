#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/system-packages.txt that are missing.
# Idempotent and quiet: it does nothing (and needs no network) when all are present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t wanted < <(grep -v '^\s*#' "$here/system-packages.txt" | sed 's/\s.*//' | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "lifeboat: these system packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
echo "lifeboat: installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg to finish instead of failing on its lock.
apt_opts=(-o DPkg::Lock::Timeout=600 -y -qq)
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null
