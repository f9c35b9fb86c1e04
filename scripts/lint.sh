#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lint.sh [BUILDDIR] [FILE.c...] - cppcheck and clang-tidy over every C
# source of the tree, each file with the flags the build compiles it with.
#
# BUILDDIR is a configured tree (./configure; make need not have run, but
# config.h must exist); without it, the current directory if it has a
# Makefile, else the top of the source tree. The sources are the tree's
# `git ls-files '*.c'` (find without git); FILE arguments lint just those.
#
# The compile commands come from the build itself: `make -n` with every
# source marked new (-W) prints each compile line without running it or
# touching the tree, for every program, library and check program. They are
# written as a compile_commands.json (kept with LINT_COMPDB=PATH). A file
# compiled twice (lib/canon.c: hosted in libaccel.a, freestanding in
# accel-dispatch) is linted once per set of flags, so the dispatcher's
# sources are checked with -ffreestanding -DACCEL_FREESTANDING=1. A source
# that no target compiles is a finding: it cannot be linted with the
# build's flags.
#
# clang-tidy reads its checks from .clang-tidy (the reasons for each check
# left out are there). cppcheck sees only the project's headers (-I of the
# source and build trees), not libc's or the libraries'; it knows the libc,
# POSIX and GNU functions from its own library files. False positives of
# either tool are in the suppression list below, each with its reason.
#
# Prints one line per finding, "file:line:col: tool: check: message", sorted,
# then a count on stderr. Exit status: 0 clean, 1 findings, 2 usage or
# set-up error. Environment: LINT_JOBS (default nproc), CLANG_TIDY,
# CPPCHECK (the tools), LINT_TOOLS ("cppcheck clang-tidy", the default, or
# one of them), LINT_COMPDB (also write the compile database there),
# LINT_SHOW_SUPPRESSED=1 (also print what the list suppressed), LINT_KEEP=1
# (keep the work directory: the make output, database and tool logs).
set -euo pipefail

prog=lint
die() { echo "$prog: $*" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)

case ${1:-} in
-h | --help)
	sed -n '4,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
esac
if [ $# -gt 0 ] && [ -d "$1" ]; then
	builddir=$1
	shift
elif [ -f Makefile ]; then
	builddir=.
else
	builddir=$here
fi
[ -f "$builddir/Makefile" ] ||
	die "$builddir has no Makefile: give a configured build directory (./configure)"
builddir=$(cd "$builddir" && pwd)
[ -f "$builddir/config.h" ] || die "$builddir has no config.h: run ./configure there"

jobs=${LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
tools=${LINT_TOOLS:-cppcheck clang-tidy}
pick() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 && { echo "$t"; return; }; done; }
clang_tidy=${CLANG_TIDY:-$(pick clang-tidy-14 clang-tidy)}
cppcheck=${CPPCHECK:-$(pick cppcheck)}
for t in $tools; do
	case $t in
	clang-tidy) [ -n "$clang_tidy" ] || die "clang-tidy not found: apt-get install clang-tidy" ;;
	cppcheck) [ -n "$cppcheck" ] || die "cppcheck not found: apt-get install cppcheck" ;;
	*) die "LINT_TOOLS: unknown tool $t (cppcheck, clang-tidy)" ;;
	esac
done
command -v python3 >/dev/null 2>&1 || die "python3 not found: apt-get install python3"

