#!/bin/bash
# End-to-end: the part of the corpus (bench/corpus.list, marked ci) that
# fits a fresh machine's test run, built emulated, accelerated and natively
# by scripts/corpus.sh; every package must come out IDENTICAL, SAME-CONTENT
# or IDENTIFICATION-ONLY. The whole corpus is `make corpus`.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP corpus: needs root"; exit 77; }
bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
rc=0
ACCEL_CORPUS_OUT=${ACCEL_CORPUS_OUT:-/var/tmp/accel-corpus-ci} \
	bash "$SRCDIR/scripts/corpus.sh" --ci || rc=$?
if [ $rc != 0 ]; then echo "FAIL corpus: a package of the ci part is not equal (see above)"; exit 1; fi
echo "corpus: the ci part is equal"
