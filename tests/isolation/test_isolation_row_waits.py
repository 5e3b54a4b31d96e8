"""READ COMMITTED writers that meet a row changed by an in-flight transaction.

PostgreSQL: the UPDATE/DELETE waits for the other transaction to end. After a COMMIT it
re-evaluates its WHERE clause on the newest version of the row (EvalPlanQual) and applies
its change there (or skips the row if it no longer matches / was deleted); after a ROLLBACK
it proceeds on the version it originally found.
"""

from __future__ import annotations

import pytest


def test_update_blocks_on_in_flight_writer_and_resumes_after_commit(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 100 WHERE id = 1")
    pb = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1 RETURNING id, v")
    pb.assert_blocked(why="a has updated id=1 and not committed")
    # Other rows and plain reads are not blocked meanwhile.
    c = sessions("c")
    assert c.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 2").rowcount == 1
    assert c.scalar(f"SELECT v FROM {t} WHERE id = 1") == 10
    a.execute("COMMIT")
    assert pb.result(why="a committed").rows == [(1, 101)]
    assert c.scalar(f"SELECT v FROM {t} WHERE id = 1") == 101


def test_update_blocks_on_in_flight_writer_and_resumes_after_rollback(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 100 WHERE id = 1")
    b.execute("BEGIN")
    pb = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1 RETURNING v")
    pb.assert_blocked(why="a has updated id=1 and not committed")
    a.execute("ROLLBACK")
    assert pb.result(why="a rolled back").rows == [(11,)], "b must apply to the original version"
    b.execute("COMMIT")
    assert a.scalar(f"SELECT v FROM {t} WHERE id = 1") == 11


def test_delete_blocks_on_in_flight_writer(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 3")
    pb = b.start(f"DELETE FROM {t} WHERE id = 3 RETURNING v")
    pb.assert_blocked(why="a has updated id=3 and not committed")
    a.execute("COMMIT")
    assert pb.result(why="a committed").rows == [(31,)]
    assert a.scalar(f"SELECT count(*) FROM {t} WHERE id = 3") == 0


def test_waiting_update_rechecks_where_clause_on_new_version(sessions, kv_table):
    """The waiter's predicate no longer matches the committed version: 0 rows updated."""
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 500 WHERE id = 1")
    pb = b.start(f"UPDATE {t} SET v = -1 WHERE id = 1 AND v = 10")
    pb.assert_blocked()
    a.execute("COMMIT")
    assert pb.result(why="a committed").rowcount == 0, "b re-checks v = 10 on the new version (500)"
    assert a.scalar(f"SELECT v FROM {t} WHERE id = 1") == 500


def test_waiting_update_of_row_deleted_by_in_flight_txn(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"DELETE FROM {t} WHERE id = 4")
    pb = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 4")
    pb.assert_blocked()
    a.execute("COMMIT")
    assert pb.result(why="a committed its delete").rowcount == 0
    assert a.scalar(f"SELECT count(*) FROM {t} WHERE id = 4") == 0


@pytest.mark.parametrize("writers", [3])
def test_queue_of_waiters_applies_every_increment(sessions, kv_table, writers):
    """Several waiters on one row: each applies on its predecessor's version."""
    t = kv_table
    holder = sessions("holder")
    holder.execute("BEGIN")
    holder.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 5")
    waiting = []
    for i in range(writers):
        s = sessions(f"w{i}")
        p = s.start(f"UPDATE {t} SET v = v + 1 WHERE id = 5")
        waiting.append(p)
    for p in waiting:
        p.assert_blocked(probe=0.2)
    holder.execute("COMMIT")
    for p in waiting:
        assert p.result(why="holder committed; waiters run one after another").rowcount == 1
    assert holder.scalar(f"SELECT v FROM {t} WHERE id = 5") == 50 + 1 + writers


def test_insert_of_key_inserted_by_in_flight_txn_waits(sessions, kv_table):
    """PostgreSQL: a duplicate key against an uncommitted insert waits for that transaction;
    23505 if it commits, success if it rolls back."""
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"INSERT INTO {t} (id, v) VALUES (10, 100)")
    pb = b.start(f"INSERT INTO {t} (id, v) VALUES (10, 200)")
    pb.assert_blocked(why="a's uncommitted row has the same key")
    a.execute("COMMIT")
    exc = pb.error(why="a committed the key")
    assert getattr(exc, "sqlstate", None) == "23505", repr(exc)
    a.execute("BEGIN")
    a.execute(f"INSERT INTO {t} (id, v) VALUES (11, 110)")
    pb = b.start(f"INSERT INTO {t} (id, v) VALUES (11, 210)")
    pb.assert_blocked(why="a's uncommitted row has the same key")
    a.execute("ROLLBACK")
    assert pb.result(why="a rolled back; the key is free").rowcount == 1
    assert b.rows(f"SELECT id, v FROM {t} WHERE id >= 10 ORDER BY id") == [(10, 100), (11, 210)]