# ------------------------------------------------------------- suppressions
# False positives: "CHECK|PATH-GLOB|LINE-REGEX", each with its reason above
# it. CHECK is a cppcheck id or a clang-tidy check name; PATH-GLOB matches
# the file's path in the tree (a glob on the base name survives a move
# between folders); LINE-REGEX (Python, searched in the source line the
# finding points at) pins it to a construct, not a line number, so edits
# elsewhere do not break it. An entry that suppressed nothing in a full run
# is reported on stderr: remove it. For one place, a comment in the code
# ("// NOLINT(check): why", "// cppcheck-suppress id") is better still.
suppress=(
	# --- cppcheck
	# The carried qemu is one object between two assembler symbols
	# (qemu-blob.S): comparing and subtracting its bounds is what the
	# symbols are for.
	'comparePointers|dispatcher/*.c|accel_qemu_blob'
	# sl - done < n is true whenever the replacement is shorter than the
	# string it replaces (strlen(to) < sl at the only caller); cppcheck
	# takes the caller's sl for the callee's.
	'knownConditionTrueFalse|*elfview.c|sl - done < n'
	# getpwuid/getgrgid: lookup_name() runs after hash_contents() has
	# joined its threads; getpwnam("_apt") is in the single-threaded fetch.
	# No other thread uses the user database then.
	'getpwuidCalled|*outhash.c|getpwuid'
	'getgrgidCalled|*outhash.c|getgrgid'
	'getpwnamCalled|*store.c|getpwnam\("_apt"\)'

	# --- clang-tidy
	# sizeof(*p) with p a T **: the size of one element of an array of
	# pointers, the idiom. (clang-tidy 15's WarnOnSizeOfPointerToAggregate
	# turns this case off; 14 has no option.)
	'bugprone-sizeof-expression|*|sizeof\(\*[A-Za-z_][A-Za-z_0-9]*\)'
	# Adjacent literals on purpose: one long argument to dpkg-query -f, and a
	# path built around the T (triplet) macro.
	'bugprone-suspicious-missing-comma|*.c|"\$\{Package\}'
	'bugprone-suspicious-missing-comma|*test-elfview.c|" T "'
	# 'G' falls through to 'M' to 'K': each shifts by 10 more; the "clones"
	# are the fall-through.
	'bugprone-branch-clone|*.c|case .G.:'
	# getopt_long sets optarg for a required_argument option; the analyzer
	# does not know getopt.
	'clang-analyzer-core.NullDereference|*.c|\*optarg'
	# _cleanup_close_ reads fd at the end of the scope: setting it to -1
	# hands the descriptor to the DIR (the analyzer ignores cleanup
	# attributes).
	'clang-analyzer-deadcode.DeadStores|*.c|= -1; /\* owned by'
	# The analyzer sees neither into ac_fail()/ac_fail_errno() (another
	# file) nor into elfview's variadic fail() (it never inlines variadic
	# functions), so it assumes they may return 0 and follows a failure as
	# a success. Each of these is such a path: phnum is set by
	# elf_getphdrnum, owner by ac_program_check, owners[] by
	# serve_programs, buf by the read loop, all when they succeed. (The
	# macro in err.h suggested in the lint report would end this family.)
	'clang-analyzer-core.UndefinedBinaryOperatorResult|*elfview.c|i < phnum'
	'clang-analyzer-core.NullDereference|*rootdb.c|!owner->toolchain'
	'clang-analyzer-core.NullDereference|*plan.c|owners\[i\]->name'
	'clang-analyzer-core.NonNullParamChecker|*manifest.c|memchr\(text \+ at'
	# The analyzer assumes a failed pipe2/open may leave errno 0, so that
	# "return -errno" returns 0 without the pid written.
	'clang-analyzer-core.CallAndMessage|*spawn.c|ac_spawn_wait\(pid\)'
	# x or y is non-NULL while the loop runs (i < na || j < nb), so d is.
	'clang-analyzer-core.NullDereference|*view.c|d->parent'
	# The dispatcher's ac_read is a raw syscall (inline asm into rax); the
	# analyzer does not see asm outputs and calls n uninitialized.
	'clang-analyzer-core.UndefinedBinaryOperatorResult|dispatcher/*.c|n == \(long\)sizeof'
	# Numbers written by the kernel (/proc/self/statm) and by accel-fuseview
	# itself (its control reply, one module owns both ends); the matched
	# count is checked.
	'cert-err34-c|*fuseview/main.c|sscanf\(buf, "%ld %ld"'
	'cert-err34-c|*control.c|sscanf\(reply, "ok generation='
	# walk_tree carries its depth and stops at 16 levels; walk_dir at
	# WALK_MAX_DEPTH, rm_rf at RM_RF_MAX_DEPTH; dir_node recurses once per
	# component of a manifest path, at most AC_MANIFEST_MAX_DEPTH.
	'misc-no-recursion|*.c|walk_tree\('
	'misc-no-recursion|*outhash.c|^static int walk_dir\('
	'misc-no-recursion|*util.c|^static int rm_rf\('
	'misc-no-recursion|*view.c|^static struct node \*dir_node\('
)
# cppcheck checks that are noise for this code, off everywhere:
cppcheck_off=(
	# Kernel style declares a block's variables at its top; moving them in
	# is a matter of taste, not a defect (17 hits).
	variableScope
	# readdir_r is deprecated (glibc 2.24, POSIX.1-2024): readdir is
	# thread-safe for distinct DIR streams, which is all the code does.
	readdirCalled
	# The libc and library headers are left out on purpose (see above);
	# a project header cppcheck cannot find is still reported
	# (missingInclude).
	missingIncludeSystem
)

work=$(mktemp -d "${TMPDIR:-/tmp}/accel-lint.XXXXXX")
if [ -n "${LINT_KEEP:-}" ]; then
	echo "$prog: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
