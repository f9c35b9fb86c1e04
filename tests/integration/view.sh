#!/bin/bash
# The /lib-x86 view (accel-fuseview) and accelctl, on a real mini armel root
# with a real store of Debian amd64 packages:
#   - enable make: the root's make runs as the host make of the same version
#     (/proc/PID/exe under /lib-x86, the view's counters); disable: emulated;
#   - 2,000 execs while another process toggles the program 100 times, and
#     kill -9 of the daemon during a loop of execs, with the page cache
#     dropped after it: zero failed execs;
#   - a non-root user runs accelerated programs;
#   - the view exposes exactly the manifest's closure, read-only, with no
#     setuid bit and no device; malformed or escaping store files are refused
#     and the daemon lives on;
#   - bad names change nothing and exit with the documented codes; version
#     skew is refused, or allowed and reported;
#   - negative lookups are cached by the kernel.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
STORE=$T_DIR/store # private: this test damages store files
R=$T_DIR/root
rc_of() { set +e; "$@" >"$T_DIR/out" 2>&1; echo $?; set -e; }
negative() { # the daemon's count of negative lookups (fails without one)
	CTL status 2>/dev/null | sed -n 's/.*lookups [0-9]* (\([0-9]*\) negative).*/\1/p' | grep -x '[0-9][0-9]*'
}
# vfind ARGS: find in the view; a failing find (a dead view) fails the test
vfind() { find "$R/lib-x86" "$@" || echo "find failed in $R/lib-x86"; }

t_mkroot "$R"
# Seed the private store from the shared one (no download when cached).
mkdir -p "$STORE" "$T_STORE/pkgs"
cp -a "$T_STORE/pkgs" "$STORE/" 2>/dev/null || true
mkdir -p "$R/proc"
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")
check "set-up with nothing enabled: exit 0" 0 "$(rc_of BS --no-default-set "$R")"
mount -t proc proc "$R/proc"
T_MOUNTS+=("$R/proc")
cat > "$R/tmp/exe.mk" <<'EOF'
all:
	@readlink /proc/$$PPID/exe
EOF
cat > "$R/tmp/comm.mk" <<'EOF'
all:
	@cat /proc/$$PPID/comm
EOF

# --- enable / disable make
check "enable make: exit 0" 0 "$(rc_of CTL enable make)"
grep -q "^enabled /usr/bin/make$" "$T_DIR/out" && ok "enable names the canonical path" || fail "enable: $(cat "$T_DIR/out")"
check "make runs as the host make from the view" /lib-x86/usr/bin/make \
	"$(chroot "$R" make -f /tmp/exe.mk)"
want=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f 'GNU Make ${Version}' make | sed 's/-.*//')
check "the host make is the root's version ($want)" "$want" \
	"$(chroot "$R" /usr/bin/make --version | sed -n 1p)"
CTL list > "$T_DIR/list"
grep -Eq "^/usr/bin/make	lookups=[1-9][0-9]* reads=[1-9]" "$T_DIR/list" && ok "the view counted make's use" ||
	fail "list: $(cat "$T_DIR/list")"
printf 'all:\n\t@sleep 2\n' > "$R/tmp/sleep.mk"
chroot "$R" make -f /tmp/sleep.mk &
pid=$!
T_PIDS+=("$pid")
sleep 0.5
maps=$(awk '$6 ~ /^\// { print $6 }' "/proc/$pid/maps" | sort -u | sed "s|^$R||" | tr '\n' ' ')
wait "$pid"
case "$maps" in
*/lib-x86/.accel/ld.so*/lib-x86/.accel/lib-x/libc.so.6*) ok "loader and libc come from the view" ;;
*) fail "maps of the host make: $maps" ;;
esac
echo "$maps" | tr ' ' '\n' | grep '^/' | grep -v '^/lib-x86/' | grep -q . &&
	fail "the host make mapped files outside the view: $maps" || ok "nothing mapped from outside the view"
check "disable make: exit 0" 0 "$(rc_of CTL disable make)"
# qemu runs under the program's name (.accel/as/NAME), so ps and taskstats
# say "make", as under Debian's entry.
check "make runs emulated again" /lib-x86/.accel/as/make "$(chroot "$R" make -f /tmp/exe.mk)"
check "the emulated make is named make" make "$(chroot "$R" sh -c 'make -f /tmp/comm.mk')"
ino=$(stat -c %i "$R/lib-x86/.accel/qemu-arm-static") # in check, a failure would read as ""
check "the view's qemu under any name is one file" "$ino" "$(stat -c %i "$R/lib-x86/.accel/as/anything")"
check "the view's as/ directory lists nothing" "" "$(ls -A "$R/lib-x86/.accel/as" 2>&1)"
check "enable by absolute path: exit 0" 0 "$(rc_of CTL enable /usr/bin/make)"

