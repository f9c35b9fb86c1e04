#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-toolchain.sh ROOT [--store DIR] [--work DIR] [--jobs N]
# build-toolchain.sh --debian-cross ROOT [--store DIR]
#
# Builds, once, the host (x86_64) equivalent of ROOT's compiler: GCC from
# Debian's gcc-12-source package of exactly the version of gcc-12 that ROOT
# has, patched the way Debian patches it for a native armel build and
# configured with the very arguments ROOT's own gcc was configured with
# (read from ROOT's driver), so every path, spec and default compiled into
# it is the root's. Only the machine code of the compiler differs: it is
# built by the host's compiler. The result goes into
# STORE/toolchains/gcc-12_VERSION/ (the layout of the root's gcc-12, cpp-12
# and g++-12 packages: usr/bin/arm-linux-gnueabi-gcc-12,
# usr/lib/gcc/arm-linux-gnueabi/12/cc1, ...), where accel-bootstrap and
# accelctl find it (`accelctl enable gcc`).
#
# Only the programs the root's gcc-12, cpp-12 and g++-12 packages have
# (drivers, cc1, cc1plus, lto1, collect2, lto-wrapper, the LTO plugin) are
# built, not the other front ends and not the target libraries: those stay
# the root's own. Takes about 15 minutes on 2 cores (see bench/RESULTS.md). Re-running after a
# finished build does nothing; an interrupted one resumes. Needs root (apt).
#
# GCC's configure also asks the assembler and the linker what they can do
# (DWARF 5 line tables, .loc views, build ids, ...) and compiles the answers
# in. Asked of the host's x86 binutils, they are wrong: configure is pointed
# at the host (amd64) build of the root's own binutils-arm-linux-gnueabi
# version, installed on the host for that.
#
# --debian-cross instead imports, in about a minute, the nearest thing:
# Debian's own cross compiler packages (cpp-12-, gcc-12- and
# g++-12-arm-linux-gnueabi, amd64), of whatever version the archive has
# (bookworm: 12.2.0-14cross1, built from gcc-12 12.2.0-14, where the root
# has 12.2.0-14+deb12u1). They are built with Debian's cross layout
# (/usr/lib/gcc-cross/..., --with-sysroot=/): their files go into
# STORE/toolchains/gcc-12_VERSION/ unchanged, under the native names, with
# a .layout file that makes the view rewrite the cross directory names in
# them to the native ones at read time (accel-fuseview(8)). The import
# refuses packages whose configure line differs from the root's in anything
# but the cross layout and the version, and files whose rewritten strings
# something points into (objdump). Objects they make differ from the
# root's compiler's at least in .comment ("GCC: (Debian 12.2.0-14)
# 12.2.0"): accelctl enable needs --allow-toolchain-skew to take it, and
# kbuild-notes/toolchain.md lists what else differs.
#
# Exit: 0 built (or already there), 1 failure, 2 usage, 3 ROOT has no gcc-12
# or no binutils, 6 the archive has no gcc-12-source or
# binutils-arm-linux-gnueabi (amd64) of ROOT's version (--debian-cross: no
# cross compiler packages, or ones whose configuration differs).
set -euo pipefail

usage() { echo "usage: $0 [--debian-cross] ROOT [--store DIR] [--work DIR] [--jobs N]" >&2; exit 2; }
die() { echo "build-toolchain: $*" >&2; exit 1; }

root=
store=${ACCEL_STORE:-/var/lib/accel/store}
work=${ACCEL_TOOLCHAIN_WORK:-/var/tmp/accel-toolchain}
jobs=$(nproc)
cross=0
while [ $# -gt 0 ]; do
	case $1 in
	--debian-cross) cross=1; shift ;;
	--store) store=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) usage ;;
	*) [ -z "$root" ] || usage; root=$1; shift ;;
	esac
done
[ -n "$root" ] || usage
[ -d "$root/var/lib/dpkg" ] || { echo "build-toolchain: $root: no dpkg database; give an armel root" >&2; exit 3; }