start=$(date +%s)

# The source tree as the build knows it (a VPATH build has its own).
makevar() {
	local refs="" v
	for v in "$@"; do refs="$refs \$($v)"; done
	printf 'lint-print-var:\n\t@echo%s\n' "$refs" |
		make -s --no-print-directory -C "$builddir" -f Makefile -f - lint-print-var
}
srcdir=$(makevar abs_top_srcdir)
[ -d "$srcdir" ] || die "cannot read abs_top_srcdir from $builddir/Makefile"
srcdir=$(cd "$srcdir" && pwd -P)
builddir=$(cd "$builddir" && pwd -P)

# ------------------------------------------------------------------ sources
full=1
if [ $# -gt 0 ]; then
	full=0
	for f in "$@"; do
		case $f in
		/*) f=${f#"$srcdir"/} ;;
		esac
		[ -f "$srcdir/$f" ] || die "$f: no such file under $srcdir"
		echo "$f"
	done >"$work/sources"
elif git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$srcdir" ls-files '*.c' >"$work/sources"
else
	(cd "$srcdir" && find . -name '*.c' -not -path './.*' | sed 's|^\./||' | sort) >"$work/sources"
fi
[ -s "$work/sources" ] || die "no C sources found under $srcdir"
nsources=$(wc -l <"$work/sources")

# ------------------------------------------------------------ compile database
# -W FILE: "what if FILE were new"; -n prints the commands and runs none,
# and these targets reach no recursive make (automake's config.h and
# Makefile rules are not remade). Each file as make may name it: relative,
# absolute, and under $(srcdir) in a VPATH build.
targets=$(makevar LIBRARIES LTLIBRARIES PROGRAMS check_PROGRAMS check_LIBRARIES)
relsrc=$(makevar srcdir)
whatif=()
while read -r f; do
	whatif+=(-W "$f" -W "$srcdir/$f")
	[ "$relsrc" = . ] || whatif+=(-W "$relsrc/$f")
done <"$work/sources"
# shellcheck disable=SC2086
make -n -k V=1 --no-print-directory -C "$builddir" "${whatif[@]}" $targets \
	>"$work/make-n.txt" 2>"$work/make-n.err" ||
	die "make -n failed in $builddir: $(tail -n 3 "$work/make-n.err")"

# compile_commands.json, and "entries": INDEX<TAB>REL<TAB>ARGS... per
# compile of one of our sources. Sources no target compiles are findings.
python3 - "$builddir" "$srcdir" "$work" <<'PY' || exit 2
import json, os, re, shlex, sys

builddir, srcdir, work = sys.argv[1:]
text = open(f'{work}/make-n.txt').read().replace('\\\n', ' ')
wanted = [l.strip() for l in open(f'{work}/sources') if l.strip()]

def resolve(m):
    # automake: `test -f 'x.c' || echo '$(srcdir)/'`x.c
    return '' if os.path.exists(os.path.join(builddir, m.group(1))) else m.group(2)

def commands(line):
    line = re.sub(r"`test -f '([^']*)' \|\| echo '([^']*)'`", resolve, line)
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=';&|')
        lex.whitespace_split = True
        toks = list(lex)
    except ValueError:
        return
    cmd = []
    for t in toks + [';']:
        if t and set(t) <= set(';&|'):
            if cmd:
                yield cmd
            cmd = []
        else:
            cmd.append(t)

db, seen = [], set()
for line in text.splitlines():
    for cmd in commands(line):
        srcs = [a for a in cmd if a.endswith('.c')]
        if '-c' not in cmd or not srcs:
            continue
        while cmd and os.path.basename(cmd[0]) in ('ccache', 'distcc'):
            cmd = cmd[1:]
        args, skip = [], False
        for a in cmd:
            if skip:
                skip = False
            elif a in ('-o', '-MT', '-MF', '-MQ'):
                skip = True
            elif not (a in ('-MD', '-MP', '-MMD') or a.startswith('-Werror')):
                args.append(a)
        path = os.path.normpath(os.path.join(builddir, srcs[-1]))
        if not os.path.exists(path):
            # -W NAME makes make take NAME as found in the build tree, so
            # a VPATH build prints the source's name relative to srcdir.
            path = os.path.normpath(os.path.join(srcdir, srcs[-1]))
        args[len(args) - 1 - args[::-1].index(srcs[-1])] = path
        key = (path, tuple(args))
        if key not in seen:
            seen.add(key)
            db.append({'directory': builddir, 'file': path, 'arguments': args})
json.dump(db, open(f'{work}/compile_commands.json', 'w'), indent=1)

built = set()
with open(f'{work}/entries', 'w') as out:
    for i, e in enumerate(db):
        rel = os.path.relpath(e['file'], srcdir)
        built.add(rel)
        if rel in wanted:
            out.write('\t'.join([str(i), rel] + e['arguments']) + '\n')
with open(f'{work}/findings', 'w') as out:
    for f in wanted:
        if f not in built:
            out.write(f'{srcdir}/{f}:1:1: lint: not-built: no target of the build '
                      'compiles this file, so it cannot be linted with its flags\n')
PY
[ -z "${LINT_COMPDB:-}" ] || cp "$work/compile_commands.json" "$LINT_COMPDB"

# ------------------------------------------------------------------ cppcheck
cppcheck_cfg() {
	# gnu.cfg (cppcheck 2.10) marks accept4's addrlen not-null; POSIX lets
	# both addr and addrlen be NULL (fuseview's control socket does that).
	# Use a copy without that one mark; the original if it is not found.
	local cfg
	for cfg in "$(dirname "$(readlink -f "$(command -v "$cppcheck")")")/cfg/gnu.cfg" \
		/usr/lib/*/cppcheck/cfg/gnu.cfg /usr/share/cppcheck/cfg/gnu.cfg \
		/usr/local/share/Cppcheck/cfg/gnu.cfg; do
		[ -f "$cfg" ] || continue
		python3 - "$cfg" "$work/gnu.cfg" <<'PY' && { echo "$work/gnu.cfg"; return; }
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r'<function name="accept4">.*?</function>',
           lambda m: m.group(0).replace('<not-null/>', ''), s, count=1, flags=re.S)
