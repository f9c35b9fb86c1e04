#!/bin/bash
# bench-build.sh: Debian's hello 2.10-3 built with `dpkg-buildpackage -us -uc
# -b --rules-requires-root` three ways, one after the other in one run (make
# bench), and compared. Never an assertion: it prints a table.
#
#   emulated     a fresh copy of the armel buildd root, every armel program
#                under qemu-arm (Debian's entry; accel not registered yet)
#   accelerated  another fresh copy with accel's default set native, the
#                compiler emulated (as, its i386 build, is native in both
#                accelerated builds where the machine runs it)
#   full         a third copy with the compiler native too (the host build of
#                the root's exact GCC, `make toolchain`; left out if absent)
#   native       the same source on the host (amd64), same command, as an
#                unprivileged user under fakeroot
#
# Wall time, CPU time of the whole process tree (accelctl account, taskstats)
# and, for the accelerated build, the share of CPU still spent emulated and
# the programs that took it. Output: bench/out/build/ and
# bench/out/build-table.md. ACCEL_BENCH_JOBS (default 1) sets parallel=N.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make bench}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${ACCEL_BENCH_OUT:-${ACCEL_BUILDDIR:-$SRCDIR}/bench/out}
B=$OUT/build
JOBS=${ACCEL_BENCH_JOBS:-1}
[ "$(id -u)" = 0 ] || { echo "bench-build: needs root" >&2; exit 2; }
rm -rf "$B"
mkdir -p "$B"

# The host needs hello's build dependencies for the native build.
need=()
for p in debhelper help2man texinfo fakeroot dpkg-dev; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "bench-build: installing ${need[*]} on the host for the native build" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"

# Emulated, then accelerated (compare-build.sh --sequential).
rc=0
bash "$SRCDIR/scripts/compare-build.sh" --sequential --no-compiler --out "$B" --with help2man,texinfo \
	--jobs "$JOBS" hello=2.10-3 > "$B/compare.log" 2>&1 || rc=$?
[ $rc -le 1 ] || { cat "$B/compare.log"; echo "bench-build: the builds failed" >&2; exit 1; }
# Fully accelerated: the compiler native too, when it has been built.
full=0
if ls "${ACCEL_TOOLCHAINS:-/var/cache/accel/test-store/toolchains}"/gcc-*/.complete > /dev/null 2>&1; then
	bash "$SRCDIR/scripts/compare-build.sh" --accelerated-only --out "$B/full" \
		--with help2man,texinfo --jobs "$JOBS" hello=2.10-3 > "$B/full.log" 2>&1 ||
		{ cat "$B/full.log"; echo "bench-build: the fully accelerated build failed" >&2; exit 1; }
	bash "$SRCDIR/scripts/compare-debs.sh" "$B/emulated" "$B/full/accelerated" > "$B/full/report.txt" || true
	full=1
fi

# Native: the same source files, on the host, as nobody under fakeroot.
mkdir -p "$B/native/src"
cp "$B"/src/*.dsc "$B"/src/*.tar.* "$B/native/src/"
(cd "$B/native/src" && dpkg-source -q -x ./*.dsc hello) > /dev/null 2>&1
chown -R nobody:nogroup "$B/native/src"
t0=$(date +%s.%N)
"$ACCEL_CTL" --state-dir "$B/state" account -n 10 -o "$B/native/account.txt" -- \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env -i HOME=/nonexistent PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
	DEB_BUILD_OPTIONS="parallel=$JOBS" \
	sh -c "cd '$B/native/src/hello' && exec dpkg-buildpackage -us -uc -b --rules-requires-root" \
	> "$B/native/build.log" 2>&1 || { tail "$B/native/build.log"; echo "bench-build: native build failed" >&2; exit 1; }
t1=$(date +%s.%N)
echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$B/native/seconds"

cpu() { sed -n 's/^accelctl account: [0-9]* processes, \([0-9.]*\) s CPU.*/\1/p' "$1"; }
emu_cpu() { sed -n 's/.* emulated \([0-9.]*\) s (\([0-9.]*\)%.*/\1 \2/p' "$1"; }
# One assignment a line: of several on one line set -e sees the last only.
e=$(cat "$B/emulated/seconds")
a=$(cat "$B/accelerated/seconds")
n=$(cat "$B/native/seconds")
ec=$(cpu "$B/emulated/account.txt")
ac=$(cpu "$B/accelerated/account.txt")
nc=$(cpu "$B/native/account.txt")
read -r aemu ashare < <(emu_cpu "$B/accelerated/account.txt")
f=0 fc=0
if [ "$full" = 1 ]; then
	f=$(cat "$B/full/accelerated/seconds")
	fc=$(cpu "$B/full/accelerated/account.txt")
	read -r femu fshare < <(emu_cpu "$B/full/accelerated/account.txt")
fi
procs=$(sed -n 's/^accelctl account: \([0-9]*\) processes.*/\1/p' "$B/accelerated/account.txt")
{
	echo "hello 2.10-3, dpkg-buildpackage -b, parallel=$JOBS, $(nproc) cores, $(date -u +%Y-%m-%d)"
	echo
	echo "| build | wall s | CPU s | emulated / this | this / native |"
	echo "|---|---|---|---|---|"
	awk -v e="$e" -v a="$a" -v n="$n" -v f="$f" -v fc="$fc" -v ec="$ec" -v ac="$ac" -v nc="$nc" 'BEGIN {
		printf "| emulated | %.1f | %.1f | 1.00x | %.2fx |\n", e, ec, e / n
		printf "| accelerated (compiler emulated) | %.1f | %.1f | %.2fx | %.2fx |\n", a, ac, e / a, a / n
		if (f > 0)
			printf "| accelerated (compiler native) | %.1f | %.1f | %.2fx | %.2fx |\n", f, fc, e / f, f / n
		printf "| native (host amd64) | %.1f | %.1f | %.2fx | 1.00x |\n", n, nc, e / n
	}'
	echo
	echo "accelerated build: $procs processes; CPU still emulated: $aemu s of $ac s ($ashare%)"
	echo "packages: $(tail -n 1 "$B/report.txt" 2>/dev/null)"
	if [ "$full" = 1 ]; then
		echo "compiler native: CPU still emulated $femu s of $fc s ($fshare%); packages vs emulated: $(tail -n 1 "$B/full/report.txt")"
		echo
		echo '```'
		sed -n '/^top emulated/,$p' "$B/full/accelerated/account.txt" | head -n 16
		echo '```'
	fi
	echo
	echo '```'
	sed -n '/^top emulated/,$p' "$B/accelerated/account.txt" | head -n 24
	echo '```'
} > "$OUT/build-table.md"
cat "$OUT/build-table.md"
