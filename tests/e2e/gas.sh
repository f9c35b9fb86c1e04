#!/bin/bash
# End-to-end: the root's assembler runs natively as the i386 build of its
# package and writes the bytes the emulated one writes, checked where a
# host's word size shows (kbuild-notes/toolchain.md, "as"):
#   - frag layout: a .s of the root's cc1 (-g -O2, a generated file of many
#     functions and strings) shifted against gas's obstack chunk boundaries,
#     `.rept K; nop; .endr` after .Ltext0 for K = 0 .. VARIANTS-1, each
#     variant assembled natively (through the dispatcher) and emulated (the
#     view's qemu running the armel as); objects must be identical;
#   - 32- against 64-bit expression arithmetic (values past 32 bits, shifts,
#     divisions, comparisons), non-ASCII input (UTF-8 and Latin-1 bytes in
#     strings, character constants, labels, section names and comments), and
#     .S with -g from a working directory (DW_AT_comp_dir): objects and
#     messages must be identical;
#   - the plan: as is served as an i386 program with the view's 32-bit
#     loader, the view's i386 C library carries armel's obstack defaults,
#     and accelctl account counts the assembler native.
# A kernel that runs no i386 programs, or apt without i386: skip (77).
# ACCEL_GAS_VARIANTS (default 300) sets the number of variants.
set -euo pipefail
unset MAKELEVEL MAKEFLAGS MFLAGS
: "${ACCEL_BOOTSTRAP:?run through make check-e2e}"
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VARIANTS=${ACCEL_GAS_VARIANTS:-300}
[ "$(id -u)" = 0 ] || { echo "SKIP gas: needs root"; exit 77; }
dpkg --print-foreign-architectures | grep -qx i386 ||
	{ echo "SKIP gas: apt has no i386 packages (dpkg --add-architecture i386 && apt-get update)"; exit 77; }
id="accel-gas-$$"
root=/var/tmp/$id state=/tmp/$id-state
fails=0 checks=0 bootstrapped=0
cleanup() {
	local rc=$?
	set +e
	[ "$bootstrapped" = 0 ] || "$ACCEL_BOOTSTRAP" --teardown --binfmt-name "$id" \
		--state-dir "$state" "$root" > /dev/null 2>&1
	bash "$SRCDIR/scripts/buildd-root.sh" destroy "$root"
	rm -rf "$state"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
check() { # NAME OK(0/1) [DETAIL]
	checks=$((checks + 1))
	if [ "$2" = 0 ]; then echo "ok $checks - $1"; else
		echo "not ok $checks - $1${3:+: $3}"
		fails=$((fails + 1))
	fi
}

bash "$SRCDIR/scripts/ensure-qemu-binfmt.sh"
bash "$SRCDIR/scripts/buildd-root.sh" new "$root" > /dev/null
bash "$SRCDIR/scripts/buildd-root.sh" mount "$root"
bootstrapped=1
out=$("$ACCEL_BOOTSTRAP" --no-default-set --binfmt-name "$id" --state-dir "$state" \
	--store "${ACCEL_TEST_STORE:-/var/cache/accel/test-store}" --dispatcher "$ACCEL_DISPATCH" \
	--fuseview "$ACCEL_FUSEVIEW" "$root" 2>&1) || { echo "$out"; exit 1; }
ctl() { "$ACCEL_CTL" --root "$root" --state-dir "$state" "$@"; }
if ! out=$(ctl enable as 2>&1); then
	echo "$out"
	case $out in *"runs no i386 programs"*) echo "SKIP gas: $out"; exit 77 ;; esac
	exit 1
fi

