#!/usr/bin/env python3
"""A scripted fake PostgreSQL primary for walpull's hostile-server tests.

It speaks enough of protocol 3 (startup, trust authentication, simple
queries, COPY both ways) to answer walpull's replication commands, and
misbehaves as the scenario named on the command line says: garbage in
results, impossible timelines, silence, floods, BASE_BACKUP streams in the
wrong order, tablespace paths that leave the target. Standard library only.

    fake_primary.py PORT SCENARIO    serve until killed
"""
import io
import select
import socket
import struct
import sys
import tarfile
import threading
import time

SEGSIZE = 16 * 1024 * 1024
START = 0x3000000
BB_BIG = 3 * 1024 * 1024 + 777  # the big file of the odd backups


# Deterministic WAL bytes for the raw-reader scenarios: byte at LSN x is
# PATTERN[x % 251], so any range can be checked against pattern().
PATTERN = bytes((i * 7 + 3) % 256 for i in range(251))


def pattern(start, n):
    k = start % len(PATTERN)
    reps = (k + n) // len(PATTERN) + 1
    return (PATTERN * reps)[k:k + n]


# Message sizes that cross every boundary the raw reader has: a header
# split over reads, tiny and empty payloads, payloads around a page and
# above the server's usual 128 kB.
ODD_SIZES = [1, 7, 0, 4095, 4097, 131075, 13, 65537, 29, 8191]
# Chunks a message is dribbled out in.
DRIBBLE = [1, 3, 29, 31, 500, 7000, 2, 65536]


def lsn(v):
    return "%X/%X" % (v >> 32, v & 0xFFFFFFFF)


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def cstr(s):
    return (s if isinstance(s, bytes) else s.encode()) + b"\0"


