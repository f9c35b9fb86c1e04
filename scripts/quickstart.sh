#!/bin/bash
# quickstart.sh: the README's main command. On a fresh Debian 12 machine it
# installs the dependencies, builds and installs accel (--prefix=/usr), makes
# or reuses an armel root, sets it up for acceleration with accel-bootstrap,
# and runs a short demo build emulated and accelerated, printing both times.
#
#   ACCEL_ROOT   the armel root to use (default /var/lib/accel/demo-root,
#                made from Debian armel packages in seconds if missing)
#
# What is accelerated today: the exec path (dispatcher, fast qemu inside the
# root). The demo gives the root's busybox a host equivalent by hand, the
# way the exact-version view (accel-fuseview) will give it to every tool.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ACCEL_ROOT:-/var/lib/accel/demo-root}
STATE=/var/lib/accel

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root" >&2; exit 2; }
echo "== dependencies"
scripts/install-deps.sh
echo "== build and install"
./autogen.sh >/dev/null
./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var
make -s -j"$(nproc)"
make -s install
scripts/ensure-qemu-binfmt.sh

echo "== armel root: $ROOT"
if [ ! -e "$ROOT/lib/ld-linux.so.3" ]; then
	scripts/mkroot-mini.sh "$ROOT"
fi
accel-bootstrap "$ROOT"

# Demo equivalent: the static amd64 busybox of the same Debian version as
# the root's armel busybox, in this root's view directory.
view=""
for d in "$STATE"/roots/*/; do
	[ "$(cat "$d/root" 2>/dev/null)" = "$(realpath "$ROOT")" ] && view=$d/view
done
[ -n "$view" ] || { echo "quickstart: no view directory for $ROOT" >&2; exit 1; }
ver=$(dpkg-deb -f /var/cache/accel/debs/busybox-static_*_armel.deb Version)
(cd /var/cache/accel/debs && ls busybox-static_*_amd64.deb >/dev/null 2>&1 ||
	apt-get download -qq "busybox-static:amd64=$ver" 2>/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x /var/cache/accel/debs/busybox-static_*_amd64.deb "$tmp"
mkdir -p "$view/usr/bin"
install -m 0755 "$tmp/bin/busybox" "$view/usr/bin/busybox"

# A small "build" of the kind configure scripts and makefiles run: many short
# processes (sed, grep, awk, sort, wc) over generated files.
demo='cd /tmp && rm -rf demo && mkdir demo && cd demo && b=/usr/bin/busybox &&
for i in $($b seq 1 60); do
  echo "int f$i(void) { return $i; }" > f$i.c
  $b sed "s/int/long/" f$i.c | $b grep -c long > f$i.n
  $b awk "{ s += \$1 } END { print s }" f$i.n | $b sort | $b wc -l > /dev/null
done; $b ls | $b wc -l'
mkdir -p "$ROOT/tmp" "$ROOT/dev"
[ -e "$ROOT/dev/null" ] || mknod -m 666 "$ROOT/dev/null" c 1 3
run() { chroot "$ROOT" /usr/bin/busybox sh -c "$demo" >/dev/null || { echo "quickstart: demo build failed" >&2; exit 1; }; }

echo "== demo build (60 x sed, grep, awk, sort, wc under busybox sh)"
entry=/proc/sys/fs/binfmt_misc/accel-armel
echo 0 > "$entry" # Debian's qemu-arm entry alone: fully emulated
t0=$(date +%s.%N); run; t1=$(date +%s.%N)
echo 1 > "$entry"
t2=$(date +%s.%N); run; t3=$(date +%s.%N)
awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
	e = t1 - t0; a = t3 - t2
	printf "emulated:    %6.2f s\naccelerated: %6.2f s\nspeed-up:    %6.1fx\n", e, a, e / a }'
echo "$ROOT stays set up; undo with: accel-bootstrap --teardown $ROOT"
