#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-kernel.sh: check the running machine against kbuild-notes/kernel-config.md.
#
# Prints one line per item, "ok|WARN|FAIL  item: detail"; exits 1 if any
# line is FAIL, else 0. Read-only: it reads /proc, /sys, /boot, /dev and the
# qemu binary, writes nothing and mounts nothing. In particular it never looks
# into /proc/sys/fs/binfmt_misc unless binfmt_misc is already mounted there
# (on systemd hosts that path can be an autofs trigger).
#
# Environment: QEMU_ARM  qemu to check (default /usr/bin/qemu-arm-static)

set -u
LC_ALL=C
export LC_ALL

QEMU=${QEMU_ARM:-/usr/bin/qemu-arm-static}
BINFMT_DIR=/proc/sys/fs/binfmt_misc
ARMEL_MAGIC=7f454c4601010100000000000000000002002800
ARMEL_MASK=ffffffffffffff00fffffffffffffffffeffffff
fails=0

report() { # STATUS ITEM DETAIL
	printf '%-4s  %s: %s\n' "$1" "$2" "$3"
	if [ "$1" = FAIL ]; then
		fails=$((fails + 1))
	fi
}

# --- kernel version -----------------------------------------------------
rel=$(uname -r)
kmaj=$(printf '%s\n' "$rel" | sed -n 's/^\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1/p')
kmin=$(printf '%s\n' "$rel" | sed -n 's/^\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\2/p')
kver_ge() { # MAJOR MINOR
	[ -n "$kmaj" ] && { [ "$kmaj" -gt "$1" ] || { [ "$kmaj" -eq "$1" ] && [ "$kmin" -ge "$2" ]; }; }
}
if [ -z "$kmaj" ] || [ -z "$kmin" ]; then
	report WARN kernel "cannot parse version '$rel'"
elif kver_ge 5 12; then
	extra=""
	kver_ge 6 3 && extra="; has MFD_EXEC and vm.memfd_noexec (6.3)"
	kver_ge 6 7 && extra="$extra; per-userns binfmt_misc (6.7)"
	report ok kernel "$rel (>= 5.12: AT_FLAGS_PRESERVE_ARGV0)$extra"
else
	report FAIL kernel "$rel is older than 5.12 (no AT_FLAGS_PRESERVE_ARGV0)"
fi

# --- CONFIG options -----------------------------------------------------
cfg_src=""
cfg_text=""
if [ -r /proc/config.gz ] && command -v gzip >/dev/null 2>&1; then
	if cfg_text=$(gzip -dc /proc/config.gz 2>/dev/null) && [ -n "$cfg_text" ]; then
		cfg_src=/proc/config.gz
	fi
fi
if [ -z "$cfg_src" ] && [ -r "/boot/config-$rel" ]; then
	cfg_text=$(cat "/boot/config-$rel")
	cfg_src=/boot/config-$rel
fi

cfg_val() { # NAME: prints y, m, n or another value; nothing when unknown
	if [ -n "$cfg_src" ]; then
		v=$(printf '%s\n' "$cfg_text" | sed -n "s/^CONFIG_$1=//p")
		printf '%s' "${v:-n}"
	fi
}

check_cfg() { # NAME STATUS-IF-MISSING WHY
	v=$(cfg_val "$1")
	case $v in
	"") report WARN "CONFIG_$1" "unknown (no /proc/config.gz, no /boot/config-$rel); $3" ;;
	y | m) report ok "CONFIG_$1" "$v: $3" ;;
	*) report "$2" "CONFIG_$1" "not set: $3" ;;
	esac
}

check_cfg BINFMT_MISC FAIL "binfmt_misc entries"
check_cfg BINFMT_ELF FAIL "dispatcher, qemu and host equivalents are x86_64 ELF"
check_cfg FUSE_FS FAIL "the /lib-x86 view"
check_cfg MEMFD_CREATE FAIL "fallback to the carried qemu (set by TMPFS or HUGETLBFS)"
check_cfg SECCOMP WARN "view daemon confinement"
check_cfg SECCOMP_FILTER WARN "view daemon confinement (libseccomp); uname(2) identity of native programs (without it they run emulated)"
check_cfg PROC_FS WARN "not needed by the dispatcher; needed by accel-bootstrap and this script"
check_cfg NAMESPACES WARN "optional: user namespaces"
check_cfg USER_NS WARN "optional: future rootless mode"
check_cfg BSD_PROCESS_ACCT WARN "optional: per-process accounting of build time"
check_cfg TASKSTATS WARN "optional: per-task statistics"

