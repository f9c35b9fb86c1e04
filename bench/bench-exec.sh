#!/bin/bash
# bench-exec.sh: per-exec costs of the dispatcher and of the /lib-x86 view,
# as ratios measured side by side in one run (make bench). Never an
# assertion: it prints a table.
#
#   A  armel true (static busybox), host root: dispatcher vs Debian's entry alone
#   B  armel true, bootstrapped root:     dispatcher (view qemu) vs Debian's entry
#   C  armel true, never-bootstrapped root: dispatcher (carried qemu) vs Debian's
#   D  host busybox true (static) via dispatcher and view, in the root, vs the
#      same host binary exec'd directly from the view
#   E  host coreutils true (dynamic) via dispatcher and view, in the root, vs
#      the host's own /usr/bin/true (the same build) run directly on the host
#   F  the same host true exec'd from the view directly (loader and libc from
#      the view, no dispatcher) vs the host's own /usr/bin/true
#   G  D inside a tree already under accel's uname filter (a build: only the
#      probe, no supervisor to start) vs the same binary, direct, in that tree
# D is the first native program of a tree: it pays for the uname filter and
# its supervisor (accel/exec/identity.h); G is every later one. Then uname(2)
# per call, answered by the supervisor, against the host's own, and what the
# filter adds to any other system call.
# plus the cost of a negative lookup in the view (uncached: one round trip to
# the daemon; cached: the kernel's negative dentry), the dispatcher's stamp
# check per native exec (the stamps of make read from the view and compared
# with the root's files, accel/exec/stamp.h) against one statx, and the
# daemon's resident memory with the default set enabled.
#
# Each pair is measured in alternating rounds; the median round is reported.
# ACCEL_BENCH_ROUNDS (default 5) and ACCEL_BENCH_N (execs per round for
# emulated programs, default 200; host programs run 10x as many) tune it.
set -euo pipefail
source "$(dirname "$0")/../tests/lib.sh"
t_require

ROUNDS=${ACCEL_BENCH_ROUNDS:-5}
N=${ACCEL_BENCH_N:-200}
NH=$((N * 10))
OUT=${ACCEL_BENCH_OUT:-$T_BUILDDIR/bench/out}
mkdir -p "$OUT"

R=$T_DIR/boot
P=$T_DIR/plain
ST=$T_DIR/state
t_mkroot "$R"
t_mkroot "$P"
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")
# The default set (coreutils, dash, bash, make, ...), as a user gets it.
"$T_BOOTSTRAP" --state-dir "$ST" --binfmt-name "$T_ID" --dispatcher "$T_DISPATCH" \
	--fuseview "$T_FUSEVIEW" --store "$T_STORE" "$R" >/dev/null 2>&1