version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version} ${db:Status-Status}' gcc-12 2>/dev/null || true)
case $version in
*" installed") version=${version% installed} ;;
*) echo "build-toolchain: $root has no gcc-12 installed; install it in the root first (apt-get install gcc-12)" >&2; exit 3 ;;
esac
triplet=arm-linux-gnueabi
bversion=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version} ${db:Status-Status}' "binutils-$triplet" 2>/dev/null || true)
case $bversion in
*" installed") bversion=${bversion% installed} ;;
*) echo "build-toolchain: $root has no binutils-$triplet installed; install binutils in the root first" >&2; exit 3 ;;
esac
driver=$root/usr/bin/$triplet-gcc-12
[ -f "$driver" ] || die "$driver: missing; the root's gcc-12 $version is not armel's"

# The configure line the root's gcc was built with, as `gcc -v` shows it,
# taken from the driver's own bytes (no emulation needed).
config=$(grep -a -o "\.\./src/configure -v [^\"]*--target=$triplet" "$driver" | head -n 1 | tr -d '\0')
case $config in
"../src/configure -v "*"--host=$triplet"*) ;;
*) die "$driver: no configure line found in it" ;;
esac

# Which root package each file of a toolchain stands in for (.toolchain).
file_lines() {
	local f lib=usr/lib/gcc/$triplet/12
	for f in gcc-12:usr/bin/$triplet-gcc-12 g++-12:usr/bin/$triplet-g++-12 \
		cpp-12:usr/bin/$triplet-cpp-12 gcc-12:usr/bin/$triplet-gcc-ar-12 \
		gcc-12:usr/bin/$triplet-gcc-nm-12 gcc-12:usr/bin/$triplet-gcc-ranlib-12 \
		cpp-12:$lib/cc1 g++-12:$lib/cc1plus gcc-12:$lib/lto1 gcc-12:$lib/lto-wrapper \
		gcc-12:$lib/collect2 g++-12:$lib/g++-mapper-server gcc-12:$lib/liblto_plugin.so; do
		echo "file ${f%%:*} /${f#*:}"
	done
}

# ------------------------------------------------------------ --debian-cross
# What may differ between the root's configure line and the cross
# packages': the version, the cross layout, and options that only concern
# target libraries the cross packages do not build.
cross_only='^--(with-pkgversion=.*|with-sysroot=.*|build=.*|host=.*|program-prefix=.*|includedir=.*|with-target-system-zlib=.*|without-target-system-zlib|enable-objc-gc=.*)$'

# check_refs FILE: nothing in FILE may point inside a string the view will
# rewrite (a linker may share a string's tail with a shorter literal, which
# the rewrite would change). The strings are found as the view finds them
# (ac_cross_plan: NUL-preceded "/usr/lib/gcc-cross/..." and "gcc-cross");
# the references are the addresses objdump shows in the code and the
# relocation addends.
check_refs() {
	local f=$1
	{ readelf -lW "$f" | awk '$1 == "LOAD" { print "L", $2, $3, $5 }'
	  objdump -d --no-show-raw-insn "$f" | grep -oE '(\$0x|# )[0-9a-f]+' | sed 's/^\$0x/R /; s/^# /R /'
	  readelf -rW "$f" | awk 'NF >= 4 && $4 ~ /^[0-9a-f]+$/ { print "R", $4 } NF >= 5 && $3 ~ /RELATIVE/ { print "R", $NF }'
	} | perl -e '
		my $f = shift; open(my $h, "<", $f) or die; binmode $h; my $d = do { local $/; <$h> };
		my (@load, @refs, %inside);
		while (<STDIN>) { my @w = split; if ($w[0] eq "L") { push @load, [map { hex } @w[1..3]] } else { push @refs, hex $w[1] } }
		# Every address inside a rewritten string (its first byte excluded).
		while ($d =~ m{(?<=\0)(/usr/lib/gcc-cross/[^\0]*|gcc-cross)(?=\0)}g) {
			my ($s, $e, $str) = ($-[1], $+[1], $1);
			for my $l (@load) {
				my ($off, $va, $sz) = @$l;
				next unless $s >= $off && $e <= $off + $sz;
				$inside{$va + $_ - $off} = $str for ($s + 1 .. $e);
			}
		}
		# Pointers stored as data (a program that is not PIE has no
		# relocations for them): every aligned 8-byte word.
		push @refs, unpack("Q<*", substr($d, 0, length($d) & ~7));
		my $bad = 0;
		for my $a (@refs) {
			next unless exists $inside{$a};
			printf "%s: something points at 0x%x, inside \"%s\"\n", $f, $a, $inside{$a};
			$bad = 1; delete $inside{$a};
		}
		exit $bad;' "$f"
}

