#!/bin/bash
# End-to-end: what a build can observe is the same whether its programs run
# emulated or natively. Two fresh copies of the real armel buildd root, one
# set up with accel (default set, plus iconv for gconv), run the same probe
# script as an unprivileged user; every line must match, except
# /proc/self/exe, which must name the view's file for a native process and
# the root's file for an emulated one.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP identity: needs root"; exit 77; }
id="accel-id-$$"
emu=/var/tmp/$id-emu acc=/var/tmp/$id-acc state=/tmp/$id-state
fails=0 checks=0
cleanup() {
	local rc=$?
	set +e
	"$ACCEL_BOOTSTRAP" --teardown --binfmt-name "$id" --state-dir "$state" "$acc" >/dev/null 2>&1
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$emu"
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$acc"
	rm -rf "$state"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
check() {
	checks=$((checks + 1))
	if [ "$2" == "$3" ]; then echo "ok $checks - $1"; else
		echo "not ok $checks - $1: expected [$2], got [$3]"
		fails=$((fails + 1))
	fi
}

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
# The build systems' tools of the default set (accel/state/defaults.h).
TOOLS="cmake pkgconf ninja-build bison flex gettext groff-base xsltproc doxygen"
# shellcheck disable=SC2086
bash "$SRCDIR/scripts/buildd-root.sh" new "$emu" $TOOLS
# dwz's input: two armel programs with debug information sharing a header,
# compiled once (emulated) so that both roots start from the same bytes.
mkdir -p "$emu/dw"
{
	for i in $(seq 1 30); do
		printf 'struct s%d { int a; long b; char *c; double d%d; struct s%d *up; };
' "$i" "$i" $((i > 1 ? i - 1 : 1))
		printf 'static inline int in%d(const struct s%d *p) { return p ? (int)sizeof(*p) + p->a : %d; }
' "$i" "$i" "$i"
	done
} > "$emu/dw/common.h"
for f in 1 2; do
	{
		echo '#include "common.h"'
		for i in $(seq 1 30); do printf 'int f%d_%d(struct s%d *p, int n) { int r = 0; while (n--) r += in%d(p); return r; }
' "$f" "$i" "$i" "$i"; done
		printf 'int main(int c, char **v) { (void)v; return f%d_1(0, c); }
' "$f"
	} > "$emu/dw/p$f.c"
done
bash "$SRCDIR/scripts/buildd-root.sh" mount "$emu"
chroot "$emu" sh -c 'cd /dw && gcc -g -O2 -o p1 p1.c && gcc -g -O2 -o p2 p2.c && rm p1.c p2.c common.h'
bash "$SRCDIR/scripts/buildd-root.sh" umount "$emu"
cp -a "$emu" "$acc"
for r in "$emu" "$acc"; do
	bash "$SRCDIR/scripts/buildd-root.sh" mount "$r"
	chroot "$r" useradd -m -u 2000 builder
	mkdir -p "$r/build"
	chroot "$r" chown builder:builder /build
	cat > "$r/build/probe.sh" <<'PROBE'
set -e
cd /build
echo "uname -m: $(uname -m)"
echo "dpkg arch: $(dpkg --print-architecture)"
echo "dpkg-architecture: $(dpkg-architecture -qDEB_HOST_ARCH) $(dpkg-architecture -qDEB_HOST_GNU_TYPE) $(dpkg-architecture -qDEB_BUILD_ARCH)"
echo "config.guess: $(/usr/share/misc/config.guess)"
echo "perl XS: $(perl -MPOSIX -MData::Dumper -MList::Util=sum -e '$Data::Dumper::Indent = 0; print Dumper([POSIX::floor(2.5), sum(1, 2)])')"
echo "perl Encode: $(perl -MEncode -e 'print unpack("H*", encode("iso-8859-1", "\x{e9}")), " ", Encode::is_utf8(decode("utf-8", "\xc3\xa9")) ? 1 : 0')"
echo "perl debhelper: $(perl -MDebian::Debhelper::Dh_Lib -e 'print "loaded"' 2>&1)"
echo "bash machine: $(bash -c 'echo $MACHTYPE $HOSTTYPE $OSTYPE ${BASH_VERSINFO[5]}') $(bash --version | head -n 1)"
echo "make host: $(printf 'all:\n\t@echo $(MAKE_HOST)\n' | make -s -f -) $(make --version | sed -n 2p)"
echo "dpkg-deb version: $(dpkg-deb --version | head -n 1)"
echo "perl uname: $(perl -MPOSIX -e 'print join(",", (POSIX::uname())[0, 4])')"
echo "perl sh perl uname: $(perl -e 'exec "/bin/sh", "-c", q(perl -MPOSIX -e "print((POSIX::uname())[4])")')"
echo "perl Config: $(perl -MConfig -e 'print join(" ", map { "$_=$Config{$_}" } qw(archname byteorder ivsize ptrsize longsize doublesize cc ld ccflags installarchlib installvendorarch archlibexp myarchname osname))')"
echo "perl Config heavy: $(perl -MConfig -e 'print join(" ", map { "$_=$Config{$_}" } qw(gccversion lddlflags ccdlflags sizesize lseeksize uvsize nvsize alignbytes))')"
echo "perl V archname: $(perl -V:archname)"
echo "perl own path: $(perl -e 'print $^X') $(sh -c 'perl -e "print \$^X"') $(cd /usr/bin && ./perl -e 'print $^X')"
rm -rf mm && mkdir mm && cd mm
printf 'use ExtUtils::MakeMaker;\nWriteMakefile(NAME => "Acc::Probe", VERSION => "1");\n' > Makefile.PL
echo "MakeMaker: $(perl Makefile.PL >/dev/null 2>&1 && grep -E '^(CC|LD|CCFLAGS|OPTIMIZE|LDDLFLAGS|PERL_INC|PERL_ARCHLIB|INSTALLVENDORARCH|INSTALLARCHLIB|DLEXT|OBJ_EXT|FULL_AR|PERL|FULLPERL|PERLRUN|ABSPERL) = ' Makefile | tr '\n' '|')"
cd /build
# An XS module built and tested as a package build would: its test suite
# loads the armel module it made (blib/arch), which only an emulated perl
# can (accel/exec/route.h ac_route_needs_emulation).
rm -rf xs && mkdir -p xs/t && cd xs
printf 'use ExtUtils::MakeMaker;\nWriteMakefile(NAME => "Acc::XS", VERSION => "1");\n' > Makefile.PL
printf 'package Acc::XS;\nour $VERSION = "1";\nrequire XSLoader;\nXSLoader::load("Acc::XS", $VERSION);\n1;\n' > XS.pm
printf '#include "EXTERN.h"\n#include "perl.h"\n#include "XSUB.h"\nMODULE = Acc::XS  PACKAGE = Acc::XS\nint\ntwice(x)\n    int x\n  CODE:\n    RETVAL = 2 * x;\n  OUTPUT:\n    RETVAL\n' > XS.xs
printf 'use Test::More tests => 1;\nuse Acc::XS;\nis(Acc::XS::twice(21), 42);\n' > t/basic.t
echo "perl XS module: $(perl Makefile.PL >/dev/null 2>&1 && make >/dev/null 2>&1 && file -b blib/arch/auto/Acc/XS/XS.so | cut -d, -f1-2) $(make test 2>&1 | grep -E '^(t/basic|Result)' | tr '\n' ' ')"
cd /build
echo "sort C.UTF-8: $(printf 'b\n\303\244\na\nB\n' | LC_ALL=C.UTF-8 sort | tr '\n' ' ')"
echo "sed multibyte: $(printf '\303\251x\n' | LC_ALL=C.UTF-8 sed 's/^./Y/')"
echo "wc -m: $(printf '\303\251\303\251' | LC_ALL=C.UTF-8 wc -m)"
echo "iconv/gconv: $(printf '\303\251' | iconv -f UTF-8 -t ISO-8859-1 | od -An -tx1) $(printf 'A' | iconv -f UTF-8 -t EBCDIC-US | od -An -tx1)"
echo "file: $(file -b /bin/ls /lib/arm-linux-gnueabi/libc.so.6 /usr/share/misc/config.guess /etc/passwd | tr '\n' '|')"
echo "NSS: $(id -un) $(id -gn) $(stat -c %U:%G /build) $(ls -ld /build | awk '{print $3":"$4}')"
rm -rf fr && mkdir fr && cd fr
echo "fakeroot: $(fakeroot sh -c 'touch f; chown 123:456 f; mknod n c 1 3; mkdir d; chown 0:0 d; tar -cf t.tar f n d; tar -tvf t.tar --numeric-owner | awk "{print \$1, \$2}"; ls -ln f | cut -d" " -f3,4; id -u' | tr '\n' ' ')"
rm -f g h && touch g h
# faked serves emulated and native clients alike: an emulated perl (it names
# a build directory) and native coreutils write and read the same entries.
echo "fakeroot across: $(fakeroot sh -c 'perl -I/build/none -e "chown 77, 88, q(g)" 2>&1; stat -c %u:%g g; chown 55:66 h; perl -I/build/none -e "print join(q(:), (stat q(h))[4,5])"' | tr '\n' ' ')"
cd /build
echo "getopt: $({ getopt -o ab:c:: -l long:,opt:: -n prog -- -a -b x --long=y --opt -cz 'a b' -- -q; getopt -o a -- -z 2>&1 || echo "status $?"; getopt -T || echo "status $?"; } | tr '\n' ' ')"
printf '.\\" -*- coding: ISO-8859-1 -*-\n.TH X 1\n.SH NAME\nx \\- caf\351 \374\n' > l1.1
printf '.TH Y 1\n.SH NAME\ny \\- \303\251t\303\251\n' > u8.1
echo "man-recode: $(man-recode --to-code=UTF-8 --suffix=.u l1.1 u8.1 && md5sum l1.1.u u8.1.u | cut -c1-12 | tr '\n' ' ') $(grep -c 'café' l1.1.u)"
echo "hostname: $(hostname) $(hostname -s) $(hostname --version 2>&1 | head -n 1)"
rm -rf dw && cp -r /dw dw && cd dw && cp p1 one
echo "dwz: $({ dwz -mcommon.debug -M/usr/lib/debug/.dwz/arm-linux-gnueabi/p.debug -- p1 p2 2>&1; dwz -- one 2>&1; echo $?; md5sum p1 p2 common.debug one | cut -c1-12; dwz --version 2>&1 | head -n 1; } | tr '\n' ' ')"
cd /build
echo "pkg-config: $(pkg-config --variable pc_path pkg-config) | $(pkg-config --cflags --libs libtirpc) | $(pkg-config --libs --static libcrypt)"
echo "pkgconf personality: $(pkgconf --dump-personality | tr '\n' ' ')"
rm -rf cm && mkdir cm && cd cm
printf 'cmake_minimum_required(VERSION 3.13)\nproject(p C)\nforeach(v CMAKE_HOST_SYSTEM_PROCESSOR CMAKE_HOST_SYSTEM_NAME CMAKE_SYSTEM_PROCESSOR CMAKE_LIBRARY_ARCHITECTURE CMAKE_SIZEOF_VOID_P CMAKE_C_COMPILER CMAKE_C_COMPILER_VERSION CMAKE_C_BYTE_ORDER CMAKE_INSTALL_PREFIX)\nmessage(STATUS "${v}=${${v}}")\nendforeach()\ninclude(GNUInstallDirs)\nmessage(STATUS "libdir=${CMAKE_INSTALL_LIBDIR}")\nadd_executable(hi hi.c)\n' > CMakeLists.txt
printf 'int main(void) { return 0; }\n' > hi.c
echo "cmake: $(cmake -G Ninja . 2>&1 | sed -n 's/^-- \([A-Za-z_]*=\)/\1/p' | tr '\n' ' ')"
echo "ninja: $(ninja --version) $(ninja 2>&1 | tail -n 1 | sed 's/^\[[0-9/]*\] //') $(file -b hi | cut -d, -f1-2)"
echo "ctest cpack: $(ctest --version | head -n 1) $(cpack --version | head -n 1)"
cd /build
printf '%%%%\ns: "a" s | ;\n%%%%\n' > p.y
printf '%%%%\n[a-z]+ return 1;\n%%%%\n' > l.l
echo "bison flex: $(bison -o p.c p.y && md5sum < p.c | cut -c1-12) $(flex -o l.c l.l && md5sum < l.c | cut -c1-12)"
printf '#include <libintl.h>\nconst char *s(void) { return gettext("hello"); }\n' > t.c
printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "hello"\nmsgstr "hallo"\n' > de.po
echo "gettext: $(xgettext -o - t.c | grep -v POT-Creation | md5sum | cut -c1-12) $(msgfmt -o - de.po | md5sum | cut -c1-12) $(msgfmt --statistics -o /dev/null de.po 2>&1) $(TEXTDOMAINDIR=/nowhere gettext -d x hello)"
echo "groff: $(printf '.TH X 1\n.SH NAME\nx \\- y \\(em \\[u00E9]\n' | groff -man -Tutf8 2>&1 | md5sum | cut -c1-12)"
printf '<a><b>1</b></a>\n' > x.xml
printf '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:output method="text"/><xsl:template match="/">[<xsl:value-of select="system-property(%sxsl:vendor%s)"/>] <xsl:value-of select="a/b"/></xsl:template></xsl:stylesheet>\n' "'" "'" > x.xsl
echo "xsltproc: $(xsltproc x.xsl x.xml)"
rm -rf dx && mkdir dx && cd dx
printf '/** A point. */\nstruct pt { int x; /**< x */ long y; /**< y */ };\n/** Adds. \\param a first \\param b second \\return the sum */\nlong add(long a, int b);\n#ifdef __x86_64__\n/** Only on x86_64. */\nint host_only(void);\n#endif\n#ifdef __arm__\n/** Only on arm. */\nint arm_only(void);\n#endif\n' > p.h
printf 'INPUT = p.h\nGENERATE_LATEX = NO\nGENERATE_XML = YES\nQUIET = YES\nHAVE_DOT = NO\n' > Doxyfile
printf 'INPUT = p.h\nGENERATE_LATEX = NO\nGENERATE_XML = YES\nQUIET = YES\nHAVE_DOT = NO\nOUTPUT_DIRECTORY = c\nCLANG_ASSISTED_PARSING = YES\n' > Doxyfile.clang
echo "doxygen: $({ doxygen 2>&1; ls html | wc -l; cat xml/*.xml | md5sum | cut -c1-12; grep -o '<name>[a-z]*_only</name>' xml/p_8h.xml | sort -u | wc -l; doxygen --version; } | tr '\n' ' ')"
echo "doxygen clang: $({ doxygen Doxyfile.clang 2>&1; ls c/html | wc -l; cat c/xml/*.xml | md5sum | cut -c1-12; } | tr '\n' ' ')"
cd /build/fr
echo "fakeroot dpkg-deb: $(mkdir -p p/DEBIAN p/usr/x && printf 'Package: p\nVersion: 1\nArchitecture: all\nMaintainer: m <m@x>\nDescription: d\n' > p/DEBIAN/control && fakeroot sh -c 'chown -R 7:8 p/usr/x && dpkg-deb -Zgzip --build p p.deb >/dev/null && dpkg-deb -c p.deb' | awk '{print $2, $6}' | tr '\n' ' ')"
PROBE
done
echo "setting up accel in $acc"
"$ACCEL_BOOTSTRAP" --binfmt-name "$id" --state-dir "$state" --dispatcher "$ACCEL_DISPATCH" \
	--fuseview "$ACCEL_FUSEVIEW" "$acc" > /tmp/$id.bootstrap.log 2>&1 ||
	{ cat /tmp/$id.bootstrap.log; exit 1; }
rm -f /tmp/$id.bootstrap.log
"$ACCEL_CTL" --state-dir "$state" enable iconv
# Compiled-in identity: every string of a served program that still names
# the host after the view's rewrites must be one the known list explains.
if bash "$SRCDIR/scripts/host-strings.sh" "$state" "$acc" "$SRCDIR/tests/e2e/host-strings.known" \
	> /tmp/$id.strings; then hs=0; else hs=$?; fi
awk -F'\t' '{ print $2 }' /tmp/$id.strings | sort | uniq -c | sed 's/^/host strings: /'
awk -F'\t' '$2 == "DIFFERS"' /tmp/$id.strings
check "no host string left unexplained (scripts/host-strings.sh)" 0 "$hs"
rm -f /tmp/$id.strings

probe() {
	chroot --userspec=builder:builder "$1" env -i HOME=/home/builder PATH=/usr/bin:/bin \
		LC_ALL=C.UTF-8 sh /build/probe.sh 2>&1
}
probe "$emu" > /tmp/$id.emu
probe "$acc" > /tmp/$id.acc
while IFS= read -r line; do
	key=${line%%:*}
	check "$key" "$line" "$(grep -F -m1 "$key:" /tmp/$id.acc || echo "(missing)")"
done < /tmp/$id.emu
check "probe lines" "$(wc -l < /tmp/$id.emu)" "$(wc -l < /tmp/$id.acc)"
# The same output is not enough: the probe must have run to its end, and
# the emulated answers must be the root's.
check "the probe ran every line" 42 "$(grep -c '^[a-zA-Z0-9/ .-]*: ' /tmp/$id.emu)"
check "emulated cmake saw the root's machine" 1 \
	"$(grep -c '^cmake: CMAKE_HOST_SYSTEM_PROCESSOR=armv7l .*CMAKE_LIBRARY_ARCHITECTURE=arm-linux-gnueabi CMAKE_SIZEOF_VOID_P=4 ' /tmp/$id.emu)"
check "emulated pkg-config searched the root's directories" 1 \
	"$(grep -c '^pkg-config: /usr/local/lib/arm-linux-gnueabi/pkgconfig:.*| -I/usr/include/tirpc -ltirpc *|' /tmp/$id.emu)"
check "ninja built the program for armel" 1 "$(grep -c '^ninja: .* Linking C executable hi ELF 32-bit LSB' /tmp/$id.emu)"
check "emulated uname -m" "uname -m: armv7l" "$(grep '^uname -m:' /tmp/$id.emu)"
check "emulated perl says the root's archname" 1 "$(grep -c '^perl Config: archname=arm-linux-gnueabi' /tmp/$id.emu)"
check "MakeMaker's Makefile was written" 1 "$(grep -c '^MakeMaker: CC = ' /tmp/$id.emu)"
check "the XS module was built for armel and its test passed" 1 \
	"$(grep -c '^perl XS module: ELF 32-bit LSB shared object, ARM.*Result: PASS' /tmp/$id.emu)"
check "emulated dpkg-architecture" "dpkg-architecture: armel arm-linux-gnueabi armel" \
	"$(grep '^dpkg-architecture:' /tmp/$id.emu)"
check "fakeroot recorded the faked owner" 1 "$(grep -c '^fakeroot: .*123/456' /tmp/$id.emu)"
check "getopt ran to its end" 1 "$(grep -c '^getopt: .* status 1 status 4 $' /tmp/$id.emu)"
check "man-recode recoded the Latin-1 page" 1 "$(grep -c '^man-recode: [0-9a-f]\{12\} [0-9a-f]\{12\} *1$' /tmp/$id.emu)"
check "doxygen documented the header, without its host or arm parts" 1 \
	"$(grep -c '^doxygen: [0-9]* [0-9a-f]\{12\} 0 1\.9' /tmp/$id.emu)"
check "doxygen with libclang wrote its output" 1 "$(grep -c '^doxygen clang: [0-9]* [0-9a-f]\{12\} $' /tmp/$id.emu)"
check "faked answered both kinds of client" 1 "$(grep -c '^fakeroot across: 77:88 55:66$' /tmp/$id.emu)"
check "dwz rewrote the programs and wrote the common file" 1 "$(grep -c '^dwz: 0 [0-9a-f]\{12\} [0-9a-f]\{12\} [0-9a-f]\{12\} [0-9a-f]\{12\} dwz version' /tmp/$id.emu)"
cat /tmp/$id.emu
rm -f /tmp/$id.emu /tmp/$id.acc

# Which side ran natively: /proc/self/exe names the host file in the view.
inr() { chroot --userspec=builder:builder "$1" env -i PATH=/usr/bin:/bin "${@:2}"; }
emu_exe=$(inr "$emu" readlink /proc/self/exe)
case $emu_exe in
/usr/bin/readlink | /bin/readlink) ok_=1 ;;
*) ok_=0 ;;
esac
check "an emulated program's /proc/self/exe is the root's file ($emu_exe)" 1 "$ok_"
check "a native program's /proc/self/exe is the view's file" "/lib-x86$emu_exe" \
	"$(inr "$acc" readlink /proc/self/exe)"
