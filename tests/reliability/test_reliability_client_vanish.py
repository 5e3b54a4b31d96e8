"""A client that vanishes in the middle of a transaction, holding row locks.

The client runs ``BEGIN``, locks row 1 (UPDATE, or SELECT ... FOR UPDATE) and inserts a row,
then disappears without Terminate: its process is SIGKILLed (the kernel closes the socket with
a FIN), or it exits with SO_LINGER=0 (the kernel sends a RST), or it sends half of a Query
message and shuts the socket down. The server must notice, roll the transaction back and
release its locks: another session's UPDATE of row 1 then completes promptly (bounded wait),
on the original value, and the inserted row never becomes visible.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from reliability_support import Worker, close_quietly, join_all

RELEASE_WAIT = 15.0  # PostgreSQL releases at once (it sees EOF while idle in transaction)

CHILD = textwrap.dedent(
    """
    import os, socket, struct, sys
    import psycopg

    conn = psycopg.connect(os.environ["VANISH_DSN"], autocommit=True)
    conn.execute("BEGIN")
    for sql in sys.argv[2:]:
        conn.execute(sql)
    sys.stdout.write("locked\\n")
    sys.stdout.flush()
    if sys.argv[1] == "rst":
        s = socket.socket(fileno=os.dup(conn.fileno()))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        os._exit(0)  # the last close of the socket with linger 0 sends a RST
    sys.stdin.read()  # wait for SIGKILL
    """
)


def _lock_statements(t, kind):
    first = (f"UPDATE {t} SET v = 999 WHERE id = 1" if kind == "update"
             else f"SELECT v FROM {t} WHERE id = 1 FOR UPDATE")
    return [first, f"INSERT INTO {t} (id, v) VALUES (100, 100)"]


def _vanish_child(target, statements, mode):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, *statements],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "VANISH_DSN": target.dsn}, start_new_session=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20.0)
        assert ready, "the client process did not take its locks within 20s"
        line = proc.stdout.readline()
        if line.strip() != b"locked":
            proc.wait(10)
            raise AssertionError(
                f"client process did not take its locks: {line!r} {proc.stderr.read().decode()[-2000:]}"
            )
        if mode == "sigkill":
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()


def _vanish_half_message(target, statements):
    conn = target.connect(autocommit=True)
    try:
        conn.execute("BEGIN")
        for sql in statements:
            conn.execute(sql)
        s = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            body = b"UPDATE never SET x = 1\x00"
            s.sendall(b"Q" + (4 + len(body)).to_bytes(4, "big") + body[:7])  # a truncated frame
            s.shutdown(socket.SHUT_RDWR)
        finally:
            s.close()
    finally:
        close_quietly(conn)


@pytest.mark.parametrize(
    "mode, kind",
    [("sigkill", "update"), ("rst", "update"), ("half-message", "update"), ("sigkill", "for-update")],
)
def test_vanished_client_releases_locks_and_rolls_back(omendb_server, table_name, mode, kind):
    t = table_name
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v int NOT NULL)")
        c.execute(f"INSERT INTO {t} (id, v) VALUES (1, 10), (2, 20)")
    statements = _lock_statements(t, kind)
    if mode == "half-message":
        _vanish_half_message(omendb_server, statements)
    else:
        _vanish_child(omendb_server, statements, mode)

    other = omendb_server.connect(autocommit=True)
    result = {}

    def update():
        result["rows"] = other.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 1 RETURNING v").fetchall()

    w = Worker(update, "other-session")
    started = time.monotonic()
    w.start()
    try:
        stuck = join_all([w], RELEASE_WAIT, [other])
        assert not stuck, (
            f"another session still waits for row 1 {RELEASE_WAIT:.0f}s after the client holding it "
            f"vanished ({mode}): its transaction was never rolled back"
        )
        assert w.exc is None, f"update failed: {w.exc!r}"
        assert result["rows"] == [(11,)], "the vanished client's UPDATE must be rolled back"
        print(f"\n{mode}/{kind}: row free after {time.monotonic() - started:.3f}s")
        assert other.execute(f"SELECT count(*) FROM {t} WHERE id = 100").fetchone()[0] == 0
        assert other.execute(f"SELECT id, v FROM {t} ORDER BY id").fetchall() == [(1, 11), (2, 20)]
        # The abandoned transaction's insert left nothing behind: the key can be used again.
        other.execute(f"INSERT INTO {t} (id, v) VALUES (100, 1)")
    finally:
        close_quietly(other)
