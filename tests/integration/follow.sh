#!/bin/bash
# The default set follows the root's packages (bootstrap/follow.h): a
# package installed after set-up (sbuild installs build dependencies into a
# fresh session) is served once dpkg is done, not while its lock is held;
# after `accelctl disable` the set is the user's and stays; teardown stops
# the follower.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
R=$T_DIR/root
t_mkroot "$R"
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")

# make's package "not yet installed": its stanza out of dpkg's status.
status=$R/var/lib/dpkg/status
awk 'BEGIN { RS = ""; ORS = "\n\n" } /^Package: make\n/ { print > "/dev/stderr"; next } { print }' \
	"$status" > "$T_DIR/status.without" 2> "$T_DIR/make.stanza"
grep -q "^Package: make$" "$T_DIR/make.stanza" || { fail "no make stanza in the mini root"; t_done; }
cp "$T_DIR/status.without" "$status"
# As dpkg writes it: a new file renamed over the old one.
dpkg_writes() { cp "$1" "$status-new" && mv "$status-new" "$status"; }
served() { [ -e "$R/lib-x86/usr/bin/make" ] && echo yes || echo no; }
wait_served() { # WANT SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(served)" = "$1" ] && break
		sleep 0.1
	done
	served
}

BS "$R" > "$T_DIR/out" 2>&1 || fail "set-up: $(cat "$T_DIR/out")"
check "make is not served before its package is there" no "$(served)"
[ -e "$ST"/roots/*/follow ] && ok "the set follows the root's packages" || fail "no follow mark"
pid=$(cat "$ST"/roots/*/follow.pid)
check "a follower runs" accel-follow "$(cat "/proc/$pid/comm" 2>/dev/null)"

# dpkg at work: the lock held (fcntl, as dpkg and apt take it), status
# written; nothing is re-planned until the lock is free.
touch "$R/var/lib/dpkg/lock-frontend"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(60)' \
	"$R/var/lib/dpkg/lock-frontend" "$T_DIR/locked" &
locker=$!
T_PIDS+=("$locker")
while [ ! -e "$T_DIR/locked" ]; do sleep 0.05; done
cat "$T_DIR/status.without" "$T_DIR/make.stanza" > "$T_DIR/status.with"
dpkg_writes "$T_DIR/status.with"
sleep 3
check "not while dpkg's lock is held" no "$(served)"
kill "$locker"
wait "$locker" 2>/dev/null || true
check "served once the lock is free (within 15 s)" yes "$(wait_served yes 15)"
printf 'all:\n\t@sleep 2\n' > "$R/tmp/sleep.mk"
check "and it runs natively" "$R/lib-x86/usr/bin/make" "$(exe_of chroot "$R" /usr/bin/make -f /tmp/sleep.mk)"
grep -q "packages changed: .* exited 0" "$ST"/roots/*/follow.log && ok "the follower says what it did" ||
	fail "follow.log: $(cat "$ST"/roots/*/follow.log)"

# The package removed again (its files and its stanza): it leaves the set.
mv "$R/usr/bin/make" "$T_DIR/make.bin"
dpkg_writes "$T_DIR/status.without"
check "a removed package leaves the set (within 15 s)" no "$(wait_served no 15)"

# The user's own change ends following.
CTL disable /usr/bin/expr > "$T_DIR/out" 2>&1 || fail "disable expr: $(cat "$T_DIR/out")"
[ ! -e "$ST"/roots/*/follow ] && ok "disable ends following" || fail "follow mark left after disable"
mv "$T_DIR/make.bin" "$R/usr/bin/make"
dpkg_writes "$T_DIR/status.with"
sleep 4
check "a package installed then is not added" no "$(served)"

check "teardown: exit 0" 0 "$(BS --teardown "$R" > "$T_DIR/out" 2>&1; echo $?)"
sleep 0.2
t_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = accel-follow ] &&
	fail "the follower outlived the teardown: $(cat "/proc/$pid/stat" 2>&1)" || ok "teardown stopped the follower"

t_done
