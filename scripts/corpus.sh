#!/bin/bash
# corpus.sh - build a list of real Debian source packages emulated and
# accelerated (compare-build.sh), natively on the host where it can, and
# write one table.
#
# Usage: corpus.sh [--list FILE] [--ci] [--only SOURCE[,SOURCE]] [--table FILE]
#   --list FILE    the corpus (default bench/corpus.list: SOURCE=VERSION,
#                  build system, extra packages, "ci" mark; tab-separated)
#   --ci           only the entries marked ci (the test command's part)
#   --only LIST    only these source packages
#   --table FILE   write the table there too (bench/CORPUS.md for the whole
#                  corpus), with the machine and the date
#   --no-native    skip the native builds on the host (they install the
#                  build dependencies' amd64 packages on the host)
#   --report       build nothing: the table of the results already in the
#                  results directory (a run cut short, say)
#
# The emulated build of an entry is slow and does not depend on accel: its
# result is kept in $ACCEL_CORPUS_CACHE (default /var/cache/accel/corpus)
# under a key of everything that decides it (the cached root tarball the
# entry's packages make, the source and version, the extra packages,
# parallel=N), so a rerun builds only accelerated and compares against it.
#
# Per entry the table says: the result (IDENTICAL, SAME-CONTENT,
# IDENTIFICATION-ONLY, DIFFERENT, FAILED and where), emulated, accelerated
# and native seconds, and the share of the accelerated build's CPU still
# spent in emulated root programs (and, apart, in programs the build made
# itself), from accelctl account. Results go to $ACCEL_CORPUS_OUT (default
# /var/tmp/accel-corpus)/SOURCE/.
#
# $ACCEL_CORPUS_TIMEOUT (default 7200) bounds each entry's builds in seconds.
#
# Exit status: 0 every entry IDENTICAL, SAME-CONTENT or IDENTIFICATION-ONLY,
# 1 otherwise, 2 usage.
set -uo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=$HERE/../bench/corpus.list table="" ci=0 only="" native=1 report=0
CACHE=${ACCEL_CORPUS_CACHE:-/var/cache/accel/corpus}
OUT=${ACCEL_CORPUS_OUT:-/var/tmp/accel-corpus}
JOBS=${ACCEL_CORPUS_JOBS:-1}
# A build that hangs (a configure test under qemu-user can) ends after this
# many seconds, as FAILED (timeout).
LIMIT=${ACCEL_CORPUS_TIMEOUT:-7200}
CTL=${ACCEL_CTL:-accelctl}

usage() { sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--list) [ $# -ge 2 ] || usage; list=$2; shift 2 ;;
	--ci) ci=1; shift ;;
	--only) [ $# -ge 2 ] || usage; only=",$2,"; shift 2 ;;
	--table) [ $# -ge 2 ] || usage; table=$2; shift 2 ;;
	--no-native) native=0; shift ;;
	--report) report=1; shift ;;
	-h | --help) usage ;;
	*) echo "corpus: unknown argument $1" >&2; usage ;;
	esac
done
[ -r "$list" ] || { echo "corpus: cannot read $list" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "corpus: must run as root" >&2; exit 2; }
mkdir -p "$CACHE" "$OUT"

cpu_total() { sed -n 's/^accelctl account: [0-9]* processes, \([0-9.]*\) s CPU.*/\1/p' "$1" 2>/dev/null; }
shares() { # the two emulated shares of an account report: "ROOT% BUILD%"
	sed -n 's/^accelctl account: emulated root programs [0-9.]* s (\([0-9.]*\)%), emulated programs the build made [0-9.]* s (\([0-9.]*\)%)$/\1% \2%/p' "$1" 2>/dev/null
}
top_emulated() { # the largest emulated root program: "NAME CPU%"
	sed -n '/^top emulated root programs/,/^top /p' "$1" 2>/dev/null |
		awk 'NR > 2 && $1 ~ /^[0-9.]+$/ { print $4 " " $2; exit }'
}

