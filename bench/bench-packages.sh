#!/bin/bash
# bench-packages.sh: issue 17's package rows beside hello: a larger C package
# (popt, autotools + libtool with a test suite) and two C++ ones (tinyxml2
# and libebml, cmake), each built emulated, accelerated (the default set,
# whole toolchain native when `make toolchain` has been run) and natively on
# the host, with DEB_BUILD_OPTIONS=parallel=1 and parallel=2, through
# scripts/corpus.sh (emulated builds cached in /var/cache/accel/corpus).
# Never an assertion: it prints the tables. Output:
# bench/out/packages-parallel1.md and packages-parallel2.md.
set -euo pipefail
: "${ACCEL_BOOTSTRAP:?run through make bench}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${ACCEL_BENCH_OUT:-${ACCEL_BUILDDIR:-$SRCDIR}/bench/out}
PACKAGES=${ACCEL_BENCH_PACKAGES:-popt,tinyxml2,libebml}
[ "$(id -u)" = 0 ] || { echo "bench-packages: needs root" >&2; exit 2; }
mkdir -p "$OUT"
for jobs in 1 2; do
	ACCEL_CORPUS_JOBS=$jobs ACCEL_CORPUS_OUT=/var/tmp/accel-bench-packages-$jobs \
		bash "$SRCDIR/scripts/corpus.sh" --only "$PACKAGES" --table "$OUT/packages-parallel$jobs.md" ||
		echo "bench-packages: parallel=$jobs: a package was not equal or failed (see the table)" >&2
	cat "$OUT/packages-parallel$jobs.md"
done
