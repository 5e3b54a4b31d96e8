"""Explicit row locks: SELECT ... FOR UPDATE / FOR SHARE, NOWAIT and SKIP LOCKED.

PostgreSQL semantics: FOR UPDATE conflicts with FOR UPDATE, FOR SHARE and writes; FOR SHARE
is shared with other FOR SHARE lockers but blocks UPDATE/DELETE/FOR UPDATE; plain SELECT is
never blocked. NOWAIT fails at once with 55P03 ``could not obtain lock on row in relation
"..."``; SKIP LOCKED leaves out rows it cannot lock at once. Locks last until the end of the
transaction, and an in-flight UPDATE/DELETE locks its rows too.
"""

from __future__ import annotations

import pytest

from isolation_support import assert_sqlstate


def test_for_update_blocks_other_lockers_and_writers_not_readers(sessions, kv_table):
    t = kv_table
    a, b, c, r = sessions("a"), sessions("b"), sessions("c"), sessions("reader")
    a.execute("BEGIN")
    assert a.rows(f"SELECT id, v FROM {t} WHERE id = 1 FOR UPDATE") == [(1, 10)]
    b.execute("BEGIN")
    pb = b.start(f"SELECT id, v FROM {t} WHERE id = 1 FOR UPDATE")
    pb.assert_blocked(why="a holds FOR UPDATE on id=1")
    pc = c.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1")
    pc.assert_blocked(probe=0.2, why="a holds FOR UPDATE on id=1")
    assert r.rows(f"SELECT id, v FROM {t} WHERE id = 1") == [(1, 10)], "plain SELECT must not block"
    assert r.rows(f"SELECT id, v FROM {t} WHERE id = 2 FOR UPDATE") == [(2, 20)], "other rows are free"
    # (a does not change the row: when the holder updates it, PostgreSQL lets the waiters
    # race for the new version, so the order of b and c would not be defined.)
    a.execute("COMMIT")
    assert pb.result(why="a committed").rows == [(1, 10)], "b was first in line"
    pc.assert_blocked(probe=0.3, why="now b holds FOR UPDATE on id=1")
    b.execute(f"UPDATE {t} SET v = 15 WHERE id = 1")
    b.execute("COMMIT")
    assert pc.result(why="b committed").rowcount == 1
    assert r.scalar(f"SELECT v FROM {t} WHERE id = 1") == 16


@pytest.mark.parametrize("end", ["COMMIT", "ROLLBACK"])
def test_for_update_waits_for_in_flight_update(sessions, kv_table, end):
    """After the writer commits, READ COMMITTED's FOR UPDATE returns the newest version."""
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 11 WHERE id = 1")
    b.execute("BEGIN")
    pb = b.start(f"SELECT v FROM {t} WHERE id = 1 FOR UPDATE")
    pb.assert_blocked(why="a's uncommitted UPDATE locks the row")
    a.execute(end)
    assert pb.result(why=f"a did {end}").rows == [(11 if end == "COMMIT" else 10,)]
    b.execute("COMMIT")


