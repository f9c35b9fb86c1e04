# tests/lib.sh - shared set-up of accel's integration tests. Source it.
#
# Every test gets its own scratch directory, its own binfmt_misc entry name
# and its own mounts, and removes them in an EXIT trap even when it fails.
# It never touches entries or mounts it did not create. Exit 77 = skipped.
set -euo pipefail
# Run from make: the roots' own make must not think it is a sub-make.
unset MAKELEVEL MAKEFLAGS MFLAGS

T_NAME=$(basename "$0" .sh)
T_ID="accel-t-$$-$RANDOM"
T_DIR=$(mktemp -d "/tmp/$T_ID.XXXXXX")
T_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T_STAGE=${ACCEL_STAGE:?run through make check-integration (ACCEL_STAGE unset)}
T_BUILDDIR=${ACCEL_BUILDDIR:?ACCEL_BUILDDIR unset}
T_DISPATCH=${ACCEL_DISPATCH:?ACCEL_DISPATCH unset}
T_BOOTSTRAP=${ACCEL_BOOTSTRAP:?ACCEL_BOOTSTRAP unset}
T_FUSEVIEW=${ACCEL_FUSEVIEW:?ACCEL_FUSEVIEW unset}
T_CTL=${ACCEL_CTL:?ACCEL_CTL unset}
# The host store the tests share: a cache of unpacked amd64 packages (like
# the .deb cache of t_mkroot), kept between runs. A test that alters store
# files makes its own.
T_STORE=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}
T_EXECLOOP=$T_BUILDDIR/tests/helpers/execloop
T_DEADFUSE=$T_BUILDDIR/tests/helpers/deadfuse
BINFMT=/proc/sys/fs/binfmt_misc
T_ENTRIES=()
T_MOUNTS=()
T_PIDS=()
T_DISABLED=()
T_FAILS=0
T_CHECKS=0