class Conn:
    def __init__(self, sock, scenario):
        self.s = sock
        self.scenario = scenario
        self.buf = b""

    # --- low level -------------------------------------------------------
    def send(self, data):
        self.s.sendall(data)

    def recv_exact(self, n, timeout=None):
        while len(self.buf) < n:
            if timeout is not None:
                r, _, _ = select.select([self.s], [], [], timeout)
                if not r:
                    return None
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_message(self, timeout=None):
        head = self.recv_exact(5, timeout)
        if head is None:
            return None, None
        kind, length = head[:1], struct.unpack("!I", head[1:])[0]
        return kind, self.recv_exact(length - 4)

    # --- results -----------------------------------------------------------
    def result(self, columns, rows, tag="SELECT"):
        """columns: [(name, type oid)], rows: [[str|bytes|None]]"""
        body = struct.pack("!H", len(columns))
        for name, oid in columns:
            body += cstr(name) + struct.pack("!IHIhiH", 0, 0, oid, -1, -1, 0)
        out = msg(b"T", body)
        for row in rows:
            body = struct.pack("!H", len(row))
            for v in row:
                if v is None:
                    body += struct.pack("!i", -1)
                else:
                    v = v if isinstance(v, bytes) else str(v).encode()
                    body += struct.pack("!i", len(v)) + v
            out += msg(b"D", body)
        self.send(out + msg(b"C", cstr(tag)))

    def complete(self, tag):
        self.send(msg(b"C", cstr(tag)))

    def ready(self):
        self.send(msg(b"Z", b"I"))

    def error(self, text, code="XX000"):
        body = b"SERROR\0VERROR\0C" + cstr(code) + b"M" + cstr(text) + b"\0"
        self.send(msg(b"E", body))

    # --- the session -------------------------------------------------------
    def startup(self):
        while True:
            length = struct.unpack("!I", self.recv_exact(4))[0]
            body = self.recv_exact(length - 4)
            code = struct.unpack("!I", body[:4])[0]
            if code in (80877103, 80877104):  # SSL or GSS encryption request
                self.send(b"N")
                continue
            if code == 80877102:  # cancel
                raise EOFError
            break
        out = msg(b"R", struct.pack("!I", 0))
        for k, v in (("server_version", "15.4"), ("server_encoding", "UTF8"),
                     ("client_encoding", "UTF8"), ("integer_datetimes", "on"),
                     ("standard_conforming_strings", "on"), ("DateStyle", "ISO, MDY")):
            out += msg(b"S", cstr(k) + cstr(v))
        out += msg(b"K", struct.pack("!II", 4242, 1234)) + msg(b"Z", b"I")
        self.send(out)

    def serve(self):
        if self.scenario == "startup_silent":
            time.sleep(3600)
        self.startup()
        if self.scenario == "silent_after_auth":
            time.sleep(3600)
        while True:
            kind, body = self.read_message()
            if kind == b"X":
                return
            if kind != b"Q":
                continue
            q = body.rstrip(b"\0").decode()
            handler = getattr(self, "q_" + q.split()[0].split("(")[0].lower(), None)
            if handler is None:
                self.error("unknown command: " + q)
            else:
                handler(q)
            self.ready()

    # --- commands ------------------------------------------------------------
    def q_identify_system(self, q):
        sc = self.scenario
        if sc == "identify_silent":
            time.sleep(3600)
        tli = {"tli_negative": "-1", "tli_huge": "99999999999", "tli_junk": "1x",
               "tli_zero": "0"}.get(sc, "1")
        sysid = '73"}, "evil": {"x": "1' if sc == "sysid_quotes" else "7300000000000000001"
        self.result([("systemid", 25), ("timeline", 23), ("xlogpos", 25), ("dbname", 25)],
                    [[sysid, tli, lsn(START + 100), None]], "IDENTIFY_SYSTEM")

    def q_show(self, q):
        self.result([("wal_segment_size", 25)], [["16MB"]], "SHOW")

    def q_read_replication_slot(self, q):
        if self.scenario == "create_silent":  # no such slot yet
            self.result([("slot_type", 25), ("restart_lsn", 25), ("restart_tli", 20)],
                        [[None, None, None]], "READ_REPLICATION_SLOT")
            return
        if self.scenario == "slot_no_lsn":
            # No restart_lsn: walpull asks pg_replication_slots on an SQL
            # connection, whose extended-protocol query the double ignores.
            self.result([("slot_type", 25), ("restart_lsn", 25), ("restart_tli", 20)],
                        [["physical", None, None]], "READ_REPLICATION_SLOT")
            return
        tli = "1z" if self.scenario == "slot_tli_garbage" else "1"
        self.result([("slot_type", 25), ("restart_lsn", 25), ("restart_tli", 20)],
                    [["physical", lsn(START), tli]], "READ_REPLICATION_SLOT")

    def q_create_replication_slot(self, q):
        if self.scenario == "create_silent":
            time.sleep(3600)
        name = q.split()[1]
        self.result([("slot_name", 25), ("consistent_point", 25), ("snapshot_name", 25),
                     ("output_plugin", 25)], [[name, lsn(START), None, None]],
                    "CREATE_REPLICATION_SLOT")

    def q_drop_replication_slot(self, q):
        if self.scenario == "drop_silent":
            time.sleep(3600)
        self.complete("DROP_REPLICATION_SLOT")

    def q_timeline_history(self, q):
        tli = int(q.split()[1])
        sc = self.scenario
        name = "%08X.history" % tli
        # Every switch happens where the streams below end one: 8 kB into
        # the segment at START.
        content = "".join("%d\t%s\tno recovery target specified\n" % (t, lsn(START + 8192))
                          for t in range(1, tli))
        if sc == "history_wrong_name":
            name = "%08X.history" % (tli + 5)
        elif sc == "history_garbage":
            content = "this is not a history file\n"
        elif sc == "history_empty":
            content = ""
        elif sc == "history_backwards":
            content = "1\t0/9000000\tx\n2\t0/4000000\tx\n"
        elif sc == "history_not_increasing" and tli > 2:
            content = "2\t0/4000000\tx\n1\t0/5000000\tx\n"
        self.result([("filename", 25), ("content", 17)], [[name, content.encode()]],
                    "TIMELINE_HISTORY")

    # --- START_REPLICATION ---------------------------------------------------
    def xlogdata(self, start, data):
        now = 0
        return msg(b"d", b"w" + struct.pack("!QQQ", start, start + len(data), now) + data)

    def keepalive(self, pos, reply=False):
        return msg(b"d", b"k" + struct.pack("!QQB", pos, 0, 1 if reply else 0))

    def drain_client(self, timeout=0.0):
        """Read what the client sent; True when it ended the COPY."""
        while True:
            kind, body = self.read_message(timeout)
            if kind is None:
                return False
            if kind in (b"c", b"f"):
                return True
            if kind == b"X":
                raise EOFError

    def end_timeline(self, next_tli, next_start):
        self.send(msg(b"c"))
        # The client answers with its CopyDone.
        deadline = time.time() + 10
        while time.time() < deadline and not self.drain_client(0.5):
            pass
        self.result([("next_tli", 20), ("next_tli_startpos", 25)],
                    [[str(next_tli), lsn(next_start)]], "SELECT")
        self.complete("START_STREAMING")

    def q_start_replication(self, q):
        words = q.split()
        pos = int(words[words.index("PHYSICAL") + 1].split("/")[0], 16) << 32 | \
            int(words[words.index("PHYSICAL") + 1].split("/")[1], 16)
        tli = int(words[words.index("TIMELINE") + 1]) if "TIMELINE" in words else 1
        sc = self.scenario
        if sc == "start_silent":
            time.sleep(3600)
        if sc == "start_flood":
            # Parameter reports without end instead of an answer.
            flood = msg(b"S", cstr("x") + cstr("y")) * 50
            while True:
                self.send(flood)
        if sc == "start_fatal":
            # As a terminated walsender says it: FATAL, then the socket closes.
            body = b"SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0"
            self.send(msg(b"E", body))
            self.s.shutdown(socket.SHUT_RDWR)
            raise EOFError
        self.send(msg(b"W", struct.pack("!bH", 0, 0)))
        if sc == "copy_silent":
            time.sleep(3600)
        if sc == "keepalive_flood":
            ka = self.keepalive(pos) * 200
            while True:
                self.send(ka)
                if self.drain_client(0):
                    return
        if sc == "empty_xlogdata_flood":
            m = self.xlogdata(pos, b"") * 200
            while True:
                self.send(m)
                if self.drain_client(0):
                    return
        if sc in ("odd_sizes", "cut_mid_message", "error_mid_stream"):
            self.raw_scenario(sc, pos)
            return
        data = b"\0" * 8192
        self.send(self.xlogdata(pos, data))
        pos += len(data)
        if sc == "tli_jump":
            self.end_timeline(tli + 1, pos + 110 * SEGSIZE)
            return
        if sc == "tli_same":
            self.end_timeline(tli, pos)
            return
        if sc == "ladder" or sc.startswith("history_"):
            self.end_timeline(tli + 1, pos)
            return
        # Otherwise: keepalives until the client stops.
        while not self.drain_client(0.5):
            self.send(self.keepalive(pos))
        if sc == "bye_slow":
            time.sleep(1.5)  # slow to answer the client's CopyDone
        if sc == "bye_trickle":
            # Notices without end instead of an answer.
            notice = msg(b"N", b"SNOTICE\0VNOTICE\0C00000\0Mstill here\0\0")
            while True:
                self.send(notice)
                time.sleep(0.5)
        self.send(msg(b"c"))
        self.complete("START_STREAMING")

    def dribble(self, data, i):
        """Send data in odd chunks, with pauses, so reads see partial
        headers and payloads."""
        at = 0
        while at < len(data):
            n = DRIBBLE[i % len(DRIBBLE)]
            self.send(data[at:at + n])
            at += n
            i += 1
            if i % 7 == 0:
                time.sleep(0.001)
        return i

    def raw_scenario(self, sc, pos):
        """WAL in the pattern, in odd sizes and odd chunks, with
        keepalives, notices and parameter changes between messages; then,
        by scenario, a cut inside a message or an error."""
        end = pos + SEGSIZE + 300000
        i = k = 0
        while pos < end:
            if sc == "cut_mid_message" and pos - START > 200000:
                m = self.xlogdata(pos, pattern(pos, 50000))
                self.send(m[:len(m) - 30000])  # the header and 20000 bytes
                time.sleep(0.2)
                self.s.shutdown(socket.SHUT_RDWR)
                raise EOFError
            if sc == "error_mid_stream" and pos - START > 100000:
                self.error("terminating connection due to administrator command", "57P01")
                time.sleep(0.2)
                raise EOFError
            n = min(ODD_SIZES[k % len(ODD_SIZES)], end - pos)
            k += 1
            # Big runs in big messages too, so a segment fills quickly.
            if k % 11 == 0:
                n = min(1 << 20, end - pos)
            extra = b""
            if k % 5 == 0:
                extra += self.keepalive(pos)
            if k % 17 == 0:
                extra += msg(b"N", b"SNOTICE\0VNOTICE\0C00000\0Mnothing to see\0\0")
            if k % 19 == 0:
                extra += msg(b"S", cstr("application_name") + cstr("x"))
            data = extra + self.xlogdata(pos, pattern(pos, n))
            if len(data) < 300000:
                i = self.dribble(data, i)
            else:
                self.send(data)
            pos += n
            if self.drain_client(0):
                self.send(msg(b"c"))
                self.complete("START_STREAMING")
                return
        while not self.drain_client(0.5):
            self.send(self.keepalive(pos))
        self.send(msg(b"c"))
        self.complete("START_STREAMING")

    # --- BASE_BACKUP ---------------------------------------------------------
    def tar(self, files):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for name, data in files:
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o700
                    t.addfile(info)
                else:
                    info.size = len(data)
                    info.mode = 0o600
                    t.addfile(info, io.BytesIO(data))
        return out.getvalue()

    def bb_odd(self, sc):
        """A backup whose tar stream comes in odd message sizes and odd
        chunks, with notices, parameter changes and progress between
        messages: a big file (pattern(START, BB_BIG)) among small ones.
        By scenario, the connection is cut inside a message, or an error
        comes in place of the next one."""
        main = self.tar([("PG_VERSION", b"15\n"), ("global", None),
                         ("global/pg_control", b"\1" * 8192), ("base", None),
                         ("base/big", pattern(START, BB_BIG)), ("base/small", b"s" * 700)])
        out = msg(b"d", b"n" + cstr("base.tar") + cstr(""))
        at = i = k = 0
        while at < len(main):
            if sc == "bb_cut" and at > 2000000:
                m = msg(b"d", b"d" + main[at:at + 50000])
                self.send(out + m[:30000])
                time.sleep(0.2)
                self.s.shutdown(socket.SHUT_RDWR)
                raise EOFError
            if sc == "bb_error" and at > 1000000:
                self.send(out)
                self.error("terminating connection due to administrator command", "57P01")
                time.sleep(0.2)
                raise EOFError
            n = max(1, ODD_SIZES[k % len(ODD_SIZES)])
            k += 1
            out += msg(b"d", b"d" + main[at:at + n])
            at += n
            if k % 5 == 0:
                out += msg(b"d", b"p" + struct.pack("!Q", at))
            if k % 7 == 0:
                out += msg(b"N", b"SNOTICE\0VNOTICE\0C00000\0Mnothing to see\0\0")
            if k % 11 == 0:
                out += msg(b"S", cstr("application_name") + cstr("x"))
            i = self.dribble(out, i)
            out = b""
        out += msg(b"d", b"m") + msg(b"d", b"d" + b"{}") + msg(b"c")
        self.dribble(out, i)
        self.result([("recptr", 25), ("tli", 20)], [[lsn(START + 8192), "1"]], "SELECT")
        self.complete("BASE_BACKUP")

    def bb_misbehave(self, sc):
        """bb_partial: half a progress message, then silence.
        bb_err_then_more: an error inside the COPY, then a second COPY with
        a manifest, as if nothing had happened. bb_wide_row: a tablespace
        row with more columns than its set."""
        self.result([("recptr", 25), ("tli", 20)], [[lsn(START), "1"]], "SELECT")
        spaces = [[None, None, "100"]]
        if sc == "bb_wide_row":
            body = struct.pack("!H", 3) + b"".join(struct.pack("!H", 0) + cstr(n) + b"\0" * 18
                                                    for n in ("spcoid", "spclocation", "size"))
            row = struct.pack("!H", 4) + struct.pack("!i", -1) * 2 + struct.pack("!i", 3) + b"100" \
                + struct.pack("!i", 1) + b"x"
            self.send(msg(b"T", body) + msg(b"D", row) + msg(b"C", cstr("SELECT 1")))
        else:
            self.result([("spcoid", 26), ("spclocation", 25), ("size", 20)], spaces, "SELECT")
        self.send(msg(b"H", struct.pack("!bH", 0, 0)))
        main = self.tar([("PG_VERSION", b"15\n"), ("global", None),
                         ("global/pg_control", b"\1" * 8192)])
        if sc == "bb_wide_row":  # the rest of a good backup
            self.send(msg(b"d", b"n" + cstr("base.tar") + cstr("")) + msg(b"d", b"d" + main)
                      + msg(b"d", b"m") + msg(b"d", b"d" + b"{}") + msg(b"c"))
            self.result([("recptr", 25), ("tli", 20)], [[lsn(START + 8192), "1"]], "SELECT")
            self.complete("BASE_BACKUP")
            return
        out = msg(b"d", b"n" + cstr("base.tar") + cstr("")) + msg(b"d", b"d" + main[:1024])
        if sc == "bb_partial":
            self.send(out + msg(b"d", b"p" + struct.pack("!Q", 1024))[:9])
            time.sleep(3600)
        self.send(out)
        self.error("could not read file: I/O error", "58030")
        self.send(msg(b"H", struct.pack("!bH", 0, 0)) + msg(b"d", b"m")
                  + msg(b"d", b"d" + b'{"after": "error"}') + msg(b"c"))

    def q_base_backup(self, q):
        sc = self.scenario
        if sc in ("bb_partial", "bb_err_then_more", "bb_wide_row"):
            return self.bb_misbehave(sc)
        if sc in ("bb_odd", "bb_cut", "bb_error"):
            self.result([("recptr", 25), ("tli", 20)], [[lsn(START), "1"]], "SELECT")
            self.result([("spcoid", 26), ("spclocation", 25), ("size", 20)],
                        [[None, None, "100"]], "SELECT")
            self.send(msg(b"H", struct.pack("!bH", 0, 0)))
            self.bb_odd(sc)
            return
        self.result([("recptr", 25), ("tli", 20)],
                    [[lsn(START), "0" if sc == "bb_tli_zero" else "1"]], "SELECT")
        spaces = [[None, None, "9000000000000000" if sc == "bb_huge_estimate" else "100"]]
        if sc in ("bb_ts_relative", "bb_ts_dotdot"):
            loc = "escaped_ts" if sc == "bb_ts_relative" else "/tmp/../tmp/walpull_escape_ts"
            spaces = [["16384", loc, "10"]] + spaces
        if sc == "bb_no_tablespaces":
            spaces = []
        self.result([("spcoid", 26), ("spclocation", 25), ("size", 20)], spaces, "SELECT")
        self.send(msg(b"H", struct.pack("!bH", 0, 0)))
        main = self.tar([("PG_VERSION", b"15\n"), ("global", None), ("global/pg_control", b"\1" * 8192),
                         ("base", None)])
        out = b""
        if sc in ("bb_ts_relative", "bb_ts_dotdot"):
            out += msg(b"d", b"n" + cstr("16384.tar") + cstr(spaces[0][1]))
            out += msg(b"d", b"d" + self.tar([("PG_15_1", None), ("PG_15_1/owned", b"x" * 100)]))
        if sc != "bb_no_archive":
            out += msg(b"d", b"n" + cstr("base.tar") + cstr(""))
            out += msg(b"d", b"d" + main[:1024])
            if sc == "bb_stream_silent":
                self.send(out)
                time.sleep(3600)
            if sc == "bb_huge_member":
                big = tarfile.TarInfo("base/huge")
                big.size = 8 * 1024 ** 3 - 512  # the most a ustar header holds
                out += msg(b"d", b"d" + big.tobuf(format=tarfile.USTAR_FORMAT))
                self.send(out)
                time.sleep(3600)
            out += msg(b"d", b"d" + main[1024:])
            out += msg(b"d", b"p" + struct.pack("!Q", len(main)))
        if sc == "bb_slow":
            self.send(out)
            time.sleep(3600)
        out += msg(b"d", b"m") + msg(b"d", b"d" + b"{}")
        if sc == "bb_second_manifest":
            out += msg(b"d", b"m") + msg(b"d", b"d" + b"{}")
        if sc == "bb_archive_after_manifest":
            out += msg(b"d", b"n" + cstr("late.tar") + cstr("")) + msg(b"d", b"d" + main)
        out += msg(b"c")
        self.send(out)
        self.result([("recptr", 25), ("tli", 20)], [[lsn(START + 8192), "1"]], "SELECT")
        self.complete("BASE_BACKUP")


def serve_one(sock, scenario):
    try:
        Conn(sock, scenario).serve()
    except (EOFError, ConnectionError, BrokenPipeError, OSError):
        pass
    finally:
        sock.close()


def main():
    if sys.argv[1] == "pattern":
        # The bytes a raw-reader scenario sends from LSN START on.
        sys.stdout.buffer.write(pattern(int(sys.argv[2], 0), int(sys.argv[3], 0)))
        return
    port, scenario = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print("ready", flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve_one, args=(s, scenario), daemon=True).start()


if __name__ == "__main__":
    main()
