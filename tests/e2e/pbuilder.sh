#!/bin/bash
# End-to-end: `pbuilder build` of Debian's hello 2.10-3 with the cached
# buildd root tarball (scripts/buildd-root.sh) as its base: pbuilder unpacks
# it anew into a build place for every build. Built once emulated (cached
# under a key of the tarball, the source and pbuilder's version), then with
# what a user does for pbuilder: `accel-template NAME BASE` once, and its
# view in BINDMOUNTS (here --bindmounts "VIEW:/lib-x86"). Passes if the
# accelerated build ran natively (accelctl account) and its .deb files equal
# the emulated build's (scripts/compare-debs.sh), and nothing is left
# mounted in the build place.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP pbuilder: needs root"; exit 77; }
command -v pbuilder > /dev/null || { echo "SKIP pbuilder: pbuilder is not installed (apt-get install pbuilder)"; exit 77; }
OUT=${ACCEL_E2E_OUT:-/var/tmp/accel-e2e-pbuilder}
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
CACHE=${ACCEL_PBUILDER_CACHE:-/var/cache/accel/pbuilder}
TEMPLATE=${ACCEL_TEMPLATE:-$(dirname "$ACCEL_BOOTSTRAP")/accel-template}
id=accel-e2e-pb-$$
state=$OUT/state
tdir=$OUT/templates
rm -rf "$OUT"
mkdir -p "$OUT" "$CACHE"

bs_opts=(--state-dir "$state" --binfmt-name "$id" --dispatcher "$ACCEL_DISPATCH"
	--fuseview "$ACCEL_FUSEVIEW" --store "$STORE")
cleanup() {
	local rc=$? m
	set +e
	# pbuilder unmounts its bind mounts itself; a build it could not end
	# may leave them: below OUT only.
	for m in $(findmnt -rn -o TARGET | grep "^$OUT/" | sort -r); do umount -l "$m"; done
	ACCEL_BOOTSTRAP=$ACCEL_BOOTSTRAP "$TEMPLATE" --dir "$tdir" --remove base -- "${bs_opts[@]}" \
		> /dev/null 2>&1
	[ -e "/proc/sys/fs/binfmt_misc/$id" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$id"
	rm -rf "$OUT/place"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
tarball=$(bash "$SRCDIR/scripts/buildd-root.sh" cache)

# The source, from the mirror the root uses (pbuilder checks it against the
# .dsc's checksums).
. "$SRCDIR/tests/e2e/lib.sh"
dsc=$(e2e_source hello 2.10-3 "$OUT/src") || { echo "FAIL pbuilder: no source"; exit 1; }

# run_pbuilder BUILDRESULT CONFIG [WRAPPER...]: seconds into BUILDRESULT/seconds.
run_pbuilder() {
	local d=$1 conf=$2 t0 t1 rc=0
	shift 2
	mkdir -p "$d" "$OUT/place"
	t0=$(date +%s.%N)
	"$@" pbuilder build --configfile "$conf" --basetgz "$tarball" --buildplace "$OUT/place" \
		--buildresult "$d" --debbuildopts -b "$dsc" \
		> "$d/pbuilder.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$d/seconds"
	return $rc
}

satisfy=PBUILDERSATISFYDEPENDSCMD=/usr/lib/pbuilder/pbuilder-satisfydepends-apt
key=$(printf '%s\n' "$(basename "$tarball")" hello_2.10-3 "$(dpkg-query -W -f '${Version}' pbuilder)" |
	sha256sum | cut -c1-16)
# pbuilder's default resolver is aptitude, which a buildd root lacks; its
# apt resolver is what sbuild uses too. The emulated build binds no view.
echo "$satisfy" > "$OUT/pbuilderrc.emu"
e2e_emulated run_pbuilder "$OUT/emu-build" "$OUT/pbuilderrc.emu"

# What a user does once: a template of the base; BINDMOUNTS names its view.
e2e_template "$tarball"
view=$E2E_VIEW

# The one line a user adds to pbuilderrc.
printf '%s\nBINDMOUNTS="%s:/lib-x86"\n' "$satisfy" "$view" > "$OUT/pbuilderrc"
d=$OUT/accel
rc=0
run_pbuilder "$d" "$OUT/pbuilderrc" "$ACCEL_CTL" --state-dir "$state" account -n 10 \
	-o "$d/account.txt" --tsv "$d/account.tsv" -- || rc=$?
if [ $rc != 0 ]; then
	tail -n 30 "$d/pbuilder.out"
	echo "FAIL pbuilder: the accelerated build failed"
	exit 1
fi
grep -q "Mounting $view to /lib-x86" "$d/pbuilder.out" ||
	{ echo "FAIL pbuilder: pbuilder did not bind the view (BINDMOUNTS in $OUT/pbuilderrc)"; exit 1; }
e2e_outcome "$d" "$OUT/emulated"
native=$E2E_NATIVE rc=$E2E_COMPARE
left=$(findmnt -rn -o TARGET | grep -c "^$OUT/place" || true)
echo "pbuilder: $(cat "$d/seconds") s accelerated against $(cat "$CACHE/$key/seconds") s emulated; $native native tasks; compare-debs exit $rc; mounts left in the build place $left"
if [ "$native" -lt 1000 ] || [ $rc != 0 ] || [ "$left" != 0 ]; then
	echo "FAIL pbuilder: expected >= 1000 native tasks, packages equal to the emulated build's (exit 0) and nothing left mounted"
	exit 1
fi
echo "PASS pbuilder: hello built by pbuilder from its base tarball natively through accel-template's view, packages equal to the emulated pbuilder build's"