check "native perl's \$^X is the root's" "/usr/bin/perl" "$(inr "$acc" perl -e 'print $^X')"
check "... and that perl ran natively" "/lib-x86/usr/bin/perl" \
	"$(inr "$acc" perl -ne 'if (m{ (/lib-x86/usr/bin/perl)$}) { print $1; exit }' /proc/self/maps)"
# A perl that would load code the build made is emulated through the view's
# other qemu file, and accounting counts it with the build's own programs.
"$ACCEL_CTL" --state-dir "$state" account -o /tmp/$id.acct -- \
	chroot --userspec=builder:builder "$acc" env -i PATH=/usr/bin:/bin \
	perl -I/build/xs/blib/arch -e '$x = 0; $x++ for 1 .. 20000' || true
sect() { sed -n "/^top $1/,/^top /p" /tmp/$id.acct | awk -v p="${2:-perl}" '$4 == p'; }
check "a perl loading build-made code is counted with the build's own" 1 \
	"$(sect "emulated programs the build made" | grep -c 'loading code the build made')"
check "... and not as an emulated root program" "" "$(sect "emulated root programs")"
grep -q '^accelctl account: emulated root programs 0.0 s' /tmp/$id.acct ||
	{ cat /tmp/$id.acct; check "no emulated root program in that run" 1 0; }
