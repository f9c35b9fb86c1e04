#!/bin/bash
# End-to-end: `sbuild --arch=armel` of Debian's hello 2.10-3 in a schroot
# chroot written as sbuild-createchroot writes it (type=directory,
# union-type=overlay, profile=sbuild) over a fresh copy of the cached buildd
# root (scripts/buildd-root.sh; no new debootstrap). Built once emulated
# (the chroot without accel's key; the packages are cached under a key of
# the root tarball, the source and sbuild's version), then with the one line
# a user adds, accel.enable=true, through drivers/schroot/60accel: in an
# overlay session and in a plain directory session. Passes if both
# accelerated builds ran natively (accelctl account, started before sbuild
# opens its session) and their .deb files equal the emulated build's
# (scripts/compare-debs.sh).
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP sbuild: needs root"; exit 77; }
command -v sbuild > /dev/null || { echo "SKIP sbuild: sbuild is not installed (apt-get install sbuild)"; exit 77; }
OUT=${ACCEL_E2E_OUT:-/var/tmp/accel-e2e-sbuild}
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
CACHE=${ACCEL_SBUILD_CACHE:-/var/cache/accel/sbuild}
SRC=hello_2.10-3
id=accel-e2e-sb-$$
dir=/var/tmp/$id
state=$OUT/state
hook=/etc/schroot/setup.d/60accel-$id
conf=/etc/schroot/chroot.d/$id
rm -rf "$OUT"
mkdir -p "$OUT"

cleanup() {
	local rc=$? s
	set +e
	for s in $(schroot --all-sessions -l 2> /dev/null | sed -n "s/^session:\($id-.*\)/\1/p"); do
		(cd / && schroot -e -c "$s") > /dev/null 2>&1
	done
	rm -f "$hook" "$conf"
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$dir" 2> /dev/null
	[ -e "/proc/sys/fs/binfmt_misc/$id" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$id"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$SRCDIR/tests/e2e/lib.sh"
bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
tarball=$(bash "$SRCDIR/scripts/buildd-root.sh" cache)
bash "$SRCDIR/scripts/buildd-root.sh" new "$dir" > /dev/null
cp "$SRCDIR/drivers/schroot/60accel" "$hook"
chmod 755 "$hook"
entry() { # NAME MORE-LINES...
	printf '[%s]\n' "$id-$1"
	printf '%s\n' "description=Debian bookworm/armel autobuilder (accel e2e)" \
		"groups=root,sbuild" "root-groups=root,sbuild" "profile=sbuild" "type=directory" \
		"directory=$dir" "${@:2}"
}
accel_lines=("accel.enable=true" "accel.bootstrap=$ACCEL_BOOTSTRAP"
	"accel.options=--state-dir $state --binfmt-name $id --dispatcher $ACCEL_DISPATCH --fuseview $ACCEL_FUSEVIEW --store $STORE")
{
	entry emu "union-type=overlay"
	entry overlay "union-type=overlay" "${accel_lines[@]}"
	entry dir "${accel_lines[@]}"
} > "$conf"

# sbuild CHROOT DIR [accelctl account args]: build $SRC; seconds into DIR/seconds.
run_sbuild() {
	local chroot=$1 d=$2 t0 t1 rc=0
	mkdir -p "$d"
	t0=$(date +%s.%N)
	(cd "$d" && "${@:3}" sbuild --arch=armel -d bookworm -c "$id-$chroot" --no-run-lintian \
		--no-run-autopkgtest --no-apt-update --no-apt-upgrade --no-apt-distupgrade \
		--build-dir="$d" "$SRC" > "$d/sbuild.out" 2>&1) || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$d/seconds"
	return $rc
}

key=$(printf '%s\n' "$(basename "$tarball")" "$SRC" "$(sbuild --version | head -n 1)" | sha256sum | cut -c1-16)
e2e_emulated run_sbuild emu "$OUT/emu-build" # the chroot without accel's key

fails=0
for chroot in overlay dir; do
	d=$OUT/$chroot
	rc=0
	run_sbuild "$chroot" "$d" "$ACCEL_CTL" --state-dir "$state" account -n 10 \
		-o "$d/account.txt" --tsv "$d/account.tsv" -- || rc=$?
	if [ $rc != 0 ]; then
		tail -n 20 "$d"/*.build
		echo "FAIL sbuild: the accelerated build in a $chroot session failed"
		fails=$((fails + 1))
		continue
	fi
	e2e_outcome "$d" "$OUT/emulated"
	native=$E2E_NATIVE rc=$E2E_COMPARE
	left=$(ls "$state/roots" 2> /dev/null | wc -l)
	echo "$chroot session: $(cat "$d/seconds") s accelerated against $(cat "$CACHE/$key/seconds") s emulated; $native native tasks; compare-debs exit $rc; views left $left"
	if [ "$native" -lt 1000 ] || [ $rc != 0 ] || [ "$left" != 0 ]; then
		echo "FAIL sbuild: in a $chroot session expected >= 1000 native tasks, packages equal to the emulated build's (exit 0) and no view left"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ] || exit 1
echo "PASS sbuild: hello built by sbuild in overlay and directory sessions natively, packages equal to the emulated sbuild build's"
