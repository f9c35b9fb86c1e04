#!/bin/bash
# End-to-end: OBS's `build` script (Debian's obs-build, chroot mode) builds
# Debian's hello 2.10-3 for armel in a persistent build root, as an OBS
# worker keeps one: `build --root R` installs only what the build needs
# beyond what R holds and leaves the rest untouched (init_buildsystem's
# reuse path), so accel sets R up once, with accel-bootstrap R, and its
# follower re-plans the view as `build` installs the build dependencies.
#
# R starts as a copy of the cached buildd root (scripts/buildd-root.sh)
# with installed-pkg/, which is what a root `build` populated earlier holds
# (its first-time set-up, which moves every top-level entry of R, is
# emulated: accel-bootstrap comes after it; see README, "OBS build"). The
# repository is a directory of the armel debs of the root's exact versions
# and of hello's build dependencies, downloaded with apt; the build
# configuration (--dist FILE) keeps the root's packages (Required) so
# nothing is purged. Built once emulated in such a root (cached under a key
# of the tarball, the source and obs-build's version), then in another
# one set up by accel-bootstrap. Passes if the accelerated build ran
# natively (accelctl account) and its .deb files equal the emulated
# build's (scripts/compare-debs.sh), and teardown leaves nothing mounted.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP obs: needs root"; exit 77; }
OBS_BUILD=${ACCEL_OBS_BUILD:-/usr/bin/obs-build}
[ -x "$OBS_BUILD" ] || { echo "SKIP obs: obs-build is not installed (apt-get install obs-build)"; exit 77; }
OUT=${ACCEL_E2E_OUT:-/var/tmp/accel-e2e-obs}
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
CACHE=${ACCEL_OBS_CACHE:-/var/cache/accel/obs}
id=accel-e2e-obs-$$
state=$OUT/state
rm -rf "$OUT"
mkdir -p "$OUT" "$CACHE"

bs_opts=(--state-dir "$state" --binfmt-name "$id" --dispatcher "$ACCEL_DISPATCH"
	--fuseview "$ACCEL_FUSEVIEW" --store "$STORE")
cleanup() {
	local rc=$?
	set +e
	[ -d "$OUT/root" ] && "$ACCEL_BOOTSTRAP" "${bs_opts[@]}" --teardown "$OUT/root" > /dev/null 2>&1
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$OUT/root" 2> /dev/null
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$OUT/emu-root" 2> /dev/null
	[ -e "/proc/sys/fs/binfmt_misc/$id" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$id"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
tarball=$(bash "$SRCDIR/scripts/buildd-root.sh" cache)
. "$SRCDIR/tests/e2e/lib.sh"
dsc=$(e2e_source hello 2.10-3 "$OUT/src") || { echo "FAIL obs: no source"; exit 1; }

# The repository: the root's packages at their versions (the root's
# .packages list, NAME:ARCH VERSION) and what apt would install for the
# source's build dependencies on top of the root's status.
tar -xOf "$tarball" ./var/lib/dpkg/status > "$OUT/status"
apt_armel=(-o APT::Architecture=armel -o APT::Architectures::=armel -o "Dir::State::status=$OUT/status")
{
	awk '{ split($1, a, ":"); print a[1], a[2], $2 }' "${tarball%.tar}.packages"
	apt-get -s "${apt_armel[@]}" build-dep "$dsc" |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([a-z0-9]*\)\])$/\1 \3 \2/p'
} | sort -u > "$OUT/want"
[ "$(wc -l < "$OUT/want")" -gt 100 ] || { echo "FAIL obs: no package list (apt-get -s build-dep)"; exit 1; }
key=$(cat "$OUT/want" "$dsc" <(dpkg-query -W -f '${Version}' obs-build) | sha256sum | cut -c1-16)
repo=$CACHE/repo-$key
if [ ! -d "$repo" ]; then
	mkdir -p "$repo.tmp"
	# apt names an arch-all package without a qualifier.
	mapfile -t spec < <(awk '{ print ($2 == "all" ? $1 : $1 ":" $2) "=" $3 }' "$OUT/want")
	(cd "$repo.tmp" && apt-get download -qq "${spec[@]}" 2> "$OUT/download.err") ||
		{ cat "$OUT/download.err"; echo "FAIL obs: apt-get download of the repository failed"; exit 1; }
	rm -rf "$repo"
	mv "$repo.tmp" "$repo"
fi
echo "repository: $(find "$repo" -name '*.deb' | wc -l) debs ($repo)"

