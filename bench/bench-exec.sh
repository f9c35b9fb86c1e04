#!/bin/bash
# bench-exec.sh: per-exec cost of the dispatcher, as ratios measured side by
# side in one run (make bench). Never an assertion: it prints a table.
#
#   A  armel true (static busybox), host root: dispatcher vs Debian's entry alone
#   B  armel true, bootstrapped root:     dispatcher (view qemu) vs Debian's entry
#   C  armel true, never-bootstrapped root: dispatcher (carried qemu) vs Debian's
#   D  host true via the dispatcher in the root vs the same host binary run directly
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
"$T_BOOTSTRAP" --state-dir "$ST" --binfmt-name "$T_ID" --dispatcher "$T_DISPATCH" "$R" 2>/dev/null
view=$(echo "$ST"/roots/*/view)
mkdir -p "$view/usr/bin"
t_host_busybox "$T_DIR"
# The host equivalent of the root's busybox: a static host busybox, whose
# applet ("true") comes from argv0. /usr/bin/true itself stays emulated.
cp "$T_DIR/busybox" "$view/usr/bin/busybox"

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
pair B -r "$R" "$N" /usr/bin/true
pair C -r "$P" "$N" /usr/bin/true
: >"$OUT/D.on"; : >"$OUT/D.off"
for ((r = 0; r < ROUNDS; r++)); do
	loop -r "$R" -a true "$NH" /usr/bin/busybox >>"$OUT/D.on"
	loop -r "$R" -a true "$NH" /lib-x86/usr/bin/busybox >>"$OUT/D.off"
done
# Proof that D reached the host binary: the same path with argv0 "uname".
x=$("$T_EXECLOOP" -r "$R" -a uname 1 /usr/bin/busybox -m | sed -n 1p)
[ "$x" = x86_64 ] || { echo "bench: the host true was not reached ($x)" >&2; exit 1; }

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
	row D "D host busybox true via dispatcher, in root" "same binary, direct"
} | tee "$OUT/table.md"
echo "goals: A and B within 1.05, D under 1.3 (C pays a copy of qemu per exec)"
