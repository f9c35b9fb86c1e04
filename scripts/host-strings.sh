#!/bin/bash
# host-strings.sh STATE_DIR ROOT [KNOWN]
#
# The compiled-in identity of every program a set-up root runs natively
# and of the libraries the view serves it: each string of the host (amd64,
# or i386 for the assembler) build that names the host architecture
# (x86_64, x86-64, amd64, i386..i686, the host triplets), set against the
# armel build of the same version in ROOT. One line per (program, string)
# on standard output, tab-separated:
#
#   PROGRAM  CLASS  STRING  [REASON]
#
# PROGRAM is the root path of the program, or of the armel build of the
# library (/usr/lib/arm-linux-gnueabi/libpkgconf.so.3).
#
# CLASS is one of
#   same     the armel build has the very same string (a table of names)
#   table    the armel build has it inside a longer string (a table of
#            names the linker merged otherwise: LLVM's target names)
#   symbol   a dynamic symbol, DT_NEEDED or DT_SONAME name: only the loader
#            reads it, to link host code
#   text     every copy lies in an executable segment (machine code, the
#            banners hand-written assembly keeps there): no program reads it
#   dynstr   every copy lies in the dynamic string table and it is no
#            DT_RPATH/DT_RUNPATH: only the loader reads that table, through
#            the names it is given (a DT_RUNPATH removed after the link, as
#            Debian's cross binutils have, leaves its string unread there)
#   unmapped every copy lies outside every PT_LOAD segment (debug sections
#            of an unstripped library, .gnu_debugaltlink paths): never in a
#            process's memory
#   interp   PT_INTERP, which the view rewrites to its own loader
#   alias    a host multiarch path the view rewrites to its same-length alias,
#            in a file that loads code through it (the loader, dlopen callers)
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
# What to compare: each program (view path and root path are the same),
# and each library of the host multiarch directories whose armel build the
# root has under its own (view .accel/usr-lib-x/X: root /usr/lib/TRIPLET/X).
# Libraries only by a name that a served file needs (DT_NEEDED), as the
# planner retells them: another name of the same file is never loaded.
sed -n 's/^# program //p' "$manifest" | sort -u > "$tmp/programs"
awk -F'\t' '$1 ~ /^\.accel\/(usr-lib-x|lib-x|usrlib3|li3)\// { print "/" $1 }' "$tmp/files" > "$tmp/libs"
cat "$tmp/programs" "$tmp/libs" | while read -r f; do
	readelf -d "$root$VIEW$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' || true
