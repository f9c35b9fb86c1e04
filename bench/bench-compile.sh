#!/bin/bash
# bench-compile.sh: the cost of one compile, `gcc -O2 -g -c` of a mid-size
# C file (GNU make's src/main.c, preprocessed once in the root so every run
# reads the same text), three ways; median of 5 runs each, never an
# assertion:
#
#   emulated     in the armel root, the root's gcc, cc1 and as under qemu
#   accelerated  in the same root with `accelctl enable gcc` (and as): the
#                dispatcher runs the host build of the root's GCC (and
#                binutils, as its i386 build) from the view
#   direct       the same host binaries run directly on the host, outside
#                the root (no binfmt_misc, no dispatcher, no view)
#
# Needs the host compiler in the test store (`make toolchain`); without it
# the benchmark says so and does nothing. Output: bench/out/compile-table.md.
set -euo pipefail
: "${ACCEL_BOOTSTRAP:?run through make bench}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${ACCEL_BENCH_OUT:-${ACCEL_BUILDDIR:-$SRCDIR}/bench/out}
STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
RUNS=5
[ "$(id -u)" = 0 ] || { echo "bench-compile: needs root" >&2; exit 2; }
tc=$(ls -d "$STORE"/toolchains/gcc-*/ 2> /dev/null | head -n 1)
if [ -z "$tc" ] || [ ! -f "$tc/.complete" ]; then
	echo "bench-compile: no host compiler in $STORE/toolchains (make toolchain); skipped" | tee "$OUT/compile-table.md"
	exit 0
fi
mkdir -p "$OUT"
id=accel-bc-$$
root=/var/tmp/$id
state=/var/tmp/$id.state
up=0
cleanup() {
	set +e
	[ "$up" = 0 ] || "$ACCEL_BOOTSTRAP" --teardown --binfmt-name "$id" --state-dir "$state" "$root" > /dev/null 2>&1
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$root"
	rm -rf "$state" "$root.bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
# make-dfsg's source has no configure: autoreconf first, as Debian does (the
# same root packages as make check-toolchain, so the cached root is shared).
bash "$SRCDIR/scripts/buildd-root.sh" new "$root" help2man texinfo autoconf automake autopoint \
	pkg-config > /dev/null
bash "$SRCDIR/scripts/buildd-root.sh" mount "$root"
chroot "$root" sh -c 'cd /tmp && apt-get source -qq make-dfsg=4.3-4.1' > /dev/null 2>&1 ||
	{ echo "bench-compile: apt-get source make-dfsg in the root failed" >&2; exit 1; }
bs=(--binfmt-name "$id" --state-dir "$state" --store "$STORE")
[ -z "${ACCEL_DISPATCH:-}" ] || bs+=(--dispatcher "$ACCEL_DISPATCH")
[ -z "${ACCEL_FUSEVIEW:-}" ] || bs+=(--fuseview "$ACCEL_FUSEVIEW")
"$ACCEL_BOOTSTRAP" "${bs[@]}" "$root" > /dev/null
up=1
ctl() { "$ACCEL_CTL" --state-dir "$state" --root "$root" "$@"; }
# The assembler (its i386 build) is in the default set where the machine
# runs it: then it is switched with the compiler.
asm=()
ctl list | cut -f1 | grep -q -- '-as$' && asm=(as)
ctl enable gcc "${asm[@]}" > /dev/null
# The preprocessed file as make's own build makes it (its -D flags too).
chroot "$root" sh -c 'cd /tmp/make-dfsg-4.3 && autoreconf -fi > /dev/null 2>&1 &&
	ac_cv_lib_util_getloadavg=no ./configure -q --with-guile=no > /dev/null &&
	make src/main.o CFLAGS="-save-temps=obj" > /dev/null && cp src/main.i /tmp/main.i'
lines=$(wc -l < "$root/tmp/main.i")

# median of RUNS wall times (ms) of the command
median() {
	local t=()
	for _ in $(seq "$RUNS"); do
		local t0 t1
		t0=$(date +%s%N)
		# median runs in $(...), where bash drops set -e: a failed compile
		# would be timed (and the emulated one leave the accelerated
		# object for the cmp below).
		"$@" > /dev/null || return
		t1=$(date +%s%N)
		t+=($(( (t1 - t0) / 1000000 )))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
compile='gcc -O2 -g -c /tmp/main.i -o /tmp/main.o'
acc=$(median chroot "$root" sh -c "$compile")
cp "$root/tmp/main.o" "$OUT/main.accelerated.o"
# Directly on the host: the toolchain's driver finds its cc1 beside itself;
# -B gives it the host build of the root's binutils as `as`: the i386 one
# the view serves, run by its loader from the store (a two-line script:
# the host has no i386 loader at /lib/ld-linux.so.2), or the amd64 one.
mkdir -p "$root.bin"
as_host=$(ls "$STORE"/pkgs/binutils-arm-linux-gnueabi_*_amd64/usr/bin/arm-linux-gnueabi-as | head -n 1)
libs=$(dirname "$as_host")/../lib/x86_64-linux-gnu
as32=$(ls "$STORE"/pkgs/binutils-arm-linux-gnueabi_*_i386/usr/bin/arm-linux-gnueabi-as 2> /dev/null | head -n 1)
ld32=$(ls "$STORE"/pkgs/libc6_*_i386/lib/i386-linux-gnu/ld-linux.so.2 2> /dev/null | head -n 1)
if [ ${#asm[@]} = 1 ] && [ -n "$as32" ] && [ -n "$ld32" ]; then
	path32=$(dirname "$ld32"):$(dirname "$as32")/../lib/i386-linux-gnu
	for p in zlib1g libzstd1 libbinutils; do
		for d in "$STORE"/pkgs/"${p}"_*_i386/lib/i386-linux-gnu "$STORE"/pkgs/"${p}"_*_i386/usr/lib/i386-linux-gnu; do
			if [ -d "$d" ]; then path32=$path32:$d; fi
		done
	done
	printf '#!/bin/sh\nexec %s --library-path %s %s "$@"\n' "$ld32" "$path32" "$as32" > "$root.bin/as"
	chmod +x "$root.bin/as"
else
	ln -sf "$as_host" "$root.bin/as"
fi
cp "$root/tmp/main.i" "$root.bin/main.i"
dir=$(median env LD_LIBRARY_PATH="$libs" "$tc/usr/bin/arm-linux-gnueabi-gcc-12" -B"$root.bin/" \
	-O2 -g -c "$root.bin/main.i" -o "$root.bin/main.o")
ctl disable gcc "${asm[@]}" > /dev/null
emu=$(median chroot "$root" sh -c "$compile")
cmp -s "$root/tmp/main.o" "$OUT/main.accelerated.o" && same=identical || same=DIFFERENT
{
	echo "one compile: gcc -O2 -g -c of GNU make's src/main.c preprocessed ($lines lines), median of $RUNS, $(date -u +%Y-%m-%d)"
	echo
	echo "| compiler | ms | emulated / this | this / direct |"
	echo "|---|---|---|---|"
	awk -v e="$emu" -v a="$acc" -v d="$dir" 'BEGIN {
		printf "| emulated (qemu) | %d | 1.00x | %.2fx |\n", e, e / d
		printf "| accelerated (dispatcher + view) | %d | %.2fx | %.2fx |\n", a, e / a, a / d
		printf "| direct (host, no root) | %d | %.2fx | 1.00x |\n", d, e / d
	}'
	echo
	echo "objects, emulated vs accelerated: $same"
} > "$OUT/compile-table.md"
cat "$OUT/compile-table.md"
