#!/bin/bash
# quickstart.sh: the README's main command. On a fresh Debian 12 machine it
# installs the dependencies, builds accel's Debian package from this tree
# and installs it (or, with ACCEL_INSTALL=make, make install under /usr),
# makes or reuses an armel root, sets it up for acceleration with
# accel-bootstrap, and runs a short demo build emulated and accelerated,
# printing both times.
#
#   ACCEL_ROOT     the armel root to use (default /srv/accel/demo-root,
#                  made from Debian armel packages in seconds if missing)
#   ACCEL_INSTALL  deb (default) or make
#
# The demo root gets the default accelerated set (dash, coreutils, sed, grep,
# mawk, make, ...): the amd64 builds of the root's exact package versions,
# fetched into /var/lib/accel/store and served read-only at ROOT/lib-x86.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ACCEL_ROOT:-/srv/accel/demo-root}
STATE=/var/lib/accel

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root" >&2; exit 2; }
echo "== dependencies"
scripts/install-deps.sh
if [ "${ACCEL_INSTALL:-deb}" = make ]; then
	echo "== build and install (make install)"
	./autogen.sh >/dev/null
	./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var
	make -s -j"$(nproc)"
	make -s install
else
	echo "== build the Debian package and install it"
	deb=$(scripts/build-deb.sh /var/cache/accel/deb 2>/var/cache/accel/deb.log) ||
		{ tail -20 /var/cache/accel/deb.log >&2; echo "quickstart: package build failed" >&2; exit 1; }
	apt-get install -y -qq "$deb" >/dev/null
	echo "installed $deb"
fi
scripts/ensure-qemu-binfmt.sh

echo "== armel root: $ROOT"
if [ ! -e "$ROOT/var/lib/dpkg/status" ]; then
	# accel reads the root's package versions: a root needs its dpkg
	# database (debootstrap makes one; so does mkroot-mini.sh).
	[ -z "${ACCEL_ROOT:-}" ] || { echo "quickstart: $ROOT has no dpkg database" >&2; exit 2; }
	rm -rf "$ROOT"
	scripts/mkroot-mini.sh "$ROOT" libc6 libgcc-s1 busybox-static dash bash libtinfo6 \
		coreutils libselinux1 libpcre2-8-0 libacl1 libattr1 libgmp10 make sed grep mawk
fi
accel-bootstrap "$ROOT"
accelctl --root "$ROOT" status || true

# A small "build" of the kind configure scripts and makefiles run: many short
# processes (sed, grep, awk, sort, wc) over generated files.
demo='cd /tmp && rm -rf demo && mkdir demo && cd demo &&
for i in $(seq 1 60); do
  echo "int f$i(void) { return $i; }" > f$i.c
  sed "s/int/long/" f$i.c | grep -c long > f$i.n
  awk "{ s += \$1 } END { print s }" f$i.n | sort | wc -l > /dev/null
done; ls | wc -l'
mkdir -p "$ROOT/tmp" "$ROOT/dev"
[ -e "$ROOT/dev/null" ] || mknod -m 666 "$ROOT/dev/null" c 1 3
run() { chroot "$ROOT" /bin/sh -c "$demo" >/dev/null || { echo "quickstart: demo build failed" >&2; exit 1; }; }

echo "== demo build (60 x sed, grep, awk, sort, wc under sh)"
entry=/proc/sys/fs/binfmt_misc/accel-armel
echo 0 > "$entry" # Debian's qemu-arm entry alone: fully emulated
t0=$(date +%s.%N); run; t1=$(date +%s.%N)
echo 1 > "$entry"
t2=$(date +%s.%N); run; t3=$(date +%s.%N)
awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
	e = t1 - t0; a = t3 - t2
	printf "emulated:    %6.2f s\naccelerated: %6.2f s\nspeed-up:    %6.1fx\n", e, a, e / a }'
echo "$ROOT stays set up; undo with: accel-bootstrap --teardown $ROOT"