# --- negative lookups are cached: a non-accelerated program costs the
# daemon nothing after its first exec
chroot "$R" /usr/bin/true
neg=$(negative)
for i in 1 2 3 4 5; do chroot "$R" /usr/bin/true; done
check "negative lookups answered from the kernel's cache" "$neg" "$(negative)"

# --- bad names: documented exit codes, nothing changed
sum() { cat "$ST"/roots/*/enabled "$ST"/roots/*/manifest | sha256sum; }
before=$(sum)
check "unknown command: exit 2" 2 "$(rc_of CTL enable no-such-command)"
grep -q "no such command on the root's PATH" "$T_DIR/out" && ok "message: not on PATH" || fail "msg: $(cat "$T_DIR/out")"
check "relative path: exit 2" 2 "$(rc_of CTL enable usr/bin/make)"
check "host path of a root file: exit 2" 2 "$(rc_of CTL enable "$R/usr/bin/make")"
grep -q "as seen inside the root: /usr/bin/make" "$T_DIR/out" && ok "message gives the root path" || fail "msg: $(cat "$T_DIR/out")"
check "not an ELF program: exit 3" 3 "$(rc_of CTL enable /etc/passwd)"
mkdir -p "$R/usr/local/bin"
printf '#!/bin/sh\necho hi\n' > "$R/usr/local/bin/script"
chmod +x "$R/usr/local/bin/script"
check "a script: exit 3" 3 "$(rc_of CTL enable script)"
grep -q "enable its interpreter" "$T_DIR/out" && ok "message: enable the interpreter" || fail "msg: $(cat "$T_DIR/out")"
cp "$R/usr/bin/make" "$R/usr/local/bin/mymake"
check "an unpackaged program: exit 6" 6 "$(rc_of CTL enable mymake)"
check "disable of a program not enabled: exit 2" 2 "$(rc_of CTL disable true)"
check "unknown package: exit 2" 2 "$(rc_of CTL enable -p no-such-package)"
check "bad names changed nothing" "$before" "$(sum)"

# --- accelctl's command line: options after the names, --help everywhere,
# arguments refused where a command takes none
check "enable NAME -p (option after the name): exit 0" 0 "$(rc_of CTL enable make -p)"
grep -q "^enabled /usr/bin/make$" "$T_DIR/out" && ok "-p after the name means package make" ||
	fail "enable make -p: $(cat "$T_DIR/out")"
check "disable NAME -p: exit 0" 0 "$(rc_of CTL disable make -p)"
CTL enable make > /dev/null
before=$(sum)
for cmd in enable disable list status reload account verify outhash equiv task; do
	check "accelctl $cmd --help: exit 0" 0 "$(rc_of CTL "$cmd" --help)"
	grep -q "^Usage: accelctl" "$T_DIR/out" && ok "$cmd --help prints its usage" ||
		fail "$cmd --help: $(head -n 3 "$T_DIR/out")"
	check "accelctl $cmd --help as a user: exit 0" 0 \
		"$(rc_of setpriv --reuid=65534 --regid=65534 --clear-groups "$T_CTL" --state-dir "$ST" "$cmd" --help)"
done
for cmd in list status reload; do
	check "accelctl $cmd with an argument: exit 2" 2 "$(rc_of CTL "$cmd" extra)"
done
check "accelctl enable as a user: exit 2" 2 \
	"$(rc_of setpriv --reuid=65534 --regid=65534 --clear-groups "$T_CTL" --state-dir "$ST" enable make)"
grep -q "must run as root" "$T_DIR/out" && ok "message: must run as root" || fail "msg: $(cat "$T_DIR/out")"
check "--help and refusals changed nothing" "$before" "$(sum)"

# --- version skew: refused with both versions named, or allowed and reported
sed -i '/^Package: dash$/,/^$/ s/^Version: .*/Version: 0.5.12-2+fake1/' "$R/var/lib/dpkg/status"
check "skewed version refused: exit 6" 6 "$(rc_of CTL enable dash)"
grep -q "the root has 0.5.12-2+fake1.*apt offers only 0.5.12-2" "$T_DIR/out" && ok "message names both versions" ||
	fail "msg: $(cat "$T_DIR/out")"
