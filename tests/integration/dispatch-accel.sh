#!/bin/bash
# Host equivalents in ROOT/lib-x86 (a plain directory with a static host
# busybox, standing in for the view) are run for their canonical path:
# absolute, relative, through directory links and /etc/alternatives chains,
# with argv0, exit codes and signals intact, host <-> armel any depth deep.
source "$(dirname "$0")/../lib.sh"
t_require

R=$T_DIR/root
t_mkroot "$R"
mkdir -p "$R/lib-x86/usr/bin" "$R/usr/local/bin" "$R/etc/alternatives" "$R/proc"
t_host_busybox "$R/lib-x86/usr/bin"
t_fake_stamps "$R"
# Applet names as links to the armel busybox, the way a root would have them.
for a in uname sh readlink env; do ln -s /usr/bin/busybox "$R/usr/local/bin/$a"; done
ln -s /bin/busybox "$R/etc/alternatives/uname"      # through the /bin -> usr/bin link
ln -s /etc/alternatives/uname "$R/usr/bin/uname-alt" # an alternatives chain
mkdir -p "$R/opt/alt" && ln -s /usr/bin/uname-alt "$R/opt/alt/uname"
t_register
# What qemu reports, taken from Debian's entry alone.
t_entry "$T_ID" off
EMU=$(chroot "$R" /bin/uname -m)
t_entry "$T_ID" on

in_root() { chroot "$R" "$@" 2>&1; }

check "absolute path to a link runs the host busybox" x86_64 "$(in_root /usr/local/bin/uname -m)"
check "argv0 selects the applet of the host busybox" "hello" "$(in_root /usr/local/bin/sh -c 'echo hello')"
check "directory symlink (/bin -> usr/bin)" x86_64 "$(in_root /bin/busybox uname -m)"
check "relative path" x86_64 "$(in_root /bin/dash -c 'cd /usr/bin && ./busybox uname -m')"
check "relative path with .." x86_64 "$(in_root /bin/dash -c 'cd /usr/local && ../bin/busybox uname -m')"
check "/etc/alternatives chain" x86_64 "$(in_root /opt/alt/uname -m)"
check "PATH lookup by the shell" x86_64 "$(in_root /bin/dash -c 'PATH=/usr/local/bin:/bin; uname -m')"
check "a program without host equivalent stays emulated" "$EMU" "$(in_root /bin/uname -m)"

set +e
in_root /usr/local/bin/sh -c 'exit 7' >/dev/null; rc=$?
set -e
check "exit code through the host route" 7 "$rc"
set +e
in_root /usr/local/bin/sh -c 'kill -TERM $$' >/dev/null; rc=$?
set -e
check "signal through the host route" 143 "$rc"

# host -> armel -> host -> armel ..., eight levels deep.
nest='/bin/dash -c "/usr/local/bin/sh -c \"/bin/dash -c \\\"/usr/local/bin/sh -c \\\\\\\"/bin/uname -m; /usr/local/bin/uname -m\\\\\\\"\\\"\""'
check "host and armel nested" "$EMU x86_64" "$(in_root /usr/local/bin/sh -c "$nest" | tr '\n' ' ' | sed 's/ $//')"

# /proc/self/exe of the process: the view's file, not qemu, not the root's.
mount -t proc proc "$R/proc"
T_MOUNTS+=("$R/proc")
check "/proc/self/exe lies in the view" /lib-x86/usr/bin/busybox "$(in_root /usr/local/bin/readlink /proc/self/exe)"
# Taken apart: inside check's arguments a failure would read as "" = "".
want=$(env -i A=1 'B=x y' "$T_DIR/hostbb/bin/busybox" env)
check "environment untouched on the host route" "$want" \
	"$(env -i A=1 'B=x y' /usr/sbin/chroot "$R" /usr/local/bin/env)"
umount "$R/proc"

# A view entry that is itself armel must not loop: it is emulated.
mkdir -p "$R/lib-x86/usr/local/bin"
cp "$R/usr/bin/busybox" "$R/lib-x86/usr/bin/busybox.armel"
ln -s /usr/bin/busybox.armel "$R/usr/local/bin/loop"
cp "$R/usr/bin/busybox" "$R/usr/bin/busybox.armel"
check "an armel file inside the view is emulated, no loop" "$EMU" \
	"$(in_root /lib-x86/usr/bin/busybox.armel uname -m)"
check "an armel host equivalent is emulated, no loop" "$EMU" \
	"$(in_root /bin/busybox.armel uname -m)"

# Not executable in the view: emulated.
chmod -x "$R/lib-x86/usr/bin/busybox"
check "a non-executable equivalent is not run" "$EMU" "$(in_root /usr/local/bin/uname -m)"
chmod +x "$R/lib-x86/usr/bin/busybox"

# Non-root users can run accelerated binaries.
check "a non-root user" "65534 x86_64" "$(chroot --userspec=65534:65534 "$R" /usr/local/bin/sh -c 'echo $(id -u) $(uname -m)' 2>&1)"

# Identity: a view that names the machine (.accel/machine) gets every
# native process tree told it through uname(2). The host busybox is static
# and makes the system call itself: nothing but the kernel can change its
# answer.
mkdir -p "$R/lib-x86/.accel"
echo "$EMU" > "$R/lib-x86/.accel/machine"
check "native uname(2) says the root's machine" "$EMU" "$(in_root /usr/local/bin/uname -m)"
check "... and it ran natively" /lib-x86/usr/bin/busybox \
	"$(mount -t proc proc "$R/proc" && in_root /usr/local/bin/readlink /proc/self/exe; umount "$R/proc")"
check "the rest of uname is the host's" "$(uname -s -n -r -v)" "$(in_root /usr/local/bin/uname -s -n -r -v)"
check "native, emulated, native: one machine" "$EMU $EMU $EMU" \
	"$(in_root /usr/local/bin/sh -c '/usr/local/bin/uname -m; /bin/busybox.armel sh -c "/bin/uname -m; /usr/local/bin/uname -m"' | tr '\n' ' ' | sed 's/ $//')"
check "a non-root user too (no_new_privs)" "65534 $EMU" \
	"$(chroot --userspec=65534:65534 "$R" /usr/local/bin/sh -c 'echo $(id -u) $(uname -m)' 2>&1)"
# The supervisor leaves with its tree: none is left once the commands end.
left=$(for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" = accel-identity ] &&
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/}"
done | wc -l || true)
check "no supervisor outlives its tree" 0 "$left"
# A command substitution reads until every writer closes: the supervisor
# must hold none of the tree's files.
check "output captured through a pipe, no hang" "$EMU" \
	"$(timeout 20 chroot "$R" /usr/local/bin/sh -c 'echo $(/usr/local/bin/uname -m)' 2>&1)"
# A machine line that cannot be right: emulated, never a wrong answer.
printf '%080d\n' 0 > "$R/lib-x86/.accel/machine"
check "a malformed machine file: emulated" "/usr/bin/busybox" \
	"$(mount -t proc proc "$R/proc" && in_root /usr/local/bin/readlink /proc/self/exe; umount "$R/proc")"
rm -rf "$R/lib-x86/.accel"

t_done
