#!/bin/bash
# compare-debs.sh DIR_A DIR_B - compare the .deb files of two builds.
#
# For each package name found in either directory it prints one line:
#   IDENTICAL NAME          the two files are byte-identical
#   SAME-CONTENT NAME       same members, file list, modes, owners, sizes,
#                           link targets and contents, but other bytes differ
#                           (timestamps, compression); the differences follow
#   DIFFERENT NAME          followed by the differences, file by file
#   MISSING NAME in DIR     only one build made it
#   IDENTIFICATION-ONLY NAME  the contents differ only in the compiler
#                           identification that two compiler versions
#                           write (.comment: "GCC: (Debian 12.2.0-14)
#                           12.2.0") and in what follows from those bytes:
#                           build ids (.note.gnu.build-id), the debug
#                           files named by them (usr/lib/debug/.build-id/),
#                           .gnu_debuglink, control's Build-Ids field and
#                           md5sums; each such file is listed with the
#                           strings (scripts/compare-elf.sh). A stripped
#                           program, whose .comment went to its debug
#                           file, counts only when that debug file (in
#                           either build's packages) shows the cause
# Both control and data archives are compared. mtimes are shown among the
# differences but do not count against SAME-CONTENT.
#
# Exit status: 0 every package IDENTICAL or SAME-CONTENT, 1 otherwise,
# 2 usage, 3 the only differences are IDENTIFICATION-ONLY ones.
set -uo pipefail

[ $# = 2 ] && [ -d "$1" ] && [ -d "$2" ] || {
	echo "usage: compare-debs.sh DIR_A DIR_B" >&2
	exit 2
}
a=$1 b=$2
HERE=$(dirname "$(readlink -f "$0")")
tmp=$(mktemp -d /tmp/accel-debs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# listing DEB PART (control|data) OUT: one line per member: type+mode
# owner/group size link name, plus a sha256 per regular file; mtimes apart.
# Returns 1 if the .deb or a file in it cannot be read (two unreadable
# ones would list alike).
listing() {
	local deb=$1 part=$2 outp=$3 dir rc=0
	dir=$tmp/x.$part.$RANDOM
	mkdir -p "$dir"
	if [ "$part" = control ]; then
		dpkg-deb --ctrl-tarfile "$deb" > "$dir.tar" || rc=1
	else
		dpkg-deb --fsys-tarfile "$deb" > "$dir.tar" || rc=1
	fi
	# GNU tar's verbose listing: mode owner/group size date time name [-> link]
	tar -tvf "$dir.tar" --numeric-owner --full-time |
		awk '{ name = $6; for (i = 7; i <= NF; i++) name = name " " $i;
		       print $1, $2, $3, name > "/dev/stdout";
		       print name, $4 " " $5 > "'"$outp"'.mtime" }' > "$outp" || rc=1
	tar -xf "$dir.tar" -C "$dir" --no-same-owner 2>/dev/null
	(cd "$dir" && find . -type f -print0 | sort -z | xargs -0r sha256sum) > "$outp.sha" || rc=1
	chmod -R u+rwX "$dir" 2>/dev/null
	rm -f "$dir.tar"
	rm -rf "$outp.dir"
	mv "$dir" "$outp.dir" # for explain()
	return $rc
}

