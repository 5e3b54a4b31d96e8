"""Concurrent schema changes. PostgreSQL makes a transaction that creates a name another
in-flight transaction is creating wait for it (the unique catalog index), then succeed if
that one rolled back; lock_timeout bounds the wait and a cycle with a row-lock wait is a
deadlock. OmenDB has one schema writer at a time (a second DDL transaction waits for the
first to end, see TransactionManager.writable_catalog), which gives the same outcomes
here; where PostgreSQL would not wait at all (unrelated names), only the end state is
compared."""

from __future__ import annotations

import time

from isolation_support import WAIT, assert_sqlstate

DEADLOCK_WAIT = 15.0


def test_unrelated_ddl_both_commit(sessions, unique_name):
    t1, t2 = unique_name("ddl_a"), unique_name("ddl_b")
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"CREATE TABLE {t1} (id int PRIMARY KEY)")
    b.execute("BEGIN")
    pb = b.start(f"CREATE TABLE {t2} (id int)")
    a.execute("COMMIT")
    pb.result(WAIT, why="a committed")
    b.execute("COMMIT")
    assert a.scalar(f"SELECT count(*) FROM pg_class WHERE relname IN ('{t1}', '{t2}')") == 2


def test_same_name_waits_then_succeeds_after_rollback(sessions, unique_name):
    t = unique_name("ddl_c")
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"CREATE TABLE {t} (id int)")
    pb = b.start(f"CREATE TABLE {t} (id int, v text)")
    pb.assert_blocked(why="a is creating the same name")
    a.execute("ROLLBACK")
    pb.result(WAIT, why="a rolled back: the name is free")
    assert b.rows(f"SELECT count(*) FROM {t}") == [(0,)]


def test_same_name_wait_bounded_by_lock_timeout(sessions, unique_name):
    t = unique_name("ddl_d")
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    a.execute(f"CREATE TABLE {t} (id int)")
    b.execute("SET lock_timeout = '200ms'")
    b.expect_error(f"CREATE TABLE {t} (id int)", "55P03", "lock timeout")
    a.execute("ROLLBACK")


def test_ddl_wait_and_row_lock_wait_in_a_cycle_is_a_deadlock(sessions, kv_table, unique_name):
    t, new = kv_table, unique_name("ddl_e")
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    b.execute("BEGIN")
    b.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 1")  # b holds row 1
    a.execute(f"CREATE TABLE {new} (id int)")  # a is creating a name
    pa = a.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1")  # a waits for b's row
    pa.assert_blocked(why="b holds id=1")
    pb = b.start(f"CREATE TABLE {new} (id int)")  # b waits for a: a cycle
    deadline = time.monotonic() + DEADLOCK_WAIT
    while not (pa.done or pb.done) and time.monotonic() < deadline:
        time.sleep(0.01)
    victim = pa if pa.done else pb  # PostgreSQL picks the one whose check fires first
    assert victim.done and victim.exc is not None, "no deadlock was detected"
    assert_sqlstate(victim.exc, "40P01", "deadlock detected")
    (a if victim is pa else b).execute("ROLLBACK")
    (pb if victim is pa else pa).result(WAIT, why="the victim's locks are gone")
    (b if victim is pa else a).execute("ROLLBACK")
