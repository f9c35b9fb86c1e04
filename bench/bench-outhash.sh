#!/bin/bash
# bench-outhash.sh - accelctl outhash against sha256sum over the same files:
# a tree of many small files (a copy of the host's /usr/include), page cache
# warm and cold. Ratios, not assertions: outhash / sha256sum wall time.
# sha256sum gets the file list ready-made (find | sort, not timed) and runs
# through xargs, so it pays neither the walk nor the lstat outhash does.
set -euo pipefail
CTL=${ACCEL_CTL:?run through make bench (ACCEL_CTL unset)}
RUNS=${BENCH_RUNS:-5}
T=$(mktemp -d /tmp/accel-bench-outhash.XXXXXX)
trap 'rm -rf "$T"' EXIT
cp -a /usr/include "$T/tree"
find "$T/tree" -type f -print0 | sort -z > "$T/list"
files=$(tr -cd '\0' < "$T/list" | wc -c)
bytes=$(du -sb "$T/tree" | cut -f1)
now() { date +%s%N; }
# median of RUNS wall times (ms) of "$@"; cold: drop the page cache first
time_it() {
	local cold=$1 i t0 t1; shift
	for ((i = 0; i < RUNS; i++)); do
		if [ "$cold" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
		# In $(...) bash drops set -e: a failed run would be timed.
		t0=$(now); "$@" > /dev/null || exit; t1=$(now)
		echo $(((t1 - t0) / 1000))
	done | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
sums() { xargs -0 sha256sum < "$T/list"; }
echo "tree: $files files, $((bytes / 1024)) KiB (copy of /usr/include); $(nproc) CPUs; median of $RUNS"
printf '%-6s %14s %14s %14s %8s\n' cache "sha256sum us" "outhash us" "outhash -j1 us" ratio
for cold in 0 1; do
	[ $cold = 1 ] && [ ! -w /proc/sys/vm/drop_caches ] && { echo "cold: skipped (cannot drop caches)"; continue; }
	s=$(time_it $cold sums)
	o=$(time_it $cold "$CTL" outhash "$T/tree")
	o1=$(time_it $cold "$CTL" outhash -j 1 "$T/tree")
	printf '%-6s %14d %14d %14d %8s\n' "$([ $cold = 1 ] && echo cold || echo warm)" "$s" "$o" "$o1" \
		"$(awk -v a="$o" -v b="$s" 'BEGIN { printf "%.2fx", a / b }')"
done