# check_fs TYPE CONFIG: is file system TYPE available (CONFIG_<CONFIG>)?
check_fs() {
	if [ ! -r /proc/filesystems ]; then
		report WARN "$1-fs" "unknown: /proc/filesystems unreadable (is /proc mounted?)"
	elif awk -v t="$1" '$NF == t { f = 1 } END { exit !f }' /proc/filesystems; then
		report ok "$1-fs" "listed in /proc/filesystems (mountable)"
	elif [ "$(cfg_val "$2")" = m ]; then
		report WARN "$1-fs" "module not loaded (CONFIG_$2=m); mounting loads it"
	else
		report FAIL "$1-fs" "not in /proc/filesystems"
	fi
}

# --- binfmt_misc ----------------------------------------------------------
check_fs binfmt_misc BINFMT_MISC

# Types mounted on BINFMT_DIR, bottom to top, from mountinfo (field 5 is
# the mount point, the type follows the "-" separator). Reading mountinfo
# does not trigger an automount; looking into the directory could.
bm_types=""
if [ -r /proc/self/mountinfo ]; then
	bm_types=$(awk -v d="$BINFMT_DIR" '$5 == d {
		for (i = 7; i <= NF; i++) if ($i == "-") { printf "%s ", $(i + 1); break }
	}' /proc/self/mountinfo)
fi
bm_mounted=0
case " $bm_types " in
*" binfmt_misc "*)
	bm_mounted=1
	bm_status=$(cat "$BINFMT_DIR/status" 2>/dev/null)
	if [ "$bm_status" = enabled ]; then
		report ok binfmt_misc-mount "mounted at $BINFMT_DIR, status enabled"
	else
		report WARN binfmt_misc-mount "mounted at $BINFMT_DIR, status '${bm_status:-unreadable}' (echo 1 > $BINFMT_DIR/status)"
	fi
	;;
*" autofs "*)
	report WARN binfmt_misc-mount "not mounted: $BINFMT_DIR is an automount point (autofs); not triggered"
	;;
*)
	report WARN binfmt_misc-mount "not mounted at $BINFMT_DIR (accel-bootstrap mounts it)"
	;;
esac

entry_field() { # FILE FIELD: value of "FIELD value" in a binfmt_misc entry
	sed -n "s/^$2 //p" "$1" 2>/dev/null
}

if [ "$bm_mounted" = 1 ]; then
	# Debian's entry: /usr/lib/binfmt.d/qemu-arm.conf, registered as qemu-arm.
	e=$BINFMT_DIR/qemu-arm
	if [ -f "$e" ]; then
		state=$(head -n 1 "$e" 2>/dev/null)
		flags=$(sed -n 's/^flags: //p' "$e" 2>/dev/null)
		interp=$(entry_field "$e" interpreter)
		if [ "$(entry_field "$e" magic)" != "$ARMEL_MAGIC" ]; then
			report WARN debian-qemu-arm "registered, but its magic is not Debian's armel magic"
		elif [ "$state" = enabled ]; then
			report ok debian-qemu-arm "registered, enabled, flags $flags, interpreter $interp"
		else
			report WARN debian-qemu-arm "registered but $state (flags $flags, interpreter $interp)"
		fi
	elif [ -f /usr/lib/binfmt.d/qemu-arm.conf ]; then
		report WARN debian-qemu-arm "not registered although /usr/lib/binfmt.d/qemu-arm.conf exists (systemctl restart systemd-binfmt)"
	else
		report WARN debian-qemu-arm "not registered (apt-get install qemu-user-static)"
	fi

	# Every entry that matches armel ELF, whoever registered it.
	for e in "$BINFMT_DIR"/*; do
		name=${e##*/}
		case $name in register | status | qemu-arm) continue ;; esac
		[ -f "$e" ] || continue
		[ "$(entry_field "$e" magic)" = "$ARMEL_MAGIC" ] || continue
		[ "$(entry_field "$e" mask)" = "$ARMEL_MASK" ] || continue
		state=$(head -n 1 "$e" 2>/dev/null)
		flags=$(sed -n 's/^flags: //p' "$e" 2>/dev/null)
		report ok "armel-entry $name" "$state, flags $flags, interpreter $(entry_field "$e" interpreter)"
	done
else
	report WARN debian-qemu-arm "unknown: binfmt_misc not mounted"
fi

# --- FUSE -------------------------------------------------------------------
if [ -c /dev/fuse ]; then
	# shellcheck disable=SC2012 # a fixed name; ls -l is the POSIX way to get the mode
	report ok /dev/fuse "present ($(ls -l /dev/fuse | awk '{ print $1 }'))"
else
	report FAIL /dev/fuse "missing (needed by the view daemon)"
fi
check_fs fuse FUSE_FS
if [ -r /proc/self/mountinfo ] &&
	awk '$5 == "/sys/fs/fuse/connections" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	report ok fusectl "mounted at /sys/fs/fuse/connections (abort of a hung view possible)"
