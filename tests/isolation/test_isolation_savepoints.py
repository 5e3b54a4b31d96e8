"""Savepoints and row locks: ROLLBACK TO SAVEPOINT undoes the writes made after the savepoint
and releases the row locks they took (other sessions stop waiting); writes and locks from
before the savepoint stay. RELEASE SAVEPOINT keeps everything.
"""

from __future__ import annotations


def test_rollback_to_savepoint_releases_rows_written_after_it(sessions, kv_table):
    t = kv_table
    a, b, c = sessions("a"), sessions("b"), sessions("c")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 1000 WHERE id = 1")
    a.execute("SAVEPOINT s1")
    a.execute(f"UPDATE {t} SET v = 2000 WHERE id = 2")
    a.execute(f"DELETE FROM {t} WHERE id = 3")
    a.execute(f"INSERT INTO {t} (id, v) VALUES (6, 60)")
    pb = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 2")
    pb.assert_blocked(why="a updated id=2 after s1 and has not rolled back yet")
    a.execute("ROLLBACK TO SAVEPOINT s1")
    assert pb.result(why="ROLLBACK TO SAVEPOINT released id=2").rowcount == 1
    # Row 3 (deleted after s1) is free again too, and its delete is undone.
    assert c.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 3").rowcount == 1
    # Row 1 was written before the savepoint: still locked by a.
    pc = c.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1")
    pc.assert_blocked(why="a's write to id=1 came before the savepoint")
    assert a.rows(f"SELECT id, v FROM {t} ORDER BY id") == [(1, 1000), (2, 21), (3, 31), (4, 40), (5, 50)]
    a.execute("COMMIT")
    assert pc.result(why="a committed").rowcount == 1
    assert c.rows(f"SELECT id, v FROM {t} ORDER BY id") == [(1, 1001), (2, 21), (3, 31), (4, 40), (5, 50)]


def test_rollback_to_savepoint_releases_for_update_locks(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute("SAVEPOINT s1")
    a.rows(f"SELECT id FROM {t} WHERE id = 4 FOR UPDATE")
    b.expect_error(f"SELECT id FROM {t} WHERE id = 4 FOR UPDATE NOWAIT", "55P03")
    a.execute("ROLLBACK TO SAVEPOINT s1")
    assert b.rows(f"SELECT id FROM {t} WHERE id = 4 FOR UPDATE NOWAIT") == [(4,)]
    a.execute("COMMIT")


def test_release_savepoint_keeps_writes_and_locks(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute("SAVEPOINT s1")
    a.execute(f"UPDATE {t} SET v = 5 WHERE id = 5")
    a.execute("RELEASE SAVEPOINT s1")
    pb = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 5")
    pb.assert_blocked(why="RELEASE keeps the row lock")
    a.execute("COMMIT")
    assert pb.result().rowcount == 1
    assert b.scalar(f"SELECT v FROM {t} WHERE id = 5") == 6


def test_nested_savepoints(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 1 WHERE id = 1")
    a.execute("SAVEPOINT s1")
    a.execute(f"UPDATE {t} SET v = 2 WHERE id = 2")
    a.execute("SAVEPOINT s2")
    a.execute(f"UPDATE {t} SET v = 3 WHERE id = 3")
    a.execute("ROLLBACK TO SAVEPOINT s1")  # undoes s2's work as well
    assert b.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 3").rowcount == 1
    assert b.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 2").rowcount == 1
    a.execute(f"UPDATE {t} SET v = 4 WHERE id = 4")
    a.execute("COMMIT")
    assert b.rows(f"SELECT id, v FROM {t} ORDER BY id") == [(1, 1), (2, 21), (3, 31), (4, 4), (5, 50)]


def test_error_then_rollback_to_savepoint_continues_transaction(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"UPDATE {t} SET v = 111 WHERE id = 1")
    a.execute("SAVEPOINT s1")
    a.execute(f"UPDATE {t} SET v = 222 WHERE id = 2")
    a.expect_error(f"INSERT INTO {t} (id, v) VALUES (1, 0)", "23505")  # duplicate key
    a.expect_error("SELECT 1", "25P02")
    a.execute("ROLLBACK TO SAVEPOINT s1")
    assert b.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 2").rowcount == 1
    assert a.scalar(f"SELECT v FROM {t} WHERE id = 1") == 111
    a.execute("COMMIT")
    assert b.rows(f"SELECT id, v FROM {t} WHERE id IN (1, 2) ORDER BY id") == [(1, 111), (2, 21)]
