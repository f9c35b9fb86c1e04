#!/bin/bash
# verify.sh - accelctl verify in a mini armel root: the same output emulated
# and accelerated (exit 0), a real difference found and shown (exit 7: make's
# own path read through /proc/self/exe at run time, one of the documented
# differences), a root without a view (both runs emulated), and
# the emulated run's mount namespace leaves the root's view untouched.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
R=$T_DIR/root
rc_of() { set +e; "$@" >"$T_DIR/out" 2>"$T_DIR/err"; echo $?; set -e; }

t_mkroot "$R"
mkdir -p "$R/build/src"
cat > "$R/build/src/Makefile" <<'MK'
out/result:
	mkdir -p out/sub
	echo "$(words a b c) $(patsubst %.c,%.o,x.c y.c)" > out/result
	cp Makefile out/sub/
	ln -sf result out/link
MK
cat > "$R/build/src/host.mk" <<'MK'
out/host:
	mkdir -p out
	echo $(realpath /proc/self/exe) > out/host
MK

# --- no view yet: both runs emulated, same output
cd "$R/build/src"
check "root without a view: same (exit 0)" 0 "$(rc_of "$T_CTL" --state-dir "$ST" --root "$R" verify --output out -- make -s)"
grep -q "^same [0-9a-f]\{64\}$" "$T_DIR/out" && ok "prints same OUTHASH" || fail "$(cat "$T_DIR/out" "$T_DIR/err")"
[ ! -e out ] && ok "the working directory itself is untouched" || fail "out/ appeared in the working directory"
[ -z "$(ls -A "$R/build" 2>&1 | grep -v '^src$')" ] && ok "the copies are removed" || fail "left: $(ls -A "$R/build")"

# --- with the view and make enabled
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")
check "set-up: exit 0" 0 "$(rc_of BS --no-default-set "$R")"
check "enable make" 0 "$(rc_of CTL enable make)"
check "accelerated make, same output: exit 0" 0 "$(rc_of CTL verify --output out -- make -s)"
grep -q "^same " "$T_DIR/out" && ok "prints same" || fail "$(cat "$T_DIR/out" "$T_DIR/err")"

# /proc/self/exe named at run time is the view's file for a native make
# (README, known limits) and the root's under qemu.
mkdir -p "$R/proc"
mount -t proc proc "$R/proc"
T_MOUNTS+=("$R/proc")
check "make's own path differs: exit 7" 7 "$(rc_of CTL verify --output out -- make -s -f host.mk)"
grep -q "^different: emulated [0-9a-f]\{64\}, accelerated [0-9a-f]\{64\}$" "$T_DIR/out" && ok "says different with both hashes" || fail "$(cat "$T_DIR/out")"
check "exactly one line each way, the file ./host" "1 1" \
	"$(grep -c '^- -rw-r--r--.* ./host$' "$T_DIR/out") $(grep -c '^+ -rw-r--r--.* ./host$' "$T_DIR/out")"
check "the view still serves make after the emulated run" /lib-x86/usr/bin/make \
	"$(ls -d "$R/lib-x86/usr/bin/make" 2>/dev/null | sed "s|^$R||")"
check "the emulated run's tmpfs is not visible outside" 0 "$(grep -c accel-verify /proc/self/mountinfo || true)"

# --- failures and bad input
check "failing command: exit 1" 1 "$(rc_of CTL verify --output out -- false)"
grep -q "emulated run of false exited with status 1" "$T_DIR/err" && ok "names the run and status" || fail "$(cat "$T_DIR/err")"
rm -rf "$R"/build/.accel-verify-* # kept for inspection after a failure
check "absolute --output refused" 2 "$(rc_of CTL verify --output /tmp -- true)"
check "missing command refused" 2 "$(rc_of CTL verify --output out)"
cd "$T_DIR"
check "working directory outside the root refused" 2 "$(rc_of CTL verify --output out -- true)"
grep -q "not inside the root" "$T_DIR/err" && ok "error says why" || fail "$(cat "$T_DIR/err")"

t_done
