#!/bin/bash
# End-to-end: Debian's hello 2.10-3 built with dpkg-buildpackage in two fresh
# copies of a real Debian 12 armel buildd root (scripts/buildd-root.sh), one
# fully emulated and one with accel's default set native, at the same time.
# Passes only if every .deb has the same file list, modes, owners, sizes and
# contents (scripts/compare-debs.sh); byte identity is reported. Also checks
# that the accelerated build really ran natively (accelctl account).
#
# The root comes from the tarball cache (/var/cache/accel/roots) when it is
# there; creating it the first time takes about 15 minutes.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP hello: needs root"; exit 77; }
OUT=${ACCEL_E2E_OUT:-/var/tmp/accel-e2e-hello}
rm -rf "$OUT"
mkdir -p "$OUT"

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
rc=0
bash "$SRCDIR/scripts/compare-build.sh" --out "$OUT" --with help2man,texinfo \
	--jobs "${ACCEL_E2E_JOBS:-1}" hello=2.10-3 || rc=$?
echo "--- where the time went (accelerated build):"
sed -n '1,20p' "$OUT/accelerated/account.txt" 2>/dev/null || true
if [ $rc != 0 ]; then
	echo "FAIL hello: compare-build exit $rc (results in $OUT)"
	exit 1
fi
# The accelerated build must have run programs natively, under fakeroot too.
native=$(awk -F'\t' 'NR > 1 && $4 == "native"' "$OUT/accelerated/account.tsv" | wc -l)
native_in_emulated=$(awk -F'\t' 'NR > 1 && $4 == "native"' "$OUT/emulated/account.tsv" | wc -l)
n_debs=$(ls "$OUT"/accelerated/*.deb | wc -l)
echo "native tasks: accelerated build $native, emulated build $native_in_emulated; .deb files: $n_debs"
if [ "$native" -lt 1000 ] || [ "$native_in_emulated" != 0 ] || [ "$n_debs" -lt 2 ]; then
	echo "FAIL hello: expected >= 1000 native tasks in the accelerated build, none in the emulated one, and 2 .debs"
	exit 1
fi
echo "PASS hello: packages identical in content ($(grep -c '^IDENTICAL' "$OUT/report.txt") of $n_debs byte-identical)"
