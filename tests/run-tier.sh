#!/bin/bash
# run-tier.sh TIER TEST... : run test scripts one by one, show their output,
# and end with one summary line "TIER: N passed, N failed, N skipped".
# Exit status 0 only if none failed. A test exiting 77 is skipped.
tier=$1; shift
pass=0 failn=0 skipn=0 failed=()
for t in "$@"; do
	name=$(basename "$t" .sh)
	echo "=== $tier: $name"
	start=$(date +%s)
	bash "$t"
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "=== PASS $name (${secs}s)" ;;
	77) skipn=$((skipn + 1)); echo "=== SKIP $name" ;;
	*) failn=$((failn + 1)); failed+=("$name"); echo "=== FAIL $name (exit $rc, ${secs}s)" ;;
	esac
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "$tier: $pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
