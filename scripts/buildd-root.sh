#!/bin/bash
# buildd-root.sh - real Debian 12 armel build roots for accel's end-to-end
# tests and benchmarks.
#
#   buildd-root.sh cache [PKG...]    make the cached root tarball if it is
#                                    missing or stale; print its path
#   buildd-root.sh new DIR [PKG...]  a fresh copy of the cached root at DIR
#                                    (creates the cache first when needed)
#   buildd-root.sh mount DIR         mount /proc, /dev and /dev/pts in DIR
#   buildd-root.sh umount DIR        unmount everything mounted under DIR
#   buildd-root.sh destroy DIR       unmount everything under DIR, then remove it
#
# The root is `debootstrap --variant=buildd bookworm` for armel plus
# build-essential, fakeroot and debhelper, with deb-src indexes so that
# `apt-get source` works inside it. Creating it runs every maintainer script
# under qemu-user (about 15 minutes here); the result is kept as a tarball in
# $ACCEL_ROOT_CACHE (default /var/cache/accel/roots) whose name carries a
# hash of everything that decides its package list (suite, mirror, variant,
# the extra packages, this script's recipe version), so it is reused while
# that list is unchanged and rebuilt when it changes. The packages a cached
# root holds are listed beside it (NAME.packages).
#
# PKG... are more packages (a source package's build dependencies, say):
# such a root is cached too, made from the cached base root plus an
# emulated `apt-get install PKG...`, under a key that adds the sorted list.
#
# Exit status: 0 done, 1 failure (one line on stderr says what and why),
# 2 usage.
set -euo pipefail

