#!/bin/bash
# make check-toolchain: the host build of the root's compiler gives the same
# objects as the emulated compiler, on every C file of two real Debian
# source packages (hello 2.10-3 and make-dfsg 4.3-4.1, fetched with
# `apt-get source` inside the root).
#
# In a fresh copy of the armel buildd root set up with accel-bootstrap (its
# own binfmt entry and state; the store is the test store, which must hold
# the toolchain: `make toolchain`), each package is configured once with
# Debian's build flags (dpkg-buildflags: -g -O2, -ffile-prefix-map,
# -fstack-protector-strong, -D_FORTIFY_SOURCE=2, ...), then built twice in
# the same directory: with the compiler emulated (accelctl disable gcc) and
# with it native (accelctl enable gcc). Every object file and every linked
# program of the two builds must be byte-identical. Then one file is
# compiled in the two mixed set-ups (a native driver running the emulated
# cc1, an emulated driver running the native cc1) and must give the same
# object again. ld, ar, nm and ranlib are native with the compiler; an LTO
# build checks their plugins. as (its i386 build, where the machine runs it)
# is switched with the compiler: kbuild-notes/toolchain.md.
#
# Every C file the build does not compile is then compiled alone with the
# same flags in both modes: the same object, or a failure in both.
#
# Exit: 0 all identical, 1 a difference or a failure, 77 no toolchain built.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-toolchain}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
OUT=${ACCEL_TOOLCHAIN_OUT:-/var/tmp/accel-check-toolchain}
TOOLCHAIN=${ACCEL_CORPUS_TOOLCHAIN:-exact}
[ "$(id -u)" = 0 ] || { echo "SKIP corpus: needs root"; exit 77; }
skew=()
case $TOOLCHAIN in
exact)
	# A build of the root's compiler: a toolchain that has no .layout.
	built=0
	for t in "$STORE"/toolchains/gcc-*; do
		[ -f "$t/.complete" ] && [ ! -f "$t/.layout" ] && built=1
	done
	if [ "$built" = 0 ]; then
		echo "SKIP corpus: no host build of the root's compiler in $STORE/toolchains; run make toolchain (about 15 minutes)"
		exit 77
	fi ;;
debian-cross)
	# Debian's cross compiler, imported into the test store (once), in a
	# store of its own: where the exact build is there too, it would win.
	skew=(--allow-toolchain-skew) ;;
*) echo "FAIL corpus: TOOLCHAIN=$TOOLCHAIN: exact or debian-cross"; exit 1 ;;
esac

