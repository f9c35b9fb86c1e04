# shellcheck shell=bash
# Sourced by the driver e2e tests: a Debian source package as the archive
# has it, for drivers that take a .dsc (pbuilder, OBS's build).
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