check "refused skew changed nothing" "$before" "$(sum)"
check "skew allowed: exit 0" 0 "$(rc_of CTL enable --allow-skew dash)"
CTL status > "$T_DIR/status" || true
grep -q "skew: *dash: root 0.5.12-2+fake1, host build 0.5.12-2" "$T_DIR/status" && ok "status reports the skew" ||
	fail "status: $(cat "$T_DIR/status")"
check "disable dash: exit 0" 0 "$(rc_of CTL disable dash)"

# --- programs removed from the root after they were enabled
CTL enable yes seq > /dev/null
rm "$R/usr/bin/yes"
check "disable of a program gone from the root: exit 0" 0 "$(rc_of CTL disable /usr/bin/yes)"
rm "$R/usr/bin/seq"
check "another change with a program gone: exit 0" 0 "$(rc_of CTL enable true)"
grep -q "/usr/bin/seq is gone from" "$T_DIR/out" && ok "the gone program is reported" || fail "out: $(cat "$T_DIR/out")"
check "and leaves the enabled set" 0 "$(grep -c "/usr/bin/seq" "$ST"/roots/*/enabled)"
CTL disable true > /dev/null

# --- the view: read-only, exactly the closure, no setuid, no device
CTL enable -p coreutils > /dev/null
# A store file made setuid: the view started after this (below) serves it
# without the bit.
chmod u+s "$STORE"/pkgs/coreutils_*_amd64/usr/bin/expr
vfind -type f | sed "s|^$R/lib-x86/||" | LC_ALL=C sort > "$T_DIR/served"
{ grep '^file	' "$ST"/roots/*/manifest | cut -f2; grep '^stamp	' "$ST"/roots/*/manifest |
	cut -f2 | sort -u | sed 's|^|.accel/stamp/|'; echo .accel/qemu-arm-static
	echo .accel/qemu-arm-static.made; echo .accel/machine; } | LC_ALL=C sort > "$T_DIR/listed"
check "the view serves exactly the manifest" "" "$(diff "$T_DIR/listed" "$T_DIR/served")"
# qemu under any name, twice: the same file, and for runs that load code
# the build made the same bytes as a file of its own (its own inode, which
# accelctl account tells apart).
q_as=$(stat -c %i "$R/lib-x86/.accel/as/perl") q_made=$(stat -c %i "$R/lib-x86/.accel/made/perl")
check "qemu under any name is qemu" "$(stat -c %i "$R/lib-x86/.accel/qemu-arm-static")" "$q_as"
check "the build's qemu is the other file" "$(stat -c %i "$R/lib-x86/.accel/qemu-arm-static.made")" "$q_made"
[ "$q_as" != "$q_made" ] && ok "... with an inode of its own" || fail "one inode for both qemu files"
cmp -s "$R/lib-x86/.accel/as/x" "$R/lib-x86/.accel/made/y" && ok "... and the same bytes" ||
	fail "the two qemu files differ"
check "the machine served is the one measured" "$(cat "$ST"/roots/*/machine)" "$(cat "$R/lib-x86/.accel/machine")"
check "no setuid/setgid bit, no writable file" "" "$(vfind ! -type l -perm /6222 -print)"
check "no device, socket or fifo" "" "$(vfind ! -type f ! -type d ! -type l -print)"
check "links only where the manifest has them" "$(grep -c '^link	' "$ST"/roots/*/manifest || true)" \
	"$(vfind -type l ! -name '.e???' -print | wc -l)"
