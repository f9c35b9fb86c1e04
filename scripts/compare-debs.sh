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
# Both control and data archives are compared. mtimes are shown among the
# differences but do not count against SAME-CONTENT.
#
# Exit status: 0 every package IDENTICAL or SAME-CONTENT, 1 otherwise,
# 2 usage.
set -uo pipefail

[ $# = 2 ] && [ -d "$1" ] && [ -d "$2" ] || {
	echo "usage: compare-debs.sh DIR_A DIR_B" >&2
	exit 2
}
a=$1 b=$2
tmp=$(mktemp -d /tmp/accel-debs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# listing DEB PART (control|data) OUT: one line per member: type+mode
# owner/group size link name, plus a sha256 per regular file; mtimes apart.
listing() {
	local deb=$1 part=$2 outp=$3 dir
	dir=$tmp/x.$part.$RANDOM
	mkdir -p "$dir"
	if [ "$part" = control ]; then
		dpkg-deb --ctrl-tarfile "$deb" > "$dir.tar"
	else
		dpkg-deb --fsys-tarfile "$deb" > "$dir.tar"
	fi
	# GNU tar's verbose listing: mode owner/group size date time name [-> link]
	tar -tvf "$dir.tar" --numeric-owner --full-time |
		awk '{ name = $6; for (i = 7; i <= NF; i++) name = name " " $i;
		       print $1, $2, $3, name > "/dev/stdout";
		       print name, $4 " " $5 > "'"$outp"'.mtime" }' > "$outp"
	tar -xf "$dir.tar" -C "$dir" --no-same-owner 2>/dev/null
	(cd "$dir" && find . -type f -print0 | sort -z | xargs -0r sha256sum) > "$outp.sha"
	chmod -R u+rwX "$dir" 2>/dev/null
	rm -rf "$dir" "$dir.tar"
}

status=0
names=$( (cd "$a" && ls -- *.deb 2>/dev/null; cd "$b" && ls -- *.deb 2>/dev/null) | sort -u)
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
		listing "$a/$n" $part "$tmp/a.$part"
		listing "$b/$n" $part "$tmp/b.$part"
		d=$(diff "$tmp/a.$part" "$tmp/b.$part" | grep '^[<>]' | sed "s/^</  $part A:/; s/^>/  $part B:/")
		[ -z "$d" ] || { diffs+="$d"$'\n'; content=1; }
		d=$(diff "$tmp/a.$part.sha" "$tmp/b.$part.sha" | grep '^[<>]' |
			sed "s/^</  $part contents A:/; s/^>/  $part contents B:/")
		[ -z "$d" ] || { diffs+="$d"$'\n'; content=1; }
		d=$(diff "$tmp/a.$part.mtime" "$tmp/b.$part.mtime" | grep '^[<>]' |
			sed "s/^</  $part mtime A:/; s/^>/  $part mtime B:/")
		[ -z "$d" ] || diffs+="$d"$'\n'
	done
	if [ $content = 0 ]; then
		echo "SAME-CONTENT $n (bytes differ)"
		n_same=$((n_same + 1))
	else
		echo "DIFFERENT $n"
		status=1 n_diff=$((n_diff + 1))
	fi
	printf '%s' "$diffs"
done
echo "summary: $n_ident byte-identical, $n_same same content, $n_diff different"
exit $status
