#!/bin/sh
# install-deps.sh: the Debian 12 packages accel needs to build, test and run.
# Idempotent; runs apt-get update once per call when something is missing.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
libfuse3-dev fuse3 libelf-dev libseccomp-dev libcap-dev libcriterion-dev
qemu-user-static util-linux e2fsprogs ca-certificates debootstrap
libssl-dev libsqlite3-dev libarchive-dev libjansson-dev python3
cppcheck clang-tidy schroot sbuild debhelper dpkg-dev lintian mmdebstrap
pbuilder obs-build arch-test strace uidmap"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# armel: the root's packages; i386: the assembler's host build (as is served
# as the i386 build of the root's binutils, kbuild-notes/toolchain.md).
update=0
for a in armel i386; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		dpkg --add-architecture "$a"
		update=1
	fi
done
[ "$update" = 0 ] || apt-get update -qq
