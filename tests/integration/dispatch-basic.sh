#!/bin/bash
# Emulated execs through the dispatcher behave exactly as under Debian's
# qemu-arm entry alone: output, argv0, exit codes, signals, pid, environment.
source "$(dirname "$0")/../lib.sh"
t_require

R=$T_DIR/root
t_mkroot "$R"
t_register

same "dash runs" chroot "$R" /bin/sh -c 'echo hello; echo err >&2'
same "coreutils with shared libraries" chroot "$R" /bin/ls -d /usr/bin
same "bash" chroot "$R" /bin/bash -c 'echo $((6*7)) ${BASH_VERSINFO[0]}'
same "exit code 42" chroot "$R" /bin/sh -c 'exit 42'
same "false" chroot "$R" /bin/false
same "SIGTERM to self" chroot "$R" /bin/sh -c 'kill -TERM $$'
same "SIGKILL to self" chroot "$R" /bin/bash -c 'kill -KILL $$'
same "uname -m under qemu" chroot "$R" /bin/uname -m
same "argv0 picks the busybox applet" bash -c "exec -a echo '$R/bin/busybox' applet-by-argv0"
same "argv0 seen by bash" chroot "$R" /bin/bash -c 'exec -a my-argv0 /bin/bash -c "echo \$0"'
same "empty argv0" bash -c "set -o pipefail; '$T_EXECLOOP' -r '$R' -a '' 3 /usr/bin/true | sed 's/ ns_per_exec=.*//'"
same "arguments with spaces and newlines" chroot "$R" /bin/busybox printf '[%s]' 'a b' $'c\nd' '' "-x"
same "environment is passed untouched" env -i A=1 'B=two words' PATH=/bin /usr/sbin/chroot "$R" /bin/busybox env
same "relative path from cwd" bash -c "cd '$R/usr' && ./bin/busybox echo rel"
same "a file name starting with a dash" bash -c "cd '$R/usr/bin' && cp busybox -- -dash && exec -a echo ./-dash ok; rm -f -- -dash"
rm -f -- "$R/usr/bin/-dash"

# The dispatcher must not fork: the program keeps the pid its parent forked.
out=$(chroot "$R" /bin/bash -c '/bin/sh -c "echo \$PPID"; echo $$')
check "no fork: child's parent is the caller" "$(echo "$out" | sed -n 2p)" "$(echo "$out" | sed -n 1p)"

# And the host side: the process the kernel started is qemu itself.
chroot "$R" /bin/busybox sleep 5 &
pid=$!
T_PIDS+=("$pid")
sleep 0.5
exe=$(readlink "/proc/$pid/exe")
case $exe in
*qemu-arm* | /memfd:accel-qemu-arm*) ok "emulated program runs in qemu ($exe)" ;;
*) fail "emulated program runs in $exe" ;;
esac
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

# No fd leaks into the program: the same fds as under Debian's entry.
same "open file descriptors" "$R/bin/busybox" ls /proc/self/fd/

t_done
