# shellcheck shell=bash disable=SC2154,SC2153
# (the caller's OUT, CACHE, key, TEMPLATE, tdir and bs_opts)
# Sourced by the driver e2e tests (sbuild, unshare, pbuilder, OBS's build):
# what each does alike. SRCDIR is the source tree.
#
# A Debian source package as the archive has it, for drivers that take a
# .dsc (pbuilder, OBS's build).
#
# e2e_source NAME VERSION DEST: the .dsc and the files its Files: field
# names, downloaded once from $ACCEL_ROOT_MIRROR (the mirror the buildd root
# uses) into $ACCEL_SRC_CACHE, copied into DEST. Prints the .dsc's path.
e2e_source() {
	local name=$1 dest=$3 dsc=$1_$2.dsc f
	local mirror=${ACCEL_ROOT_MIRROR:-http://deb.debian.org/debian}
	local cache=${ACCEL_SRC_CACHE:-/var/cache/accel/src}
	local pool=$mirror/pool/main/${name:0:1}/$name
	[[ $name == lib?* ]] && pool=$mirror/pool/main/${name:0:4}/$name
	mkdir -p "$cache" "$dest"
	_e2e_fetch() {
		[ -s "$cache/$1" ] && return
		curl -sSf -o "$cache/$1.tmp" "$pool/$1" ||
			{ echo "FAIL: cannot download $1 from $pool" >&2; return 1; }
		mv "$cache/$1.tmp" "$cache/$1"
	}
	_e2e_fetch "$dsc" || return 1
	local files
	mapfile -t files < <(sed -n '/^Files:/,/^[^ ]/{/^ /p}' "$cache/$dsc" | awk '{print $3}')
	[ ${#files[@]} -gt 0 ] || { echo "FAIL: no Files in $cache/$dsc" >&2; return 1; }
	for f in "${files[@]}"; do _e2e_fetch "$f" || return 1; done
	for f in "$dsc" "${files[@]}"; do cp "$cache/$f" "$dest/"; done
	echo "$dest/$dsc"
}

# e2e_cache_put BUILD DIR: an emulated build's .deb files and its seconds
# into the cache directory DIR, whole or not at all.
e2e_cache_put() {
	mkdir -p "$2.tmp"
	cp "$1"/*.deb "$1/seconds" "$2.tmp/"
	rm -rf "${2:?}"
	mv "$2.tmp" "$2"
}

# e2e_outcome RESULT EMULATED: what an accelerated build in RESULT (its
# accelctl account report and --tsv beside its .deb files) did against the
# emulated build's .deb files in EMULATED. Prints the account's totals and
# compare-debs' report; sets E2E_NATIVE (native tasks) and E2E_COMPARE
# (compare-debs' exit status, 0: equal).
# shellcheck disable=SC2034 # E2E_* are read by the caller
e2e_outcome() {
	E2E_NATIVE=$(awk -F'\t' 'NR > 1 && $4 == "native"' "$1/account.tsv" | wc -l)
	sed -n '1,2p' "$1/account.txt"
	E2E_COMPARE=0
	bash "$SRCDIR/scripts/compare-debs.sh" "$2" "$1" > "$1/report.txt" || E2E_COMPARE=$?
	cat "$1/report.txt"
}

# e2e_emulated BUILD-COMMAND...: the cached emulated build $CACHE/$key into
# $OUT/emulated; made first with BUILD-COMMAND (which builds into
# $OUT/emu-build) when the cache lacks it. Exits the test on failure.
e2e_emulated() {
	if ls "$CACHE/$key"/*.deb > /dev/null 2>&1; then
		echo "emulated build: cached ($CACHE/$key, $(cat "$CACHE/$key/seconds") s when built)"
	else
		echo "emulated build: $*"
		"$@" || { tail -n 30 "$OUT"/emu-build/*.out; echo "FAIL: the emulated build failed"; exit 1; }
		e2e_cache_put "$OUT/emu-build" "$CACHE/$key"
	fi
	mkdir -p "$OUT/emulated"
	cp "$CACHE/$key"/*.deb "$OUT/emulated/"
}

# e2e_template BASE: what a user does once for a driver that unpacks BASE
# anew per build: accel-template's view of it ($TEMPLATE --dir $tdir, the
# accel-bootstrap options bs_opts), its path into E2E_VIEW. Exits the test
# on failure.
# shellcheck disable=SC2034 # E2E_VIEW is read by the caller
e2e_template() {
	local t0 prep
	t0=$(date +%s.%N)
	E2E_VIEW=$(ACCEL_BOOTSTRAP=$ACCEL_BOOTSTRAP "$TEMPLATE" --dir "$tdir" base "$1" -- \
		"${bs_opts[@]}" 2> "$OUT/template.err") ||
		{ cat "$OUT/template.err"; echo "FAIL: accel-template failed"; exit 1; }
	prep=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f\n", $2 - $1 }')
	echo "accel-template: $E2E_VIEW ($prep s, once per base)"
}
