#!/bin/bash
# mkroot-mini.sh DIR [PACKAGE...]
#
# Make a small armel root in DIR from Debian armel packages, with no
# emulation: apt-get download, then unpack (dpkg-deb) into a merged-/usr
# layout like debootstrap makes for bookworm. The .debs are cached in
# $ACCEL_DEB_CACHE (default /var/cache/accel/debs) and reused. Needs root
# (apt-get) the first time only; armel is added to dpkg's architectures if
# it is missing. Prints nothing on success.
set -euo pipefail

die() { echo "mkroot-mini: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: mkroot-mini.sh DIR [PACKAGE...]"
dir=$1; shift
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(libc6 libgcc-s1 busybox-static dash bash libtinfo6
	coreutils libselinux1 libpcre2-8-0 libacl1 libattr1 libgmp10 make)
cache=${ACCEL_DEB_CACHE:-/var/cache/accel/debs}
mkdir -p "$cache"

if ! dpkg --print-foreign-architectures | grep -qx armel; then
	dpkg --add-architecture armel
	apt-get update -qq
fi

missing=()
for p in "${pkgs[@]}"; do
	ls "$cache/${p}_"*"_armel.deb" >/dev/null 2>&1 ||
		ls "$cache/${p}_"*"_all.deb" >/dev/null 2>&1 || missing+=("$p:armel")
done
if [ ${#missing[@]} -gt 0 ]; then
	if ! (cd "$cache" && apt-get download -qq "${missing[@]}" 2>/dev/null); then
		apt-get update -qq
		(cd "$cache" && apt-get download -qq "${missing[@]}") ||
			die "apt-get download ${missing[*]} failed; check the apt sources"
	fi
fi

mkdir -p "$dir/usr/bin" "$dir/usr/sbin" "$dir/usr/lib" "$dir/etc" "$dir/tmp" \
	"$dir/var/lib/dpkg/info"
: > "$dir/var/lib/dpkg/status"
chmod 1777 "$dir/tmp"
for l in bin sbin lib; do
	[ -e "$dir/$l" ] || ln -s "usr/$l" "$dir/$l"
done
for p in "${pkgs[@]}"; do
	for deb in "$cache/${p}_"*"_armel.deb" "$cache/${p}_"*"_all.deb"; do
		[ -e "$deb" ] || continue
		dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$dir"
		# A dpkg database as dpkg would leave it: accel reads the root's
		# package versions and file lists from it.
		name=$(dpkg-deb -f "$deb" Package)
		arch=$(dpkg-deb -f "$deb" Architecture)
		ma=$(dpkg-deb -f "$deb" Multi-Arch)
		list=$name.list
		[ "$ma" = same ] && list=$name:$arch.list
		{
			dpkg-deb -f "$deb" | awk '{ print } /^Package:/ { print "Status: install ok installed" }'
			echo
		} >> "$dir/var/lib/dpkg/status"
		dpkg-deb --fsys-tarfile "$deb" | tar -t |
			sed -e 's|^\./$|/.|' -e 's|^\./|/|' -e 's|/$||' > "$dir/var/lib/dpkg/info/$list"
	done
done
# What maintainer scripts would have made: awk through the alternatives
# system (mawk's postinst), a chain of links like debootstrap leaves.
if [ -e "$dir/usr/bin/mawk" ] && [ ! -e "$dir/usr/bin/awk" ]; then
	mkdir -p "$dir/etc/alternatives"
	ln -s /usr/bin/mawk "$dir/etc/alternatives/awk"
	ln -s /etc/alternatives/awk "$dir/usr/bin/awk"
fi
# busybox-static installs /bin/busybox only; the shells want /bin/sh.
[ -e "$dir/bin/sh" ] || ln -s dash "$dir/usr/bin/sh"
echo "root:x:0:0:root:/root:/bin/sh" > "$dir/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin" >> "$dir/etc/passwd"
echo "root:x:0:" > "$dir/etc/group"
echo "nogroup:x:65534:" >> "$dir/etc/group"
