#!/bin/bash
# test-all.sh: the one command that runs every accel test on a Debian 12
# machine, from a clean checkout: installs what it needs, builds, then runs
#   0. lint: cppcheck and clang-tidy must find nothing (make lint)
#   1. unit tests (Criterion, make check)
#   2. the same unit tests built out of tree with ASan+UBSan
#   3. integration tests against the staged install (make check-integration)
#   4. end-to-end: Debian's hello built emulated and accelerated in a real
#      armel buildd root, packages compared (make check-e2e; about 10 minutes
#      with the root cache, 25 without). ACCEL_SKIP_E2E=1 leaves it out.
#   5. the compiler corpus (make check-toolchain) with the host build of the
#      root's exact compiler, which step 4 builds first where the machine
#      has none (make toolchain, about 11 minutes, kept in
#      /var/cache/accel/test-store), so that the e2e builds run the whole
#      toolchain natively too; with Debian's cross compiler
#      (TOOLCHAIN=debian-cross) only if that build failed (counted as a
#      failure); also left out by ACCEL_SKIP_E2E=1.
# and ends with one line "total: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc)
fail=0

say() { printf '\n##### %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "test-all: run as root (binfmt_misc, mounts, apt-get)" >&2; exit 2; }

say "dependencies"
scripts/install-deps.sh || exit 1

say "build"
{ ./autogen.sh >/dev/null &&
	./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var --enable-werror &&
	make -s -j"$jobs"; } || { echo "test-all: build failed" >&2; exit 1; }

say "lint (cppcheck, clang-tidy: make lint)"
lint_f=0
make -s lint || lint_f=1

count_criterion() { # LOGS... -> "passed failed"
	cat "$@" 2>/dev/null | sed -n 's/.*Synthesis: Tested: \([0-9]*\) | Passing: \([0-9]*\) | Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\2 \3 \4/p' |
		awk '{p += $1; f += $2 + $3} END {print p + 0, f + 0}'
}

say "unit tests"
make -s -j"$jobs" check >/dev/null 2>&1 || fail=1
cat tests/unit/*.log
read -r up uf < <(count_criterion tests/unit/*.log)
[ "$fail" = 0 ] || [ "$uf" -gt 0 ] || uf=1

say "unit tests with ASan and UBSan (separate copy of the sources)"
asan=$(mktemp -d /tmp/accel-asan.XXXXXX)
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$asan"
else
	tar --exclude=./tests/stage -cf - . | tar -xf - -C "$asan"
	(cd "$asan" && make -s distclean >/dev/null 2>&1 || true)
fi
(cd "$asan" && ./autogen.sh >/dev/null 2>&1 &&
	./configure -q --enable-sanitizers --enable-werror && make -s -j"$jobs" check >/dev/null 2>&1)
asan_rc=$?
cat "$asan"/tests/unit/*.log
read -r ap af < <(count_criterion "$asan"/tests/unit/*.log)
[ "$asan_rc" = 0 ] || [ "$af" -gt 0 ] || af=1
rm -rf "$asan"

say "integration tests"
make -s check-integration 2>&1 | tee /tmp/accel-integration.$$.log
read -r ip if is < <(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' /tmp/accel-integration.$$.log)
rm -f /tmp/accel-integration.$$.log
ip=${ip:-0} if=${if:-1} is=${is:-0}

ep=0 ef=0 es=0
if [ "${ACCEL_SKIP_E2E:-0}" = 1 ]; then
	say "end-to-end tests skipped (ACCEL_SKIP_E2E=1)"
	es=1
else
	# The host build of the root's exact compiler, once per machine (kept in
	# the test store, /var/cache/accel/test-store): with it the e2e builds
	# run the whole toolchain natively and the compiler corpus compares the
	# exact compiler's objects byte for byte.
	tc_f=0 exact=0
	for t in /var/cache/accel/test-store/toolchains/gcc-*; do
		[ -f "$t/.complete" ] && [ ! -f "$t/.layout" ] && exact=1
	done
	if [ "$exact" = 0 ]; then
		say "the host build of the root's exact compiler (make toolchain, about 11 minutes, once)"
		start=$(date +%s)
		make -s toolchain > /tmp/accel-toolchain-build.$$.log 2>&1 ||
			{ tail -20 /tmp/accel-toolchain-build.$$.log; echo "test-all: make toolchain failed" >&2; tc_f=1; }
		echo "make toolchain: $(($(date +%s) - start)) s"
		rm -f /tmp/accel-toolchain-build.$$.log
	fi
	say "end-to-end tests"
	make -s check-e2e 2>&1 | tee /tmp/accel-e2e.$$.log
	read -r ep ef es < <(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' /tmp/accel-e2e.$$.log)
	rm -f /tmp/accel-e2e.$$.log
	ep=${ep:-0} ef=${ef:-1} es=${es:-0}
	say "compiler corpus"
	make -s check-toolchain 2>&1 | tee /tmp/accel-toolchain.$$.log
	read -r cp cf cs < <(sed -n 's/^toolchain: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' /tmp/accel-toolchain.$$.log)
	if [ "${cp:-0}.${cf:-1}.${cs:-0}" = 0.0.1 ]; then
		# No host build of the root's exact GCC here (make toolchain): the
		# same corpus with Debian's cross compiler (imported in a minute),
		# where objects may differ in the compiler identification only;
		# binutils and the LTO plugin are the same either way.
		say "compiler corpus with Debian's cross compiler"
		make -s check-toolchain TOOLCHAIN=debian-cross 2>&1 | tee /tmp/accel-toolchain.$$.log
		read -r cp cf cs < <(sed -n 's/^toolchain: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' /tmp/accel-toolchain.$$.log)
	fi
	rm -f /tmp/accel-toolchain.$$.log
	ep=$((ep + ${cp:-0})) ef=$((ef + ${cf:-1} + tc_f)) es=$((es + ${cs:-0}))
fi

say "summary"
echo "lint:        $((1 - lint_f)) passed, $lint_f failed"
echo "unit:        $up passed, $uf failed"
echo "unit (asan): $ap passed, $af failed"
echo "integration: $ip passed, $if failed, $is skipped"
echo "end-to-end:  $ep passed, $ef failed, $es skipped (with the compiler corpus)"
tp=$((1 - lint_f + up + ap + ip + ep)) tf=$((lint_f + uf + af + if + ef)) ts=$((is + es))
echo "total: $tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
