#!/bin/bash
# task.sh - accelctl task run/gc and outhash: reuse, the Yocto example (a
# whitespace-only change of A's input: A reruns, B is restored), damaged
# archives, two concurrent writers on one equivalence database.
source "$(dirname "$0")/../lib.sh"

W=$T_DIR/work
S=$T_DIR/store
mkdir -p "$W"
cd "$W"
rc_of() { set +e; "$@" >"$T_DIR/out" 2>"$T_DIR/err"; echo $?; set -e; }
TASK() { "$T_CTL" task run --store "$S" "$@"; }
# Task A squeezes spaces of a.in; B counts A's output. Each run of a
# command leaves a mark in runs.log (outside the outputs).
A() { TASK --name A --input a.in --output outA -- sh -c 'echo A >> ../runs.log; tr -s " " < a.in > outA/a.out'; }
B() { TASK --name B --after A --output outB -- sh -c 'echo B >> ../runs.log; wc -c < outA/a.out > outB/b.out; mkdir outB/sub; ln -s b.out outB/link'; }
runs() { tr '\n' ' ' < "$T_DIR/runs.log" 2>/dev/null; }

# --- first build: both run
printf 'hello   world\n' > a.in
A 2> "$T_DIR/log1"; B 2>> "$T_DIR/log1"
check "first build runs A and B" "A B " "$(runs)"
grep -q "task A: ran" "$T_DIR/log1" && grep -q "task B: ran" "$T_DIR/log1" && ok "log says ran, ran" || fail "log: $(cat "$T_DIR/log1")"
check "B's output" "12" "$(cat outB/b.out)"

# --- same inputs again: both restored, nothing runs
rm -rf outA outB
A 2> "$T_DIR/log2"; B 2>> "$T_DIR/log2"
check "unchanged inputs: nothing runs" "A B " "$(runs)"
grep -q "task A: restored" "$T_DIR/log2" && grep -q "task B: restored" "$T_DIR/log2" && ok "log says restored, restored" || fail "log: $(cat "$T_DIR/log2")"
check "restored output has the recorded outhash" \
	"$(sed -n 's/.*task B: ran .*outhash \([0-9a-f]*\).*/\1/p' "$T_DIR/log1")" \
	"$("$T_CTL" outhash --task B outB | cut -c1-16)"
check "restored symlink" "b.out" "$(readlink outB/link)"

# --- the Yocto example: whitespace-only change of A's input
printf 'hello      world\n' > a.in
: > "$T_DIR/runs.log"
A 2> "$T_DIR/yocto.log"; B 2>> "$T_DIR/yocto.log"
echo "# Yocto example log:"; sed 's/^/#   /' "$T_DIR/yocto.log"
check "Yocto example: A reruns, B does not" "A " "$(runs)"
grep -q "task A: ran .*equivalent to an earlier run" "$T_DIR/yocto.log" && ok "A's new taskhash resolves to the first unihash" || fail "A: $(cat "$T_DIR/yocto.log")"
grep -q "task B: restored" "$T_DIR/yocto.log" && ok "B restored from sstate" || fail "B: $(cat "$T_DIR/yocto.log")"

# --- a real change of A's output: B reruns
printf 'goodbye world\n' > a.in
: > "$T_DIR/runs.log"
A 2> /dev/null; B 2> /dev/null
check "changed output: A and B run" "A B " "$(runs)"
check "B's new output" "14" "$(cat outB/b.out)"

# --- damaged archives are found, deleted and rebuilt, never restored
damage() { # damage KIND: the archive of B's current unihash
	local f
	f=$(find "$S/sstate" -name 'sstate:B:*' -newer a.in | head -1)
	[ -n "$f" ] || { fail "no archive of B"; return; }
	case $1 in
	truncate) truncate -s 100 "$f" ;;
	flip) printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc 2>/dev/null ;;
	remove) rm -f "$f" ;;
	swap) cp "$(find "$S/sstate" -name 'sstate:A:*' | head -1)" "$f" ;;
	esac
}
for kind in truncate flip remove swap; do
	damage $kind
	rm -rf outB
	: > "$T_DIR/runs.log"
	B 2> "$T_DIR/dmg.log" || true
	check "$kind archive: B rebuilt" "B " "$(runs)"
	grep -q "archive damaged, deleted" "$T_DIR/dmg.log" && ok "$kind: reported" || fail "$kind: $(cat "$T_DIR/dmg.log")"
	check "$kind: output right" "14" "$(cat outB/b.out 2>/dev/null)"
