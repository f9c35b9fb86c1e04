#!/bin/bash
# End-to-end: sbuild's unshare mode (`--chroot-mode=unshare`), as a user who
# is not root runs it (sbuild maps the build's ids through newuidmap, which
# refuses root): the cached buildd root tarball (scripts/buildd-root.sh) is
# unpacked anew for every build. What a user does for it: `accel-template
# NAME TARBALL` once (as root), and its view in the user's sbuild
# configuration:
#   $unshare_bind_mounts = [ { directory => 'VIEW', mountpoint => '/lib-x86' } ];
# The test makes a throwaway user with a subordinate id range (removed at
# the end), builds Debian's hello 2.10-3 that way, and passes if the build
# ran natively (accelctl account) and its .deb files equal the emulated
# sbuild build's (tests/e2e/sbuild.sh's cache of it; built here emulated in
# unshare mode when that cache is missing).
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP unshare: needs root (to make a build user)"; exit 77; }
for c in sbuild newuidmap useradd; do
	command -v "$c" > /dev/null ||
		{ echo "SKIP unshare: $c is missing (apt-get install sbuild uidmap)"; exit 77; }
done
OUT=${ACCEL_E2E_OUT:-/var/tmp/accel-e2e-unshare}
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
CACHE=${ACCEL_SBUILD_CACHE:-/var/cache/accel/sbuild}
TEMPLATE=${ACCEL_TEMPLATE:-$(dirname "$ACCEL_BOOTSTRAP")/accel-template}
SRC=hello_2.10-3
id=accel-e2e-un-$$
user=accel-un$$
state=$OUT/state
tdir=$OUT/templates
rm -rf "$OUT"
mkdir -p "$OUT" "$CACHE"
chmod 755 "$OUT"

bs_opts=(--state-dir "$state" --binfmt-name "$id" --dispatcher "$ACCEL_DISPATCH"
	--fuseview "$ACCEL_FUSEVIEW" --store "$STORE")
made_user=0
cleanup() {
	local rc=$?
	set +e
	ACCEL_BOOTSTRAP=$ACCEL_BOOTSTRAP "$TEMPLATE" --dir "$tdir" --remove base -- "${bs_opts[@]}" \
		> /dev/null 2>&1
	[ -e "/proc/sys/fs/binfmt_misc/$id" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$id"
	if [ $made_user = 1 ]; then
		pkill -KILL -u "$user" 2> /dev/null
		# sbuild's unpacked roots belong to the user's subordinate ids.
		rm -rf /var/tmp/"$user"-* 2> /dev/null
		userdel -r "$user" > /dev/null 2>&1
		sed -i "/^$user:/d" /etc/subuid /etc/subgid
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$SRCDIR/tests/e2e/lib.sh"
bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
tarball=$(bash "$SRCDIR/scripts/buildd-root.sh" cache)

# The build user, with 65536 subordinate ids above every range in use.
useradd -m -s /bin/sh "$user"
made_user=1
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
	base=$(cat /etc/subuid /etc/subgid 2> /dev/null |
		awk -F: 'BEGIN { m = 100000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }')
	usermod --add-subuids "$base-$((base + 65535))" --add-subgids "$base-$((base + 65535))" "$user"
fi
home=$(getent passwd "$user" | cut -d: -f6)
as_user() { runuser -u "$user" -- env HOME="$home" SBUILD_CONFIG="$OUT/sbuildrc" "$@"; }

# run_unshare DIR [WRAPPER...]: build $SRC as the user; seconds into DIR/seconds.
run_unshare() {
	local d=$1 t0 t1 rc=0
	shift
	mkdir -p "$d"
	chown "$user:" "$d"
	t0=$(date +%s.%N)
	(cd "$d" && "$@" runuser -u "$user" -- env HOME="$home" SBUILD_CONFIG="$OUT/sbuildrc" \
		sbuild --chroot-mode=unshare --chroot="$tarball" --arch=armel -d bookworm \
		--no-run-lintian --no-run-autopkgtest --no-apt-update --no-apt-upgrade \
		--no-apt-distupgrade --build-dir="$d" "$SRC" > "$d/sbuild.out" 2>&1) || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$d/seconds"
	return $rc
}

# The emulated build: sbuild.sh's (the same tarball, source and sbuild; its
# chroot mode does not change the packages), or one made here.
key=$(printf '%s\n' "$(basename "$tarball")" "$SRC" "$(sbuild --version | head -n 1)" | sha256sum | cut -c1-16)
if ! ls "$CACHE/$key"/*.deb > /dev/null 2>&1; then
	key=$key-unshare
fi
echo '1;' > "$OUT/sbuildrc" # no view bound
chmod 644 "$OUT/sbuildrc"
e2e_emulated run_unshare "$OUT/emu-build"

# What a user does once, as root: a template of the tarball.
e2e_template "$tarball"
view=$E2E_VIEW
as_user test -x "$view/.accel" ||
	{ echo "FAIL unshare: the view $view is not reachable by $user (its directories' modes)"; exit 1; }

# The lines a user adds to ~/.sbuildrc.
# shellcheck disable=SC2016 # perl's, not the shell's
printf '$unshare_bind_mounts = [ { directory => '"'%s'"', mountpoint => '"'/lib-x86'"' } ];\n1;\n' \
	"$view" > "$OUT/sbuildrc"
chmod 644 "$OUT/sbuildrc"
d=$OUT/accel
rc=0
run_unshare "$d" "$ACCEL_CTL" --state-dir "$state" account -n 10 \
	-o "$d/account.txt" --tsv "$d/account.tsv" -- || rc=$?
if [ $rc != 0 ]; then
	tail -n 30 "$d/sbuild.out"
	echo "FAIL unshare: the accelerated build failed"
	exit 1
fi
e2e_outcome "$d" "$OUT/emulated"
native=$E2E_NATIVE rc=$E2E_COMPARE
echo "unshare: $(cat "$d/seconds") s accelerated against $(cat "$CACHE/$key/seconds") s emulated; $native native tasks; compare-debs exit $rc"
if [ "$native" -lt 1000 ] || [ $rc != 0 ]; then
	echo "FAIL unshare: expected >= 1000 native tasks and packages equal to the emulated build's (exit 0)"
	exit 1
fi
echo "PASS unshare: hello built by sbuild in unshare mode (a user's build, the tarball unpacked anew) natively through accel-template's view, packages equal to the emulated sbuild build's"
