#!/bin/bash
# accel as a Debian package (issue 16): built from the tree with
# dpkg-buildpackage -us -uc -b, lintian clean (errors and warnings; what is
# overridden says why in debian/accel.lintian-overrides), and its life cycle
# on this machine: install, a root set up with the installed programs,
# remove (the prerm stops every root: the root is as it was, the state
# kept), install again (the postinst sets the roots up again, as after a
# reboot), purge (the state goes; the root is byte for byte as before).
# The install part runs in a user namespace with a binfmt_misc instance of
# its own, and only where accel is not installed already.
source "$(dirname "$0")/../lib.sh"

# The life cycle (phase 2): in the namespace, with the .deb phase 1 built.
if [ "${1:-}" = --life ]; then
	deb=$2
	t_private
	t_require
else
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v dpkg-buildpackage > /dev/null || skip "dpkg-dev is not installed"
	command -v dh > /dev/null || skip "debhelper is not installed"
	git -C "$T_SRCDIR" rev-parse --git-dir > /dev/null 2>&1 || skip "not a git checkout"

	# Phase 1, here (the unit tests of the build make device nodes, which a
	# user namespace cannot): build, look at it, lintian.
	t0=$(date +%s)
	rc=0
	deb=$("$T_SRCDIR/scripts/build-deb.sh" "$T_DIR/pkg" 2> "$T_DIR/build.log") || rc=$?
	echo "# dpkg-buildpackage (scripts/build-deb.sh): $(($(date +%s) - t0)) s"
	check "dpkg-buildpackage -us -uc -b: exit 0" 0 "$rc"
	[ "$rc" = 0 ] || { tail -30 "$T_DIR/build.log"; t_done; }
	dpkg-deb -c "$deb" | awk '{ print $6 }' > "$T_DIR/files"
	for f in ./usr/sbin/accel-bootstrap ./usr/sbin/accelctl ./usr/sbin/accel-fuseview \
		./usr/libexec/accel/accel-dispatch ./etc/schroot/setup.d/60accel \
		./lib/systemd/system/accel.service ./usr/share/bash-completion/completions/accelctl \
		./usr/share/bash-completion/completions/accel-bootstrap \
		./usr/share/man/man8/accelctl.8.gz; do
		grep -qx "$f" "$T_DIR/files" && ok "the package has $f" || fail "the package lacks $f"
	done
	if command -v lintian > /dev/null; then
		lintian "${deb%.deb}.changes" > "$T_DIR/lintian" 2>&1 || true
		grep -E '^[EW]: ' "$T_DIR/lintian" > "$T_DIR/lintian.ew" || true
		check "lintian: no error or warning" "" "$(cat "$T_DIR/lintian.ew")"
	else
		echo "# lintian is not installed: not checked"
	fi
	if dpkg-query -W -f='${Status}' accel 2> /dev/null | grep -q "ok installed"; then
		echo "# accel is installed on this machine: its life cycle is not tried here"
		t_done
	fi
	[ -e /var/lib/accel ] && { echo "# /var/lib/accel exists without the package: life cycle not tried"; t_done; }
	# Phase 2 in a namespace of its own (tests/helpers/privns).
	rc=0
	T_IN_PRIVNS=1 "$T_PRIVNS" "$BASH" "$0" --life "$deb" || rc=$?
	[ "$rc" = 77 ] && echo "# life cycle skipped (see above)"
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || fail "the life cycle failed (exit $rc)"
	t_done
fi

trap 'dpkg -P accel > /dev/null 2>&1; t_cleanup' EXIT

R=$T_DIR/root
t_mkroot "$R"
T_MOUNTS+=("$R/lib-x86")
T_ENTRIES+=(accel-armel)
before=$(t_tree_sum "$R")
printf 'all:\n\t@sleep 2\n' > "$T_DIR/sleep.mk"
cp "$T_DIR/sleep.mk" "$R/tmp/sleep.mk"
before=$(t_tree_sum "$R")
make_exe() { exe_of chroot "$R" /usr/bin/make -f /tmp/sleep.mk; }

check "dpkg -i: exit 0" 0 "$(dpkg -i "$deb" > "$T_DIR/out" 2>&1; echo $?)"
check "the installed dispatcher runs" "accel-dispatch $(sed -n 's/^PACKAGE_VERSION = //p' "$T_BUILDDIR/Makefile")" \
	"$(/usr/libexec/accel/accel-dispatch --version)"
if command -v systemd-analyze > /dev/null; then
	systemd-analyze verify /lib/systemd/system/accel.service > "$T_DIR/verify" 2>&1
	check "systemd-analyze verify accel.service: clean" "" "$(cat "$T_DIR/verify")"
fi
check "accel-bootstrap (installed) sets the root up" 0 \
	"$(accel-bootstrap --store "$T_STORE" "$R" > "$T_DIR/out" 2>&1; echo $?)"
check "make runs natively" "$R/lib-x86/usr/bin/make" "$(make_exe)"

check "dpkg -r: exit 0" 0 "$(dpkg -r accel > "$T_DIR/out" 2>&1; echo $?)"
[ -e "$R/lib-x86" ] && fail "removed: /lib-x86 is still in the root" || ok "removed: the root's view is gone"
[ -e "$BINFMT/accel-armel" ] && fail "removed: the entry is still registered" || ok "removed: no entry"
[ -e /var/lib/accel/roots ] && ok "removed: the roots' state is kept" || fail "removed: state gone"
check "removed: the root is as it was" "$before" "$(t_tree_sum "$R")"
check "removed: programs run (Debian's entry)" 3 "$(chroot "$R" /usr/bin/expr 1 + 2 2>&1)"

check "dpkg -i again: exit 0" 0 "$(dpkg -i "$deb" > "$T_DIR/out" 2>&1; echo $?)"
grep -q "1 roots: set up" "$T_DIR/out" && ok "the postinst set the root up again" ||
	fail "postinst: $(cat "$T_DIR/out")"
check "make runs natively again" "$R/lib-x86/usr/bin/make" "$(make_exe)"

check "dpkg -P: exit 0" 0 "$(dpkg -P accel > "$T_DIR/out" 2>&1; echo $?)"
[ -e /var/lib/accel ] && fail "purged: /var/lib/accel is left" || ok "purged: no state left"
[ -e "$BINFMT/accel-armel" ] && fail "purged: the entry is left" || ok "purged: no entry"
grep -q " $R/" /proc/self/mountinfo && fail "purged: something is mounted in the root" ||
	ok "purged: nothing mounted in the root"
check "purged: the root is byte for byte as before" "$before" "$(t_tree_sum "$R")"

t_done
