#!/usr/bin/env python3
# tests/helpers/hashserv-peer.py - a stand-in for bitbake-hashserv, written
# for accel's tests from the documented behaviour of its "OEHASHEQUIV 1.1"
# protocol (bitbake-hashserv is not packaged in Debian 12). Standard library
# only. It serves the subset accel's hash-equivalence client uses:
# ping, get (all true/false), get-outhash, report, report-equiv, get-stream
# and exists-stream; any other command closes the connection.
#
#   hashserv-peer.py --bind unix://PATH [--log FILE] [--database FILE]
#   hashserv-peer.py --bind HOST:PORT ...     (TCP; port 0 picks one)
#
# Prints "ready" (TCP: "ready HOST:PORT") on stdout once it listens; exits 0
# on SIGTERM/SIGINT and removes its socket. --log appends one line per event:
#   connect conn=N
#   handshake OEHASHEQUIV 1.1 conn=N         | reject ... conn=N
#   header TAG: VALUE conn=N
#   recv CMD chunked=0|1 bytes=N conn=N      (a JSON message received)
#   send CMD chunked=0|1 bytes=N conn=N      (a JSON message sent)
#   stream-recv CMD LINE conn=N | stream-send CMD LINE conn=N | stream CMD end conn=N
#   store outhash METHOD TASKHASH OUTHASH    | store unihash METHOD TASKHASH UNIHASH
#   invoke-error CMD MESSAGE conn=N          (reply sent, then the connection closes)
#   error MESSAGE conn=N                     (connection closed without a reply)
#   eof conn=N                               (the client closed between lines)
#   note chunk-trailing-whitespace-dropped conn=N
#   close conn=N
# bytes counts the UTF-8 bytes of the JSON text, without framing.
#
# Wire rules it keeps, as the real server does:
# - every received line loses its trailing whitespace (not only "\n"), also
#   each piece of a chunked message, before it is parsed or joined;
# - a message whose JSON text has 32767 characters or more is framed as
#   {"chunk-stream": null}, pieces of 32767 characters each on their own
#   line, then an empty line; replies use json.dumps' default separators;
# - lines are read with asyncio's default 64 KiB limit: a longer line ends
#   the connection.
import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import sys
from datetime import datetime, timezone

PROTO_NAME = "OEHASHEQUIV"
MAX_CHUNK = 32 * 1024
UNIHASH_RE = re.compile(r"[0-9a-f]{64}")

OUTHASH_COLS = ("method", "taskhash", "outhash", "created", "owner", "PN", "PV",
                "PR", "task", "outhash_siginfo")
REPORT_EXTRA = ("owner", "PN", "PV", "PR", "task", "outhash_siginfo")


class Closed(Exception):
    """The connection ends (peer gone, or a rule says close)."""


class Eof(Closed):
    """The client closed the connection between lines: a normal end."""


class InvokeError(Exception):
    """Answered with {"invoke-error": {"message": ...}}, then closed."""


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None

    def __call__(self, text):
        if self.f:
            self.f.write(text + "\n")
            self.f.flush()


