#!/bin/bash
# accel-bootstrap: refuses what is not an armel root with its documented exit
# codes, sets a root up (entry, read-only /lib-x86 with qemu), is harmless to
# re-run, shares the entry between roots, and --teardown leaves the root
# byte-identical and the other binfmt entries untouched.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
rc_of() { set +e; "$@" >"$T_DIR/out" 2>&1; echo $?; set -e; }
qemu_before=$(cat "$BINFMT/qemu-arm")

# --- refusals
mkdir -p "$T_DIR/notroot"
check "not an armel root: exit 3" 3 "$(rc_of BS "$T_DIR/notroot")"
grep -q "not an armel root" "$T_DIR/out" && ok "message names the problem" || fail "message: $(cat "$T_DIR/out")"
check "missing ROOT: exit 2" 2 "$(rc_of BS "$T_DIR/nonexistent")"
check "no ROOT: exit 2" 2 "$(rc_of BS)"
check "host / as ROOT: exit 2" 2 "$(rc_of BS /)"
check "unknown option: exit 2" 2 "$(rc_of BS --frobnicate "$T_DIR/notroot")"
check "option given twice: exit 2" 2 "$(rc_of BS --state-dir /x "$T_DIR/notroot")"
check "bad entry name: exit 2" 2 "$(rc_of "$T_BOOTSTRAP" --binfmt-name 'a:b' "$T_DIR/notroot")"

R=$T_DIR/root
t_mkroot "$R"
check "dynamic dispatcher refused: exit 2" 2 \
	"$(rc_of "$T_BOOTSTRAP" --state-dir "$ST" --binfmt-name "$T_ID" --dispatcher /bin/true "$R")"
grep -q "dynamically linked" "$T_DIR/out" && ok "message says why" || fail "message: $(cat "$T_DIR/out")"
HF=$T_DIR/armhf
mkdir -p "$HF/lib"
cp "$R/lib/ld-linux.so.3" "$HF/lib/ld-linux-armhf.so.3"
printf '\x04' | dd of="$HF/lib/ld-linux-armhf.so.3" bs=1 seek=37 conv=notrunc status=none
check "armhf root: exit 3" 3 "$(rc_of BS "$HF")"
grep -q armhf "$T_DIR/out" && ok "armhf named" || fail "armhf message: $(cat "$T_DIR/out")"
if command -v setpriv >/dev/null; then
	check "non-root caller: exit 2" 2 \
		"$(rc_of setpriv --reuid=65534 --regid=65534 --clear-groups "$T_BOOTSTRAP" "$R")"
fi
[ ! -e "$BINFMT/$T_ID" ] && ok "no entry after refusals" || fail "entry registered by a refused run"

# --- set-up
mkdir -p "$R/usr/local/bin" && ln -s /usr/bin/busybox "$R/usr/local/bin/uname"
before=$(t_tree_sum "$R")
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")
check "set-up: exit 0" 0 "$(rc_of BS "$R")"
grep -q "^flags: PF$" "$BINFMT/$T_ID" && ok "entry registered with flags PF" || fail "entry: $(cat "$BINFMT/$T_ID")"
grep -q "^interpreter $T_DISPATCH$" "$BINFMT/$T_ID" && ok "entry runs the dispatcher" || fail "interpreter"
findmnt -n -o OPTIONS "$R/lib-x86" | grep -q '^ro,' && ok "/lib-x86 is mounted read-only" || fail "lib-x86 not ro"
want=$(sha256sum </usr/bin/qemu-arm-static)
check "qemu offered in the view" "$want" "$(sha256sum <"$R/lib-x86/.accel/qemu-arm-static")"
# The view's qemu, under the program's name (.accel/as/NAME: same inode)
check "emulated exec uses the view's qemu" "$R/lib-x86/.accel/as/busybox" "$(exe_of chroot "$R" /bin/busybox sleep 3)"
same "set-up root runs like Debian's entry" chroot "$R" /bin/sh -c 'uname -m; ls /usr/local/bin'
check "re-run set-up: exit 0" 0 "$(rc_of BS "$R")"
check "re-run mounts nothing twice" 1 "$(grep -c " $R/lib-x86 " /proc/self/mountinfo)"

