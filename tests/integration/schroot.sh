#!/bin/bash
# schroot sessions (drivers/schroot/60accel): a chroot configured with
# accel.enable=true gets the view in every session, of every chroot type
# sbuild uses (directory, directory with an overlay, file), concurrent
# sessions included; the session's programs run natively; ending a session
# (or recovering a crashed one, then ending it) leaves nothing mounted, no
# state, and the chroot directory as it was.
source "$(dirname "$0")/../lib.sh"
t_require
command -v schroot >/dev/null || skip "schroot is not installed (apt-get install schroot)"

ST=$T_DIR/state
R=$T_DIR/root
t_mkroot "$R"
(cd "$R" && tar -cf "$T_DIR/root.tar" .)

# The tree's script, under a name of this test's own; it acts only for
# chroots with accel.enable=true, and the options route it to this test's
# state, entry and programs.
HOOK=/etc/schroot/setup.d/60accel-$T_ID
CONF=/etc/schroot/chroot.d/$T_ID
cp "$T_SRCDIR/drivers/schroot/60accel" "$HOOK"
chmod 755 "$HOOK"
cleanup_schroot() {
	local s
	for s in $(schroot --all-sessions -l 2>/dev/null | sed -n "s/^session:\($T_ID-.*\)/\1/p"); do
		schroot -e -c "$s" >/dev/null 2>&1 || true
	done
	rm -f "$HOOK" "$CONF"
}
# lib.sh's trap runs after this one: sessions end first, then the mounts
# and entries are swept.
trap 'rc=$?; cleanup_schroot; (exit $rc); t_cleanup' EXIT
T_ENTRIES+=("$T_ID")

opts="--state-dir $ST --binfmt-name $T_ID --dispatcher $T_DISPATCH --fuseview $T_FUSEVIEW --store $T_STORE"
conf() { # NAME TYPE-LINES...
	local name=$1; shift
	printf '[%s]\n' "$T_ID-$name"
	printf '%s\n' "$@" "users=root" "root-users=root" "profile=minimal" "accel.enable=true" \
		"accel.bootstrap=$T_BOOTSTRAP" "accel.options=$opts"
}
{
	conf dir "type=directory" "directory=$R"
	conf overlay "type=directory" "directory=$R" "union-type=overlay"
	conf file "type=file" "file=$T_DIR/root.tar"
	printf '[%s]\ntype=directory\ndirectory=%s\nusers=root\nroot-users=root\nprofile=minimal\n' \
		"$T_ID-plain" "$R"
} > "$CONF"

begin() { (cd / && schroot -b -c "$T_ID-$1" -n "$T_ID-$1-$2"); }
in_session() { local s=$1; shift; (cd / && schroot -r -c "$s" -- "$@"); }
end() { (cd / && schroot -e -c "$1"); }
path_of() { echo "/run/schroot/mount/$1"; }
leftovers() { # SESSION: mounts and state the session left
	grep -c " $(path_of "$1")" /proc/self/mountinfo || true
}

# schroot itself writes into a directory chroot (mount points, files of
# its profile, etc/debian_chroot with the chroot's name): the root as it
# was is the root after a session without accel, the name file left out.
tree() { rm -f "$R/etc/debian_chroot"; t_tree_sum "$R"; }
s=$(begin plain 0)
end "$s"
before=$(tree)

for type in dir overlay file; do
	s=$(begin "$type" 1)
	check "$type: a session begins" "$T_ID-$type-1" "$s"
	check "$type: programs run natively in the session" /lib-x86/usr/bin/readlink \
		"$(in_session "$s" readlink /proc/self/exe)"
	check "$type: uname -m is the root's" armv7l "$(in_session "$s" uname -m)"
	grep -q "^/usr/bin/make$" "$ST"/roots/*/enabled && ok "$type: the default set is enabled" ||
		fail "$type: enabled: $(cat "$ST"/roots/*/enabled 2>&1 | head -3)"
	end "$s"
	check "$type: nothing mounted in the ended session" 0 "$(leftovers "$s")"
	check "$type: no state left" "" "$(ls "$ST/roots" 2>/dev/null)"
	pgrep -f "accel-fuseview $ST/" > /dev/null && fail "$type: a view daemon outlived its session" ||
		ok "$type: no view daemon left"
