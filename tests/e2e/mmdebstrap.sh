#!/bin/bash
# mmdebstrap with accel's hooks (drivers/mmdebstrap): an armel root
# (--variant=apt) made emulated, then again with --hook-dir
# /usr/share/accel/mmdebstrap, where the root is set up for acceleration once
# its essential packages are installed and torn down before mmdebstrap packs
# it. Both tarballs (SOURCE_DATE_EPOCH set) must hold the same files, modes,
# owners and contents, and nothing of accel; nothing is left mounted or
# registered.
source "$(dirname "$0")/../lib.sh"
t_require
command -v mmdebstrap > /dev/null || skip "mmdebstrap is not installed"
MIRROR=${ACCEL_ROOT_MIRROR:-http://deb.debian.org/debian}
export SOURCE_DATE_EPOCH=1700000000
ST=$T_DIR/state
T_ENTRIES+=("$T_ID")

# listing TAR: one line per member: name, type, mode, owner, size, link,
# content hash.
listing() {
	python3 - "$1" <<'PY'
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in sorted(t.getmembers(), key=lambda m: m.name):
        h = hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else "-"
        print(m.name, m.type.decode(), oct(m.mode), m.uid, m.gid, m.size, m.linkname, h)
PY
}

mm() { # OUT [mmdebstrap options]: one run, its seconds on stdout
	local out=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	mmdebstrap --arch=armel --variant=apt "$@" bookworm "$out" "$MIRROR" > "$out.log" 2>&1 ||
		{ echo "FAILED"; return; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

# The baseline: Debian's qemu entry alone.
emu=$(mm "$T_DIR/emulated.tar")
[ "$emu" != FAILED ] || { fail "emulated mmdebstrap failed: $(tail -5 "$T_DIR/emulated.tar.log")"; t_done; }
echo "# emulated: $emu s"

export ACCEL_BOOTSTRAP=$T_BOOTSTRAP
export ACCEL_MMDEBSTRAP_OPTIONS="--state-dir $ST --store $T_STORE --binfmt-name $T_ID --dispatcher $T_DISPATCH --fuseview $T_FUSEVIEW"
acc=$(mm "$T_DIR/accel.tar" --hook-dir="$T_STAGE/usr/share/accel/mmdebstrap")
[ "$acc" != FAILED ] || { fail "mmdebstrap with accel's hooks failed: $(tail -5 "$T_DIR/accel.tar.log")"; t_done; }
echo "# with accel's hooks: $acc s"
grep -q "accel-bootstrap: .* is set up" "$T_DIR/accel.tar.log" && ok "the essential hook set the root up" ||
	fail "no set-up: $(grep -i accel "$T_DIR/accel.tar.log")"
grep -q "accel-bootstrap: .* is torn down" "$T_DIR/accel.tar.log" && ok "the customize hook tore it down" ||
	fail "no teardown: $(grep -i accel "$T_DIR/accel.tar.log")"
listing "$T_DIR/emulated.tar" > "$T_DIR/emulated.list"
listing "$T_DIR/accel.tar" > "$T_DIR/accel.list"
grep -q '^\./lib-x86' "$T_DIR/accel.list" && fail "the result holds ./lib-x86" || ok "nothing of accel in the result"
if diff "$T_DIR/emulated.list" "$T_DIR/accel.list" > "$T_DIR/diff"; then
	ok "the same files, modes, owners and contents ($(wc -l < "$T_DIR/accel.list") members)"
else
	fail "the roots differ: $(head -20 "$T_DIR/diff")"
fi
[ -z "$(ls "$ST/roots" 2>/dev/null)" ] && ok "no state left" || fail "state left: $(ls "$ST/roots")"
[ -e "$BINFMT/$T_ID" ] && fail "the entry is left" || ok "no entry left"
grep -q "mmdebstrap\..*/lib-x86" /proc/self/mountinfo && fail "a view is left mounted" || ok "no view left"

t_done