done | LC_ALL=C sort -u > "$tmp/needed"
{
	awk '{ print $0 "\t" $0 }' "$tmp/programs"
	awk -v needed="$tmp/needed" 'BEGIN { while ((getline l < needed) > 0) want[l] = 1 }
		{ v = $0; n = split(v, part, "/"); if (!(part[n] in want)) next
		  if (sub(/^\/\.accel\/(usr-lib-x|usrlib3)\//, "/usr/lib/arm-linux-gnueabi/", v) ||
		      sub(/^\/\.accel\/(lib-x|li3)\//, "/lib/arm-linux-gnueabi/", v)) print $0 "\t" v }' "$tmp/libs"
} > "$tmp/compare"
# Does the view's file (a view path) load code, by itself or through a
# library it needs (libc and the loader aside)? As the planner decides it.
declare -A loads_memo=()
loads_code() {
	local f=$1 so lib
	[ -n "${loads_memo[$f]:-}" ] && { [ "${loads_memo[$f]}" = 1 ]; return; }
	loads_memo[$f]=0 # on the path: a cycle adds nothing
	if readelf -W --dyn-syms "$root$VIEW$f" 2>/dev/null |
		grep -qE ' (dlopen|dlmopen|_rtld_global)(@.*)?$'; then
		loads_memo[$f]=1
		return 0
	fi
	for so in $(readelf -d "$root$VIEW$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		case $so in libc.so.6 | ld-linux-x86-64.so.2 | ld-linux.so.2) continue ;; esac
		for lib in /.accel/usr-lib-x/$so /.accel/lib-x/$so /.accel/usrlib3/$so /.accel/li3/$so; do
			if [ -f "$root$VIEW$lib" ] && loads_code "$lib"; then
				loads_memo[$f]=1
				return 0
			fi
		done
	done
	return 1
}
while IFS=$'\t' read -r view prog; do
	src=$(awk -F'\t' -v v="${view#/}" '$1 == v { print $2; exit }' "$tmp/files")
	[ -n "$src" ] && [ -f "$root$VIEW$view" ] && [ -f "$root$prog" ] || continue
	head -c 4 "$root$prog" | grep -q ELF || continue
	# What the view serves (its patches applied), not the store file: each
	# string once, marked by where every copy lies: text (executable
	# segments), dynstr (the dynamic string table, which only the loader
	# reads, through the names it is given), unmapped (outside every
	# PT_LOAD segment: debug sections, never in memory), else data.
	readelf -lW "$root$VIEW$view" 2>/dev/null | awk '$1 == "LOAD" { fl = $7 $8; print (fl ~ /E/ ? "x" : "-"), $2, $5 }' |
		while read -r k o z; do echo "$k" $((o)) $((z)); done > "$tmp/segs"
	readelf -SW "$root$VIEW$view" 2>/dev/null | sed 's/^ *\[ *[0-9]*\]//' |
		awk '$1 == ".dynstr" { print "d", $4, $5 }' | while read -r k o z; do echo "$k" $((16#$o)) $((16#$z)); done >> "$tmp/segs"
	strings -a -t d -n 5 "$root$VIEW$view" | grep -E "$pattern" |
		awk -v segs="$tmp/segs" 'BEGIN { while ((getline l < segs) > 0) { split(l, f, " "); k[++n] = f[1]; so[n] = f[2]; sz[n] = f[3] } }
		{ off = $1 + 0; s = $0; sub(/^ *[0-9]+ /, "", s); x = 0; d = 0; mapped = 0
		  for (i = 1; i <= n; i++) if (off >= so[i] && off < so[i] + sz[i]) {
			if (k[i] == "x") x = 1; else if (k[i] == "d") d = 1
			if (k[i] != "d") mapped = 1 }
		  w = x ? "text" : d ? "dynstr" : mapped ? "data" : "unmapped"
		  if (!(s in where)) { where[s] = w; order[++m] = s } else if (where[s] != w) where[s] = "data" }
		END { for (i = 1; i <= m; i++) print where[order[i]] "\t" order[i] }' |
		LC_ALL=C sort -t$'\t' -k2 -u > "$tmp/host" || true
	[ -s "$tmp/host" ] || continue
	strings -a -n 3 "$root$prog" | LC_ALL=C sort -u > "$tmp/armel"
	# The names only the loader reads: dynamic symbols, DT_NEEDED, DT_SONAME.
	{ readelf -W --dyn-syms "$root$VIEW$view" 2>/dev/null | awk 'NR > 3 && $8 != "" { sub(/@.*/, "", $8); print $8 }'
	  readelf -d "$root$VIEW$view" 2>/dev/null | sed -n 's/.*(\(NEEDED\|SONAME\)).*\[\(.*\)\]$/\2/p'
	} | LC_ALL=C sort -u > "$tmp/dynnames"
	# The search paths the loader reads from the dynamic string table.
	readelf -d "$root$VIEW$view" 2>/dev/null | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]$/\2/p' > "$tmp/dynpaths"
	interp=$(readelf -l "$store/$src" 2>/dev/null |
		sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	# Only in a file that can load code does a multiarch path lead to host
	# code (accel/view/retell.h); elsewhere it names the root's data.
	loads=0
	loads_code "$view" && loads=1
	while IFS=$'\t' read -r where s; do
		reason=
		if grep -qxF -- "$s" "$tmp/armel"; then
			class=same
		elif grep -qF -- "$s" "$tmp/armel"; then
			class=table
		elif grep -qxF -- "$s" "$tmp/dynnames"; then
			class=symbol
		elif [ "$where" = text ]; then
			class=text
		elif [ "$where" = dynstr ] && ! grep -qxF -- "$s" "$tmp/dynpaths"; then
			class=dynstr
		elif [ "$where" = unmapped ]; then
			class=unmapped
		elif [ "$s" = "$interp" ]; then
			class=interp
		elif [ "$loads" = 1 ] &&
			grep -qE '(^|[^a-zA-Z0-9_.+~@$/-])/(usr/)?lib/(x86_64|i386)-linux-gnu(/|$|:)' <<<"$s"; then
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
done < "$tmp/compare"
[ "$differs" -eq 0 ]