class Store:
    """The two tables of the server's SQLite schema, same names/columns."""

    def __init__(self, path, log):
        self.log = log
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS unihashes_v3 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                method TEXT NOT NULL, taskhash TEXT NOT NULL,
                unihash TEXT NOT NULL, gc_mark TEXT NOT NULL,
                UNIQUE(method, taskhash));
            CREATE TABLE IF NOT EXISTS outhashes_v2 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                method TEXT NOT NULL, taskhash TEXT NOT NULL,
                outhash TEXT NOT NULL, created DATETIME,
                owner TEXT, PN TEXT, PV TEXT, PR TEXT, task TEXT,
                outhash_siginfo TEXT,
                UNIQUE(method, taskhash, outhash));
            CREATE INDEX IF NOT EXISTS peer_taskhash ON unihashes_v3 (method, taskhash);
            CREATE INDEX IF NOT EXISTS peer_unihash ON unihashes_v3 (unihash);
            CREATE INDEX IF NOT EXISTS peer_outhash ON outhashes_v2 (method, outhash);
        """)

    def one(self, sql, args):
        row = self.db.execute(sql, args).fetchone()
        return None if row is None else row

    # The outhash row first, then the unihash row's own columns; a name
    # that occurs twice keeps its first place and the first value.
    JOINED = """SELECT o.id, o.method, o.taskhash, o.outhash, o.created,
                       o.owner, o.PN, o.PV, o.PR, o.task, o.outhash_siginfo,
                       u.unihash, u.gc_mark
                FROM outhashes_v2 o JOIN unihashes_v3 u
                  ON u.method = o.method AND u.taskhash = o.taskhash """

    def equivalent(self, method, taskhash):
        return self.one("SELECT taskhash, method, unihash FROM unihashes_v3 "
                        "WHERE method = ? AND taskhash = ?", (method, taskhash))

    def full_by_taskhash(self, method, taskhash):
        return self.one(self.JOINED + "WHERE o.method = ? AND o.taskhash = ? "
                        "ORDER BY o.created ASC, o.id ASC LIMIT 1", (method, taskhash))

    def full_by_outhash(self, method, outhash):
        return self.one(self.JOINED + "WHERE o.method = ? AND o.outhash = ? "
                        "ORDER BY o.created ASC, o.id ASC LIMIT 1", (method, outhash))

    def outhash_row(self, method, outhash):
        return self.one("SELECT id, " + ", ".join(OUTHASH_COLS) + " FROM outhashes_v2 "
                        "WHERE method = ? AND outhash = ? "
                        "ORDER BY created ASC, id ASC LIMIT 1", (method, outhash))

    def oldest_other(self, method, outhash, taskhash):
        """The oldest other taskhash with this outhash that has a unihash."""
        return self.one("SELECT o.taskhash AS taskhash, u.unihash AS unihash "
                        "FROM outhashes_v2 o JOIN unihashes_v3 u "
                        "  ON u.method = o.method AND u.taskhash = o.taskhash "
                        "WHERE o.method = ? AND o.outhash = ? AND o.taskhash != ? "
                        "ORDER BY o.created ASC, o.id ASC LIMIT 1",
                        (method, outhash, taskhash))

    def unihash_exists(self, unihash):
        return self.one("SELECT 1 FROM unihashes_v3 WHERE unihash = ? LIMIT 1",
                        (unihash,)) is not None

    def insert_unihash(self, method, taskhash, unihash):
        """INSERT OR IGNORE: the first mapping of a taskhash wins."""
        cur = self.db.execute("INSERT OR IGNORE INTO unihashes_v3 "
                              "(method, taskhash, unihash, gc_mark) VALUES (?, ?, ?, '')",
                              (method, taskhash, unihash))
        self.db.commit()
        if cur.rowcount:
            self.log("store unihash %s %s %s" % (method, taskhash, unihash))
        return cur.rowcount > 0

    def insert_outhash(self, data):
        keys = [k for k in OUTHASH_COLS if k in data]
        cur = self.db.execute("INSERT OR IGNORE INTO outhashes_v2 (%s) VALUES (%s)" % (
            ", ".join(keys), ", ".join("?" for _ in keys)), [data[k] for k in keys])
        self.db.commit()
        if cur.rowcount:
            self.log("store outhash %s %s %s" % (data["method"], data["taskhash"], data["outhash"]))
        return cur.rowcount > 0


def as_dict(row):
    return None if row is None else {k: row[k] for k in row.keys()}


class Conn:
    def __init__(self, server, reader, writer, num):
        self.server = server
        self.store = server.store
        self.reader = reader
        self.writer = writer
        self.tag = "conn=%d" % num
        self.cmd = "-"

    def log(self, text):
        self.server.log("%s %s" % (text, self.tag))

    # --- lines and messages ---
    async def recv_line(self):
        try:
            raw = await self.reader.readline()
        except ValueError as e:  # longer than the reader's limit
            raise Closed("line longer than %d bytes: %s" % (self.server.limit, e))
        if not raw:
            raise Eof("connection closed by client")
        if not raw.endswith(b"\n"):
            raise Closed("incomplete last line %r" % raw[:80])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Closed("line is not UTF-8: %s" % e)
        return text.rstrip()

    async def send_line(self, text):
        self.writer.write((text + "\n").encode("utf-8"))
        await self.writer.drain()

    async def recv_message(self):
        """Returns (message, chunked, json_text)."""
        text = await self.recv_line()
        msg = self.loads(text)
        if not msg:
            return msg, False, text
        try:
            chunked = "chunk-stream" in msg
        except TypeError:
            raise Closed("message of type %s" % type(msg).__name__)
        if not chunked:
            return msg, False, text
        pieces = []
        while True:
            try:
                raw = await self.reader.readline()
            except ValueError as e:
                raise Closed("chunk longer than %d bytes: %s" % (self.server.limit, e))
            if not raw:
                raise Closed("connection closed inside a chunked message")
            if not raw.endswith(b"\n"):
                raise Closed("incomplete last line inside a chunked message")
            try:
                piece = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise Closed("chunk is not UTF-8: %s" % e)
            stripped = piece.rstrip()
            if not stripped:
                break
            if len(stripped) != len(piece) - 1:
                self.log("note chunk-trailing-whitespace-dropped")
            pieces.append(stripped)
        text = "".join(pieces)
        return self.loads(text), True, text

    def loads(self, text):
        try:
            return json.loads(text)
        except ValueError as e:
            raise Closed("bad JSON: %s" % e)

    async def send_message(self, msg):
        text = json.dumps(msg)
        chunked = len(text) >= MAX_CHUNK - 1
        self.log("send %s chunked=%d bytes=%d" % (self.cmd, chunked, len(text.encode("utf-8"))))
        if not chunked:
            self.writer.write((text + "\n").encode("utf-8"))
        else:
            out = [json.dumps({"chunk-stream": None}) + "\n"]
            step = MAX_CHUNK - 1
            for i in range(0, len(text), step):
                out.append(text[i:i + step] + "\n")
            out.append("\n")
            self.writer.write("".join(out).encode("utf-8"))
        await self.writer.drain()

    # --- the session ---
    async def run(self):
        self.log("connect")
        try:
            await self.handshake()
            while True:
                msg, chunked, text = await self.recv_message()
                if msg is None:
                    self.log("recv null chunked=%d bytes=%d" % (chunked, len(text.encode("utf-8"))))
                    break
                handler = None
                if isinstance(msg, dict):
                    for name, h in self.server.handlers:
                        if name in msg:
                            handler, self.cmd = h, name
                            break
                self.log("recv %s chunked=%d bytes=%d" % (
                    self.cmd if handler else "?", chunked, len(text.encode("utf-8"))))
                if handler is None:
                    raise Closed("unrecognized command %.200s" % text)
                try:
                    reply = await handler(self, msg[self.cmd])
                except InvokeError as e:
                    self.log("invoke-error %s %s" % (self.cmd, e))
                    await self.send_message({"invoke-error": {"message": str(e)}})
                    break
                except (KeyError, TypeError, AttributeError, ValueError) as e:
                    raise Closed("bad %s request: %r" % (self.cmd, e))
                if reply is not NO_RESPONSE:
                    await self.send_message(reply)
                self.cmd = "-"
        except Eof:
            self.log("eof")
        except Closed as e:
            self.log("error %s" % e)
        except (ConnectionError, OSError) as e:
            self.log("error %s" % e)
        finally:
            self.log("close")
            try:
                self.writer.close()
            except Exception:
                pass

    async def handshake(self):
        first = await self.recv_line()
        if not first:
            raise Closed("empty protocol line")
        parts = first.split()
        if len(parts) != 2:
            raise Closed("bad protocol line %r" % first)
        name, version = parts
        try:
            ver = tuple(int(v) for v in version.split("."))
        except ValueError:
            ver = None
        if name != PROTO_NAME or ver is None or not ((1, 0) < ver <= (1, 1)):
            self.log("reject %s %s" % (name, version))
            raise Closed("rejected protocol %r" % first)
        self.log("handshake %s %s" % (name, version))
        headers = {}
        while True:
            line = await self.recv_line()
            if not line:
                break
            if ":" not in line:
                raise Closed("bad header line %r" % line)
            tag, value = line.split(":", 1)
            headers[tag.lower()] = value.strip()
            self.log("header %s: %s" % (tag.lower(), value.strip()))
        if headers.get("needs-headers", "false") == "true":
            # The server has no headers of its own: just the end of them.
            await self.send_line("")

    # --- requests ---
    async def h_ping(self, req):
        return {"alive": True}

    async def h_get(self, req):
        method, taskhash = req["method"], req["taskhash"]
        if req.get("all", False):
            return as_dict(self.store.full_by_taskhash(method, taskhash))
        return as_dict(self.store.equivalent(method, taskhash))

    async def h_get_outhash(self, req):
        method, outhash = req["method"], req["outhash"]
        req["taskhash"]  # required by the server, unused without upstream
        if req.get("with_unihash", True):
            return as_dict(self.store.full_by_outhash(method, outhash))
        return as_dict(self.store.outhash_row(method, outhash))

    @staticmethod
    def check_unihash(value):
        if not (isinstance(value, str) and UNIHASH_RE.fullmatch(value)):
            raise InvokeError("Invalid unihash")

    async def h_report(self, req):
        self.check_unihash(req.get("unihash"))
        method, outhash, taskhash = req["method"], req["outhash"], req["taskhash"]
        row = {"method": method, "outhash": outhash, "taskhash": taskhash,
               "created": datetime.now(timezone.utc).isoformat()}
        for k in REPORT_EXTRA:
            if k in req:
                row[k] = req[k]
        if self.store.insert_outhash(row):
            other = self.store.oldest_other(method, outhash, taskhash)
            unihash = other["unihash"] if other is not None else req["unihash"]
            self.check_unihash(unihash)
            self.store.insert_unihash(method, taskhash, unihash)
        now = self.store.equivalent(method, taskhash)
        return {"taskhash": taskhash, "method": method,
                "unihash": now["unihash"] if now is not None else req["unihash"]}

    async def h_report_equiv(self, req):
        self.check_unihash(req.get("unihash"))
        method, taskhash = req["method"], req["taskhash"]
        self.store.insert_unihash(method, taskhash, req["unihash"])
        row = self.store.equivalent(method, taskhash)
        return {k: row[k] for k in ("taskhash", "method", "unihash")}

    async def stream(self, answer):
        await self.send_message("ok")
        while True:
            line = await self.recv_line()
            if not line or line == "END":
                break
            self.log("stream-recv %s %s" % (self.cmd, line))
            reply = answer(line)
            self.log("stream-send %s %s" % (self.cmd, reply))
            await self.send_line(reply)
        self.log("stream %s end" % self.cmd)
        await self.send_line("ok")
        return NO_RESPONSE

    async def h_get_stream(self, req):
        def answer(line):
            fields = line.split()
            if len(fields) != 2:
                raise Closed("bad get-stream line %r" % line)
            row = self.store.equivalent(fields[0], fields[1])
            return row["unihash"] if row is not None else ""
        return await self.stream(answer)

    async def h_exists_stream(self, req):
        return await self.stream(lambda l: "true" if self.store.unihash_exists(l) else "false")


NO_RESPONSE = object()


class Server:
    # Looked up in this order; the first name present in the message wins.
    handlers = [
        ("ping", Conn.h_ping),
        ("get", Conn.h_get),
        ("get-outhash", Conn.h_get_outhash),
        ("get-stream", Conn.h_get_stream),
        ("exists-stream", Conn.h_exists_stream),
        ("report", Conn.h_report),
        ("report-equiv", Conn.h_report_equiv),
    ]
    limit = 2 ** 16  # asyncio's default stream reader limit

    def __init__(self, args):
        self.log = Log(args.log)
        self.store = Store(args.database, self.log)
        self.bind = args.bind
        self.count = 0
        self.conns = set()
        self.path = None

    async def client(self, reader, writer):
        self.count += 1
        task = asyncio.current_task()
        self.conns.add(task)
        try:
            await Conn(self, reader, writer, self.count).run()
        except asyncio.CancelledError:
            pass  # the peer is stopping
        finally:
            self.conns.discard(task)

    async def main(self):
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if self.bind.startswith("unix://"):
            path = os.path.abspath(self.bind[len("unix://"):])
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            cwd = os.getcwd()
            try:
                # Bind by the base name: AF_UNIX paths are limited to 108 bytes.
                os.chdir(os.path.dirname(path))
                sock.bind(os.path.basename(path))
            finally:
                os.chdir(cwd)
            self.path = path
            srv = await asyncio.start_unix_server(self.client, sock=sock, limit=self.limit)
            where = "unix://" + path
            ready = "ready"
        else:
            m = re.fullmatch(r"\[([^\]]*)\]:(\d+)|([^:]*):(\d+)", self.bind)
            if not m:
                sys.exit("hashserv-peer: bad --bind %r" % self.bind)
            host = m.group(1) if m.group(1) is not None else m.group(3)
            port = int(m.group(2) or m.group(4))
            srv = await asyncio.start_server(self.client, host or None, port, limit=self.limit)
            name = srv.sockets[0].getsockname()
            where = ("[%s]:%d" if srv.sockets[0].family == socket.AF_INET6 else "%s:%d") % name[:2]
            ready = "ready " + where
        self.log("listen %s" % where)
        print(ready, flush=True)
        try:
            await stop.wait()
        finally:
            srv.close()
            for t in list(self.conns):
                t.cancel()
            if self.conns:
                await asyncio.wait(list(self.conns), timeout=2)
            if self.path:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
            self.log("exit")


def main():
    p = argparse.ArgumentParser(description="bitbake-hashserv stand-in for accel's tests")
    p.add_argument("--bind", required=True, help="unix://PATH or HOST:PORT")
    p.add_argument("--log", help="append one line per event to this file")
    p.add_argument("--database", default=":memory:", help="SQLite file (default: in memory)")
    args = p.parse_args()
    asyncio.run(Server(args).main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
