#!/bin/bash
# End-to-end: Debian's hello 2.10-3 built with dpkg-buildpackage in two fresh
# copies of a real Debian 12 armel buildd root (scripts/buildd-root.sh), one
# fully emulated and one with accel's default set native, at the same time.
# Passes only if every .deb has the same file list, modes, owners, sizes and
# contents (scripts/compare-debs.sh); byte identity is reported. Also checks
# that the accelerated build really ran natively (accelctl account). Then
# a third build with Debian's cross compiler (the opt-in of
# --allow-toolchain-skew) must differ in the compiler identification only.
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
echo "packages identical in content ($(grep -c '^IDENTICAL' "$OUT/report.txt") of $n_debs byte-identical)"
# The assembler is in the default set where the machine runs its i386 build
# (the test command adds apt's i386 architecture): never emulated then.
as_too=0
dpkg --print-foreign-architectures | grep -qx i386 && as_too=1
emulated_as=$(awk -F'\t' 'NR > 1 && $4 == "emulated" && $9 == "as"' "$OUT/accelerated/account.tsv" | wc -l)
echo "as emulated in the accelerated build: $emulated_as times"
if [ "$as_too" = 1 ] && [ "$emulated_as" != 0 ]; then
	echo "FAIL hello: with apt's i386 architecture, as must run natively (its i386 build)"
	exit 1
fi

# The opt-in compiler: Debian's cross compiler of the nearest version
# (accel-build-toolchain --debian-cross, imported into the test store once),
# enabled with --allow-toolchain-skew. Its packages must differ from the
# emulated build's in the compiler identification only, as compare-debs.sh
# shows it (exit 3, every package IDENTIFICATION-ONLY or IDENTICAL).
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
tmp_root=/var/tmp/accel-e2e-cross-$$
trap 'bash "$SRCDIR/scripts/buildd-root.sh" destroy "$tmp_root" 2> /dev/null || true' EXIT
bash "$SRCDIR/scripts/buildd-root.sh" new "$tmp_root" > /dev/null
bash "$ACCEL_BUILDDIR/accel-build-toolchain" --debian-cross "$tmp_root" --store "$STORE" > "$OUT/import.log" 2>&1 ||
	{ tail -3 "$OUT/import.log"; echo "FAIL hello: importing Debian's cross compiler failed"; exit 1; }
bash "$SRCDIR/scripts/buildd-root.sh" destroy "$tmp_root"
rc=0
ACCEL_TOOLCHAINS=$STORE/toolchains bash "$SRCDIR/scripts/compare-build.sh" --out "$OUT/cross" \
	--with help2man,texinfo --accelerated-only --debian-cross hello=2.10-3 || rc=$?
[ $rc = 0 ] || { echo "FAIL hello: the build with Debian's cross compiler failed (exit $rc, $OUT/cross)"; exit 1; }
rc=0
bash "$SRCDIR/scripts/compare-debs.sh" "$OUT/emulated" "$OUT/cross/accelerated" > "$OUT/cross/report.txt" || rc=$?
cat "$OUT/cross/report.txt"
cross_native=$(awk -F'\t' 'NR > 1 && $4 == "native" && $9 == "cc1"' "$OUT/cross/accelerated/account.tsv" | wc -l)
# ld, ar and ranlib come with the compiler, as with the default set: none of
# them emulated.
cross_emulated_binutils=$(awk -F'\t' -v a="$as_too" 'NR > 1 && $4 == "emulated" && ($9 == "ld" || $9 == "ar" || $9 == "ranlib" || $9 == "nm" || (a && $9 == "as"))' \
	"$OUT/cross/accelerated/account.tsv" | wc -l)
echo "cross compiler: cc1 ran natively $cross_native times, ld/ar/ranlib/nm/as emulated $cross_emulated_binutils times, $(cat "$OUT/cross/accelerated/seconds") s"
if [ $rc != 3 ] || grep -q '^DIFFERENT\|^MISSING' "$OUT/cross/report.txt" || [ "$cross_native" -lt 10 ] ||
	[ "$cross_emulated_binutils" != 0 ]; then
	echo "FAIL hello: with Debian's cross compiler the packages must differ in the compiler identification only, with cc1, ld, ar, ranlib and as native (compare-debs exit $rc)"
	exit 1
fi
echo "PASS hello: packages identical in content ($(grep -c '^IDENTICAL' "$OUT/report.txt") of $n_debs byte-identical); with Debian's cross compiler $(grep -c '^IDENTIFICATION-ONLY' "$OUT/cross/report.txt") of $n_debs differ in the compiler identification only"
