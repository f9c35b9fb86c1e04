#!/bin/bash
# accel-template (drivers/template): a view prepared once for a base tarball
# and bound into build roots unpacked anew from it, as pbuilder and sbuild's
# unshare mode make them. The copy is made once and again only when the base
# changes; the view serves each fresh build root natively; --list, --remove;
# bad input refused with its exit code, nothing half-done left.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
R=$T_DIR/base
TD=$T_DIR/templates
TPL=$T_STAGE/usr/sbin/accel-template
t_mkroot "$R"
T_ENTRIES+=("$T_ID")
T_MOUNTS+=("$TD/mini/root/lib-x86")
tar -C "$R" -czf "$T_DIR/base.tgz" .
bs_opts=(--state-dir "$ST" --binfmt-name "$T_ID" --dispatcher "$T_DISPATCH"
	--fuseview "$T_FUSEVIEW" --store "$T_STORE")
TEMPLATE() { ACCEL_BOOTSTRAP=$T_BOOTSTRAP "$TPL" --dir "$TD" "$@"; }

rc=0
view=$(TEMPLATE mini "$T_DIR/base.tgz" -- "${bs_opts[@]}" 2> "$T_DIR/err") || rc=$?
check "prepared: exit 0" 0 "$rc"
check "it prints the view to bind" "$TD/mini/root/lib-x86" "$view"
grep -q "copying $T_DIR/base.tgz" "$T_DIR/err" && ok "the base was copied" || fail "err: $(cat "$T_DIR/err")"
[ -e "$view/usr/bin/make" ] && ok "the view serves the base's default set" || fail "no make in $view"

# A build root as pbuilder makes it: the base unpacked anew, the view bound in.
B=$T_DIR/build
mkdir -p "$B"
tar -C "$B" -xpf "$T_DIR/base.tgz"
mkdir -p "$B/lib-x86"
T_MOUNTS+=("$B/lib-x86")
mount -o bind "$view" "$B/lib-x86"
printf 'all:\n\t@sleep 2\n' > "$B/tmp/sleep.mk"
check "make runs natively in a fresh build root" "$B/lib-x86/usr/bin/make" \
	"$(exe_of chroot "$B" /usr/bin/make -f /tmp/sleep.mk)"
# Its build upgrades make (dpkg writes the list anew): emulated there.
touch "$B/var/lib/dpkg/info/make.list"
got=$(exe_of chroot "$B" /usr/bin/make -f /tmp/sleep.mk)
[ -n "$got" ] && [ "$got" != "$B/lib-x86/usr/bin/make" ] &&
	ok "a package upgraded in the build root: emulated there" || fail "ran as [$got]"
umount "$B/lib-x86"

rc=0
TEMPLATE mini "$T_DIR/base.tgz" -- "${bs_opts[@]}" > /dev/null 2> "$T_DIR/err" || rc=$?
check "again: exit 0" 0 "$rc"
grep -q copying "$T_DIR/err" && fail "copied again though the base is unchanged" || ok "an unchanged base is not copied again"
check "--list: up to date" "mini	$T_DIR/base.tgz	up to date	$view" "$(TEMPLATE --list)"
touch "$T_DIR/base.tgz"
check "--list: a changed base is stale" stale "$(TEMPLATE --list | cut -f3)"
TEMPLATE mini "$T_DIR/base.tgz" -- "${bs_opts[@]}" > /dev/null 2> "$T_DIR/err" || fail "refresh failed: $(cat "$T_DIR/err")"
grep -q copying "$T_DIR/err" && ok "a changed base is copied again" || fail "not copied again"
[ -e "$view/usr/bin/make" ] && ok "and the view serves again" || fail "no view after the refresh"

# Bad input: refused, nothing left.
expect_rc() { # WHAT RC ARGS...
	local what=$1 want=$2 rc=0; shift 2
	TEMPLATE "$@" > /dev/null 2> "$T_DIR/err" || rc=$?
	check "$what: exit $want ($(tail -n 1 "$T_DIR/err" | head -c 160))" "$want" "$rc"
}
expect_rc "no such source" 2 x "$T_DIR/nope.tgz" -- "${bs_opts[@]}"
expect_rc "a bad name" 2 "../x" "$T_DIR/base.tgz" -- "${bs_opts[@]}"
printf 'not a tarball\n' > "$T_DIR/junk.tgz"
expect_rc "not a tarball" 1 junk "$T_DIR/junk.tgz" -- "${bs_opts[@]}"
[ ! -e "$TD/junk/root" ] && [ ! -e "$TD/junk/root.new" ] && ok "nothing half-done left" || fail "left: $(ls "$TD/junk")"
TEMPLATE --remove junk -- "${bs_opts[@]}" > /dev/null 2>&1 || true
mkdir -p "$T_DIR/notroot"
expect_rc "a directory without a dpkg database" 1 nr "$T_DIR/notroot" -- "${bs_opts[@]}"
TEMPLATE --remove nr -- "${bs_opts[@]}" > /dev/null 2>&1 || true

check "--remove: exit 0" 0 "$(TEMPLATE --remove mini -- "${bs_opts[@]}" > "$T_DIR/out" 2>&1; echo $?)"
mountpoint -q "$view" 2> /dev/null && fail "the view is still mounted" || ok "the view is gone"
[ ! -e "$TD/mini" ] && ok "and the copy" || fail "left: $(ls "$TD/mini")"
check "nothing listed" "" "$(TEMPLATE --list)"
t_done