done
ls -d .accel-restore-* 2>/dev/null && fail "a restore left its temporary directory" || ok "no temporary directories left"
# After the rebuild the archive is good again.
rm -rf outB; : > "$T_DIR/runs.log"
B 2>/dev/null
check "rebuilt archive restores" "" "$(runs)"

# --- a failing command records nothing
check "failing command: its status" 3 "$(rc_of TASK --name C --output outC -- sh -c 'exit 3')"
check "failing command: later task cannot run after it" 2 "$(rc_of TASK --name D --after C --output outD -- true)"
grep -q "C, which has not run" "$T_DIR/err" && ok "error names the missing task" || fail "$(cat "$T_DIR/err")"

# --- bad input: clear errors, nothing changed
check "output = working directory refused" 2 "$(rc_of TASK --name E --output . -- true)"
check "output overlapping an input refused" 2 "$(rc_of TASK --name E --input outA --output outA/x -- true)"
check "missing input" 2 "$(rc_of TASK --name E --input nothere --output outE -- true)"
grep -q "nothere" "$T_DIR/err" && ok "error names the input" || fail "$(cat "$T_DIR/err")"
check "no command" 2 "$(rc_of TASK --name E --output outE)"
check "bad name" 2 "$(rc_of TASK --name a/b --output outE -- true)"
[ ! -e outE ] && ok "refused tasks created nothing" || fail "outE exists"

# --- gc
n_before=$(find "$S/sstate" -name 'sstate:*' | wc -l)
"$T_CTL" task gc --store "$S" --max-age 1 > "$T_DIR/gc"
check "gc --max-age 1 keeps fresh archives" "$n_before" "$(find "$S/sstate" -name 'sstate:*' | wc -l)"
check "gc without a limit is refused" 2 "$(rc_of "$T_CTL" task gc --store "$S")"
"$T_CTL" task gc --store "$S" --max-size 1 > "$T_DIR/gc"
check "gc --max-size 1 removes all" 0 "$(find "$S/sstate" -name 'sstate:*' | wc -l)"
grep -q "removed $n_before archives" "$T_DIR/gc" && ok "gc reports what it removed" || fail "$(cat "$T_DIR/gc")"
rm -rf outB; : > "$T_DIR/runs.log"
B 2>/dev/null
check "after gc, B runs again" "B " "$(runs)"

# --- two concurrent writers on one database (two processes, 200 reports
# each, of the same 100 outhashes): every taskhash resolves to the unihash
# of the first report of its outhash, whichever process made it.
DB=$T_DIR/conc.db
h() { printf %s "$1" | sha256sum | cut -c1-64; }
"$T_CTL" equiv --db "$DB" get "$(h none)" >/dev/null 2>&1 || true
writer() {
	local w=$1 i
	for i in $(seq 1 100); do
		"$T_CTL" equiv --db "$DB" report "$(h "t-$w-$i")" "$(h "o-$i")" >> "$T_DIR/w$w.out" || echo "FAILED $i" >> "$T_DIR/w$w.out"
	done
}
writer 1 & p1=$!
writer 2 & p2=$!
wait $p1; wait $p2
check "no writer failed" 0 "$(cat "$T_DIR"/w1.out "$T_DIR"/w2.out | grep -c FAILED || true)"
bad=0
for i in $(seq 1 100); do
	u1=$("$T_CTL" equiv --db "$DB" get "$(h "t-1-$i")")
	u2=$("$T_CTL" equiv --db "$DB" get "$(h "t-2-$i")")
	[ "$u1" = "$u2" ] || bad=$((bad + 1))
	[ "$u1" = "$(h "t-1-$i")" ] || [ "$u1" = "$(h "t-2-$i")" ] || bad=$((bad + 1))
done
check "both writers' taskhashes share one unihash per outhash" 0 "$bad"
check "database in WAL mode" wal "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('pragma journal_mode').fetchone()[0])" "$DB")"

# --- outhash CLI
check "outhash of a missing directory: exit 1" 1 "$(rc_of "$T_CTL" outhash /nonexistent/x)"
check "outhash: bad --jobs" 2 "$(rc_of "$T_CTL" outhash -j 0 .)"
check "outhash --lines hashes to the outhash" "$("$T_CTL" outhash --task B outB)" \
	"$("$T_CTL" outhash --task B --lines outB | sha256sum | cut -c1-64)"
check "package without SOURCE_DATE_EPOCH: exit 2" 2 "$(env -u SOURCE_DATE_EPOCH "$T_CTL" outhash --task package outB >/dev/null 2>&1; echo $?)"

t_done