as=$(readlink -f "$root/usr/bin/as")
as=/usr/bin/${as##*/}
served=$root/lib-x86$as
hdr=$(readelf -h "$served" | sed -n 's/^ *\(Class\|Machine\): *//p' | tr '\n' ' ')
check "as ($as) is served as an i386 program ($hdr)" \
	"$([ "$hdr" = "ELF32 Intel 80386 " ]; echo $?)"
interp=$(readelf -l "$served" | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
check "its loader is the view's 32-bit one" "$([ "$interp" = /lib-x86/.accel/l2 ]; echo $?)" "$interp"
# The i386 C library: the default chunk size 4064 -> 4072 (0xfe0 -> 0xfe8)
# and alignment 4 -> 8 in _obstack_begin and _obstack_begin_1.
libc_version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' libc6)
store_libc=${ACCEL_TEST_STORE:-/var/cache/accel/test-store}/pkgs/libc6_${libc_version}_i386/lib/i386-linux-gnu/libc.so.6
changed=$({ cmp -l "$store_libc" "$root/lib-x86/.accel/li3/libc.so.6" || true; } | awk '$2 == 340 && $3 == 350' | wc -l)
check "the view's i386 libc.so.6 has armel's obstack chunk size in both functions" \
	"$([ "$changed" = 2 ]; echo $?)" "$changed"

# A .s of the root's cc1: 120 functions of branches and strings of varied
# length (so that frags of every size meet chunk ends).
mkdir -p "$root/tmp/gas"
awk 'BEGIN {
	s = 7; print "#include <stdio.h>\n#include <string.h>"
	for (f = 0; f < 120; f++) {
		s = (s * 1103515245 + 12345) % 2147483648; n = 1 + s % 10
		printf "int f%d(int x)\n{\n", f
		for (j = 0; j < n; j++) {
			s = (s * 1103515245 + 12345) % 2147483648; pad = s % 40
			str = sprintf("s%d_%d_", f, j); for (k = 0; k < pad; k++) str = str "y"
			printf "\tif (x > %d) x = x * %d + (int)strlen(\"%s\");\n", s % 1000, 2 + s % 8, str
			printf "\telse x ^= %d;\n", s % 99991
		}
		printf "\tprintf(\"%%d f%d\\n\", x);\n\treturn x;\n}\n", f
	}
}' > "$root/tmp/gas/stress.c"
chroot "$root" /lib-x86/.accel/qemu-arm-static /usr/bin/gcc -S -g -O2 -o /tmp/gas/stress.s /tmp/gas/stress.c
grep -q '^\.Ltext0:' "$root/tmp/gas/stress.s" || { echo "FAIL: no .Ltext0 in the compiler's output"; exit 1; }

cat > "$root/tmp/gas/variants.sh" <<'EOF'
# variants.sh N: assemble each variant natively and emulated; print the
# variants whose objects differ, then "done N".
cd /tmp/gas
n=$1 k=0 same=0
while [ "$k" -lt "$n" ]; do
	awk -v K="$k" '{ print } /^\.Ltext0:/ { print "\t.rept " K; print "\tnop"; print "\t.endr" }' stress.s > v.s
	as -o n.o v.s
	/lib-x86/.accel/qemu-arm-static /usr/bin/as -o e.o v.s
	if cmp -s n.o e.o; then same=$((same + 1)); else echo "differs: $k"; fi
	k=$((k + 1))
done
echo "done $n same $same"
EOF
ctl account -o "$root/tmp/gas/acct.txt" --tsv "$root/tmp/gas/acct.tsv" -- \
	chroot "$root" sh /tmp/gas/variants.sh "$VARIANTS" > "$root/tmp/gas/variants.out"
same=$(sed -n 's/^done [0-9]* same \([0-9]*\)$/\1/p' "$root/tmp/gas/variants.out")
check "$VARIANTS variants of a cc1 .s shifted against obstack chunks: identical objects ($same)" \
	"$([ "$same" = "$VARIANTS" ]; echo $?)" "$(grep differs "$root/tmp/gas/variants.out" | head -n 5 | tr '\n' ' ')"
ino=$(stat -c %i "$served")
native=$(awk -F'\t' -v i="$ino" '$1 == $2 && $4 == "native" && $8 == i' "$root/tmp/gas/acct.tsv" | wc -l)
emul=$(awk -F'\t' '$1 == $2 && $4 == "emulated" && ($9 == "as" || $9 == "arm-linux-gnuea")' "$root/tmp/gas/acct.tsv" | wc -l)
check "accelctl account: the assembler ran natively $native times, emulated through the dispatcher $emul times" \
	"$([ "$native" = "$VARIANTS" ] && [ "$emul" = 0 ]; echo $?)"

# Expressions past 32 bits: a 64-bit host's gas (BFD64) evaluates them in
# 64 bits and writes other values, silently or with other warnings.
cat > "$root/tmp/gas/expr.s" <<'EOF'
	.data
	.uleb128 0xffffffff+1
	.sleb128 -0x80000000-1
	.if (0xffffffff+1)==0
	.byte 1
	.else
	.byte 2
	.endif
	.word (0x12345678<<8)>>8
	.word 1<<32
	.word 0x80000000/2
	.word -0x80000000/2
	.word 0xffffffff>>31
	.word (-1)>>1
	.word 0x7fffffff+1
	.quad 0x100000000
	.8byte -1
	.quad 0xffffffff+1
	.if 0x80000000 > 0
	.byte 3
	.endif
	.if -1 < 0
	.byte 4
	.endif
	.word 3000000000*2
	.set big, 0xfffffff0
	.word big+0x20
	.uleb128 big*16
	.sleb128 big<<4
	.word (big+0x20)/2
EOF
# Bytes above 0x7f (signed char on x86, unsigned on ARM): UTF-8 and Latin-1
# in strings, character constants, a label, a section name, a comment.
printf '\t.data\n\t.ascii "\303\251t\303\251 \346\227\245\346\234\254 \351"\n\t.byte '"'"'\351\n\t.word '"'"'\303\n\t.byte '"'"'\\377\n@ comment \377\376\n\t.string "\\xe9\\377"\nlab\303\251l:\t.word lab\303\251l\n\t.section .rodata.\351, "a"\n\t.byte 1\n\t.ascii "\200\201\376\377"\n' \
	> "$root/tmp/gas/nonascii.s"
cat > "$root/tmp/gas/asm.S" <<'EOF'
#define X 42
	.text
	.globl f
f:	mov r0, #X
	bx lr
EOF
for f in expr.s nonascii.s; do
	chroot "$root" sh -c "cd /tmp/gas && as -o n.o $f 2> n.err; echo \$? >> n.err; /lib-x86/.accel/qemu-arm-static /usr/bin/as -o e.o $f 2> e.err; echo \$? >> e.err"
	check "$f: the same object" "$(cmp -s "$root/tmp/gas/n.o" "$root/tmp/gas/e.o"; echo $?)"
	check "$f: the same messages and status" "$(cmp -s "$root/tmp/gas/n.err" "$root/tmp/gas/e.err"; echo $?)" \
		"$(diff "$root/tmp/gas/n.err" "$root/tmp/gas/e.err" | head -n 4 | tr '\n' ' ')"
done
# .S with -g: gas writes its working directory (DW_AT_comp_dir), which must
# be the root's; the compiler driver runs as through its PATH.
mkdir -p "$root/tmp/gas/sub dir"
cp "$root/tmp/gas/asm.S" "$root/tmp/gas/sub dir/"
chroot "$root" sh -c 'cd "/tmp/gas/sub dir" && gcc -E asm.S -o asm.s && as -g -o n.o asm.s && /lib-x86/.accel/qemu-arm-static /usr/bin/as -g -o e.o asm.s'
check ".S with -g: the same object" "$(cmp -s "$root/tmp/gas/sub dir/n.o" "$root/tmp/gas/sub dir/e.o"; echo $?)"
check ".S with -g: DW_AT_comp_dir is the root's directory" \
	"$(grep -qa '/tmp/gas/sub dir' "$root/tmp/gas/sub dir/n.o"; echo $?)"
# The same through the compiler driver, which finds as on its PATH: native,
# then emulated (disabled).
chroot "$root" sh -c 'cd "/tmp/gas/sub dir" && gcc -g -c asm.S -o d.o'
ctl disable as > /dev/null
chroot "$root" sh -c 'cd "/tmp/gas/sub dir" && gcc -g -c asm.S -o de.o'
check "gcc -g -c asm.S: the same object with as native and emulated" \
	"$(cmp -s "$root/tmp/gas/sub dir/d.o" "$root/tmp/gas/sub dir/de.o"; echo $?)"

echo "gas: $((checks - fails)) of $checks checks passed"
[ "$fails" = 0 ]
