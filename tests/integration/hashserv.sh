#!/bin/bash
# accelctl's hash-equivalence client ("accelctl equiv") against a stand-in for
# bitbake-hashserv (tests/helpers/hashserv-peer.py, protocol OEHASHEQUIV 1.1)
# and against a local SQLite file (--db): reports resolve to the oldest
# equivalent unihash, the first mapping of a taskhash wins, unknown hashes
# are exit 8, a 100 KiB siginfo travels chunked both ways, a bad unihash and
# an absent server are exit 9.
source "$(dirname "$0")/../lib.sh"
command -v python3 > /dev/null || skip "needs python3 (the hashserv stand-in)"
[ -x "$T_CTL" ] || { echo "missing $T_CTL (make stage)" >&2; exit 99; }

PEER=$T_SRCDIR/tests/helpers/hashserv-peer.py
METHOD=accel.outhash.OEOuthashBasic
h() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

T1=$(h task-1) T2=$(h task-2) T3=$(h task-3) T5=$(h task-5) T6=$(h task-6)
T7=$(h task-7) T8=$(h task-8) T9=$(h task-9) TU=$(h task-unknown)
O1=$(h out-1) O2=$(h out-2) O3=$(h out-3) O4=$(h out-4) O5=$(h out-5) O6=$(h out-6) O7=$(h out-7)
U5=$(h uni-5) U6=$(h uni-6)