rm -f /tmp/$id.acct
# doxygen runs natively unless its configuration asks for libclang, which
# parses for the host's target (accel/exec/route.h).
"$ACCEL_CTL" --state-dir "$state" account -o /tmp/$id.acct -- \
	chroot --userspec=builder:builder "$acc" env -i PATH=/usr/bin:/bin \
	sh -c 'cd /build/dx && doxygen Doxyfile.clang && doxygen' > /dev/null 2>&1 || true
check "doxygen with libclang ran emulated, once" 1 \
	"$(sect "emulated root programs" doxygen | awk '{ print $3 }')"
check "... the other doxygen natively" 1 "$(sed -n '/^top native/,/^top /p' /tmp/$id.acct | awk '$4 == "doxygen" { print $3 }')"
rm -f /tmp/$id.acct
# The tools the probe compared ran natively: the view serves them.
for t in cmake ctest cpack ninja pkgconf dpkg bison flex xgettext msgfmt groff xsltproc \
	faked-sysv dwz getopt hostname man-recode doxygen; do
	served=0
	grep -qE "^# program (/usr)?/bin/$t\$" "$state"/roots/*/manifest && served=1
	check "$t is in the default set and served natively" 1 "$served"
done

if [ $fails -gt 0 ]; then echo "identity: $fails of $checks checks failed"; exit 1; fi
echo "identity: all $checks checks passed"