# --- a second root shares the entry; a root with files in lib-x86 is refused
R2=$T_DIR/root2
t_mkroot "$R2"
mkdir -p "$R2/lib-x86"
T_MOUNTS+=("$R2/lib-x86")
check "second root: exit 0" 0 "$(rc_of BS "$R2")"
R3=$T_DIR/root3
t_mkroot "$R3"
mkdir -p "$R3/lib-x86" && echo mine > "$R3/lib-x86/file"
sum3=$(t_tree_sum "$R3")
check "non-empty lib-x86: exit 5" 5 "$(rc_of BS "$R3")"
mountpoint -q "$R3/lib-x86" && fail "refused root got a mount" || ok "refused root: nothing mounted"
check "refused root unchanged" "$sum3" "$(t_tree_sum "$R3")"
check "refused root left no state" 2 "$(ls "$ST/roots" | wc -l)"
# A failure after the preflight (ROOT made immutable, so creating
# ROOT/lib-x86 fails with EPERM) undoes what the run had done.
R4=$T_DIR/root4
t_mkroot "$R4"
sum4=$(t_tree_sum "$R4")
if chattr +i "$R4" 2>/dev/null; then
	check "set-up failing midway: exit 1" 1 "$(rc_of BS "$R4")"
	chattr -i "$R4"
	grep -q "undone" "$T_DIR/out" && ok "failure undone" || fail "undo message: $(cat "$T_DIR/out")"
	check "failed set-up left no state" 2 "$(ls "$ST/roots" | wc -l)"
else
	echo "# chattr +i unsupported on $T_DIR: mid-way failure checks skipped"
fi
check "failed set-up left the root unchanged" "$sum4" "$(t_tree_sum "$R4")"

# --- teardown
check "teardown of the first root: exit 0" 0 "$(rc_of "$T_BOOTSTRAP" --state-dir "$ST" --teardown "$R")"
[ -e "$BINFMT/$T_ID" ] && ok "entry kept while another root uses it" || fail "entry removed too early"
[ ! -e "$R/lib-x86" ] && ok "created mount point removed" || fail "lib-x86 left behind"
check "root byte-identical after teardown" "$before" "$(t_tree_sum "$R")"
check "second teardown is harmless" 0 "$(rc_of BS --teardown "$R")"

# Teardown while a process keeps the view busy: detached lazily.
(cd "$R2/lib-x86/.accel" && sleep 3) &
T_PIDS+=("$!")
sleep 0.3
check "teardown of a busy view: exit 0" 0 "$(rc_of BS --teardown "$R2")"
grep -q "lazily" "$T_DIR/out" && ok "busy view detached lazily" || fail "busy: $(cat "$T_DIR/out")"
[ -d "$R2/lib-x86" ] && ok "pre-existing lib-x86 kept" || fail "pre-existing lib-x86 removed"
mountpoint -q "$R2/lib-x86" && fail "still mounted" || ok "second view unmounted"
[ ! -e "$BINFMT/$T_ID" ] && ok "entry removed with the last root" || fail "entry left registered"
# A root removed after set-up (its view unmounted first) can still be torn
# down by its absolute path: the entry and state go away.
R5=$T_DIR/root5
t_mkroot "$R5"
T_MOUNTS+=("$R5/lib-x86")
check "set-up of a root to be removed: exit 0" 0 "$(rc_of BS "$R5")"
umount "$R5/lib-x86"
rm -rf "$R5"
check "teardown of a removed root: exit 0" 0 "$(rc_of BS --teardown "$R5")"
[ ! -e "$BINFMT/$T_ID" ] && ok "entry removed with the removed root" || fail "entry left registered"
check "Debian's qemu-arm entry untouched" "$qemu_before" "$(cat "$BINFMT/qemu-arm")"
check "state directory emptied" "" "$(ls "$ST/roots" 2>/dev/null)"

t_done