# start_peer NAME BIND: start a stand-in logging to $T_DIR/NAME.log; its
# "ready" line goes to $T_DIR/NAME.out. Sets PEER_PID.
start_peer() {
	local name=$1 bind=$2 i
	python3 "$PEER" --bind "$bind" --log "$T_DIR/$name.log" \
		> "$T_DIR/$name.out" 2> "$T_DIR/$name.err" &
	PEER_PID=$!
	T_PIDS+=("$PEER_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$T_DIR/$name.out" 2> /dev/null && return 0
		kill -0 "$PEER_PID" 2> /dev/null || break
		sleep 0.1
	done
	sed 's/^/# peer: /' "$T_DIR/$name.err" >&2
	return 1
}

# ctl ARGS...: run accelctl (stdin from $CTL_IN, default /dev/null); its
# stdout, stderr and exit status land in $T_DIR/out, err and rc; prints
# "rc=N out=STDOUT".
ctl() {
	local rc=0
	timeout 60 "$T_CTL" "$@" > "$T_DIR/out" 2> "$T_DIR/err" < "${CTL_IN:-/dev/null}" || rc=$?
	echo "$rc" > "$T_DIR/rc"
	printf 'rc=%s out=%s' "$rc" "$(cat "$T_DIR/out")"
}

# expect DESCRIPTION RC STDOUT ARGS...: accelctl ARGS exits RC printing
# STDOUT (trailing newlines aside); its stderr is shown when it does not.
expect() {
	local d=$1 want="rc=$2 out=$3" got f=$T_FAILS; shift 3
	got=$(ctl "$@")
	check "$d" "$want" "$got"
	[ "$T_FAILS" = "$f" ] || sed 's/^/#   stderr: /' "$T_DIR/err" >&2
	echo "$got" >> "$T_DIR/seq.$LABEL"
}

# log_from NAME LINE: the lines of peer log NAME from line LINE on.
log_from() { tail -n "+$2" "$T_DIR/$1.log"; }
log_len() { echo $(($(grep -c '' "$T_DIR/$1.log") + 1)); }

# resolution LABEL BACKEND-ARGS...: the report/get sequence, the same for
# every backend (fresh storage each time).
resolution() {
	LABEL=$1; shift
	local b=("$@") m
	expect "$LABEL: first report of T1/O1 resolves to T1" 0 "$T1" equiv "${b[@]}" report "$T1" "$O1"
	expect "$LABEL: T2 with the same outhash resolves to T1" 0 "$T1" equiv "${b[@]}" report "$T2" "$O1"
	expect "$LABEL: T3 with another outhash resolves to itself" 0 "$T3" equiv "${b[@]}" report "$T3" "$O2"
	expect "$LABEL: T2 re-reported with a new outhash keeps T1 (first mapping wins)" 0 "$T1" \
		equiv "${b[@]}" report "$T2" "$O3"
	expect "$LABEL: get T2 -> T1" 0 "$T1" equiv "${b[@]}" get "$T2"
	expect "$LABEL: get T1 -> T1" 0 "$T1" equiv "${b[@]}" get "$T1"
	expect "$LABEL: get T3 -> T3" 0 "$T3" equiv "${b[@]}" get "$T3"
	expect "$LABEL: --method $METHOD is the default" 0 "$T1" equiv "${b[@]}" --method "$METHOD" get "$T2"
	expect "$LABEL: get of an unknown taskhash is exit 8" 8 "" equiv "${b[@]}" get "$TU"
	check "$LABEL: ... and prints nothing on stdout" 0 "$(wc -c < "$T_DIR/out")"

	printf '%s\n%s\n%s\n' "$T1" "$T2" "$TU" > "$T_DIR/in"
	printf '%s\n%s\n\n' "$T1" "$T1" > "$T_DIR/want"
	CTL_IN=$T_DIR/in expect "$LABEL: get-stream of T1, T2, unknown exits 0" 0 "$(cat "$T_DIR/want")" \
		equiv "${b[@]}" get-stream
	check "$LABEL: get-stream prints T1, T1 and an empty line, exactly" same \
		"$(cmp -s "$T_DIR/want" "$T_DIR/out" && echo same || od -c "$T_DIR/out" | head -5)"

	expect "$LABEL: an explicit unihash is kept for a new outhash" 0 "$U5" \
		equiv "${b[@]}" report "$T5" "$O4" "$U5"
	expect "$LABEL: a later equivalent taskhash gets the first one's unihash" 0 "$U5" \
		equiv "${b[@]}" report "$T6" "$O4" "$U6"
	expect "$LABEL: get T6 -> U5" 0 "$U5" equiv "${b[@]}" get "$T6"

	m=accel.test.OtherMethod
	expect "$LABEL: another --method does not see the default method's hashes" 8 "" \
		equiv "${b[@]}" --method "$m" get "$T2"
	expect "$LABEL: under another --method T2/O1 is new: it resolves to itself" 0 "$T2" \
		equiv "${b[@]}" --method "$m" report "$T2" "$O1"
	expect "$LABEL: ... and the default method still maps T2 to T1" 0 "$T1" equiv "${b[@]}" get "$T2"
}

# --- against the stand-in server, over a unix socket ---
start_peer peer "unix://$T_DIR/hs.sock" || { echo "the hashserv stand-in did not start" >&2; exit 99; }
UNIX_PID=$PEER_PID
HS=(--hashserv "unix://$T_DIR/hs.sock")

resolution hashserv "${HS[@]}"
check "the peer saw the OEHASHEQUIV 1.1 handshake" yes \
	"$(grep -q '^handshake OEHASHEQUIV 1.1 ' "$T_DIR/peer.log" && echo yes || echo no)"
check "the peer stored T1 under the default method $METHOD" 1 \
	"$(grep -c "^store unihash $METHOD $T1 $T1\$" "$T_DIR/peer.log")"
check "the peer's only mapping of T2 is T2 -> T1 (first mapping wins)" \
	"store unihash $METHOD $T2 $T1" "$(grep "^store unihash $METHOD $T2 " "$T_DIR/peer.log")"
check "get-stream used the protocol's stream mode" yes \
	"$(grep -q '^recv get-stream ' "$T_DIR/peer.log" && grep -q "^stream-recv get-stream $METHOD $TU " "$T_DIR/peer.log" && echo yes || echo no)"

# A 100 KiB siginfo: more than a line's 32 KiB, so chunked on the way in
# and on the way back; quotes, backslashes, tabs and newlines must travel.
# (Spaces at chunk ends are checked below.)
python3 - "$T_DIR/siginfo" << 'EOF'
import hashlib, sys
out, i = [], 0
while sum(map(len, out)) < 100 * 1024:
    d = hashlib.sha256(str(i).encode()).hexdigest()
    out.append('{"file":"./usr/lib/libt%d.so",\t"sha256":"%s",\t"path":"C:\\\\t\\\\%d"}\n' % (i, d, i))
    i += 1
text = "".join(out)[:100 * 1024 - 1] + "\n"
open(sys.argv[1], "w").write(text)
EOF
mark=$(log_len peer)
LABEL=siginfo
expect "report --siginfo (100 KiB) of T7/O5 resolves to T7" 0 "$T7" \
	equiv "${HS[@]}" report --siginfo "$T_DIR/siginfo" "$T7" "$O5"
check "the peer received the report chunked" 1 \
	"$(log_from peer "$mark" | grep -c '^recv report chunked=1 ')"
mark=$(log_len peer)
ctl equiv "${HS[@]}" get --all "$T7" > /dev/null
check "get --all T7 exits 0" 0 "$(cat "$T_DIR/rc")"
check "get --all prints one line" 1 "$(grep -c '' "$T_DIR/out")"
check "get --all returns the row with the siginfo intact" ok "$(python3 - "$T_DIR/out" "$T_DIR/siginfo" \
	"$METHOD" "$T7" "$O5" << 'EOF'
import json, sys
out, sig, method, task, outhash = sys.argv[1:]
try:
    row = json.loads(open(out).read())
except ValueError as e:
    print("not JSON: %s" % e); sys.exit()
want = {"method": method, "taskhash": task, "outhash": outhash, "unihash": task,
        "outhash_siginfo": open(sig).read()}
bad = [k for k in want if not isinstance(row, dict) or row.get(k) != want[k]]
if bad:
    got = row.get("outhash_siginfo") if isinstance(row, dict) else None
    print("differs in %s (siginfo %s chars, want %d)" % (", ".join(bad),
          len(got) if isinstance(got, str) else repr(got), len(want["outhash_siginfo"])))
else:
    print("ok")
EOF
)"
check "the peer sent the row chunked" 1 "$(log_from peer "$mark" | grep -c '^send get chunked=1 ')"
expect "get --all of an unknown taskhash is exit 8" 8 "" equiv "${HS[@]}" get --all "$TU"

