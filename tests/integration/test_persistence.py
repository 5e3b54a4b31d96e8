"""Durability: acknowledged commits survive a clean restart and SIGKILL; uncommitted work never appears."""

from __future__ import annotations

import os
import signal

import psycopg

from . import pgwire_client as pw


def _rows(server, sql):
    with server.connect(autocommit=True) as c:
        return c.execute(sql).fetchall()


def test_commits_survive_clean_restart(fresh_server):
    c = fresh_server.connect()
    try:
        c.execute("CREATE TABLE kept (id int4 PRIMARY KEY, name text, amount numeric, at timestamptz DEFAULT '2020-01-01 00:00:00+00')")
        c.execute("INSERT INTO kept (id, name, amount) VALUES (1, 'one', 1.5), (2, 'two', 2.25), (3, 'three', NULL)")
        c.commit()
        c.execute("UPDATE kept SET name = 'TWO' WHERE id = 2")
        c.execute("DELETE FROM kept WHERE id = 3")
        c.commit()
        c.execute("CREATE TABLE counter (id serial PRIMARY KEY, v text)")
        c.execute("INSERT INTO counter (v) VALUES ('a'), ('b')")
        c.commit()
        c.execute("INSERT INTO kept (id, name) VALUES (4, 'uncommitted')")  # open transaction at shutdown
        fresh_server.restart()  # SIGTERM; must exit 0 even with a client mid-transaction
    finally:
        c.close()
    rows = _rows(fresh_server, "SELECT id, name, amount::text FROM kept ORDER BY id")
    assert rows == [(1, "one", "1.5"), (2, "TWO", "2.25")]
    # The serial sequence continues after the restart instead of handing out used values.
    with fresh_server.connect() as c:
        assert c.execute("INSERT INTO counter (v) VALUES ('c') RETURNING id").fetchone()[0] == 3
        c.commit()
    # Restart twice more: recovery of recovered state is stable.
    fresh_server.stop_clean(signal.SIGINT)
    fresh_server.start()
    assert _rows(fresh_server, "SELECT id FROM counter ORDER BY id") == [(1,), (2,), (3,)]


def test_commits_survive_sigkill_and_uncommitted_work_vanishes(fresh_server):
    with fresh_server.connect() as c:
        c.execute("CREATE TABLE ledger (id int8 PRIMARY KEY, amount int4 NOT NULL)")
        c.commit()
        for i in range(1, 21):  # 20 separate acknowledged commits
            c.execute("INSERT INTO ledger VALUES (%s, %s)", (i, i * 10))
            c.commit()
        c.execute("UPDATE ledger SET amount = amount + 1 WHERE id <= 5")
        c.execute("DELETE FROM ledger WHERE id > 18")
        c.commit()
    # Two open transactions at the moment of the crash: one via psycopg, one raw mid-batch.
    open_tx = fresh_server.connect()
    open_tx.execute("INSERT INTO ledger VALUES (100, 1), (101, 2)")
    open_tx.execute("UPDATE ledger SET amount = -1 WHERE id = 1")
    open_tx.execute("DELETE FROM ledger WHERE id = 2")
    open_tx.execute("CREATE TABLE ghost (id int4)")
    raw = pw.connect(fresh_server)
    raw.simple("BEGIN")
    raw.simple("INSERT INTO ledger VALUES (200, 3)")
    fresh_server.kill()  # SIGKILL, then start again on the same data dir and port
    open_tx.close()
    raw.close()

    rows = _rows(fresh_server, "SELECT id, amount FROM ledger ORDER BY id")
    expected = [(i, i * 10 + (1 if i <= 5 else 0)) for i in range(1, 19)]
    assert rows == expected
    with fresh_server.connect() as c:
        try:
            c.execute("SELECT * FROM ghost")
            raise AssertionError("uncommitted CREATE TABLE survived the crash")
        except psycopg.errors.UndefinedTable:
            pass
    # Writes after recovery work and are durable across another crash.
    with fresh_server.connect() as c:
        c.execute("INSERT INTO ledger VALUES (100, 7)")  # the key the lost transaction used
        c.commit()
    fresh_server.kill()
    assert _rows(fresh_server, "SELECT amount FROM ledger WHERE id = 100") == [(7,)]
    assert _rows(fresh_server, "SELECT count(*), sum(amount) FROM ledger") == [(19, sum(a for _, a in expected) + 7)]


def test_password_is_not_stored_in_plain_text(fresh_server):
    with fresh_server.connect() as c:
        c.execute("CREATE TABLE t (id int4 PRIMARY KEY)")
        c.commit()
    fresh_server.stop_clean()
    needle = fresh_server.password.encode()
    for root, _dirs, files in os.walk(fresh_server.data_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                assert needle not in f.read(), f"the password appears in plain text in {path}"
    fresh_server.start()