# native SPEC DIR: the same source on the host, as nobody under fakeroot.
# Prints the seconds, or "n/a" when the host cannot build it.
native_build() {
	local dir=$1 with=$2 src=$3 t0 t1
	mkdir -p "$dir/native/src"
	cp "$dir"/src/*.dsc "$dir"/src/*.tar.* "$dir"/src/*.diff.* "$dir/native/src/" 2>/dev/null
	# shellcheck disable=SC2086
	# (a lock timeout: two corpus runs may share the host's package manager)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=1200 build-essential debhelper fakeroot dpkg-dev ${with//,/ } > "$dir/native/apt.log" 2>&1 ||
		{ echo "n/a"; return; }
	(cd "$dir/native/src" && dpkg-source -q -x ./*.dsc tree) > "$dir/native/unpack.log" 2>&1 ||
		{ echo "n/a"; return; }
	chown -R nobody:nogroup "$dir/native/src"
	t0=$(date +%s.%N)
	"$CTL" account -n 10 -o "$dir/native/account.txt" -- \
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i HOME=/nonexistent PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEB_BUILD_OPTIONS="parallel=$JOBS" \
		sh -c "cd '$dir/native/src/tree' && exec dpkg-buildpackage -us -uc -b --rules-requires-root" \
		> "$dir/native/build.log" 2>&1 || { echo "n/a"; return; }
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' | tee "$dir/native/seconds"
}

# try_build: compare-build for the entry (spec, dir, ref, cmp_args), or only
# its accelerated build against the cached emulated one; rc says how it went.
try_build() {
	if [ -f "$ref/.complete" ]; then
		echo "corpus: $spec: the emulated build is cached ($ref)" >&2
		timeout --kill-after=120 "$LIMIT" bash "$HERE/compare-build.sh" "${cmp_args[@]}" \
			--accelerated-only "$spec" > "$dir/compare.out" 2> "$dir/compare.log"
		rc=$?
		if [ "$rc" = 0 ]; then
			rm -rf "$dir/emulated"
			cp -a "$ref/emulated" "$dir/emulated"
			bash "$HERE/compare-debs.sh" "$dir/emulated" "$dir/accelerated" > "$dir/report.txt"
			rc=$?
			[ "$rc" != 3 ] || rc=5
		fi
	else
		timeout --kill-after=120 "$LIMIT" bash "$HERE/compare-build.sh" "${cmp_args[@]}" "$spec" \
			> "$dir/compare.out" 2> "$dir/compare.log"
		rc=$?
		if grep -q "emulated build: exit 0" "$dir/compare.log"; then
			rm -rf "$ref.tmp"
			mkdir -p "$ref.tmp"
			cp -a "$dir/emulated" "$ref.tmp/" && touch "$ref.tmp/.complete" &&
				rm -rf "$ref" && mv "$ref.tmp" "$ref"
		fi
	fi
}

# The result of an entry from what its directory holds: compare-debs's
# report, or where it failed.
classify() {
	local dir=$1
	if [ -s "$dir/report.txt" ]; then
		if grep -qE '^(DIFFERENT|MISSING) ' "$dir/report.txt"; then echo DIFFERENT
		elif grep -q '^IDENTIFICATION-ONLY ' "$dir/report.txt"; then echo IDENTIFICATION-ONLY
		elif grep -q '^SAME-CONTENT ' "$dir/report.txt"; then echo SAME-CONTENT
		else echo IDENTICAL; fi
	elif grep -q "emulated build failed" "$dir/compare.log" 2>/dev/null; then
		echo "FAILED (emulated)"
	elif grep -q "accelerated build failed\|accelerated build: exit [1-9]" "$dir/compare.log" 2>/dev/null; then
		echo "FAILED (accelerated: $(grep -m1 -E 'error|Error|failed' "$dir/accelerated/build.log" | cut -c1-80))"
	elif [ -f "$dir/compare.log" ]; then
		echo "FAILED (set-up: $(tail -n 1 "$dir/compare.log" | cut -c1-80))"
	else
		echo "not built"
	fi
}

rows=() failed=0 n=0
while IFS=$'\t' read -r spec system with mark enable; do
	case $spec in '' | '#'*) continue ;; esac
	src=${spec%%=*}
	[ "$ci" = 0 ] || [ "$mark" = ci ] || continue
	[ -z "$only" ] || [[ $only == *",$src,"* ]] || continue
	n=$((n + 1))
	[ "$with" != - ] || with=""
	dir=$OUT/$src
	if [ "$report" = 1 ]; then
		if [ -f "$dir/row.md" ]; then row=$(cat "$dir/row.md"); else
			read -r root_share own_share < <(shares "$dir/accelerated/account.txt"; echo)
			top=$(top_emulated "$dir/accelerated/account.txt")
			row="| $spec | $system | $(classify "$dir") | $(cat "$dir/emulated/seconds" 2>/dev/null) | $(cat "$dir/accelerated/seconds" 2>/dev/null) | $(cat "$dir/native/seconds" 2>/dev/null || echo n/a) | ${root_share:-}${top:+ (top: ${top% *} ${top#* })} | ${own_share:-} |"
		fi
		rows+=("$row")
		case $row in *"| IDENTICAL |"* | *"| SAME-CONTENT |"* | *"| IDENTIFICATION-ONLY |"*) ;; *) failed=$((failed + 1)) ;; esac
		continue
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	# shellcheck disable=SC2086
	tarball=$(bash "$HERE/buildd-root.sh" cache ${with//,/ } 2> "$dir/root.log") ||
		{ rows+=("| $spec | $system | FAILED (root: $(tail -n 1 "$dir/root.log")) | | | | |"); failed=$((failed + 1)); continue; }
	key=$(printf '%s\n' "${tarball##*/}" "$spec" "$with" "parallel=$JOBS" | sha256sum | cut -c1-16)
	ref=$CACHE/$src-$key
	cmp_args=(--out "$dir" --jobs "$JOBS")
	[ -z "$with" ] || cmp_args+=(--with "$with")
	# What else runs natively in the accelerated root (not part of the key:
	# the emulated build does not depend on it).
	[ -z "${enable:-}" ] || [ "$enable" = - ] || { cmp_args+=(--enable "$enable"); system="$system; native: $enable"; }
	echo "corpus: $spec ($system)${with:+, with $with}" >&2
	# A build dependency the list forgot (Build-Depends-Indep, say): the
	# root's dpkg-checkbuilddeps names it; one more try with it.
	missing=""
	try_build
	if [ "$rc" = 4 ] && [ -z "$missing" ] &&
		missing=$(sed -n 's/.*Unmet build dependencies: //p' "$dir/src/builddeps.log" 2>/dev/null |
			sed 's/([^)]*)//g; s/<[^>]*>//g; s/\[[^]]*\]//g; s/|[^ ]*//g' | tr -s ' ' ',' |
			sed 's/^,//; s/,$//') && [ -n "$missing" ]; then
		echo "corpus: $spec: the list lacks $missing; one more try with them" >&2
		with=${with:+$with,}$missing
		# shellcheck disable=SC2086
		tarball=$(bash "$HERE/buildd-root.sh" cache ${with//,/ } 2> "$dir/root.log") || true
		key=$(printf '%s\n' "${tarball##*/}" "$spec" "$with" "parallel=$JOBS" | sha256sum | cut -c1-16)
		ref=$CACHE/$src-$key
		cmp_args=(--out "$dir" --jobs "$JOBS" --with "$with")
		[ -z "${enable:-}" ] || [ "$enable" = - ] || cmp_args+=(--enable "$enable")
		try_build
		system="$system (list lacks $missing)"
	fi
	case $rc in
	124 | 137) result="FAILED (timeout after $LIMIT s)" ;;
	0) if grep -q '^SAME-CONTENT' "$dir/report.txt" 2>/dev/null; then result=SAME-CONTENT; else result=IDENTICAL; fi ;;
	5) result=IDENTIFICATION-ONLY ;;
	1) result=DIFFERENT ;;
	3) if grep -q "emulated build failed" "$dir/compare.log"; then result="FAILED (emulated)"
	   else result="FAILED (accelerated: $(grep -m1 -E 'error|Error|failed' "$dir/accelerated/build.log" | cut -c1-80))"; fi ;;
	*) result="FAILED (set-up: $(tail -n 1 "$dir/compare.log" | cut -c1-80))" ;;
	esac
	case $result in IDENTICAL | SAME-CONTENT | IDENTIFICATION-ONLY) ;; *) failed=$((failed + 1)) ;; esac
	emu_s=$(cat "$ref/emulated/seconds" "$dir/emulated/seconds" 2>/dev/null | head -n 1)
	acc_s=$(cat "$dir/accelerated/seconds" 2>/dev/null)
	nat_s=n/a
	if [ "$native" = 1 ] && [ -d "$dir/src" ]; then nat_s=$(native_build "$dir" "$with" "$src"); fi
	read -r root_share own_share < <(shares "$dir/accelerated/account.txt"; echo)
	top=$(top_emulated "$dir/accelerated/account.txt")
	rows+=("| $spec | $system | $result | ${emu_s:-} | ${acc_s:-} | $nat_s | ${root_share:-}${top:+ (top: ${top% *} ${top#* })} | ${own_share:-} |")
	printf '%s\n' "${rows[-1]}" > "$dir/row.md"
	echo "corpus: $spec: $result" >&2
done < "$list"

{
	echo "| package | build system | result | emulated s | accelerated s | native s | CPU in emulated root programs | CPU in programs the build made |"
	echo "|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} > "$OUT/table.md"
cat "$OUT/table.md"
if [ -n "$table" ]; then
	{
		echo "# The corpus (scripts/corpus.sh)"
		echo
		echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), parallel=$JOBS; emulated results cached"
		echo "in $CACHE. Shares are of the accelerated build's CPU time (accelctl account)."
		echo
		cat "$OUT/table.md"
	} > "$table"
fi
echo "corpus: $n packages, $failed not equal" >&2
[ "$failed" = 0 ]