# The build configuration: Debian's repository type; the root's packages
# required, so the reuse path keeps them all; the essential ones preinstalled.
{
	printf '%s\n' "Repotype: debian" "Type: dsc" "Binarytype: deb"
	awk '/^Package:/ { p = $2 } /^Essential: yes/ { print p }' "$OUT/status" |
		sort -u | xargs printf 'Preinstall: %s\n'
	awk '{ split($1, a, ":"); print a[1] }' "${tarball%.tar}.packages" | sort -u |
		xargs printf 'Required: %s\n'
} > "$OUT/bookworm-armel.conf"

# new_root DIR: a root as a first `build --root DIR` leaves it.
new_root() {
	bash "$SRCDIR/scripts/buildd-root.sh" new "$1" > /dev/null
	mkdir "$1/installed-pkg"
}

# run_build ROOT RESULT [WRAPPER...]: seconds into RESULT/seconds, the debs into RESULT.
run_build() {
	local root=$1 d=$2 t0 t1 rc=0
	shift 2
	mkdir -p "$d"
	t0=$(date +%s.%N)
	(cd "$OUT/src" && "$@" "$OBS_BUILD" --root "$root" --arch armel --dist "$OUT/bookworm-armel.conf" \
		--repo "$repo" "$(basename "$dsc")") < /dev/null > "$d/build.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$d/seconds"
	if ! cp "$root"/usr/src/packages/DEBS/*.deb "$d/" 2> /dev/null && [ $rc = 0 ]; then rc=1; fi
	return $rc
}

ckey=$(printf '%s\n' "$(basename "$tarball")" "$key" | sha256sum | cut -c1-16)
if ls "$CACHE/emulated-$ckey"/*.deb > /dev/null 2>&1; then
	echo "emulated build: cached ($CACHE/emulated-$ckey, $(cat "$CACHE/emulated-$ckey/seconds") s when built)"
else
	echo "emulated build: obs-build in a root without accel"
	new_root "$OUT/emu-root"
	run_build "$OUT/emu-root" "$OUT/emu-build" ||
		{ tail -n 30 "$OUT/emu-build/build.out"; echo "FAIL obs: the emulated build failed"; exit 1; }
	e2e_cache_put "$OUT/emu-build" "$CACHE/emulated-$ckey"
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$OUT/emu-root"
fi
mkdir -p "$OUT/emulated"
cp "$CACHE/emulated-$ckey"/*.deb "$OUT/emulated/"

# What a user does once for a persistent build root.
new_root "$OUT/root"
"$ACCEL_BOOTSTRAP" "${bs_opts[@]}" "$OUT/root" > "$OUT/bootstrap.out" 2>&1 ||
	{ cat "$OUT/bootstrap.out"; echo "FAIL obs: accel-bootstrap failed"; exit 1; }
d=$OUT/accel
rc=0
run_build "$OUT/root" "$d" "$ACCEL_CTL" --state-dir "$state" account -n 10 \
	-o "$d/account.txt" --tsv "$d/account.tsv" -- || rc=$?
if [ $rc != 0 ]; then
	tail -n 30 "$d/build.out"
	echo "FAIL obs: the accelerated build failed"
	exit 1
fi
e2e_outcome "$d" "$OUT/emulated"
native=$E2E_NATIVE rc=$E2E_COMPARE
# build reused the root: every package the root had is kept, not
# installed again.
kept=$(grep -c '] keeping ' "$d/build.out" || true)
had=$(wc -l < "${tarball%.tar}.packages")
"$ACCEL_BOOTSTRAP" "${bs_opts[@]}" --teardown "$OUT/root" > /dev/null 2>&1 ||
	{ echo "FAIL obs: accel-bootstrap --teardown failed"; exit 1; }
left=$(findmnt -rn -o TARGET | grep -c "^$OUT/root" || true)
echo "obs: $(cat "$d/seconds") s accelerated against $(cat "$CACHE/emulated-$ckey/seconds") s emulated; $native native tasks; $kept packages kept by build (the root had $had); compare-debs exit $rc; mounts left after teardown $left"
if [ "$native" -lt 1000 ] || [ $rc != 0 ] || [ "$left" != 0 ] || [ "$kept" -lt "$had" ]; then
	echo "FAIL obs: expected >= 1000 native tasks, packages equal to the emulated build's (exit 0), nothing left mounted and the root's $had packages kept"
	exit 1
fi
echo "PASS obs: hello built by OBS's build script natively in a persistent root set up once by accel-bootstrap, packages equal to the emulated build's"
