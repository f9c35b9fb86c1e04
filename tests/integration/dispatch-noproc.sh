#!/bin/bash
# Without /proc (debootstrap's second stage runs that way) the dispatcher
# still emulates, and still accelerates: it needs neither /proc nor /dev.
source "$(dirname "$0")/../lib.sh"
t_require
command -v unshare >/dev/null || skip "unshare (util-linux) missing"

R=$T_DIR/root
t_mkroot "$R"
t_register
[ ! -e "$R/proc/self" ] || fail "test root unexpectedly has /proc"
[ ! -e "$R/dev/null" ] || fail "test root unexpectedly has /dev"

same "shell and coreutils in a root without /proc and /dev" \
	chroot "$R" /bin/sh -c 'ls -d /usr/bin /etc; echo $((1+2))'
same "bash without /proc" chroot "$R" /bin/bash -c 'x=$(echo sub); echo $x'
case $(exe_of chroot "$R" /bin/busybox sleep 3) in
/memfd:accel-qemu-arm*) ok "no qemu in the root: the carried copy runs" ;;
*) fail "expected the carried qemu (memfd) in a root without qemu" ;;
esac

# The host's own root with /proc unmounted, in a private mount namespace.
noproc() { unshare -m --propagation private sh -c 'umount -l /proc && exec "$@"' sh "$@"; }
# Else both runs below fail alike and compare the same.
noproc true || fail "cannot unmount /proc in a private mount namespace"
same "host root without /proc" noproc "$R/bin/busybox" echo no-proc-on-host
same "host root without /proc, chroot inside" noproc chroot "$R" /bin/uname -m

# Accelerated too, without /proc.
mkdir -p "$R/lib-x86/usr/bin" "$R/usr/local/bin"
t_host_busybox "$R/lib-x86/usr/bin"
t_fake_stamps "$R"
ln -s /usr/bin/busybox "$R/usr/local/bin/uname"
check "host equivalent without /proc" x86_64 "$(chroot "$R" /usr/local/bin/uname -m)"
check "host equivalent without /proc (relative)" x86_64 \
	"$(chroot "$R" /bin/sh -c 'cd /usr/local && ./bin/uname -m')"

t_done
