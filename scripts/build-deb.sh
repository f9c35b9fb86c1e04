#!/bin/bash
# build-deb.sh OUTDIR: accel's Debian package from this tree, built in a
# copy of it (what a clean clone has: committed files plus files not
# ignored), so the tree is left as it is. dpkg-buildpackage -us -uc -b; the
# .deb, .changes and .buildinfo land in OUTDIR, and the path of the .deb is
# printed. Needs debhelper and the build dependencies (install-deps.sh).
set -euo pipefail
[ $# = 1 ] || { echo "usage: build-deb.sh OUTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
work=$(mktemp -d /tmp/accel-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/accel-$version"
if git -C "$top" rev-parse --git-dir > /dev/null 2>&1; then
	git -C "$top" ls-files -co --exclude-standard | grep -v '^tests/stage/' |
		tar -C "$top" -cf - -T - | tar -C "$work/accel-$version" -xf -
else
	tar -C "$top" --exclude=./tests/stage -cf - . | tar -C "$work/accel-$version" -xf -
	(cd "$work/accel-$version" && make -s distclean > /dev/null 2>&1 || true)
fi
(cd "$work/accel-$version" && dpkg-buildpackage -us -uc -b) >&2
for f in "$work"/accel_"$version"_amd64.*; do cp "$f" "$out/"; done
cp "$work"/accel-dbgsym_"$version"_amd64.deb "$out/" 2>/dev/null || true
echo "$out/accel_${version}_amd64.deb"