open(sys.argv[2], 'w').write(s)
PY
	done
	echo gnu
}

# Criterion's TestSuite() and Test() (criterion.h is a library header, not
# given to cppcheck): without them, cppcheck stops at "unknown macro" and
# checks no test.
criterion_cfg() {
	cat >"$work/criterion.cfg" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <define name="TestSuite(...)" value=""/>
  <define name="Test(suite, name, ...)" value="void suite##_##name(void); void suite##_##name(void)"/>
</def>
EOF
	echo "$work/criterion.cfg"
}

run_cppcheck() {
	local gnucfg critcfg groups sup=()
	gnucfg=$(cppcheck_cfg)
	critcfg=$(criterion_cfg)
	for s in "${cppcheck_off[@]}"; do sup+=("--suppress=$s"); done
	# One cppcheck run per set of preprocessor flags (-D, -U, and -I of the
	# project only), with its files.
	groups=$(python3 - "$work/entries" "$srcdir" "$builddir" <<'PY'
import os, sys
srcdir, builddir = sys.argv[2], sys.argv[3]
inside = lambda d: any(d == t or d.startswith(t + '/') for t in (srcdir, builddir))
groups = {}
for line in open(sys.argv[1]):
    i, rel, *args = line.rstrip('\n').split('\t')
    flags, nxt = [], None
    for a in args[1:]:
        if nxt:
            a, nxt = nxt + a, None
        elif a in ('-I', '-D', '-U'):
            nxt = a
            continue
        if a.startswith('-I'):
            d = os.path.normpath(os.path.join(builddir, a[2:]))
            if inside(d) and '-I' + d not in flags:
                flags.append('-I' + d)
        elif a.startswith(('-D', '-U')):
            flags.append(a)
    files = groups.setdefault(tuple(flags), [])
    if os.path.join(srcdir, rel) not in files:
        files.append(os.path.join(srcdir, rel))
for flags, files in groups.items():
    print('\t'.join(flags) + '\n' + '\t'.join(files))
PY
)
	while IFS= read -r flagline && IFS= read -r fileline; do
		local flags=() files=()
		IFS=$'\t' read -r -a flags <<<"$flagline"
		IFS=$'\t' read -r -a files <<<"$fileline"
		"$cppcheck" -q -j "$jobs" --language=c --std=c11 --platform=unix64 \
			--library=posix --library="$gnucfg" --library="$critcfg" \
			--enable=warning,style,performance,portability,missingInclude \
			--inline-suppr "${sup[@]}" \
			-D__GNUC__=12 -D__linux__ -D__x86_64__ "${flags[@]}" \
			--template='{file}:{line}:{column}: cppcheck: {id}: {message}' \
			--error-exitcode=1 "${files[@]}" </dev/null >>"$work/cppcheck.log" 2>&1 || true
	done <<<"$groups"
	# Keep the finding lines (cppcheck adds the code and a ^ under them).
	grep -E '^[^ ]+:[0-9]+:[0-9]+: cppcheck: ' "$work/cppcheck.log" >>"$work/findings" || true
	if grep -qE '^(cppcheck|error|Error|Failed)' "$work/cppcheck.log"; then
		grep -E '^(cppcheck|error|Error|Failed)' "$work/cppcheck.log" >&2
		die "cppcheck failed"
	fi
}