import_cross() {
	local cv t0 stage lib x ours theirs diffs f
	t0=$(date +%s)
	cv=$(apt-cache madison "gcc-12-$triplet" 2>/dev/null | awk -F'|' '$3 ~ / amd64 Packages/ { gsub(/ /, "", $2); print $2; exit }')
	[ -n "$cv" ] || { echo "build-toolchain: the archive has no gcc-12-$triplet (amd64); apt-get update, or build the exact compiler: accel-build-toolchain $root" >&2; exit 6; }
	dest=$store/toolchains/gcc-12_$cv
	if [ -f "$dest/.complete" ]; then
		echo "build-toolchain: $dest is already imported"
		exit 0
	fi
	command -v objdump > /dev/null && command -v perl > /dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils perl > /dev/null
	tmp=$(mktemp -d /var/tmp/accel-cross.XXXXXX)
	trap 'rm -rf "$tmp" "$dest.tmp"' EXIT
	(cd "$tmp" && apt-get download "cpp-12-$triplet=$cv" "gcc-12-$triplet=$cv" "g++-12-$triplet=$cv" \
		> download.log 2>&1) ||
		{ tail -2 "$tmp/download.log" >&2; echo "build-toolchain: cannot download Debian's gcc-12-$triplet $cv packages" >&2; exit 6; }
	for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$tmp/x"; done
	x=$tmp/x
	theirs=$(tr '\0' '\n' < "$x/usr/bin/$triplet-gcc-12" | grep -m 1 -a "^\.\./src/configure -v .*--target=$triplet" || true)
	[ -n "$theirs" ] || die "gcc-12-$triplet $cv: no configure line in its driver"
	# Option by option, apart from the ones the cross layout explains.
	ours=$(echo "$config" | sed "s/--with-pkgversion='[^']*'//" | tr ' ' '\n' | grep -vE "$cross_only" | sort)
	diffs=$(echo "$theirs" | sed "s/--with-pkgversion='[^']*'//" | tr ' ' '\n' | grep -vE "$cross_only" | sort |
		diff <(echo "$ours") - | grep '^[<>]' | tr '\n' ' ' || true)
	[ -z "$diffs" ] || { echo "build-toolchain: Debian's gcc-12-$triplet $cv is configured unlike the root's gcc-12 $version (< root, > cross): $diffs; build the exact compiler: accel-build-toolchain $root" >&2; exit 6; }
	stage=$dest.tmp
	lib=usr/lib/gcc/$triplet/12
	rm -rf "$stage"
	mkdir -p "$stage/usr/bin" "$stage/$lib"
	for f in gcc g++ cpp gcc-ar gcc-nm gcc-ranlib; do
		install -m 0755 "$x/usr/bin/$triplet-$f-12" "$stage/usr/bin/$triplet-$f-12"
	done
	for f in cc1 cc1plus lto1 lto-wrapper collect2 g++-mapper-server liblto_plugin.so; do
		install -m 0755 "$x/usr/lib/gcc-cross/$triplet/12/$f" "$stage/$lib/$f"
	done
	for f in "$stage"/usr/bin/* "$stage/$lib"/*; do
		check_refs "$f" || { echo "build-toolchain: $(basename "$f") of gcc-12-$triplet $cv cannot be given the native layout safely (above)" >&2; exit 6; }
	done
	echo "debian-cross $triplet 12" > "$stage/.layout"
	{
		echo "source gcc-12-$triplet $cv (Debian's cross compiler, imported; the root has gcc-12 $version)"
		echo "layout debian-cross: /usr/lib/gcc-cross/$triplet/12 served as /$lib (accel-fuseview rewrites the names at read time)"
		echo "imported $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - t0 )) s"
		file_lines
	} > "$stage/.toolchain"
	touch "$stage/.complete"
	rm -rf "$dest"
	mv "$stage" "$dest"
	echo "build-toolchain: $dest imported from Debian's gcc-12-$triplet $cv ($(( $(date +%s) - t0 )) s); enable it with accelctl enable --allow-toolchain-skew gcc"
}
[ "$cross" = 0 ] || { import_cross; exit 0; }

dest=$store/toolchains/gcc-12_$version
if [ -f "$dest/.complete" ]; then
	echo "build-toolchain: $dest is already built"
	exit 0
fi

need=()
for p in quilt dpkg-dev libgmp-dev libmpfr-dev libmpc-dev libisl-dev zlib1g-dev libzstd-dev \
	flex bison m4 g++ gnat-12 gdc-12 xz-utils; do
	dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || need+=("$p")
done
if [ "$(dpkg-query -W -f '${Version} ${db:Status-Status}' "binutils-$triplet:amd64" 2>/dev/null || true)" != "$bversion installed" ]; then
	apt-cache show "binutils-$triplet:amd64=$bversion" > /dev/null 2>&1 ||
		{ echo "build-toolchain: the archive has no binutils-$triplet:amd64 $bversion (the root's binutils); apt-get update, or use an archive snapshot that has it" >&2; exit 6; }
	need+=("binutils-$triplet:amd64=$bversion")
fi
if [ ${#need[@]} -gt 0 ]; then
	echo "build-toolchain: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$work"
cd "$work"
t0=$(date +%s)
if [ ! -f stamp-patched ]; then
	rm -rf pkg src build debian stamps ./*.deb
	(cd "$work" && apt-get download "gcc-12-source=$version" >/dev/null 2>&1) ||
		{ echo "build-toolchain: the archive has no gcc-12-source $version (the root's gcc-12); apt-get update, or use an archive snapshot that has it" >&2; exit 6; }
	dpkg-deb -x gcc-12-source_*.deb pkg
	cp -a pkg/usr/src/gcc-12/. .
	# Debian's patch set for a native armel build: build, host and target
	# are all armel for debian/rules' purposes.
	for v in ARCH ARCH_ABI ARCH_BITS ARCH_CPU ARCH_ENDIAN ARCH_LIBC ARCH_OS GNU_CPU GNU_SYSTEM GNU_TYPE MULTIARCH; do
		val=$(dpkg-architecture -aarmel -q"DEB_HOST_$v" 2>/dev/null)
		export "DEB_BUILD_$v=$val" "DEB_HOST_$v=$val" "DEB_TARGET_$v=$val"
	done
	echo "build-toolchain: unpacking and patching gcc-12-source $version"
	debian/rules patch > patch.log 2>&1 || { tail -20 patch.log >&2; die "debian/rules patch failed (log: $work/patch.log)"; }
	touch stamp-patched
fi

# The configure run: the root's line, run like Debian runs it. The compiler
# that builds it is the host's; enable_bootstrap=no skips the 3-stage
# bootstrap, which changes how the compiler is built, not what it does.
# gcc_cv_* (configure's cache variables, so not part of the recorded line)
# name the binutils whose features it probes. All of it goes in the
# environment: configargs.h and `gcc -v` keep the root's line.
bin=/usr/bin/$triplet
cfg="enable_bootstrap=no CC=gcc CXX=g++ CFLAGS='-O2' CXXFLAGS='-O2' GNATMAKE=gnatmake-12 GNATBIND=gnatbind-12 GDC=gdc-12"
# With the root's triplet as the host, configure would also take
# arm-linux-gnueabi-ar and the like for the host's own objects: the host's
# binutils are named.
cfg="$cfg AR=ar AS=as LD=ld NM=nm RANLIB=ranlib STRIP=strip OBJCOPY=objcopy OBJDUMP=objdump READELF=readelf"
# gcc/ is configured by make (configure-gcc), so these go to make as well.
probe="gcc_cv_as=$bin-as gcc_cv_ld=$bin-ld gcc_cv_nm=$bin-nm gcc_cv_objdump=$bin-objdump gcc_cv_readelf=$bin-readelf"
cfg="$cfg $probe $config"
if [ "$(cat stamp-configured 2>/dev/null)" != "$cfg" ]; then
	rm -f stamp-configured
	rm -rf build
	mkdir build
	cd build
	echo "build-toolchain: configuring with the root's arguments (binutils $bversion)"
	eval "$cfg" > ../configure.log 2>&1 ||
		{ tail -20 ../configure.log >&2; die "configure failed (log: $work/configure.log)"; }
	cd ..
	echo "$cfg" > stamp-configured
fi

cd build
echo "build-toolchain: building (make -j$jobs; log $work/make.log)"
export $probe
{
	make -j"$jobs" all-build-libiberty all-build-libcpp all-libiberty all-libcpp \
		all-libdecnumber all-libbacktrace all-libcody all-zlib all-lto-plugin configure-gcc \
		configure-c++tools &&
	{ grep -q "^gcc_cv_as='\\{0,1\\}$bin-as'\\{0,1\\}$" gcc/config.log ||
		{ echo "gcc/configure did not take $bin-as as the assembler"; false; }; } &&
	make -j"$jobs" -C gcc CFLAGS=-O2 CXXFLAGS=-O2 xgcc xg++ cpp cc1 cc1plus lto1 \
		lto-wrapper collect2 gcc-ar gcc-nm gcc-ranlib &&
	make -j"$jobs" -C c++tools CFLAGS=-O2 CXXFLAGS=-O2 g++-mapper-server
} > ../make.log 2>&1 || { tail -30 ../make.log >&2; die "make failed (log: $work/make.log)"; }
cd ..

stage=$dest.tmp
rm -rf "$stage"
lib=usr/lib/gcc/$triplet/12
mkdir -p "$stage/usr/bin" "$stage/$lib"
install -m 0755 build/gcc/xgcc "$stage/usr/bin/$triplet-gcc-12"
install -m 0755 build/gcc/xg++ "$stage/usr/bin/$triplet-g++-12"
install -m 0755 build/gcc/cpp "$stage/usr/bin/$triplet-cpp-12"
for t in ar nm ranlib; do
	install -m 0755 "build/gcc/gcc-$t" "$stage/usr/bin/$triplet-gcc-$t-12"
done
for f in cc1 cc1plus lto1 lto-wrapper collect2; do
	install -m 0755 "build/gcc/$f" "$stage/$lib/$f"
done
install -m 0755 build/c++tools/g++-mapper-server "$stage/$lib/g++-mapper-server"
install -m 0755 build/lto-plugin/.libs/liblto_plugin.so "$stage/$lib/liblto_plugin.so"
strip --strip-unneeded "$stage/usr/bin/"* "$stage/$lib/"*
# Which root package each file stands in for, and what it was built from.
{
	echo "source gcc-12-source $version"
	echo "binutils binutils-$triplet $bversion"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - t0 )) s on $(nproc) cores"
	file_lines
} > "$stage/.toolchain"
touch "$stage/.complete"
rm -rf "$dest"
mv "$stage" "$dest"
echo "build-toolchain: $dest ready ($(( $(date +%s) - t0 )) s)"