# bitbake's server strips trailing whitespace off every line it reads, chunk
# lines too. A siginfo whose run of 600 spaces covers the first chunk's end
# (the report's JSON puts the siginfo about 350 characters in) must arrive
# whole: accelctl never ends a chunk on a space. Non-ASCII travels as \u
# escapes, so no chunk splits a UTF-8 sequence.
python3 -c "import sys; open(sys.argv[1], 'w').write('a' * 32300 + ' ' * 600 + 'b\u00e9' * 20000 + '\n')" "$T_DIR/siginfo2"
mark=$(log_len peer)
ctl equiv "${HS[@]}" report --siginfo "$T_DIR/siginfo2" "$T9" "$O7" > /dev/null
ctl equiv "${HS[@]}" get --all "$T9" > /dev/null
check "a siginfo with spaces at a chunk's end and non-ASCII arrives whole" yes \
	"$(python3 -c "import json, sys; print('yes' if json.load(open(sys.argv[1]))['outhash_siginfo'] == open(sys.argv[2]).read() else 'no')" "$T_DIR/out" "$T_DIR/siginfo2")"
check "the peer dropped no trailing whitespace" 0 \
	"$(log_from peer "$mark" | grep -c 'chunk-trailing-whitespace-dropped' || true)"

# Unihashes the server would refuse (invoke-error): accelctl refuses them first.
for bad in "$(echo "$T8" | tr a-f A-F)" abc123; do
	expect "report with the invalid unihash $bad is refused before it is sent (exit 2)" 2 "" equiv "${HS[@]}" report "$T8" "$O6" "$bad"
	check "... with a one-line error on stderr" 1 "$(grep -c '' "$T_DIR/err")"
	check "... that is not empty" yes "$([ -n "$(tr -d '[:space:]' < "$T_DIR/err")" ] && echo yes || echo no)"
done
expect "nothing was stored for T8" 8 "" equiv "${HS[@]}" get "$T8"
check "the peer saw no protocol error from the client" 0 "$(grep -c '^error ' "$T_DIR/peer.log")"

# No server at the address.
expect "a socket with no server is exit 9" 9 "" equiv --hashserv "unix://$T_DIR/absent.sock" get "$T1"
check "... and the error names the address" 1 "$(grep -c -F "$T_DIR/absent.sock" "$T_DIR/err")"
expect "a TCP port with no server is exit 9" 9 "" equiv --hashserv 127.0.0.1:1 get "$T1"
check "... and the error names the address" 1 "$(grep -c -F "127.0.0.1:1" "$T_DIR/err")"

kill "$UNIX_PID" 2> /dev/null || true
wait "$UNIX_PID" 2> /dev/null || true

# --- the same over TCP (HOST:PORT), when loopback TCP is available ---
if start_peer tcp 127.0.0.1:0; then
	TCP=(--hashserv "$(sed -n 's/^ready //p' "$T_DIR/tcp.out")")
	LABEL=tcp
	expect "TCP: first report of T1/O1 resolves to T1" 0 "$T1" equiv "${TCP[@]}" report "$T1" "$O1"
	expect "TCP: T2 with the same outhash resolves to T1" 0 "$T1" equiv "${TCP[@]}" report "$T2" "$O1"
	expect "TCP: get T2 -> T1" 0 "$T1" equiv "${TCP[@]}" get "$T2"
	kill "$PEER_PID" 2> /dev/null || true
	wait "$PEER_PID" 2> /dev/null || true
else
	echo "# note: no loopback TCP here; the HOST:PORT checks are left out"
fi

# --- the same resolution on a local SQLite database ---
resolution db --db "$T_DIR/equiv.db"
check "--db and --hashserv give the same answers to the same sequence" same \
	"$(cmp -s "$T_DIR/seq.hashserv" "$T_DIR/seq.db" && echo same ||
		diff "$T_DIR/seq.hashserv" "$T_DIR/seq.db" | head -5)"
t_done
