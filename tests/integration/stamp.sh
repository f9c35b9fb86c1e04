#!/bin/bash
# A served program runs natively only while the root holds what it was
# planned against (accel/exec/stamp.h): its armel file and the dpkg file
# lists of its packages. Any of them changed (an upgrade not re-planned
# yet): emulated; as it was again: native again. The same view bound into a
# copy of the root (a base unpacked anew for each build, accel-template(8))
# serves it natively there too, and a package changed in the copy makes the
# copy, and only the copy, emulate.
source "$(dirname "$0")/../lib.sh"
t_require

ST=$T_DIR/state
R=$T_DIR/root
C=$T_DIR/copy
t_mkroot "$R"
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=("$T_ID")

BS "$R" > "$T_DIR/out" 2>&1 || fail "set-up: $(cat "$T_DIR/out")"
CTL disable /usr/bin/expr > /dev/null 2>&1 # the user's set from here: no follower re-plans
CTL enable make > "$T_DIR/out" 2>&1 || fail "enable make: $(cat "$T_DIR/out")"
printf 'all:\n\t@sleep 2\n' > "$R/tmp/sleep.mk"
native=$R/lib-x86/usr/bin/make
make_in() { exe_of chroot "$1" /usr/bin/make -f /tmp/sleep.mk; }
check "make runs natively" "$native" "$(make_in "$R")"

stamps=$(cat "$R/lib-x86/.accel/stamp/usr/bin/make" 2> /dev/null)
libc_list=/var/lib/dpkg/info/libc6:armel.list
for f in /usr/bin/make /var/lib/dpkg/info/make.list "$libc_list"; do
	grep -q " $f\$" <<< "$stamps" && ok "make's stamps name $f" || fail "make's stamps lack $f: $stamps"
done
grep -Fxq "$(printf 'stamp\tusr/bin/make\t')$(grep " /usr/bin/make\$" <<< "$stamps")" \
	"$ST"/roots/*/manifest 2> /dev/null &&
	ok "the view serves the manifest's stamps" || fail "stamps not as in the manifest"
read -r sec nsec size _ < <(grep " /usr/bin/make\$" <<< "$stamps")
check "the stamp is the armel file's size and mtime" "$(stat -c '%s %Y' "$R/usr/bin/make")" \
	"$size $sec"

# A package of the closure unpacked anew (dpkg writes its list again).
touch -r "$R$libc_list" "$T_DIR/libc.ref"
touch -d '2001-02-03 04:05:06' "$R$libc_list"
got=$(make_in "$R")
[ -n "$got" ] && [ "$got" != "$native" ] && ok "libc6 changed: make is emulated ($got)" ||
	fail "libc6 changed: make ran as [$got]"
touch -r "$T_DIR/libc.ref" "$R$libc_list"
check "libc6 as planned again: native again" "$native" "$(make_in "$R")"

# The program file itself replaced (same size, other time).
touch -r "$R/usr/bin/make" "$T_DIR/make.ref"
touch -d '2001-02-03 04:05:06' "$R/usr/bin/make"
got=$(make_in "$R")
[ -n "$got" ] && [ "$got" != "$native" ] && ok "make's file changed: emulated" ||
	fail "make's file changed: ran as [$got]"
touch -r "$T_DIR/make.ref" "$R/usr/bin/make"
check "re-planned views stamp what is there" 0 "$(touch -d '2002-01-01' "$R/usr/bin/make"
	CTL enable make > /dev/null 2>&1; CTL reload > /dev/null 2>&1; echo $?)"
check "after the re-plan: native" "$native" "$(make_in "$R")"

# A copy of the root, as a build driver unpacks its base for each build
# (GNU tar: whole seconds, the nanoseconds are lost), with the root's view
# bound in.
mkdir "$C"
tar -C "$R" --exclude=./lib-x86 -cf - . | tar -C "$C" -xf -
mkdir -p "$C/lib-x86"
T_MOUNTS+=("$C/lib-x86")
mount --bind "$R/lib-x86" "$C/lib-x86"
check "the view bound into a copy: native there" "$C/lib-x86/usr/bin/make" "$(make_in "$C")"
touch "$C/var/lib/dpkg/info/make.list"
got=$(make_in "$C")
[ -n "$got" ] && [ "$got" != "$C/lib-x86/usr/bin/make" ] &&
	ok "make's package unpacked anew in the copy: emulated there" || fail "copy: ran as [$got]"
check "and still native in the root" "$native" "$(make_in "$R")"
umount "$C/lib-x86"

check "teardown: exit 0" 0 "$(BS --teardown "$R" > "$T_DIR/out" 2>&1; echo $?)"
t_done