def test_for_update_nowait_fails_with_55p03(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.rows(f"SELECT id FROM {t} WHERE id = 1 FOR UPDATE")
    b.execute("BEGIN")
    b.expect_error(f"SELECT id FROM {t} WHERE id = 1 FOR UPDATE NOWAIT", "55P03",
                   f'could not obtain lock on row in relation "{t}"')
    b.execute("ROLLBACK")
    # Unlocked rows are fine with NOWAIT, and so is the row once a has finished.
    b.execute("BEGIN")
    assert b.rows(f"SELECT id FROM {t} WHERE id = 2 FOR UPDATE NOWAIT") == [(2,)]
    b.execute("ROLLBACK")
    a.execute("COMMIT")
    b.execute("BEGIN")
    assert b.rows(f"SELECT id FROM {t} WHERE id = 1 FOR UPDATE NOWAIT") == [(1,)]
    b.execute("COMMIT")


def test_for_update_nowait_on_row_with_in_flight_update(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"DELETE FROM {t} WHERE id = 2")
    b.expect_error(f"SELECT id FROM {t} WHERE id = 2 FOR UPDATE NOWAIT", "55P03")
    a.execute("ROLLBACK")


def test_for_update_skip_locked_returns_only_unlocked_rows(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    assert a.rows(f"SELECT id FROM {t} WHERE id IN (1, 2) ORDER BY id FOR UPDATE") == [(1,), (2,)]
    a.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 4")  # an UPDATE locks its row too
    b.execute("BEGIN")
    assert b.rows(f"SELECT id FROM {t} ORDER BY id FOR UPDATE SKIP LOCKED") == [(3,), (5,)]
    b.execute("COMMIT")
    # The job-queue idiom: each worker takes the first row nobody holds.
    b.execute("BEGIN")
    assert b.rows(f"SELECT id FROM {t} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED") == [(3,)]
    c = sessions("c")
    c.execute("BEGIN")
    assert c.rows(f"SELECT id FROM {t} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED") == [(5,)]
    d = sessions("d")
    assert d.rows(f"SELECT id FROM {t} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED") == []
    a.execute("COMMIT")
    b.execute("COMMIT")
    c.execute("COMMIT")
    assert d.rows(f"SELECT id FROM {t} ORDER BY id FOR UPDATE SKIP LOCKED") == [(1,), (2,), (3,), (4,), (5,)]


def test_for_share_is_shared_but_blocks_writers(sessions, kv_table):
    t = kv_table
    a, b, w = sessions("a"), sessions("b"), sessions("writer")
    a.execute("BEGIN")
    assert a.rows(f"SELECT v FROM {t} WHERE id = 1 FOR SHARE") == [(10,)]
    b.execute("BEGIN")
    pb = b.start(f"SELECT v FROM {t} WHERE id = 1 FOR SHARE")
    assert pb.result(why="FOR SHARE does not conflict with FOR SHARE").rows == [(10,)]
    # FOR UPDATE conflicts with FOR SHARE.
    x = sessions("x")
    x.expect_error(f"SELECT v FROM {t} WHERE id = 1 FOR UPDATE NOWAIT", "55P03")
    pw = w.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1")
    pw.assert_blocked(why="two FOR SHARE lockers hold id=1")
    a.execute("COMMIT")
    pw.assert_blocked(probe=0.3, why="b still holds FOR SHARE on id=1")
    b.execute("COMMIT")
    assert pw.result(why="both share lockers committed").rowcount == 1
    assert w.scalar(f"SELECT v FROM {t} WHERE id = 1") == 11


def test_for_share_waits_for_for_update(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.rows(f"SELECT v FROM {t} WHERE id = 3 FOR UPDATE")
    b.execute("BEGIN")
    pb = b.start(f"SELECT v FROM {t} WHERE id = 3 FOR SHARE")
    pb.assert_blocked(why="a holds FOR UPDATE on id=3")
    a.execute("COMMIT")
    assert pb.result().rows == [(30,)]
    b.execute("COMMIT")


def test_row_locks_released_at_rollback(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.rows(f"SELECT v FROM {t} WHERE id = 1 FOR UPDATE")
    pb = b.start(f"UPDATE {t} SET v = 0 WHERE id = 1")
    pb.assert_blocked()
    a.execute("ROLLBACK")
    assert pb.result(why="a rolled back").rowcount == 1


def test_for_update_in_repeatable_read_after_concurrent_update_is_40001(sessions, kv_table):
    """PostgreSQL: locking a row changed after the RR snapshot raises 40001."""
    t = kv_table
    a, b = sessions("a"), sessions("b")
    b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    assert b.scalar(f"SELECT v FROM {t} WHERE id = 1") == 10
    a.execute(f"UPDATE {t} SET v = 12 WHERE id = 1")
    exc = b.start(f"SELECT v FROM {t} WHERE id = 1 FOR UPDATE").error(why="row changed since snapshot")
    assert_sqlstate(exc, "40001")
    b.execute("ROLLBACK")
