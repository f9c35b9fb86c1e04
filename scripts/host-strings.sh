#!/bin/bash
# host-strings.sh STATE_DIR ROOT [KNOWN]
#
# The compiled-in identity of every program a set-up root runs natively:
# each string of its host (amd64) build that names the host architecture
# (x86_64, x86-64, amd64, i386..i686, the host triplets), set against the
# armel build of the same version in ROOT. One line per (program, string)
# on standard output, tab-separated:
#
#   PROGRAM  CLASS  STRING  [REASON]
#
# CLASS is one of
#   same     the armel build has the very same string (a table of names)
#   interp   PT_INTERP, which the view rewrites to its own loader
#   alias    a host multiarch path the view rewrites to its same-length alias
#   debug    a .gnu_debugaltlink path (only debuggers read it)
#   known    differs, and KNOWN (tab-separated PROGRAM STRING REASON lines)
#            says why that is harmless
#   DIFFERS  differs and nothing says why: a build could tell
#
# Exit status: 0 when no line is DIFFERS, 1 when some are (or on a failure,
# with one line on stderr), 2 usage.
set -euo pipefail

die() { echo "host-strings: $*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 3 ] || { sed -n '2,3p' "$0" | sed 's/^# //' >&2; exit 2; }
state=$1 root=${2%/} known=${3:-/dev/null}
manifest=$(ls "$state"/roots/*/manifest 2>/dev/null | while read -r m; do
	[ "$(cat "${m%/manifest}/root")" = "$(cd "$root" && pwd -P)" ] && echo "$m"; done | head -1)
[ -n "$manifest" ] || die "$root is not set up in $state (no manifest names it); run accel-bootstrap"
store=$(sed -n 's/^store\t//p' "$manifest")
[ -d "$store" ] || die "the store $store of $manifest is missing"
command -v strings >/dev/null || die "strings (binutils) is needed"
[ -r "$known" ] || die "cannot read $known"

VIEW=/lib-x86
pattern='x86[_-]64|amd64|AMD64|i[3-6]86|X86_64'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
differs=0
# view path -> store source, for the file lines
awk -F'\t' '$1 == "file" { print $2 "\t" $3 }' "$manifest" > "$tmp/files"
sed -n 's/^# program //p' "$manifest" | sort -u > "$tmp/programs"
while read -r prog; do
	src=$(awk -F'\t' -v v="${prog#/}" '$1 == v { print $2; exit }' "$tmp/files")
	[ -n "$src" ] && [ -f "$root$VIEW$prog" ] || continue
	# What the view serves (its patches applied), not the store file.
	strings -a -n 5 "$root$VIEW$prog" | grep -E "$pattern" | LC_ALL=C sort -u > "$tmp/host" || true
	[ -s "$tmp/host" ] || continue
	strings -a -n 3 "$root$prog" | LC_ALL=C sort -u > "$tmp/armel"
	interp=$(readelf -l "$store/$src" 2>/dev/null |
		sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	while IFS= read -r s; do
		reason=
		if grep -qxF -- "$s" "$tmp/armel"; then
			class=same
		elif [ "$s" = "$interp" ]; then
			class=interp
		elif [[ $s == /usr/lib/debug/.dwz/* ]]; then
			class=debug
		elif grep -qE '(^|[^a-zA-Z0-9_.+~@$/-])/(usr/)?lib/x86_64-linux-gnu(/|$|:)' <<<"$s"; then
			class=alias
		elif reason=$(awk -F'\t' -v p="$prog" -v s="$s" '$1 == p && $2 == s { print $3; exit }' \
			"$known") && [ -n "$reason" ]; then
			class=known
		else
			class=DIFFERS
			differs=$((differs + 1))
		fi
		printf '%s\t%s\t%s\t%s\n' "$prog" "$class" "$s" "$reason"
	done < "$tmp/host"
done < "$tmp/programs"
[ "$differs" -eq 0 ]
