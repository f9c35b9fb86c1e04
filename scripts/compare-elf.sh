#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# compare-elf.sh A B - how two builds of one ELF file (an object, a program,
# a library, a separate debug file) differ, section by section.
#
# Prints one line and exits with:
#   0  identical                    the same bytes
#   3  compiler identification only  only .comment differs, and only in
#                                   the compilers' "GCC: (...) VERSION"
#                                   strings (they are shown), plus what
#                                   follows from those bytes: the build id
#                                   (.note.gnu.build-id, which ld computes
#                                   over the whole output) and .gnu_debuglink
#                                   (the debug file's name and checksum);
#                                   section offsets may shift with it
#   4  build id only                only .note.gnu.build-id (and
#                                   .gnu_debuglink) differ: a stripped
#                                   program whose .comment went to its debug
#                                   file, where the cause must be shown
#                                   (compare-debs.sh does)
#   1  different                    anything else (the sections are named)
#   2  usage, or a file is missing or not a little-endian ELF file
#
# This is the check for a compiler of another version whose code is the
# same (accelctl enable --allow-toolchain-skew; kbuild-notes/toolchain.md).
set -uo pipefail

[ $# = 2 ] || { echo "usage: compare-elf.sh A B" >&2; exit 2; }
cmp -s -- "$1" "$2" && { echo "identical"; exit 0; }
exec perl -e '
use strict; use warnings;
sub slurp { my $f = shift; open(my $h, "<", $f) or do { print "cannot read $f\n"; exit 2 };
	binmode $h; local $/; my $d = <$h>; return $d }
# Sections by name: [type, flags, addr, link, info, align, entsize, content].
sub parse {
	my ($f) = @_;
	my $d = slurp($f);
	unless (length($d) >= 52 && substr($d, 0, 4) eq "\x7fELF" && ord(substr($d, 5, 1)) == 1) {
		print "$f is not a little-endian ELF file\n"; exit 2;
	}
	my $c64 = ord(substr($d, 4, 1)) == 2;
	my ($shoff, $shentsize, $shnum, $shstrndx, $hdr);
	if ($c64) {
		($shoff) = unpack("Q<", substr($d, 40, 8));
		($shentsize, $shnum, $shstrndx) = unpack("v3", substr($d, 58, 6));
		$hdr = substr($d, 0, 40) . substr($d, 48, 16);     # all but e_shoff
	} else {
		($shoff) = unpack("V", substr($d, 32, 4));
		($shentsize, $shnum, $shstrndx) = unpack("v3", substr($d, 46, 6));
		$hdr = substr($d, 0, 32) . substr($d, 36, 16);
	}
	my @sh;
	for my $i (0 .. $shnum - 1) {
		my $o = $shoff + $i * $shentsize;
		if ($o + $shentsize > length($d)) { print "$f: section headers lie outside the file\n"; exit 2 }
		my @v = $c64 ? unpack("V2 Q<4 V2 Q<2", substr($d, $o, 64))
			     : unpack("V10", substr($d, $o, 40));
		# name type flags addr offset size link info align entsize
		push @sh, \@v;
	}
	my %s; my @order;
	my $strtab = $shstrndx < @sh ? substr($d, $sh[$shstrndx][4], $sh[$shstrndx][5]) : "";
	for my $v (@sh) {
		my $name = unpack("Z*", substr($strtab, $v->[0]));
		my $body = $v->[1] == 8 ? "" : substr($d, $v->[4], $v->[5]);   # SHT_NOBITS
		$name .= "#" . scalar(@order) if exists $s{$name};
		push @order, $name;
		$s{$name} = [@$v[1, 2, 3, 6, 7, 8, 9], $v->[5], $body];
	}
	# Program headers: their offsets, sizes and addresses.
	my ($phoff, $phentsize, $phnum) = $c64 ? (unpack("Q<", substr($d, 32, 8)), unpack("v", substr($d, 54, 2)), unpack("v", substr($d, 56, 2)))
					       : (unpack("V", substr($d, 28, 4)), unpack("v", substr($d, 42, 2)), unpack("v", substr($d, 44, 2)));
	my $ph = $phnum ? substr($d, $phoff, $phentsize * $phnum) : "";
	return ($hdr, $ph, \%s, \@order);
}
sub comments { my $b = shift; return grep { length } split(/\0/, $b) }
my ($a, $b) = @ARGV;
my ($ha, $pa, $sa, $oa) = parse($a);
my ($hb, $pb, $sb, $ob) = parse($b);
my (@diff, @follow);
push @diff, "ELF header" if $ha ne $hb;
push @diff, "program headers" if $pa ne $pb;
push @diff, "section list" if join(",", @$oa) ne join(",", @$ob);
my $ident = "";
for my $n (@$oa) {
	next unless exists $sb->{$n};
	my ($x, $y) = ($sa->{$n}, $sb->{$n});
	next if join("\0", @$x) eq join("\0", @$y);
	if ($n eq ".comment") {
		my @ca = comments($x->[8]); my @cb = comments($y->[8]);
		# A program holds one string per compiler that made its
		# objects (the crt files of the root keep its string).
		my @na = grep { !/^GCC: \(.*\) \S+$/ } @ca;
		my @nb = grep { !/^GCC: \(.*\) \S+$/ } @cb;
		my %ua = map { $_ => 1 } grep { /^GCC: / } @ca; my %ub = map { $_ => 1 } grep { /^GCC: / } @cb;
		if (join("\0", @na) eq join("\0", @nb)) {
			$ident = "[" . join(" + ", sort keys %ua) . "] vs [" . join(" + ", sort keys %ub) . "]";
			next;
		}
	}
	# The build id and the debug link are computed from the other bytes.
	if ($n eq ".note.gnu.build-id" || $n eq ".gnu_debuglink") {
		if (join("\0", @$x[0 .. 7]) eq join("\0", @$y[0 .. 7])) { push @follow, $n; next }   # all but the bytes
	}
	push @diff, $n;
}
if (@diff) {
	push @diff, @follow unless $ident;
	print "different: ", join(" ", @diff), "\n"; exit 1;
}
if (@follow && !$ident) {
	print "build id only: ", join(" ", @follow), "\n"; exit 4;
}
if ($ident) {
	print "compiler identification only: .comment $ident",
	      (@follow ? "; follows from it: " . join(" ", @follow) : ""), "\n";
	exit 3;
}
# Same sections and headers, other bytes: padding or section order.
print "different: bytes outside the sections\n"; exit 1;
' "$1" "$2"