SUITE=${ACCEL_ROOT_SUITE:-bookworm}
MIRROR=${ACCEL_ROOT_MIRROR:-http://deb.debian.org/debian}
EXTRA="build-essential fakeroot debhelper"
RECIPE=1 # bump when the recipe below changes what a root holds
CACHE=${ACCEL_ROOT_CACHE:-/var/cache/accel/roots}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "buildd-root: $*" >&2; exit 1; }
usage() {
	sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

base_key=$(printf '%s\n' "$SUITE" "$MIRROR" buildd armel "$EXTRA" "$RECIPE" |
	sha256sum | cut -c1-16)
base_tarball=$CACHE/$SUITE-armel-buildd-$base_key.tar
tarball=$base_tarball
more=""

# with PKG...: the layered cache of the base root plus those packages
set_more() {
	local p
	for p in "$@"; do
		[[ $p =~ ^[a-z0-9][a-z0-9+.-]+$ ]] ||
			die "'$p' is not a Debian package name; give package names only"
	done
	[ $# -gt 0 ] || return 0
	more=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
	more=${more% }
	tarball=$CACHE/$SUITE-armel-buildd-$base_key-$(printf '%s' "$more" | sha256sum | cut -c1-12).tar
}

# Mount points under DIR, deepest first, from the kernel's own table.
mounts_under() {
	local d
	d=$(realpath -m "$1")
	awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}

do_umount() {
	local dir=$1 m left
	[ -d "$dir" ] || return 0
	for m in $(mounts_under "$dir"); do
		umount "$m" 2>/dev/null || umount -l "$m" ||
			die "cannot unmount $m; stop the processes using it (fuser -vm $m)"
	done
	left=$(mounts_under "$dir")
	[ -z "$left" ] || die "still mounted under $dir: $left"
}

do_mount() {
	local dir=$1
	[ -x "$dir/usr/bin/dpkg" ] || die "$dir is not a Debian root (no usr/bin/dpkg)"
	dir=$(realpath "$dir")
	mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
	mountpoint -q "$dir/dev" || mount --bind /dev "$dir/dev"
	mountpoint -q "$dir/dev/pts" || mount --bind /dev/pts "$dir/dev/pts"
}

do_destroy() {
	local dir=$1
	[ -e "$dir" ] || return 0
	do_umount "$dir"
	# --one-file-system: never follow into anything still mounted.
	rm -rf --one-file-system "$dir"
}

# in_root DIR CMD...: run CMD in the mounted root, non-interactively.
in_root() {
	local dir=$1
	shift
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive chroot "$dir" "$@"
}

# save_cache ROOT: the root (unmounted) becomes $tarball.
save_cache() {
	local root=$1 tmp
	tmp=$(dirname "$root")
	in_root "$root" dpkg-query -W -f '${Package}:${Architecture} ${Version}\n' \
		> "$tmp/packages" 2>/dev/null || true
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -cf "$tmp/root.tar" .
	mv "$tmp/packages" "${tarball%.tar}.packages"
	mv "$tmp/root.tar" "$tarball"
	echo "buildd-root: cached $tarball ($(du -h "$tarball" | cut -f1))" >&2
}

# A work directory under the cache, removed however the script ends; the
# logs of a failed attempt are kept as $CACHE/failed-*.log.
begin_work() {
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
	trap end_work EXIT
}

end_work() {
	local f
	do_destroy "$tmp/root" || true
	for f in "$tmp"/*.log; do
		[ -e "$f" ] && mv "$f" "$CACHE/failed-$(basename "$f")"
	done
	rm -f "$tmp"/*
	rmdir "$tmp" 2>/dev/null || true
}

# install_pkgs PKG...: apt-get install in the work root, emulated.
install_pkgs() {
	echo "buildd-root: installing $* (emulated)" >&2
	in_root "$tmp/root" apt-get install -y -qq --no-install-recommends "$@" \
		>> "$tmp/apt.log" 2>&1 ||
		die "apt-get install $* in the root failed: $(grep '^E:' "$tmp/apt.log" | head -n 2 | tr '\n' ' ')(log: $CACHE/failed-apt.log)"
	in_root "$tmp/root" apt-get clean
}

# The work root (mounted) becomes $tarball.
finish_work() {
	do_umount "$tmp/root"
	save_cache "$tmp/root"
	rm -f "$tmp"/*.log
	end_work
	trap - EXIT
}

# The base root plus $more, installed emulated.
make_layer() {
	begin_work
	mkdir "$tmp/root"
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$tmp/root" -xf "$base_tarball"
	do_mount "$tmp/root"
	# shellcheck disable=SC2086
	install_pkgs $more
	finish_work
}

make_cache() {
	bash "$HERE/ensure-qemu-binfmt.sh" ||
		die "qemu-user-static and its binfmt_misc entry are needed to create the root"
	command -v debootstrap >/dev/null ||
		die "debootstrap is not installed (apt-get install debootstrap)"
	begin_work
	echo "buildd-root: debootstrap $SUITE armel (buildd) into $tmp/root; takes minutes" >&2
	debootstrap --arch=armel --variant=buildd "$SUITE" "$tmp/root" "$MIRROR" \
		> "$tmp/debootstrap.log" 2>&1 ||
		die "debootstrap failed: $(tail -n 2 "$tmp/debootstrap.log" | tr '\n' ' ')(log: $CACHE/failed-debootstrap.log)"
	cat > "$tmp/root/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb-src $MIRROR $SUITE main
	EOF
	cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
	do_mount "$tmp/root"
	in_root "$tmp/root" apt-get update -qq > "$tmp/apt.log" 2>&1 ||
		die "apt-get update in the root failed (log: $CACHE/failed-apt.log)"
	# shellcheck disable=SC2086
	install_pkgs $EXTRA
	finish_work
}

ensure_cache() {
	[ -s "$tarball" ] && return 0
	mkdir -p "$CACHE"
	# One creator at a time; the others wait and then find it made.
	exec 9> "$CACHE/.lock"
	flock 9
	if [ ! -s "$tarball" ]; then
		local want=$tarball
		tarball=$base_tarball
		[ -s "$tarball" ] || make_cache
		tarball=$want
		[ -z "$more" ] || [ -s "$tarball" ] || make_layer
	fi
	exec 9>&-
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mounts need it)"
[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
cache)
	set_more "$@"
	ensure_cache
	echo "$tarball"
	;;
new)
	[ $# -ge 1 ] || usage
	dir=$1
	shift
	set_more "$@"
	[ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] ||
		die "$dir exists and is not empty; destroy it first (buildd-root.sh destroy $dir)"
	ensure_cache
	mkdir -p "$dir"
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$dir" -xf "$tarball" ||
		{ do_destroy "$dir"; die "unpacking $tarball failed; remove it to rebuild the cache"; }
	;;
mount) [ $# = 1 ] || usage; do_mount "$1" ;;
umount) [ $# = 1 ] || usage; do_umount "$1" ;;
destroy) [ $# = 1 ] || usage; do_destroy "$1" ;;
*) usage ;;
esac
