#!/bin/bash
# Emulation never gets worse: with the dispatcher registered, a root that was
# never bootstrapped, a missing, empty or dead (ENOTCONN) /lib-x86, or a root
# carrying qemu copies of either architecture all run exactly as under
# Debian's qemu-arm entry alone, and nothing is copied into any root.
source "$(dirname "$0")/../lib.sh"
t_require

R=$T_DIR/plain # never bootstrapped, never touched after creation
t_mkroot "$R"
mkdir -p "$R/usr/local/bin" && ln -s /usr/bin/busybox "$R/usr/local/bin/uname"
before=$(t_tree_sum "$R")
t_register

t_entry "$T_ID" off
EMU=$(chroot "$R" /usr/local/bin/uname -m)
t_entry "$T_ID" on

same "never bootstrapped root: shell" chroot "$R" /bin/sh -c 'echo plain; ls /usr/lib | head -3'
same "never bootstrapped root: busybox by argv0" chroot "$R" /usr/local/bin/uname -m
same "never bootstrapped root: relative exec" chroot "$R" /bin/sh -c 'cd /usr/bin && ./busybox echo rel'
same "host root: armel program by path" "$R/usr/bin/busybox" echo from-host
case $(exe_of "$R/usr/bin/busybox" sleep 3) in
/usr/bin/qemu-arm-static) ok "host root: the host's qemu-arm-static runs" ;;
*) fail "host root: expected /usr/bin/qemu-arm-static" ;;
esac
check "never bootstrapped root is unchanged" "$before" "$(t_tree_sum "$R")"

# A root with an empty /lib-x86, then a dead FUSE mount on it.
D=$T_DIR/dead
t_mkroot "$D"
mkdir -p "$D/usr/local/bin" "$D/lib-x86" && ln -s /usr/bin/busybox "$D/usr/local/bin/uname"
same "empty /lib-x86" chroot "$D" /usr/local/bin/uname -m
if [ -e /dev/fuse ]; then
	"$T_DEADFUSE" -f "$D/lib-x86" &
	fpid=$!
	T_PIDS+=("$fpid")
	T_MOUNTS+=("$D/lib-x86")
	for _ in $(seq 50); do mountpoint -q "$D/lib-x86" && break; sleep 0.1; done
	mountpoint -q "$D/lib-x86" || fail "deadfuse did not mount"
	check "live FUSE view with no equivalent: emulated" "$EMU" "$(chroot "$D" /usr/local/bin/uname -m)"
	kill -9 "$fpid"
	wait "$fpid" 2>/dev/null || true
	set +e
	ls "$D/lib-x86" >/dev/null 2>"$T_DIR/err"
	set -e
	grep -q "not connected" "$T_DIR/err" && ok "the view is dead (ENOTCONN)" || fail "view not dead: $(cat "$T_DIR/err")"
	same "dead FUSE /lib-x86: emulated" chroot "$D" /usr/local/bin/uname -m
	same "dead FUSE /lib-x86: shell" chroot "$D" /bin/sh -c 'echo still; exit 3'
	umount -l "$D/lib-x86"
else
	echo "# no /dev/fuse: dead-view checks skipped"
fi

# An armel qemu-user-static inside the root would loop back: skipped.
cp "$D/usr/bin/busybox" "$D/usr/bin/qemu-arm-static"
same "armel file at /usr/bin/qemu-arm-static: no loop" chroot "$D" /usr/local/bin/uname -m
# An x86_64 copy of qemu inside the root (old-style set-ups): it is used.
cp /usr/bin/qemu-arm-static "$D/usr/bin/qemu-arm-static"
same "x86_64 qemu inside the root" chroot "$D" /usr/local/bin/uname -m
case $(exe_of chroot "$D" /bin/busybox sleep 3) in
*/usr/bin/qemu-arm-static) ok "the root's own x86_64 qemu-arm-static runs" ;;
*) fail "expected the root's /usr/bin/qemu-arm-static" ;;
esac

t_done
