#!/bin/sh
# ensure-qemu-binfmt.sh: make sure Debian's qemu-arm binfmt_misc entry is
# registered, as systemd-binfmt or binfmt-support do at boot on a Debian
# machine with qemu-user-static. Machines without an init that does it
# (containers, minimal VMs) need this once. Idempotent.
set -eu
B=/proc/sys/fs/binfmt_misc
CONF=/usr/lib/binfmt.d/qemu-arm.conf
[ -e "$B/register" ] || mount -t binfmt_misc binfmt_misc "$B"
[ -e "$B/qemu-arm" ] && exit 0
[ -r "$CONF" ] || { echo "ensure-qemu-binfmt: $CONF missing: apt-get install qemu-user-static" >&2; exit 1; }
grep -v '^[#;]' "$CONF" | grep . > "$B/register"