t_cleanup() {
	local rc=$?
	set +e
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ((i = ${#T_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${T_MOUNTS[i]}" 2>/dev/null
	done
	# View daemons of this test's roots exit once unmounted; make sure.
	# (a keeper and its server: fuseview/keeper.h)
	for p in $(cat "$T_DIR"/state*/roots/*/fuseview.pid 2>/dev/null); do
		grep -qs accel-fuseview "/proc/$p/comm" || continue
		kill -9 "$p" 2>/dev/null
		pkill -9 -P "$p" -x accel-fuseview 2>/dev/null
	done
	for e in "${T_ENTRIES[@]}"; do
		[ -e "$BINFMT/$e" ] && echo -1 > "$BINFMT/$e"
	done
	for e in "${T_DISABLED[@]}"; do
		[ -e "$BINFMT/$e" ] && echo 1 > "$BINFMT/$e"
	done
	rm -rf "$T_DIR"
	exit $rc
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP $T_NAME: $*"; exit 77; }
fail() { echo "FAIL $T_NAME: $*" >&2; T_FAILS=$((T_FAILS + 1)); }
ok() { T_CHECKS=$((T_CHECKS + 1)); echo "ok $T_CHECKS - $*"; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		T_CHECKS=$((T_CHECKS + 1))
		fail "$1: expected [$2], got [$3]"
		echo "not ok $T_CHECKS - $1"
	fi
}

t_done() {
	if [ "$T_FAILS" -gt 0 ]; then
		echo "$T_NAME: $T_FAILS of $T_CHECKS checks failed"
		exit 1
	fi
	echo "$T_NAME: all $T_CHECKS checks passed"
	exit 0
}

t_require() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$T_DISPATCH" ] || { echo "missing $T_DISPATCH (make stage)" >&2; exit 99; }
	if [ ! -e "$BINFMT/register" ]; then
		mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null ||
			skip "binfmt_misc cannot be mounted here"
	fi
	# The baseline every comparison is made against: Debian's own entry,
	# which a Debian machine with qemu-user-static has (systemd-binfmt or
	# binfmt-support register it at boot).
	"$T_SRCDIR/scripts/ensure-qemu-binfmt.sh"
	# Comparisons with "Debian's entry alone" are only that if no other
	# enabled armel entry sits in front of it (the kernel tries the newest
	# first), e.g. accel's own installed entry. Such entries are disabled
	# (never unregistered) while the test runs and enabled again by the trap.
	local e
	for e in "$BINFMT"/*; do
		case ${e##*/} in register | status | qemu-arm) continue ;; esac
		if grep -q '^enabled' "$e" && grep -q '^magic 7f454c4601010100000000000000000002002800' "$e"; then
			echo "# note: disabling binfmt_misc entry ${e##*/} (it matches armel) while this test runs"
			T_DISABLED+=("${e##*/}")
			echo 0 > "$e"
		fi
	done
}

# t_private "$@": run this test again in a user and mount namespace of its
# own (tests/helpers/privns) with a binfmt_misc instance of its own (Linux
# 6.7+) holding Debian's qemu-arm entry only: for tests that unregister,
# re-register or reorder entries, as a reboot or a qemu-user-static upgrade
# does, without touching any other process of the machine. Call it first.
T_PRIVNS=$T_BUILDDIR/tests/helpers/privns
t_private() {
	if [ -z "${T_IN_PRIVNS:-}" ]; then
		[ "$(id -u)" = 0 ] || skip "needs root"
		[ -x "$T_PRIVNS" ] || { echo "missing $T_PRIVNS (make check_PROGRAMS)" >&2; exit 99; }
		"$T_PRIVNS" sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' 2>/dev/null ||
			skip "this kernel has no binfmt_misc instance per user namespace (Linux 6.7+)"
		trap - EXIT
		rm -rf "$T_DIR"
		T_IN_PRIVNS=1 exec "$T_PRIVNS" "$BASH" "$0" "$@"
	fi
	mount -t binfmt_misc binfmt_misc "$BINFMT"
	echo "# in a user namespace of its own, with a binfmt_misc instance of its own"
}

# BS ARG...: the staged accel-bootstrap with this test's state ($ST), entry
# name, programs and store ($STORE if the test sets one, else the shared one).
BS() {
	"$T_BOOTSTRAP" --state-dir "$ST" --binfmt-name "$T_ID" --dispatcher "$T_DISPATCH" \
		--fuseview "$T_FUSEVIEW" --store "${STORE:-$T_STORE}" "$@"
}
# CTL ARG...: the staged accelctl on this test's state and root ($R).
CTL() { "$T_CTL" --state-dir "$ST" --root "$R" "$@"; }

# t_alive PID: the process runs. A zombie does not: a daemon that double
# forked is reaped by PID 1 or a subreaper, which in a container may take its
# time or never happen (as ac_wait_gone in lib/base/util.c counts it).
t_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
	stat=${stat##*) }
	[ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}

# t_kill_view STATEDIR: kill -9 the whole view daemon of the one root in
# STATEDIR, its keeper first (else it would start a new server) and then its
# server (fuseview/keeper.h): the view is dead until a set-up restarts it.
t_kill_view() {
	local keeper
	keeper=$(cat "$1"/roots/*/fuseview.pid)
	local server
	server=$(pgrep -P "$keeper" -x accel-fuseview || true)
	kill -9 "$keeper"
	[ -z "$server" ] || kill -9 "$server"
}

# t_mkroot DIR: a fresh mini armel root (cached .debs, seconds).
t_mkroot() {
	"$T_SRCDIR/scripts/mkroot-mini.sh" "$1"
}

# t_host_busybox DIR: unpack the static amd64 busybox into DIR/busybox.
t_host_busybox() {
	local cache=${ACCEL_DEB_CACHE:-/var/cache/accel/debs} deb
	deb=$(ls "$cache"/busybox-static_*_amd64.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download -qq busybox-static:amd64 2>/dev/null)
		deb=$(ls "$cache"/busybox-static_*_amd64.deb | head -1)
	fi
	mkdir -p "$T_DIR/hostbb"
	dpkg-deb -x "$deb" "$T_DIR/hostbb"
	cp "$T_DIR/hostbb/bin/busybox" "$1/busybox"
}

# t_fake_stamps ROOT: a plain directory standing in for the view at
# ROOT/lib-x86 gets what the view serves beside each program: the stamp of
# the root's file it stands for (accel/exec/stamp.h), without which the
# dispatcher emulates.
t_fake_stamps() {
	local root=$1 f rel
	while IFS= read -r -d '' f; do
		rel=${f#"$root/lib-x86"}
		[ -f "$root$rel" ] && [ ! -L "$root$rel" ] || continue
		mkdir -p "$root/lib-x86/.accel/stamp${rel%/*}"
		stat -c "%Y 0 %s $rel" "$root$rel" > "$root/lib-x86/.accel/stamp$rel"
	done < <(find "$root/lib-x86" -path "$root/lib-x86/.accel" -prune -o -type f -print0)
}

# t_register [NAME]: register the staged dispatcher under a unique name.
t_register() {
	local name=${1:-$T_ID}
	printf ':%s:M::%s:%s:%s:PF' "$name" \
		'\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00' \
		'\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' \
		"$T_DISPATCH" > "$BINFMT/register"
	T_ENTRIES+=("$name")
}

# t_entry NAME on|off
t_entry() { echo "$([ "$2" = on ] && echo 1 || echo 0)" > "$BINFMT/$1"; }

# t_tree_sum DIR: one line per file with its type, mode and content hash,
# to prove that a root was not modified.
t_tree_sum() {
	(cd "$1" && find . -xdev -printf '%y %m %s %p -> %l\n' | LC_ALL=C sort &&
		find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}

# run_with on|off CMD...: run CMD with the test entry on (dispatcher) or off
# (Debian's qemu-arm entry alone); print its output and exit status.
run_with() {
	local mode=$1 out rc; shift
	# Run in $(...), where bash drops set -e: a failed switch would
	# compare accel with itself.
	t_entry "$T_ID" "$mode" || return
	set +e
	out=$("$@" 2>&1)
	rc=$?
	set -e
	t_entry "$T_ID" on
	printf '%s|rc=%s' "$out" "$rc"
}

# same DESCRIPTION CMD...: CMD gives the same output and status both ways.
same() {
	local d=$1 a b; shift
	a=$(run_with on "$@")
	b=$(run_with off "$@")
	check "$d (accel: $a)" "$b" "$a"
}

# exe_of CMD...: start CMD in the background and print what the kernel runs
# for it (/proc/PID/exe), i.e. which qemu (or host binary) carries it.
exe_of() {
	local pid exe
	"$@" >/dev/null 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	sleep 0.4
	exe=$(readlink "/proc/$pid/exe" || true)
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "$exe"
}