else
	report WARN fusectl "not mounted; needed only to abort a hung view (mount -t fusectl none /sys/fs/fuse/connections)"
fi

# --- memfd ------------------------------------------------------------------
if [ -r /proc/sys/vm/memfd_noexec ]; then
	mn=$(cat /proc/sys/vm/memfd_noexec)
	case $mn in
	0 | 1) report ok vm.memfd_noexec "$mn (MFD_EXEC memfds may be executed: carried qemu works)" ;;
	2) report FAIL vm.memfd_noexec "2: executable memfds are forbidden; the carried-qemu fallback is disabled" ;;
	*) report WARN vm.memfd_noexec "unexpected value '$mn'" ;;
	esac
else
	report ok vm.memfd_noexec "absent (kernel < 6.3 or no CONFIG_SYSCTL): memfds are executable"
fi

# --- user namespaces (informational) ----------------------------------------
if [ -r /proc/sys/user/max_user_namespaces ]; then
	mu=$(cat /proc/sys/user/max_user_namespaces)
	uc=""
	[ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
		uc=", kernel.unprivileged_userns_clone=$(cat /proc/sys/kernel/unprivileged_userns_clone)"
	if [ "$mu" = 0 ]; then
		report WARN userns "user.max_user_namespaces=0$uc (optional: future rootless mode)"
	else
		report ok userns "user.max_user_namespaces=$mu$uc"
	fi
else
	report WARN userns "no /proc/sys/user/max_user_namespaces (CONFIG_USER_NS off?); optional"
fi

# --- qemu-arm-static ----------------------------------------------------------
# ELF64 header fields read with od; the host is little-endian x86_64, so
# od's native-endian integers are the file's.
elf_has_interp() { # FILE: 0 if it has PT_INTERP, 1 if not, 2 if unreadable
	phoff=$(od -An -tu8 -j32 -N8 "$1" 2>/dev/null | tr -d ' \n')
	phentsize=$(od -An -tu2 -j54 -N2 "$1" 2>/dev/null | tr -d ' \n')
	phnum=$(od -An -tu2 -j56 -N2 "$1" 2>/dev/null | tr -d ' \n')
	[ -n "$phoff" ] && [ -n "$phentsize" ] && [ -n "$phnum" ] || return 2
	i=0
	while [ "$i" -lt "$phnum" ]; do
		pt=$(od -An -tu4 -j$((phoff + i * phentsize)) -N4 "$1" 2>/dev/null | tr -d ' \n')
		[ "$pt" = 3 ] && return 0
		i=$((i + 1))
	done
	return 1
}

if [ ! -e "$QEMU" ]; then
	report FAIL qemu-arm-static "$QEMU missing (apt-get install qemu-user-static)"
elif [ ! -r "$QEMU" ] || [ ! -x "$QEMU" ]; then
	report FAIL qemu-arm-static "$QEMU not readable and executable"
else
	hdr=$(od -An -v -tx1 -N20 "$QEMU" 2>/dev/null | tr -d ' \n')
	# e_ident: ELF magic, class 2 (64-bit), data 1 (LE); e_machine 0x3e at 18.
	case $hdr in
	7f454c460201*)
		if [ "${hdr#????????????????????????????????????}" != 3e00 ]; then
			report FAIL qemu-arm-static "$QEMU is a 64-bit ELF but not x86_64"
		else
			elf_has_interp "$QEMU"
			case $? in
			0) static="dynamic (has PT_INTERP): cannot run inside armel roots" ;;
			1) static="static" ;;
			*) static="linkage unknown" ;;
			esac
			if grep -q -F -e '-binfmt-P' "$QEMU" 2>/dev/null; then
				patch="has Debian's -binfmt-P argv0 handling"
			else
				patch=""
			fi
			ver=$("$QEMU" --version 2>/dev/null | sed -n '1s/^qemu-arm version //p')
			if [ "$static" != static ]; then
				report FAIL qemu-arm-static "$QEMU x86_64, $static"
			elif [ -z "$patch" ]; then
				report FAIL qemu-arm-static "$QEMU x86_64, static, but lacks Debian's -binfmt-P handling the dispatcher relies on"
			else
				report ok qemu-arm-static "$QEMU x86_64, static, $patch${ver:+, version $ver}"
			fi
		fi
		;;
	7f454c46*) report FAIL qemu-arm-static "$QEMU is not a 64-bit little-endian ELF (an armel qemu?)" ;;
	*) report FAIL qemu-arm-static "$QEMU is not an ELF file" ;;
	esac
fi

[ "$fails" -eq 0 ]