# A program that reads /proc/self/exe (coreutils' stdbuf) reads its own
# self link instead, which names its root path, as qemu's answer would.
self=$(vfind -maxdepth 1 -name '.e???' -type l -print)
check "one self link, for stdbuf" "/usr/bin/stdbuf" "$(readlink $self)"
check "stdbuf reads its self link" "0 1" \
	"$(echo $(grep -caF /proc/self/exe "$R/lib-x86/usr/bin/stdbuf"; grep -caF "/lib-x86/${self##*/}" "$R/lib-x86/usr/bin/stdbuf"))"
check "the store's stdbuf is unchanged" 1 "$(grep -caF /proc/self/exe "$STORE"/pkgs/coreutils_*_amd64/usr/bin/stdbuf)"
touch "$R/lib-x86/x" 2>/dev/null && fail "the view is writable" || ok "the view is read-only"
n_libs=$(grep -c '^file	\.accel/' "$ST"/roots/*/manifest)
grep -q '^file	\.accel/lib-x/libc\.so\.6	' "$ST"/roots/*/manifest && ok "closure: libc" || fail "no libc in the closure"
grep -q '^file	.accel/.*libgmp' "$ST"/roots/*/manifest && ok "closure: libgmp (expr, factor)" || fail "no libgmp"
echo "# view: $(wc -l < "$T_DIR/served") files, $n_libs under .accel"

check "a setuid store file is served without the bit" "555" "$(stat -c %a "$R/lib-x86/usr/bin/expr")"
check "and runs" "3" "$(chroot "$R" expr 1 + 2)"

# Malformed and escaping store files are refused; the daemon lives on.
mkdir -p "$STORE/pkgs/zz-test"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000\076\000garbage' > "$STORE/pkgs/zz-test/bad.so"
head -c 4096 /dev/urandom | { printf '\177ELF\002\001\001'; cat; } > "$STORE/pkgs/zz-test/random.so"
ln -s /etc/shadow "$STORE/pkgs/zz-test/escape"
M=$(echo "$ST"/roots/*/manifest)
cp "$M" "$T_DIR/manifest.good"
printf 'file\t.accel/lib-x/libbad.so\tpkgs/zz-test/bad.so\nfile\t.accel/lib-x/librandom.so\tpkgs/zz-test/random.so\nfile\t.accel/lib-x/libesc.so\tpkgs/zz-test/escape\nfile\t.accel/lib-x/libup.so\tpkgs/../../../etc/passwd\n' >> "$M"
CTL reload > "$T_DIR/reload" 2>&1 || true
grep -q "malformed entry" "$T_DIR/reload" && ok "a manifest path with .. is refused whole" || fail "reload: $(cat "$T_DIR/reload")"
sed -i '$d' "$M"
CTL reload > "$T_DIR/reload" 2>&1 || true
check "three bad files refused" 3 "$(grep -c '^refused ' "$T_DIR/reload")"
grep -q "refused /.accel/lib-x/libesc.so: cannot open" "$T_DIR/reload" && ok "a link out of the store is refused" || fail "reload: $(cat "$T_DIR/reload")"
[ ! -e "$R/lib-x86/.accel/lib-x/libbad.so" ] && ok "refused files are not served" || fail "libbad.so served"
check "the daemon lives on: make still runs natively" /lib-x86/usr/bin/make "$(chroot "$R" make -f /tmp/exe.mk)"
cp "$T_DIR/manifest.good" "$M"
CTL reload > /dev/null
# A damaged host program is refused by accelctl before anything changes.
before=$(sum)
mk=$(grep '^file	usr/bin/make	' "$M" | cut -f3)
CTL disable make > /dev/null
before=$(sum)
truncate -s 100 "$STORE/$mk"
check "enable of a damaged host program: exit 6" 6 "$(rc_of CTL enable make)"
grep -q "refused" "$T_DIR/out" && ok "message: refused" || fail "msg: $(cat "$T_DIR/out")"
check "the damaged program changed nothing" "$before" "$(sum)"
rm -rf "$STORE/pkgs/make_"*
check "enable after the store copy is removed: fetched again" 0 "$(rc_of CTL enable make)"

# --- a non-root user of the root runs accelerated programs
check "non-root user: host make from the view" /lib-x86/usr/bin/make \
	"$(chroot --userspec=65534:65534 "$R" make -f /tmp/exe.mk)"

# --- 2,000 execs while the program is toggled 100 times: none fails
CTL enable true > /dev/null
(
	for i in $(seq 50); do
		CTL disable true > /dev/null
		CTL enable true > /dev/null
	done
	echo done > "$T_DIR/toggled"
) &
toggler=$!
T_PIDS+=("$toggler")
res=$("$T_EXECLOOP" -r "$R" -q 2000 /usr/bin/true)
wait "$toggler"
check "2000 execs during 100 toggles: none failed" "runs=2000 failed=0" "${res% *}"
[ -e "$T_DIR/toggled" ] && ok "all 100 toggles done" || fail "toggler did not finish"

# --- kill -9 of the daemon in the middle of a loop of execs
"$T_EXECLOOP" -r "$R" -q 3000 /usr/bin/make --version > "$T_DIR/loop" &
loop=$!
T_PIDS+=("$loop")
sleep 0.5
t_kill_view "$ST"
# The kernel may drop the dead view's cached pages at any time (memory
# pressure did on a CI machine: every later exec died of SIGBUS). Drop them
# now, so the execs after the kill never rely on the cache.
sleep 0.2
sync
echo 1 > /proc/sys/vm/drop_caches
wait "$loop"
res=$(cat "$T_DIR/loop")
check "execs across kill -9 of the daemon: none failed" "runs=3000 failed=0" "${res% *}"
check "a dead view still runs programs" 0 "$(rc_of chroot "$R" /usr/bin/make --version)"
set +e; CTL status > "$T_DIR/status"; rc=$?; set -e
check "status of a dead view: exit 1" 1 "$rc"
grep -q "is dead" "$T_DIR/status" && ok "status says the view is dead" || fail "status: $(cat "$T_DIR/status")"
check "set-up again restarts the view: exit 0" 0 "$(rc_of BS "$R")"
grep -q "restarting" "$T_DIR/out" && ok "the restart is reported" || fail "out: $(cat "$T_DIR/out")"
check "the enabled set persisted across the restart" /lib-x86/usr/bin/make "$(chroot "$R" make -f /tmp/exe.mk)"
check "status after the restart: exit 0" 0 "$(rc_of CTL status)"
check "a setuid store file is served without the bit" 555 "$(stat -c %a "$R/lib-x86/usr/bin/expr")"
check "no setuid bit anywhere in the restarted view" "" "$(vfind -perm /6000 -print)"
check "and it runs" 3 "$(chroot "$R" expr 1 + 2)"

# --- account: emulated root programs (with the line that would run them
# natively) apart from the programs a build made itself
CTL disable /usr/bin/factor > /dev/null
cp "$R/usr/bin/busybox" "$R/tmp/made-by-build"
CTL account -o "$T_DIR/acct" -- chroot "$R" /bin/sh -c \
	'for i in 1 2 3; do factor 1234567 > /tmp/o; /tmp/made-by-build true 2> /tmp/o; done; expr 1 + 1 > /tmp/o' ||
	fail "account: $(cat "$T_DIR/acct")"
sect() { sed -n "/^top $1/,/^top /p" "$T_DIR/acct"; }
sect "emulated root" | grep -q "factor.*\\[coreutils .*; accelctl enable /usr/bin/factor\\]" &&
	ok "account: factor is an emulated root program, with its enable line" ||
	fail "account: $(cat "$T_DIR/acct")"
sect "emulated programs the build" | grep -q " made-by-build$" &&
	ok "account: the build's own program is listed apart" || fail "account: $(cat "$T_DIR/acct")"
sect "emulated root" | grep -q "made-by-build" && fail "the build's program counted as the root's" ||
	ok "account: the build's program is not a root program"
grep -q "^accelctl account: emulated root programs [0-9.]* s ([0-9.]*%), emulated programs the build made [0-9.]* s" \
	"$T_DIR/acct" && ok "account: both shares are given" || fail "account: $(cat "$T_DIR/acct")"
sect native | grep -q " expr$" && ok "account: expr ran natively" || fail "account: $(cat "$T_DIR/acct")"
rm -f "$R/tmp/made-by-build" "$R/tmp/o"
CTL enable /usr/bin/factor > /dev/null

# --- compiled-in identity survives reloads and lingering libraries
mh() { printf 'all:\n\t@echo $(MAKE_HOST)\n' > "$R/tmp/mh.mk"; chroot "$R" make -s -f /tmp/mh.mk; }
want_host=$(strings -a "$R/usr/bin/make" | grep -m1 -x 'arm-[a-z]*-linux-gnueabi' || echo none)
check "make tells the root's MAKE_HOST" "$want_host" "$(mh)"
CTL disable /usr/bin/expr /usr/bin/factor > /dev/null # libgmp leaves and lingers
sleep $((5 + 2))
CTL status > /dev/null || fail "the daemon died after a library's linger ended"
check "... and still after a library lingered and left" "$want_host" "$(mh)"
check "the program still runs natively" /lib-x86/usr/bin/make "$(chroot "$R" make -f /tmp/exe.mk)"
CTL enable /usr/bin/expr /usr/bin/factor > /dev/null

# --- teardown
umount "$R/proc"
check "teardown: exit 0" 0 "$(rc_of BS --teardown "$R")"
[ ! -e "$R/lib-x86" ] && ok "view removed" || fail "lib-x86 left"
sleep 0.2
pgrep -f "accel-fuseview $ST/" >/dev/null && fail "daemon left running" || ok "daemon gone"

t_done