CTL() { "$T_CTL" --state-dir "$ST" --root "$R" "$@"; }
# The root's static busybox: its host build (same version) serves D; the
# applet ("true") comes from argv0.
CTL enable /usr/bin/busybox >/dev/null
# true is in the default set: B disables it while it measures emulation.
# ns NAME: one execloop measurement -> ns per exec
loop() { "$T_EXECLOOP" -q "$@" | sed -n 's/.*failed=0 ns_per_exec=\([0-9]*\).*/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

pair() { # ID EXECLOOP-ARGS...   (entry on vs off)
	local id=$1; shift
	: >"$OUT/$id.on"; : >"$OUT/$id.off"
	for ((r = 0; r < ROUNDS; r++)); do
		t_entry "$T_ID" on;  loop "$@" >>"$OUT/$id.on"
		t_entry "$T_ID" off; loop "$@" >>"$OUT/$id.off"
	done
	t_entry "$T_ID" on
}

echo "measuring ($ROUNDS rounds, $N emulated / $NH host execs per round)..." >&2
pair A -a true "$N" "$P/usr/bin/busybox"
CTL disable true >/dev/null
pair B -r "$R" "$N" /usr/bin/true
CTL enable true >/dev/null
pair C -r "$P" "$N" /usr/bin/true
twin() { # ID "ACCEL-ARGS" "BASE-ARGS": both sides with the entry on
	local id=$1
	: >"$OUT/$id.on"; : >"$OUT/$id.off"
	for ((r = 0; r < ROUNDS; r++)); do
		loop $2 >>"$OUT/$id.on"
		loop $3 >>"$OUT/$id.off"
	done
}
twin D "-r $R -a true $NH /usr/bin/busybox" "-r $R -a true $NH /lib-x86/usr/bin/busybox"
twin E "-r $R $NH /usr/bin/true" "$NH /usr/bin/true"
twin F "-r $R $NH /lib-x86/usr/bin/true" "$NH /usr/bin/true"
M=$(cat "$R/lib-x86/.accel/machine")
twin G "-i $M -r $R -a true $NH /usr/bin/busybox" "-i $M -r $R -a true $NH /lib-x86/usr/bin/busybox"
UL=$T_BUILDDIR/tests/helpers/unameloop
: >"$OUT/uname.on"; : >"$OUT/uname.off"
for ((r = 0; r < ROUNDS; r++)); do
	"$UL" -i "$M" 20000 >>"$OUT/uname.on"
	"$UL" 20000 >>"$OUT/uname.off"
done
# Proof that D and E reached host programs, told the root's machine.
mkdir -p "$R/proc" && mount -t proc proc "$R/proc" && T_MOUNTS+=("$R/proc")
x=$("$T_EXECLOOP" -r "$R" -a readlink 1 /usr/bin/busybox /proc/self/exe | sed -n 1p)
[ "$x" = /lib-x86/usr/bin/busybox ] || { echo "bench: the host busybox was not reached ($x)" >&2; exit 1; }
x=$("$T_EXECLOOP" -r "$R" -a uname 1 /usr/bin/busybox -m | sed -n 1p)
[ "$x" = "$M" ] || { echo "bench: the host busybox was told $x, not $M" >&2; exit 1; }
printf 'all:\n\t@readlink /proc/$$PPID/exe\n' > "$R/tmp/exe.mk"
x=$(chroot "$R" /usr/bin/make -f /tmp/exe.mk)
[ "$x" = /lib-x86/usr/bin/make ] || { echo "bench: make did not run from the view ($x)" >&2; exit 1; }
# Negative lookups: distinct missing names in the view, then one again.
: >"$OUT/neg"
for ((r = 0; r < ROUNDS; r++)); do
	"$T_BUILDDIR/tests/helpers/lookloop" 2000 "$R/lib-x86/usr/bin/missing-$r-" >>"$OUT/neg"
done
# The stamp check, part of every native exec's cost in D to G.
: >"$OUT/stamp"
for ((r = 0; r < ROUNDS; r++)); do
	"$T_BUILDDIR/tests/helpers/stamploop" "$R" /usr/bin/make "$NH" >>"$OUT/stamp"
done
rss=$(CTL status | sed -n 's/.*rss \([0-9]*\) KiB.*/\1/p')
files=$(CTL status | sed -n 's/.*generation [0-9]*, \([0-9]*\) files served.*/\1/p')
programs=$(CTL list | wc -l)

row() { # ID LABEL BASELINE-LABEL
	local on off
	on=$(median <"$OUT/$1.on"); off=$(median <"$OUT/$1.off")
	[ -n "$on" ] && [ -n "$off" ] || { echo "bench: $1 had failed execs" >&2; exit 1; }
	awk -v l="$2" -v b="$3" -v on="$on" -v off="$off" 'BEGIN {
		printf "| %-48s | %9.1f | %9.1f | %-22s | %6.3f |\n", l, on/1000, off/1000, b, on/off }'
}
{
	echo "| per exec (median of $ROUNDS rounds)                  | accel µs  | base µs   | baseline               | ratio  |"
	echo "|--------------------------------------------------|-----------|-----------|------------------------|--------|"
	row A "A armel busybox true, host root" "Debian qemu-arm entry"
	row B "B armel true, bootstrapped root" "Debian qemu-arm entry"
	row C "C armel true, never-bootstrapped root (memfd)" "Debian qemu-arm entry"
	row D "D host busybox (static) via dispatcher + view" "same binary, direct"
	row E "E host true (dynamic) via dispatcher + view" "host /usr/bin/true"
	row F "F host true exec'd from the view, no dispatcher" "host /usr/bin/true"
	row G "G D in a tree under the uname filter already" "same binary, direct"
	echo
	u=$(sed 's/uncached_ns=\([0-9]*\).*/\1/' "$OUT/neg" | median)
	c=$(sed 's/.*cached_ns=\([0-9]*\).*/\1/' "$OUT/neg" | median)
	awk -v u="$u" -v c="$c" 'BEGIN {
		printf "negative lookup in the view: %.1f µs uncached (daemon round trip), %.2f µs cached (kernel)\n", u / 1000, c / 1000 }'
	f() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$OUT/uname.$2" | median; }
	awk -v a="$(f uname_ns on)" -v b="$(f uname_ns off)" -v c="$(f other_ns on)" -v d="$(f other_ns off)" 'BEGIN {
		printf "uname(2): %.1f µs answered by the supervisor vs %.2f µs the host\x27s own (%.0fx); any other system call under the filter: %.1f ns vs %.1f ns\n", a / 1000, b / 1000, a / b, c, d }'
	sf=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' "$OUT/stamp" | head -1)
	awk -v s="$(sed 's/stamps_ns=\([0-9]*\).*/\1/' "$OUT/stamp" | median)" \
		-v x="$(sed 's/.*statx_ns=\([0-9]*\).*/\1/' "$OUT/stamp" | median)" -v f="$sf" 'BEGIN {
		printf "stamp check per native exec (make, %d files): %.1f µs, against %.2f µs for one statx (%.0fx)\n", f, s / 1000, x / 1000, s / x }'
	echo "view daemon: $rss KiB resident, serving $files files for $programs enabled programs"
} | tee "$OUT/table.md"
echo "goals: A and B within 1.05, D under 1.3 (C pays a copy of qemu per exec)"
