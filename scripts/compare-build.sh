#!/bin/bash
# compare-build.sh - build one Debian source package emulated and accelerated
# in two fresh copies of the cached armel build root, and report how the
# output packages differ, file by file.
#
# Usage: compare-build.sh [OPTION]... SOURCE=VERSION
#   --with PKG[,PKG]   packages the build needs beyond the base root (its
#                      Build-Depends); cached as a layer (buildd-root.sh)
#   --out DIR          results: MODE/*.deb, MODE/build.log, MODE/account.txt,
#                      MODE/seconds, report.txt (default: a new /var/tmp dir)
#   --sequential       emulated build first, then accelerated (for timing);
#                      by default the two run at the same time
#   --jobs N           DEB_BUILD_OPTIONS=parallel=N (default 1)
#   --keep             keep the two roots (ROOTS are printed)
#   --accelerated-only build only in the accelerated root (timing); no report
#   --no-compiler      keep the compiler emulated even when a host build of
#                      the root's exact GCC is in $ACCEL_TOOLCHAINS (default
#                      /var/cache/accel/test-store/toolchains, `make toolchain`)
#   --enable PKG[,PKG] in the accelerated root, also run these packages'
#                      programs natively (accelctl enable -p PKG)
#   --debian-cross     run the compiler as Debian's cross compiler instead
#                      (imported there with accel-build-toolchain
#                      --debian-cross; enabled with --allow-toolchain-skew)
# accel's programs come from $ACCEL_BOOTSTRAP, $ACCEL_CTL, $ACCEL_DISPATCH,
# $ACCEL_FUSEVIEW (set by `make check-e2e` and `make bench`), or from PATH.
#
# Each root gets a user `builder`; `apt-get source SOURCE=VERSION` runs in
# /build, then, as builder, `dpkg-buildpackage -us -uc -b
# --rules-requires-root`: the binary target runs under fakeroot (as sbuild
# does for packages that need it), so ownership crosses the boundary between
# emulated and native programs. The accelerated root is set up with
# accel-bootstrap (default set) under its own binfmt entry name and state
# directory; the emulated root has no view, so every armel program runs in
# qemu-arm. Both builds run under `accelctl account`.
#
# Exit status: 0 the .deb files have the same file list, modes, owners,
# sizes and contents (byte identity is reported); 1 they differ; 2 usage;
# 3 a build failed (see MODE/build.log); 4 set-up failed; 5 they differ in
# the compiler identification only (compare-debs.sh IDENTIFICATION-ONLY).
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTS=${ACCEL_ROOTS_DIR:-/var/tmp}
BOOTSTRAP=${ACCEL_BOOTSTRAP:-accel-bootstrap}
CTL=${ACCEL_CTL:-accelctl}
DISPATCH=${ACCEL_DISPATCH:-}
FUSEVIEW=${ACCEL_FUSEVIEW:-}

die() { echo "compare-build: $*" >&2; exit "${2:-4}"; }
usage() { sed -n '5,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

with="" out="" sequential=0 jobs=1 keep=0 compiler=1 only_acc=0 enable=""
while [ $# -gt 0 ]; do
	case $1 in
	--with) [ $# -ge 2 ] || usage; with=${2//,/ }; shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--enable) [ $# -ge 2 ] || usage; enable=${2//,/ }; shift 2 ;;
	--sequential) sequential=1; shift ;;
	--jobs) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; jobs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--no-compiler) compiler=0; shift ;;
	--debian-cross) compiler=cross; shift ;;
	--accelerated-only) only_acc=1; shift ;;
	-h | --help) usage ;;
	-*) echo "compare-build: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# = 1 ] || usage
spec=$1
[[ $spec =~ ^([a-z0-9][a-z0-9+.-]+)=([0-9A-Za-z.+~:-]+)$ ]] ||
	die "'$spec' is not SOURCE=VERSION (hello=2.10-3)" 2
src=${BASH_REMATCH[1]}
ver=${BASH_REMATCH[2]}
[ "$(id -u)" = 0 ] || die "must run as root (roots, mounts, binfmt_misc)" 2
[ -n "$out" ] || out=$(mktemp -d /var/tmp/accel-compare.XXXXXX)
mkdir -p "$out"
out=$(realpath "$out")