done
check "the chroot directory is as it was" "$before" "$(tree)"

# accelctl account started before the session: the session's view appears
# later, and its programs still count as native. account looks for new views
# every 250 ms (accelctl/account.c): the session lasts longer than that (a
# view mounted and gone between two looks is missed, as its man page says).
"$T_CTL" --state-dir "$ST" account -o "$T_DIR/acct" --tsv "$T_DIR/acct.tsv" -- \
	sh -c "cd / && schroot -c $T_ID-dir -- /bin/sh -c 'for i in 1 2 3; do expr 1 + 1; done; busybox true; sleep 0.6'" > /dev/null ||
	fail "account around a session: $(cat "$T_DIR/acct")"
check "account: a view set up after the command started counts as native" 3 \
	"$(awk -F'\t' 'NR > 1 && $4 == "native" && $9 == "expr"' "$T_DIR/acct.tsv" | wc -l)"
# busybox is not in the default set: emulated, and a program of the session
# root's packages, though that root is gone when the report is written.
grep -q "^  .* busybox  \[busybox-static .*; accelctl enable /usr/bin/busybox" "$T_DIR/acct" &&
	ok "account: an emulated program of the ended session's root is named with its package" ||
	fail "account report: $(cat "$T_DIR/acct")"

# A chroot without the key is left alone.
s=$(begin plain 1)
check "without accel.enable the session is emulated" /usr/bin/readlink \
	"$(in_session "$s" readlink /proc/self/exe)"
end "$s"

# Two sessions of one directory at once: each its own view on the one
# mount point directory; the first to end leaves it to the second.
a=$(begin dir a)
b=$(begin dir b)
check "session a native" /lib-x86/usr/bin/readlink "$(in_session "$a" readlink /proc/self/exe)"
check "session b native" /lib-x86/usr/bin/readlink "$(in_session "$b" readlink /proc/self/exe)"
check "two views" 2 "$(ls "$ST/roots" | wc -l)"
end "$a"
check "b still native after a ended" /lib-x86/usr/bin/readlink "$(in_session "$b" readlink /proc/self/exe)"
check "a left nothing mounted" 0 "$(leftovers "$a")"
end "$b"
check "b left nothing mounted" 0 "$(leftovers "$b")"
check "the chroot directory is as it was after both" "$before" "$(tree)"

# A crashed session: its view daemon killed, then schroot --recover-session
# sets it up again; ending it then leaves nothing.
s=$(begin overlay crash)
t_kill_view "$ST"
sleep 0.3
check "a dead view: programs still run (emulated)" 3 "$(in_session "$s" expr 1 + 2)"
(cd / && schroot --recover-session -c "$s") && ok "the session is recovered" || fail "recover-session failed"
check "recovered: native again" /lib-x86/usr/bin/readlink "$(in_session "$s" readlink /proc/self/exe)"
end "$s"
check "recovered then ended: nothing mounted" 0 "$(leftovers "$s")"
check "and no state" "" "$(ls "$ST/roots" 2>/dev/null)"

# A set-up that fails leaves a usable, emulated session with a warning.
sed -i "s|^accel.bootstrap=.*|accel.bootstrap=/bin/false|" "$CONF"
out=$(cd / && schroot -b -c "$T_ID-dir" -n "$T_ID-dir-bad" 2>&1)
grep -q "warning: accel: .*failed; this session runs emulated" <<< "$out" &&
	ok "a failed set-up warns" || fail "failed set-up: $out"
check "... and the session works, emulated" /usr/bin/readlink \
	"$(in_session "$T_ID-dir-bad" readlink /proc/self/exe)"
end "$T_ID-dir-bad" 2> /dev/null
check "the chroot directory is as it was at the end" "$before" "$(tree)"

t_done
