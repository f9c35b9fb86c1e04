#!/bin/bash
# scripts/compare-debs.sh, the comparison the end-to-end tier relies on, on
# small packages made here with dpkg-deb: it must say IDENTICAL, SAME-CONTENT
# or DIFFERENT correctly and name each differing file and property.
source "$(dirname "$0")/../lib.sh"
CMP=$T_SRCDIR/scripts/compare-debs.sh

# mkdeb DIR NAME [chmod-mode] [owner] [content] [compressor] [extra-file]
mkdeb() {
	local out=$1 name=$2 mode=${3:-0644} owner=${4:-0:0} content=${5:-hello} z=${6:-xz} extra=${7:-}
	local p=$T_DIR/pkg.$RANDOM
	mkdir -p "$p/DEBIAN" "$p/usr/share/t" "$out"
	printf 'Package: %s\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
		"$name" > "$p/DEBIAN/control"
	printf '%s\n' "$content" > "$p/usr/share/t/file"
	chmod "$mode" "$p/usr/share/t/file"
	[ -z "$extra" ] || echo x > "$p/usr/share/t/$extra"
	chown -R "$owner" "$p/usr"
	SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Z"$z" --build "$p" \
		"$out/${name}_1_all.deb" > /dev/null
	[ "$owner" = 0:0 ] || {
		# --root-owner-group forces root: build the odd one without it
		SOURCE_DATE_EPOCH=1700000000 dpkg-deb -Z"$z" --build "$p" "$out/${name}_1_all.deb" > /dev/null
	}
	rm -rf "$p"
}

run() { bash "$CMP" "$T_DIR/a" "$T_DIR/b" > "$T_DIR/out" 2>&1; echo $?; }
reset() { rm -rf "$T_DIR/a" "$T_DIR/b"; }

reset; mkdeb "$T_DIR/a" p; cp -a "$T_DIR/a" "$T_DIR/b"
check "identical packages: exit 0" 0 "$(run)"
check "identical packages: IDENTICAL" 1 "$(grep -c '^IDENTICAL p_1_all.deb' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/b" p 0644 0:0 hello gzip
check "other compression: exit 0" 0 "$(run)"
check "other compression: SAME-CONTENT" 1 "$(grep -c '^SAME-CONTENT p_1_all.deb' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/b" p 0755
check "mode differs: exit 1" 1 "$(run)"
check "mode differs: the file is named with both modes" 2 \
	"$(grep -c -- '-rw-r--r--.*file\|-rwxr-xr-x.*file' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/b" p 0644 123:456
check "owner differs: exit 1" 1 "$(run)"
check "owner differs: 123/456 shown" 1 "$(grep -c 'data B:.* 123/456 .*file' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/b" p 0644 0:0 world
check "content differs (same size): exit 1" 1 "$(run)"
check "content differs: the file's hashes" 2 "$(grep -c 'data contents [AB]:.*usr/share/t/file' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/b" p 0644 0:0 hello xz extra
check "extra file: exit 1" 1 "$(run)"
check "extra file: named" 1 "$(grep -c 'data B:.*usr/share/t/extra' "$T_DIR/out")"

reset; mkdeb "$T_DIR/a" p; mkdeb "$T_DIR/a" q; mkdeb "$T_DIR/b" p
check "missing package: exit 1" 1 "$(run)"
check "missing package: named" 1 "$(grep -c '^MISSING q_1_all.deb' "$T_DIR/out")"

check "usage: exit 2" 2 "$(bash "$CMP" "$T_DIR/nonexistent" 2>/dev/null; echo $?)"

# Compiler identification only: one program linked twice from the same
# object, once with its .comment naming another compiler version (the
# build id follows); the .deb must be IDENTIFICATION-ONLY (exit 3), and a
# program that differs in code too must stay DIFFERENT.
if command -v gcc > /dev/null && command -v objcopy > /dev/null; then
	echo 'int main(void) { return 0; }' > "$T_DIR/m.c"
	gcc -O2 -c "$T_DIR/m.c" -o "$T_DIR/m.o"
	printf 'GCC: (Debian 1.0-1) 12.2.0\0' > "$T_DIR/comment"
	objcopy --update-section .comment="$T_DIR/comment" "$T_DIR/m.o" "$T_DIR/m2.o"
	gcc -Wl,--build-id "$T_DIR/m.o" -o "$T_DIR/prog.a"
	gcc -Wl,--build-id "$T_DIR/m2.o" -o "$T_DIR/prog.b"
	check "compare-elf: identification only: exit 3" 3 \
		"$(bash "$T_SRCDIR/scripts/compare-elf.sh" "$T_DIR/prog.a" "$T_DIR/prog.b" > "$T_DIR/out" 2>&1; echo $?)"
	check "compare-elf: the strings and the build id named" 1 \
		"$(grep -c 'GCC: (Debian 1.0-1) 12.2.0.*follows from it: .note.gnu.build-id' "$T_DIR/out")"
	# Stripped as dh_strip strips (.comment goes): the build id alone.
	strip --remove-section=.comment -o "$T_DIR/prog.a.s" "$T_DIR/prog.a"
	strip --remove-section=.comment -o "$T_DIR/prog.b.s" "$T_DIR/prog.b"
	check "compare-elf: stripped, build id only: exit 4" 4 \
		"$(bash "$T_SRCDIR/scripts/compare-elf.sh" "$T_DIR/prog.a.s" "$T_DIR/prog.b.s" > /dev/null 2>&1; echo $?)"
	echo 'int main(void) { return 1; }' > "$T_DIR/n.c"
	gcc -O2 -c "$T_DIR/n.c" -o "$T_DIR/n.o"
	objcopy --update-section .comment="$T_DIR/comment" "$T_DIR/n.o"
	gcc -Wl,--build-id "$T_DIR/n.o" -o "$T_DIR/prog.c"
	check "compare-elf: other code: exit 1" 1 \
		"$(bash "$T_SRCDIR/scripts/compare-elf.sh" "$T_DIR/prog.a" "$T_DIR/prog.c" > /dev/null 2>&1; echo $?)"
	mkprog() { # DIR PROG
		local p=$T_DIR/pkg.$RANDOM
		mkdir -p "$p/DEBIAN" "$p/usr/bin"
		printf 'Package: p\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' > "$p/DEBIAN/control"
		cp "$2" "$p/usr/bin/prog"
		(cd "$p" && md5sum usr/bin/prog > DEBIAN/md5sums)
		mkdir -p "$1"
		SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group --build "$p" "$1/p_1_all.deb" > /dev/null
		rm -rf "$p"
	}
	reset; mkprog "$T_DIR/a" "$T_DIR/prog.a"; mkprog "$T_DIR/b" "$T_DIR/prog.b"
	check "identification only: exit 3" 3 "$(run)"
	check "identification only: IDENTIFICATION-ONLY" 1 "$(grep -c '^IDENTIFICATION-ONLY p_1_all.deb' "$T_DIR/out")"
	# The stripped program without its debug file: the cause is not shown.
	reset; mkprog "$T_DIR/a" "$T_DIR/prog.a.s"; mkprog "$T_DIR/b" "$T_DIR/prog.b.s"
	check "build id only, no debug file: exit 1" 1 "$(run)"
	reset; mkprog "$T_DIR/a" "$T_DIR/prog.a"; mkprog "$T_DIR/b" "$T_DIR/prog.c"
	check "other code: exit 1" 1 "$(run)"
	check "other code: DIFFERENT" 1 "$(grep -c '^DIFFERENT p_1_all.deb' "$T_DIR/out")"
fi
t_done