id="accel-cmp-$$"
emu=$ROOTS/$id-emulated
acc=$ROOTS/$id-accelerated
state=$out/state
binfmt_name=$id
bootstrapped=0

cleanup() {
	local rc=$?
	set +e
	if [ "$bootstrapped" = 1 ]; then
		"$BOOTSTRAP" --teardown --binfmt-name "$binfmt_name" --state-dir "$state" "$acc" \
			> /dev/null 2>&1 || echo "compare-build: teardown of $acc failed" >&2
	fi
	# Builds left running (an interrupt): end them before unmounting.
	for r in "$emu" "$acc"; do
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && kill -9 "${p#/proc/}" 2>/dev/null
		done
	done
	if [ "$keep" = 1 ]; then
		echo "compare-build: kept $emu and $acc (unmounted)" >&2
		bash "$HERE/buildd-root.sh" umount "$emu"
		bash "$HERE/buildd-root.sh" umount "$acc"
	else
		bash "$HERE/buildd-root.sh" destroy "$emu"
		bash "$HERE/buildd-root.sh" destroy "$acc"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# as_user ROOT USER: sets as_user_cmd to the command prefix that runs as USER
# in ROOT, in a login-less, clean environment like a buildd's.
as_user() {
	as_user_cmd=(chroot --userspec="$2:$2" "$1" env -i HOME="/home/$2"
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
		DEB_BUILD_OPTIONS="parallel=$jobs")
}

# in_root ROOT USER CMD...
in_root() {
	as_user "$1" "$2"
	shift 2
	"${as_user_cmd[@]}" "$@"
}

# --------------------------------------------------------------- the roots
echo "compare-build: roots $emu and $acc" >&2
# shellcheck disable=SC2086
bash "$HERE/buildd-root.sh" new "$emu" $with || die "cannot make the root $emu"
cp -a --reflink=auto "$emu" "$acc" 2>/dev/null || {
	# shellcheck disable=SC2086
	bash "$HERE/buildd-root.sh" new "$acc" $with || die "cannot make the root $acc"
}
mkdir -p "$out/src" "$out/emulated" "$out/accelerated"
for r in "$emu" "$acc"; do
	bash "$HERE/buildd-root.sh" mount "$r"
	chroot "$r" useradd -m -u 2000 builder
	mkdir -p "$r/build"
	chroot "$r" chown builder:builder /build
done

# The source, fetched once (inside the first root), unpacked in each by
# apt-get source, which finds the files already there.
in_root "$emu" builder sh -c "cd /build && apt-get source -qq --download-only '$src=$ver'" \
	> "$out/src/apt.log" 2>&1 || die "apt-get source $src=$ver failed; see $out/src/apt.log"
cp /dev/null "$out/src/files"
for f in "$emu"/build/*; do
	[ -f "$f" ] && cp "$f" "$out/src/" && basename "$f" >> "$out/src/files"
done
for r in "$emu" "$acc"; do
	[ "$r" = "$emu" ] || cp "$out"/src/*.dsc "$out"/src/*.tar.* "$r/build/"
	chroot "$r" chown -R builder:builder /build
	in_root "$r" builder sh -c "cd /build && apt-get source -qq '$src=$ver'" \
		>> "$out/src/apt.log" 2>&1 || die "unpacking $src=$ver failed; see $out/src/apt.log"
	in_root "$r" builder sh -c "cd /build/$src-* && dpkg-checkbuilddeps" \
		> "$out/src/builddeps.log" 2>&1 ||
		die "the root lacks build dependencies of $src: $(tail -n 1 "$out/src/builddeps.log"); pass --with PKG,..."
done

# accel for the second root only.
bs_args=(--binfmt-name "$binfmt_name" --state-dir "$state")
[ -z "$DISPATCH" ] || bs_args+=(--dispatcher "$DISPATCH")
[ -z "$FUSEVIEW" ] || bs_args+=(--fuseview "$FUSEVIEW")
[ -z "${ACCEL_STORE:-}" ] || bs_args+=(--store "$ACCEL_STORE")

# The host compiler (accel-build-toolchain) goes into the run's own store
# (hard links), where accel-bootstrap's default set picks it up.
toolchains=${ACCEL_TOOLCHAINS:-/var/cache/accel/test-store/toolchains}
taken=""
if [ "$compiler" != 0 ] && [ -z "${ACCEL_STORE:-}" ]; then
	for t in "$toolchains"/gcc-*; do
		[ -f "$t/.complete" ] || continue
		# The exact build, or (--debian-cross) the imported cross compiler.
		if [ "$compiler" = cross ]; then [ -f "$t/.layout" ] || continue; else [ ! -f "$t/.layout" ] || continue; fi
		mkdir -p "$state/store/toolchains"
		cp -al "$t" "$state/store/toolchains/" 2>/dev/null || cp -a "$t" "$state/store/toolchains/"
		taken+=" ${t##*/}"
	done