# ---------------------------------------------------------------- clang-tidy
run_clang_tidy() {
	# One run per file: clang-tidy lints it once for each compile command
	# of the database (both configurations of lib/canon.c). Headers are
	# reported through the files that include them (once: sort -u below).
	# shellcheck disable=SC2016 # the sh -c script expands its own arguments
	cut -f2 "$work/entries" | sort -u |
		xargs -r -P "$jobs" -I{} sh -c '
			out=$1/tidy.$(echo "$3" | tr / _)
			"$2" -p "$1" --quiet --header-filter="^$4/" \
				--extra-arg=-Wno-unknown-warning-option \
				"$4/$3" >"$out" 2>"$out.err"
			[ $? -lt 128 ] || { echo "$3: clang-tidy crashed" >>"$1/tidy-failed"; }
		' sh "$work" "$clang_tidy" {} "$srcdir"
	[ ! -s "$work/tidy-failed" ] || { cat "$work/tidy-failed" >&2; die "clang-tidy failed"; }
	cat "$work"/tidy.* 2>/dev/null |
		sed -nE 's/^([^ ]+:[0-9]+:[0-9]+): (warning|error): (.*) \[([^]]+)\]$/\1: clang-tidy: \4: \3/p' \
			>>"$work/findings" || true
}

for t in $tools; do
	case $t in
	cppcheck) run_cppcheck ;;
	clang-tidy) run_clang_tidy ;;
	esac
done

# ------------------------------------------------------------------- report
printf '%s\n' "${suppress[@]}" >"$work/suppress"
set +e
python3 - "$work" "$builddir" "$srcdir" "$full" "${LINT_SHOW_SUPPRESSED:-0}" "$tools" <<'PY'
import fnmatch, os, re, sys

work, builddir, srcdir, full, show, tools = sys.argv[1:]
rules = []
for l in open(f'{work}/suppress'):
    l = l.rstrip('\n')
    if l:
        check, glob, rx = l.split('|', 2)
        rules.append([check, glob, re.compile(rx), 0, l])
lines = {}
def source_line(path, n):
    if path not in lines:
        try:
            lines[path] = open(os.path.join(srcdir, path), errors='replace').read().split('\n')
        except OSError:
            lines[path] = []
    return lines[path][n - 1] if 0 < n <= len(lines[path]) else ''

kept, dropped = set(), set()
for l in open(f'{work}/findings'):
    m = re.match(r'^(.+?):(\d+):(\d+): (\S+): (\S+): (.*)$', l.rstrip('\n'))
    if not m:
        continue
    path, line, col, tool, check, msg = m.groups()
    path = os.path.normpath(os.path.join(builddir, path))
    rel = os.path.relpath(path, srcdir)
    if rel.startswith('../'):
        continue        # a system or library header: not ours
    line, col = int(line), int(col)
    text = source_line(rel, line)
    finding = (rel, line, col, f'{tool}: {check}: {msg}')
    for r in rules:
        if check in r[0].split(',') and fnmatch.fnmatch(rel, r[1]) and r[2].search(text):
            r[3] += 1
            dropped.add(finding)
            break
    else:
        kept.add(finding)
for f in sorted(kept):
    print('%s:%d:%d: %s' % f)
if show == '1':
    for f in sorted(dropped):
        print('suppressed: %s:%d:%d: %s' % f)
ran = set(tools.split())
if full == '1':
    for r in rules:
        # cppcheck ids are one camelCase word; clang-tidy names have dashes.
        tool = 'clang-tidy' if '-' in r[0] else 'cppcheck'
        if not r[3] and tool in ran:
            print(f'lint: the suppression "{r[4]}" matched nothing; remove it?', file=sys.stderr)
open(f'{work}/counts', 'w').write(f'{len(kept)} {len(dropped)}\n')
sys.exit(1 if kept else 0)
PY
rc=$?
set -e
read -r nkept ndropped <"$work/counts" || die "the report failed"
echo "$prog: $nkept finding(s), $ndropped suppressed, in $nsources C files ($tools; $(($(date +%s) - start)) s)" >&2
exit "$rc"