# The build ids of two builds' ELF files of the same path (not the debug
# files, which are named by them): "A-ID B-ID" lines in $tmp/ids, and the
# sed scripts that rename them in paths and texts (rename_ids).
ids_of() { readelf -nW "$1" 2>/dev/null | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p' | head -n 1; }
build_id_map() {
	local d e f ia ib x
	for d in "$tmp"/a.*.data.dir; do
		[ -d "$d" ] || continue
		e=$tmp/b.${d#"$tmp"/a.}
		(cd "$d" && find . -type f ! -path './usr/lib/debug/*') | while read -r f; do
			[ -f "$e/$f" ] && [ "$(head -c 4 "$d/$f" | od -An -c | tr -d ' ')" = 177ELF ] || continue
			ia=$(ids_of "$d/$f") ib=$(ids_of "$e/$f")
			[ -n "$ia" ] && [ -n "$ib" ] && [ "$ia" != "$ib" ] && echo "$ia $ib"
		done
	done | sort -u > "$tmp/ids"
	# In hex, in the xx/yyyy form of debug file paths, and their directory.
	for x in 1 2; do
		awk -v x=$x -v y=$((3 - x)) '{ print "s|" $x "|" $y "|g";
			print "s|" substr($x, 1, 2) "/" substr($x, 3) "|" substr($y, 1, 2) "/" substr($y, 3) "|g";
			print "s|\\.build-id/" substr($x, 1, 2) "/$|.build-id/" substr($y, 1, 2) "/|" }' \
			"$tmp/ids" > "$tmp/ids.$x.sed"
	done
}
# rename_ids [-r] FILE: A's build ids replaced by B's (-r: the other way).
rename_ids() {
	if [ "$1" = -r ]; then sed -f "$tmp/ids.2.sed" "$2"; else sed -f "$tmp/ids.1.sed" "$1"; fi
}
# debug_file_shows A B: the separate debug files of programs A and B (by
# their build ids, in any package of the two builds) differ in the
# compiler identification only; prints that, or returns 1.
debug_file_shows() {
	local ia ib da db why
	ia=$(ids_of "$1") ib=$(ids_of "$2")
	[ -n "$ia" ] && [ -n "$ib" ] || return 1
	da=$(ls "$tmp"/a.*.data.dir/usr/lib/debug/.build-id/"${ia:0:2}/${ia:2}.debug" 2> /dev/null | head -n 1)
	db=$(ls "$tmp"/b.*.data.dir/usr/lib/debug/.build-id/"${ib:0:2}/${ib:2}.debug" 2> /dev/null | head -n 1)
	[ -n "$da" ] && [ -n "$db" ] || return 1
	why=$(bash "$HERE/compare-elf.sh" "$da" "$db") && return 1
	[ $? = 3 ] || return 1
	echo "build id only, from its debug file's ${why#compiler identification only: }"
}
# explain N: are package N's differences only the compiler identification
# and what follows from it? Prints why (one line per file) and returns 0,
# or returns 1.
explain() {
	local n=$1 part f fa why rc idents="" md5
	for part in control data; do
		# Names, modes and owners, A's build ids renamed to B's (sizes
		# follow the contents, compared next).
		diff <(rename_ids "$tmp/a.$n.$part" | awk '{ $3 = ""; print }') \
			<(awk '{ $3 = ""; print }' "$tmp/b.$n.$part") > /dev/null || return 1
		# Each file whose contents differ: ELF files that differ in the
		# identification only. control and md5sums name build ids and
		# hashes: checked below.
		while read -r f; do
			[ "$part.$f" != control../control ] && [ "$part.$f" != control../md5sums ] || continue
			fa=$(echo "$f" | sed -f "$tmp/ids.2.sed")
			why=$(bash "$HERE/compare-elf.sh" "$tmp/a.$n.$part.dir/$fa" "$tmp/b.$n.$part.dir/$f" 2>&1)
			rc=$?
			# A stripped program: its build id differs, and the cause
			# must show in its debug file, shipped by either build.
			[ $rc != 4 ] || why=$(debug_file_shows "$tmp/a.$n.$part.dir/$fa" "$tmp/b.$n.$part.dir/$f") || return 1
			[ $rc = 3 ] || [ $rc = 4 ] || return 1
			idents+="  $part ${f#./}: $why"$'\n'
		done < <(rename_ids "$tmp/a.$n.$part.sha" |
			awk 'NR == FNR { h[$2] = $1; next } h[$2] != $1 { print $2 }' - "$tmp/b.$n.$part.sha")
	done
	[ -n "$idents" ] || return 1
	# control: equal once renamed (Build-Ids); md5sums: the same files, in
	# the same order, their sums differing only for the files explained.
	diff <(rename_ids "$tmp/a.$n.control.dir/control") "$tmp/b.$n.control.dir/control" > /dev/null || return 1
	md5=$tmp/b.$n.control.dir/md5sums
	if [ -f "$md5" ]; then
		rename_ids "$tmp/a.$n.control.dir/md5sums" > "$tmp/md5.a"
		[ "$(awk '{ print $2 }' "$tmp/md5.a")" = "$(awk '{ print $2 }' "$md5")" ] || return 1
		while read -r f; do
			printf '%s' "$idents" | grep -qF "  data $f: " || return 1
		done < <(diff "$tmp/md5.a" "$md5" | awk '/^>/ { print $3 }')
	fi
	printf '%s' "$idents"
	[ ! -s "$tmp/ids" ] || echo "  build ids (A -> B): $(sed 's/ / -> /' "$tmp/ids" | paste -sd, - | sed 's/,/, /g')"
	return 0
}

status=0
different=()
names=$( (cd "$a" && ls -- *.deb 2>/dev/null; cd - > /dev/null && cd "$b" && ls -- *.deb 2>/dev/null) | sort -u)
[ -n "$names" ] || { echo "no .deb files in $a or $b"; exit 1; }
n_ident=0 n_same=0 n_diff=0
for n in $names; do
	if [ ! -f "$a/$n" ] || [ ! -f "$b/$n" ]; then
		[ -f "$a/$n" ] && echo "MISSING $n in $b" || echo "MISSING $n in $a"
		status=1 n_diff=$((n_diff + 1))
		continue
	fi
	if cmp -s "$a/$n" "$b/$n"; then
		echo "IDENTICAL $n ($(stat -c %s "$a/$n") bytes, sha256 $(sha256sum < "$a/$n" | cut -c1-16))"
		n_ident=$((n_ident + 1))
		continue
	fi
	diffs=""
	# The ar members (debian-binary, control.tar.*, data.tar.*)
	ma=$(ar t "$a/$n" | tr '\n' ' ') mb=$(ar t "$b/$n" | tr '\n' ' ')
	[ "$ma" = "$mb" ] || diffs+="  ar members: [$ma] vs [$mb]"$'\n'
	content=0
	for part in control data; do
		listing "$a/$n" $part "$tmp/a.$n.$part" || { diffs+="  $part A: cannot be read"$'\n'; content=1; }
		listing "$b/$n" $part "$tmp/b.$n.$part" || { diffs+="  $part B: cannot be read"$'\n'; content=1; }
		d=$(diff "$tmp/a.$n.$part" "$tmp/b.$n.$part" | grep '^[<>]' | sed "s/^</  $part A:/; s/^>/  $part B:/")
		[ -z "$d" ] || { diffs+="$d"$'\n'; content=1; }
		d=$(diff "$tmp/a.$n.$part.sha" "$tmp/b.$n.$part.sha" | grep '^[<>]' |
			sed "s/^</  $part contents A:/; s/^>/  $part contents B:/")
		[ -z "$d" ] || { diffs+="$d"$'\n'; content=1; }
		d=$(diff "$tmp/a.$n.$part.mtime" "$tmp/b.$n.$part.mtime" | grep '^[<>]' |
			sed "s/^</  $part mtime A:/; s/^>/  $part mtime B:/")
		[ -z "$d" ] || diffs+="$d"$'\n'
	done
	if [ $content = 0 ]; then
		echo "SAME-CONTENT $n (bytes differ)"
		n_same=$((n_same + 1))
		printf '%s' "$diffs"
	else
		different+=("$n")
		printf '%s' "$diffs" > "$tmp/diffs.$n"
	fi
done
# The packages whose contents differ: explained by the compiler
# identification alone, or different.
n_idonly=0
[ ${#different[@]} = 0 ] || build_id_map
for n in "${different[@]}"; do
	if explain "$n" > "$tmp/why.$n"; then
		echo "IDENTIFICATION-ONLY $n"
		cat "$tmp/why.$n"
		n_idonly=$((n_idonly + 1))
		[ $status = 1 ] || status=3
	else
		echo "DIFFERENT $n"
		cat "$tmp/diffs.$n"
		status=1 n_diff=$((n_diff + 1))
	fi
done
echo "summary: $n_ident byte-identical, $n_same same content, $n_idonly compiler identification only, $n_diff different"
exit $status