id=accel-tc-$$
root=/var/tmp/$id
state=/var/tmp/$id.state
xstore=
bootstrapped=0
cleanup() {
	local rc=$?
	set +e
	[ "$bootstrapped" = 0 ] || "$ACCEL_BOOTSTRAP" --teardown --binfmt-name "$id" \
		--state-dir "$state" "$root" > /dev/null 2>&1
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$root"
	rm -rf "$state" "$xstore"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT"
mkdir -p "$OUT"
bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
# help2man and texinfo for hello; autoconf, automake, autopoint and
# pkg-config for make-dfsg, whose source has no configure (Debian's build
# runs dh_autoreconf).
bash "$SRCDIR/scripts/buildd-root.sh" new "$root" help2man texinfo autoconf automake autopoint \
	pkg-config > /dev/null
bash "$SRCDIR/scripts/buildd-root.sh" mount "$root"
chroot "$root" useradd -m -u 2000 builder
mkdir -p "$root/build"
chroot "$root" chown builder:builder /build
builder=(chroot --userspec=builder:builder "$root" env -i HOME=/home/builder
	PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8)
as_builder() { "${builder[@]}" sh -c "$1"; }
as_builder "cd /build && apt-get source -qq hello=2.10-3 make-dfsg=4.3-4.1" > "$OUT/apt.log" 2>&1 ||
	{ tail -3 "$OUT/apt.log"; echo "FAIL corpus: apt-get source in the root failed"; exit 1; }

# The unpacked source trees, by package.
declare -A dir=([hello]=hello-2.10 [make]=make-dfsg-4.3)
for src in hello make; do
	[ -d "$root/build/${dir[$src]}" ] ||
		{ echo "FAIL corpus: apt-get source left no /build/${dir[$src]}: $(ls "$root/build" | tr '\n' ' ')"; exit 1; }
done

if [ "$TOOLCHAIN" = debian-cross ]; then
	bash "$ACCEL_BUILDDIR/accel-build-toolchain" --debian-cross "$root" --store "$STORE" > "$OUT/import.log" 2>&1 ||
		{ tail -3 "$OUT/import.log"; echo "FAIL corpus: importing Debian's cross compiler failed"; exit 1; }
	xstore=/var/tmp/$id.store
	mkdir -p "$xstore/toolchains"
	cp -al "$STORE/pkgs" "$STORE/debs" "$xstore/"
	for t in "$STORE"/toolchains/*; do
		[ -f "$t/.layout" ] && cp -al "$t" "$xstore/toolchains/"
	done
	STORE=$xstore
fi
bs=(--binfmt-name "$id" --state-dir "$state" --store "$STORE")
[ -z "${ACCEL_DISPATCH:-}" ] || bs+=(--dispatcher "$ACCEL_DISPATCH")
[ -z "${ACCEL_FUSEVIEW:-}" ] || bs+=(--fuseview "$ACCEL_FUSEVIEW")
"$ACCEL_BOOTSTRAP" "${bs[@]}" "$root" > "$OUT/bootstrap.log" 2>&1 ||
	{ tail -3 "$OUT/bootstrap.log"; echo "FAIL corpus: accel-bootstrap failed"; exit 1; }
bootstrapped=1
ctl() { "$ACCEL_CTL" --state-dir "$state" --root "$root" "$@"; }
# The assembler is in the default set where the machine runs its i386 build
# (kbuild-notes/toolchain.md): then it is switched with the compiler, and
# both builds differ in where the whole toolchain runs.
asm=()
ctl list | cut -f1 | grep -q -- '-as$' && asm=(as)
tc_on() { ctl enable "${skew[@]}" gcc "${asm[@]}" > /dev/null; }
tc_off() { ctl disable gcc "${asm[@]}" > /dev/null; }
echo "the assembler: $([ ${#asm[@]} = 1 ] && echo "switched with the compiler" || echo "emulated in both builds (no i386 host build here)")"
tc_on
compiler=$(ctl list | cut -f1 | grep -E '/usr/lib/gcc/|-(gcc|g\+\+|cpp|gcc-ar|gcc-nm|gcc-ranlib)-[0-9]+$|-(strip|objcopy|objdump|readelf|ld\.bfd|ar|nm|ranlib)$' | sort)
echo "compiler programs served natively: $(echo "$compiler" | wc -l)"
echo "$compiler" | sed 's/^/  /'
cc1=$(echo "$compiler" | grep '/cc1$')
driver=$(echo "$compiler" | grep -- '-gcc-[0-9]*$')
# Every name a build calls the compiler by leads to a served program (the
# dispatcher routes by canonical path): the alternatives, the plain and
# versioned names, the triplet-prefixed ones (cmake, cross-aware configure).
major=${driver##*-}
names_bad=0
for n in cc c++ cpp gcc g++ "gcc-$major" "g++-$major" "cpp-$major" arm-linux-gnueabi-gcc \
	arm-linux-gnueabi-g++ arm-linux-gnueabi-cpp "arm-linux-gnueabi-gcc-$major" \
	"arm-linux-gnueabi-g++-$major" "arm-linux-gnueabi-cpp-$major"; do
	[ -e "$root/usr/bin/$n" ] || continue
	canon=$(chroot "$root" readlink -f "/usr/bin/$n")
	if ! grep -qxF -- "$canon" <<<"$compiler"; then
		echo "FAIL corpus: /usr/bin/$n ($canon) is not served natively"
		names_bad=$((names_bad + 1))
	elif [ "$(chroot "$root" "/usr/bin/$n" -dumpmachine)" != arm-linux-gnueabi ]; then
		echo "FAIL corpus: /usr/bin/$n -dumpmachine is not arm-linux-gnueabi"
		names_bad=$((names_bad + 1))
	fi
done
echo "compiler names checked: every one served natively unless said above"

flags='eval "$(dpkg-buildflags --export=sh)"'
fail=0 total=0
[ "$names_bad" = 0 ] || fail=1
# build SRC MODE: make in /build/${dir[SRC]}, under accelctl account (which tells
# native tasks from emulated ones); keep the objects and programs.
build() {
	local src=$1 mode=$2
	"$ACCEL_CTL" --state-dir "$state" account -o "$OUT/$src.$mode.account" --tsv "$OUT/$src.$mode.tsv" -- \
		"${builder[@]}" sh -c "cd /build/${dir[$src]} && $flags && make -k clean > /dev/null 2>&1; make -k" \
		> "$OUT/$src.$mode.log" 2>&1 || { echo "FAIL corpus: $src: make ($mode) failed, see $OUT/$src.$mode.log"; return 1; }
	mkdir -p "$OUT/$src.$mode"
	(cd "$root/build/${dir[$src]}" && find . -type f \( -name '*.o' -o -name '*.a' -o \( -perm -u+x \
		-exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; \) \) -print | tar -cf - -T - |
		tar -xf - -C "$OUT/$src.$mode")
}
# extra.sh OUTDIR: compile alone every C file that has no object beside it,
# with the build's flags; OUTDIR/FILE.o, or OUTDIR/FILE.failed with cc's
# exit status when it fails (the message names paths, so not compared).
cat > "$root/build/extra.sh" <<'EOF'
out=$1
rm -rf "$out"
mkdir -p "$out"
find . -name '*.c' | sort | while read -r f; do
	[ -e "${f%.c}.o" ] && continue
	mkdir -p "$out/$(dirname "$f")"
	gcc $CPPFLAGS $CFLAGS -DHAVE_CONFIG_H -I. -Ilib -Isrc -c "$f" -o "$out/${f%.c}.o" 2> /dev/null ||
		echo "$?" > "$out/$f.failed"
done
EOF
# same_file A B: 0 when the two are byte-identical, or (with the cross
# toolchain) differ only in the compiler identification (compare-elf.sh,
# member by member for an archive); counts those in nident. Else 1, and
# the difference is printed.
nident=0
same_file() {
	cmp -s "$1" "$2" && return 0
	[ "$TOOLCHAIN" = debian-cross ] || return 1
	local why rc m
	if [ "${1%.a}" != "$1" ]; then
		rm -rf "$OUT/ar.a" "$OUT/ar.b"
		mkdir -p "$OUT/ar.a" "$OUT/ar.b"
		(cd "$OUT/ar.a" && ar x "$1") && (cd "$OUT/ar.b" && ar x "$2") || return 1
		[ "$(ar t "$1")" = "$(ar t "$2")" ] || { echo "    $1: other members"; return 1; }
		for m in $(ar t "$1"); do
			why=$(bash "$SRCDIR/scripts/compare-elf.sh" "$OUT/ar.a/$m" "$OUT/ar.b/$m")
			rc=$?
			[ $rc = 0 ] || [ $rc = 3 ] || { echo "    $m: $why"; return 1; }
		done
	else
		why=$(bash "$SRCDIR/scripts/compare-elf.sh" "$1" "$2")
		rc=$?
		[ $rc = 3 ] || { echo "    $why"; return 1; }
	fi
	nident=$((nident + 1))
	echo "$1: $why" >> "$OUT/identification.txt"
	return 0
}
# same A B LABEL: compare every file under A with its copy under B; prints
# each difference, sets nsame (files in A) and ndiff (differences, plus one
# if B holds another number of files).
same() {
	nsame=0 ndiff=0
	while read -r f; do
		nsame=$((nsame + 1))
		if ! same_file "$1/$f" "$2/$f"; then
			ndiff=$((ndiff + 1))
			echo "  DIFFERENT $3/$f"
		fi
	done < <(cd "$1" && find . -type f | sort)
	local nb
	nb=$(cd "$2" && find . -type f | wc -l)
	[ "$nb" = "$nsame" ] || { echo "  $3: $nb files against $nsame"; ndiff=$((ndiff + 1)); }
}
# runs TSV COMM KIND: how many processes named COMM ran KIND in an account.
runs() { awk -F'\t' -v c="$2" -v k="$3" '$1 == $2 && $9 == c && $4 == k' "$1" | wc -l; }
# as_runs TSV KIND: the assembler's runs (emulated: named as; native: the
# view's file, by inode).
as_ino=$(stat -L -c %i "$root/lib-x86$(readlink -f "$root/usr/bin/as" | sed "s|^$root||")" 2>/dev/null || echo none)
as_runs() { awk -F'\t' -v k="$2" -v i="$as_ino" '$1 == $2 && $4 == k && (k == "native" ? $8 == i : $9 == "as")' "$1" | wc -l; }
# How Debian's build configures each package (make-dfsg: autoreconf first).
configure_hello="./configure -q"
configure_make="autoreconf -fi && ac_cv_lib_util_getloadavg=no ./configure -q --with-guile=no"
for src in hello make; do
	conf=configure_$src
	as_builder "cd /build/${dir[$src]} && $flags && ${!conf}" > "$OUT/$src.configure.log" 2>&1 ||
		{ echo "FAIL corpus: $src: configure failed, see $OUT/$src.configure.log"; exit 1; }
	tc_off
	build "$src" emulated || exit 1
	tc_on
	build "$src" native || exit 1
	same "$OUT/$src.emulated" "$OUT/$src.native" "$src"
	n=$nsame d=$ndiff
	c=$(find "$root/build/${dir[$src]}" -name '*.c' | wc -l)
	echo "$src: $c C files; $n objects, archives and programs compared, $d different"
	# cc1 ran emulated in the first build only and natively in the second
	# only (processes: qemu's second thread is a task of the same process).
	for mode in emulated native; do
		other=native
		[ "$mode" = native ] && other=emulated
		yes=$(runs "$OUT/$src.$mode.tsv" cc1 "$mode")
		no=$(runs "$OUT/$src.$mode.tsv" cc1 "$other")
		echo "  $mode build: $yes cc1 runs $mode, $no $other"
		[ "$yes" -gt 0 ] && [ "$no" = 0 ] || { echo "  the $mode build did not run cc1 $mode only"; d=$((d + 1)); }
		[ ${#asm[@]} = 1 ] || continue
		# the assembler: emulated by the name the driver runs it by, native
		# as the view's file (whose name the native drivers share)
		yes=$(as_runs "$OUT/$src.$mode.tsv" "$mode")
		no=$(as_runs "$OUT/$src.$mode.tsv" "$other")
		echo "  $mode build: $yes as runs $mode, $no $other"
		[ "$yes" -gt 0 ] && [ "$no" = 0 ] || { echo "  the $mode build did not run as $mode only"; d=$((d + 1)); }
	done
	# Every other C file of the tree (gnulib replacements the configure
	# result leaves out, test programs, ...): compiled alone with the build's
	# flags, in both modes; where one compiles, the other must give the same
	# object, and where one fails the other must fail too.
	for mode in emulated native; do
		if [ "$mode" = emulated ]; then tc_off; else tc_on; fi
		as_builder "cd /build/${dir[$src]} && $flags && sh /build/extra.sh /build/extra.$src.$mode" \
			> "$OUT/$src.extra.$mode.log" 2>&1
		cp -a "$root/build/extra.$src.$mode" "$OUT/"
	done
	tc_on
	same "$OUT/extra.$src.emulated" "$OUT/extra.$src.native" "$src (compiled alone)"
	e=$nsame ed=$ndiff
	ef=$(cd "$OUT/extra.$src.emulated" && find . -name '*.failed' | wc -l)
	echo "  and $e C files the build does not compile, compiled alone: $((e - ef)) objects, $ef failing in both modes, $ed different"
	d=$((d + ed))
	total=$((total + n + e - ef))
	[ "$d" = 0 ] || fail=1
done

# Mixed: the driver one way, the compiler proper the other. The driver's
# task is named after the file it runs: natively its canonical file in the
# view, emulated the name make used.
one=src/main.o
nident_corpus=$nident # the mixed checks compare one more file each
# Native: by the view file's inode (the native assembler's file has the
# same first 15 characters, arm-linux-gnuea).
driver_ino=$(stat -c %i "$root/lib-x86$driver")
# mixed NAME DRIVER-KIND CC1-KIND
mixed() {
	local tsv=$OUT/mixed-$1.tsv
	"$ACCEL_CTL" --state-dir "$state" account -o "$OUT/mixed-$1.account" --tsv "$tsv" -- \
		"${builder[@]}" sh -c "cd /build/${dir[make]} && $flags && rm -f $one && make $one" \
		> "$OUT/mixed-$1.log" 2>&1 || { echo "FAIL corpus: mixed $1: compile failed, see $OUT/mixed-$1.log"; return 1; }
	# (dpkg-buildflags runs the driver too: any number, but all one way)
	local dn de cn ce
	dn=$(awk -F'\t' -v i="$driver_ino" '$1 == $2 && $4 == "native" && $8 == i' "$tsv" | wc -l)
	de=$(runs "$tsv" gcc emulated)
	cn=$(runs "$tsv" cc1 native) ce=$(runs "$tsv" cc1 emulated)
	if { [ "$2" = native ] && { [ "$dn" = 0 ] || [ "$de" != 0 ]; }; } ||
		{ [ "$2" = emulated ] && { [ "$de" = 0 ] || [ "$dn" != 0 ]; }; } ||
		{ [ "$3" = native ] && [ "$cn.$ce" != 1.0 ]; } ||
		{ [ "$3" = emulated ] && [ "$cn.$ce" != 0.1 ]; }; then
		echo "  mixed $1: not the set-up asked for (driver $dn native, $de emulated; cc1 $cn native, $ce emulated)"
		fail=1
	elif same_file "$root/build/${dir[make]}/$one" "$OUT/make.emulated/$one"; then
		echo "mixed $1: $one same object (driver $2, cc1 $3)"
	else
		echo "  DIFFERENT mixed $1: $one"
		fail=1
	fi
}
ctl disable "$cc1" > /dev/null
mixed native-driver native emulated || exit 1
tc_on
ctl disable "$driver" > /dev/null
mixed emulated-driver emulated native || exit 1
tc_on
# The linker and the archive tools (native with the compiler, with the host
# builds of their plugins). LTO: hello again with -flto=auto (slim LTO
# objects: their code is GCC's IR, which only the LTO plugin reads; with
# -frandom-seed, as GCC names their sections after a random number) in both
# modes: its gnulib archive made by plain ar and ranlib (the plugin found in
# BFD's directory), the program linked through collect2 (ld -plugin PATH),
# and an archive of the same objects made by gcc-ar (ar --plugin PATH) and
# nm's listing of it. Then a shared library needing another one that only
# LD_LIBRARY_PATH names: the armel ld finds it there, the cross-built host ld
# would not, so ld must run emulated (and the link give the same program).
cat > "$root/build/lto.sh" <<'EOF2'
set -e
out=$1
rm -rf "$out"
mkdir -p "$out"
make -s clean > /dev/null 2>&1
make -s CFLAGS="$CFLAGS -flto=auto -frandom-seed=accel" > "$out/make.log" 2>&1
cp lib/libhello.a hello "$out/"
lto=$(find lib -name '*.o' | sort | head -8)
arm-linux-gnueabi-gcc-ar-12 rcs "$out/gcc-ar.a" $lto
nm "$out/gcc-ar.a" > "$out/nm.txt" 2>&1 || true
nm lib/libhello.a > "$out/nm-libhello.txt" 2>&1 || true
mkdir -p "$out/needed" && cd "$out/needed"
printf 'int a(void) { return 41; }\n' > a.c
printf 'int a(void);\nint b(void) { return a() + 1; }\n' > b.c
printf 'int b(void);\nint main(void) { return b() != 42; }\n' > m.c
gcc -O2 -fPIC -shared -o liba.so a.c
gcc -O2 -fPIC -shared -o libb.so b.c -L. -la
rm -f a.c b.c m.o
LD_LIBRARY_PATH=$PWD gcc -O2 -o m m.c -L. -lb
rm -f m.c
EOF2
lto_bad=0
for mode in emulated native; do
	if [ "$mode" = emulated ]; then tc_off; else tc_on; fi
	"$ACCEL_CTL" --state-dir "$state" account -o "$OUT/lto.$mode.account" --tsv "$OUT/lto.$mode.tsv" -- \
		"${builder[@]}" sh -c "cd /build/${dir[hello]} && $flags && sh /build/lto.sh /build/lto.$mode" \
		> "$OUT/lto.$mode.log" 2>&1 || { echo "FAIL corpus: lto ($mode) failed, see $OUT/lto.$mode.log and $root/build/lto.$mode/make.log"; lto_bad=1; }
	rm -rf "$OUT/lto.$mode"
	cp -a "$root/build/lto.$mode" "$OUT/"
done
tc_on
if [ "$lto_bad" = 0 ]; then
	grep -q 'plugin needed' "$OUT/lto.native/nm.txt" "$OUT/lto.native/nm-libhello.txt" &&
		{ echo "  lto: nm found no plugin for the LTO objects"; lto_bad=1; }
	[ -s "$OUT/lto.native/nm.txt" ] || { echo "  lto: nm listed nothing"; lto_bad=1; }
	same "$OUT/lto.emulated" "$OUT/lto.native" lto
	[ "$ndiff" = 0 ] || lto_bad=1
	echo "lto: $nsame files (slim LTO archive by ar and by gcc-ar, nm listings, program, a link needing LD_LIBRARY_PATH), $ndiff different"
	total=$((total + nsame))
	# ld, ar, nm and ranlib: emulated in the first run only (under the
	# names make, the script and the armel collect2 use), and in the second
	# one emulated ld only, once: the link that LD_LIBRARY_PATH decides.
	# collect2 runs ld as "ld", or (Debian's cross collect2) as
	# arm-linux-gnueabi-ld, whose task name is cut to arm-linux-gnuea;
	# nothing else of that name is emulated there.
	for tool in ld ar nm ranlib; do
		e=$(runs "$OUT/lto.emulated.tsv" "$tool" emulated)
		n=$(runs "$OUT/lto.native.tsv" "$tool" emulated)
		[ "$tool" != ld ] || n=$((n + $(runs "$OUT/lto.native.tsv" arm-linux-gnuea emulated)))
		want=0 why=
		[ "$tool" != ld ] || want=1 why=", the link LD_LIBRARY_PATH decides"
		echo "  $tool emulated: $e runs in the emulated build, $n in the native one (want $want$why)"
		[ "$e" -gt 0 ] && [ "$n" = "$want" ] || lto_bad=1
	done
fi
[ "$lto_bad" = 0 ] || fail=1

if [ "$fail" = 0 ] && [ "$TOOLCHAIN" = debian-cross ]; then
	echo "PASS corpus ($TOOLCHAIN): $total files compared, emulated vs native compiler: $((total - nident_corpus)) identical, $nident_corpus differ only in the compiler identification (results in $OUT, identification.txt)"
elif [ "$fail" = 0 ]; then
	echo "PASS corpus: $total files identical, emulated vs native compiler (results in $OUT)"
else
	echo "FAIL corpus: the native compiler's output differs (results in $OUT)"
	exit 1
fi