fi
if [ -n "$taken" ]; then
	echo "compare-build: compiler native ($taken )" >&2
elif [ "$compiler" = cross ]; then
	die "no imported cross compiler in $toolchains (accel-build-toolchain --debian-cross ROOT --store ...)"
else
	echo "compare-build: compiler emulated" >&2
fi

setup_accel() {
	"$BOOTSTRAP" "${bs_args[@]}" "$acc" > "$out/accelerated/bootstrap.log" 2>&1 ||
		die "accel-bootstrap $acc failed: $(tail -n 1 "$out/accelerated/bootstrap.log")"
	bootstrapped=1
	# The default set takes the exact compiler only.
	[ "$compiler" != cross ] || "$CTL" --state-dir "$state" --root "$acc" enable --allow-toolchain-skew gcc \
		>> "$out/accelerated/bootstrap.log" 2>&1 ||
		die "accelctl enable --allow-toolchain-skew gcc failed: $(tail -n 1 "$out/accelerated/bootstrap.log")"
	for p in $enable; do
		"$CTL" --state-dir "$state" --root "$acc" enable -p "$p" >> "$out/accelerated/bootstrap.log" 2>&1 ||
			die "accelctl enable -p $p failed: $(tail -n 1 "$out/accelerated/bootstrap.log")"
	done
	# Running accel-bootstrap again (the restart and reboot path) keeps what
	# accelctl allowed for the root.
	[ "$compiler" != cross ] || "$BOOTSTRAP" "${bs_args[@]}" "$acc" >> "$out/accelerated/bootstrap.log" 2>&1 ||
		die "accel-bootstrap $acc again, after --allow-toolchain-skew, failed: $(tail -n 1 "$out/accelerated/bootstrap.log")"
}

# build MODE ROOT: dpkg-buildpackage under accelctl account; MODE/seconds.
build() {
	local mode=$1 root=$2 t0 t1 rc=0 as_user_cmd
	as_user "$root" builder
	t0=$(date +%s.%N)
	"$CTL" --state-dir "$state" account -n 25 -o "$out/$mode/account.txt" \
		--tsv "$out/$mode/account.tsv" -- "${as_user_cmd[@]}" \
		sh -c "cd /build/$src-* && exec dpkg-buildpackage -us -uc -b --rules-requires-root" \
		> "$out/$mode/build.log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' > "$out/$mode/seconds"
	cp "$root"/build/*.deb "$root"/build/*.buildinfo "$root"/build/*.changes \
		"$out/$mode/" 2>/dev/null || true
	echo "compare-build: $mode build: exit $rc, $(cat "$out/$mode/seconds") s" >&2
	return $rc
}

rc_emu=0 rc_acc=0
if [ "$only_acc" = 1 ]; then
	setup_accel
	build accelerated "$acc" || die "the accelerated build failed; see $out/accelerated/build.log" 3
	exit 0
elif [ "$sequential" = 1 ]; then
	build emulated "$emu" || rc_emu=$?
	setup_accel
	build accelerated "$acc" || rc_acc=$?
else
	setup_accel
	build emulated "$emu" & pid_emu=$!
	build accelerated "$acc" & pid_acc=$!
	wait $pid_emu || rc_emu=$?
	wait $pid_acc || rc_acc=$?
fi
[ $rc_emu = 0 ] || die "the emulated build failed (exit $rc_emu); see $out/emulated/build.log" 3
[ $rc_acc = 0 ] || die "the accelerated build failed (exit $rc_acc); see $out/accelerated/build.log" 3

# ------------------------------------------------------------- comparison
set +e
bash "$HERE/compare-debs.sh" "$out/emulated" "$out/accelerated" | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
echo "compare-build: results in $out" >&2
[ "$rc" != 3 ] || rc=5
exit "$rc"
