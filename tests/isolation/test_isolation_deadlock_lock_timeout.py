"""Deadlock detection (40P01) and lock_timeout (55P03).

PostgreSQL checks for a deadlock once a lock wait has lasted deadlock_timeout (1 s by
default) and aborts one transaction of the cycle with 40P01 ``deadlock detected``; the other
then gets its lock and finishes normally. ``lock_timeout`` cancels a statement whose lock wait
exceeds it with 55P03 ``canceling statement due to lock timeout``; the transaction is then
aborted (25P02 until ROLLBACK) and its earlier locks stay held until then.
"""

from __future__ import annotations

import time

import pytest

from isolation_support import WAIT, assert_sqlstate, sqlstate_of

DEADLOCK_WAIT = 15.0  # detection must happen well inside this (PostgreSQL: ~1 s)


def _first_done(pendings, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in pendings:
            if p.done:
                return p
        time.sleep(0.01)
    raise AssertionError(
        f"no deadlock was detected within {timeout:.0f}s: "
        + "; ".join(f"{p.label!r} still waiting" for p in pendings if not p.done)
    )


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ"])
def test_deadlock_two_rows_opposite_order(sessions, kv_table, level):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute(f"BEGIN ISOLATION LEVEL {level}")
    b.execute(f"BEGIN ISOLATION LEVEL {level}")
    a.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 1")
    b.execute(f"UPDATE {t} SET v = v + 100 WHERE id = 2")
    pa = a.start(f"UPDATE {t} SET v = v + 1 WHERE id = 2")
    pa.assert_blocked(why="b holds id=2")
    pb = b.start(f"UPDATE {t} SET v = v + 100 WHERE id = 1")
    first = _first_done([pa, pb], DEADLOCK_WAIT)
    victim, victim_session = (pa, a) if first is pa else (pb, b)
    survivor, survivor_session = (pb, b) if first is pa else (pa, a)
    assert first.exc is not None, f"{first.label!r} finished first but without an error: {first.value!r}"
    assert_sqlstate(first.exc, "40P01", "deadlock detected")
    # The victim's transaction is aborted: further statements fail with 25P02 until ROLLBACK.
    victim_session.expect_error("SELECT 1", "25P02")
    victim_session.execute("ROLLBACK")
    res = survivor.result(WAIT, why="the victim was aborted, the survivor must get its lock")
    assert res.rowcount == 1
    assert sqlstate_of(survivor.exc) is None
    survivor_session.execute("COMMIT")
    got = a.rows(f"SELECT id, v FROM {t} WHERE id IN (1, 2) ORDER BY id")
    if survivor_session is a:
        assert got == [(1, 11), (2, 21)]
    else:
        assert got == [(1, 110), (2, 120)]


def test_deadlock_between_for_update_lockers(sessions, kv_table):
    t = kv_table
    a, b = sessions("a"), sessions("b")
    a.execute("BEGIN")
    b.execute("BEGIN")
    a.rows(f"SELECT id FROM {t} WHERE id = 3 FOR UPDATE")
    b.rows(f"SELECT id FROM {t} WHERE id = 4 FOR UPDATE")
    pa = a.start(f"SELECT id FROM {t} WHERE id = 4 FOR UPDATE")
    pa.assert_blocked(why="b holds id=4")
    pb = b.start(f"SELECT id FROM {t} WHERE id = 3 FOR UPDATE")
    first = _first_done([pa, pb], DEADLOCK_WAIT)
    assert first.exc is not None, f"{first.label!r} finished first without an error"
    assert_sqlstate(first.exc, "40P01")
    (a if first is pa else b).execute("ROLLBACK")
    other = pb if first is pa else pa
    assert other.result(why="victim rolled back").rows is not None
    (b if first is pa else a).execute("COMMIT")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {t} SET v = v + 1 WHERE id = 1",
        "DELETE FROM {t} WHERE id = 1",
        "SELECT v FROM {t} WHERE id = 1 FOR UPDATE",
    ],
    ids=["update", "delete", "select-for-update"],
)
def test_lock_timeout(sessions, kv_table, statement):
    t = kv_table
    holder, b = sessions("holder"), sessions("b")
    holder.execute("BEGIN")
    holder.execute(f"UPDATE {t} SET v = 77 WHERE id = 1")
    b.execute("SET lock_timeout = '200ms'")
    assert b.scalar("SHOW lock_timeout") == "200ms"
    b.execute("BEGIN")
    b.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 2")  # a lock b holds while it waits
    p = b.start(statement.format(t=t))
    exc = p.error(WAIT, why="lock_timeout is 200ms")
    assert_sqlstate(exc, "55P03", "canceling statement due to lock timeout")
    assert 0.15 <= p.elapsed < 5.0, f"lock_timeout=200ms fired after {p.elapsed:.3f}s"
    b.expect_error("SELECT 1", "25P02")  # the transaction is aborted
    b.execute("ROLLBACK")
    # b's earlier lock on id=2 went with the rollback; holder can take it at once.
    assert holder.execute(f"UPDATE {t} SET v = v + 1 WHERE id = 2").rowcount == 1
    holder.execute("COMMIT")
    assert holder.rows(f"SELECT id, v FROM {t} WHERE id IN (1, 2) ORDER BY id") == [(1, 77), (2, 21)]


def test_lock_timeout_does_not_fire_when_lock_comes_in_time(sessions, kv_table):
    t = kv_table
    holder, b = sessions("holder"), sessions("b")
    holder.execute("BEGIN")
    holder.execute(f"UPDATE {t} SET v = 77 WHERE id = 1")
    b.execute("SET lock_timeout = '3s'")
    p = b.start(f"UPDATE {t} SET v = v + 1 WHERE id = 1")
    p.assert_blocked(probe=0.3)
    holder.execute("COMMIT")
    assert p.result(why="holder committed before lock_timeout").rowcount == 1
    assert b.scalar(f"SELECT v FROM {t} WHERE id = 1") == 78


def test_set_local_lock_timeout_lasts_one_transaction(sessions, kv_table):
    t = kv_table
    holder, b = sessions("holder"), sessions("b")
    holder.execute("BEGIN")
    holder.execute(f"UPDATE {t} SET v = 77 WHERE id = 1")
    b.execute("BEGIN")
    b.execute("SET LOCAL lock_timeout = '100ms'")
    b.expect_error(f"UPDATE {t} SET v = 0 WHERE id = 1", "55P03")
    b.execute("ROLLBACK")
    assert b.scalar("SHOW lock_timeout") == "0"
    holder.execute("ROLLBACK")


def test_deadlock_three_transactions_in_a_cycle(sessions, kv_table):
    """a waits for b, b for c, c for a: exactly one victim, the other two finish."""
    t = kv_table
    s = [sessions("a"), sessions("b"), sessions("c")]
    for i, x in enumerate(s):
        x.execute("BEGIN")
        x.execute(f"UPDATE {t} SET v = v + 1 WHERE id = {i + 1}")
    waits = []
    for i, x in enumerate(s):
        p = x.start(f"UPDATE {t} SET v = v + 1 WHERE id = {(i + 1) % 3 + 1}")
        if i < 2:
            p.assert_blocked(probe=0.3)
        waits.append(p)
    first = _first_done(waits, DEADLOCK_WAIT)
    assert first.exc is not None, f"{first.label!r} finished first without an error: {first.value!r}"
    assert_sqlstate(first.exc, "40P01", "deadlock detected")
    victim = waits.index(first)
    s[victim].execute("ROLLBACK")
    # The cycle is broken: the others finish one after the other as locks are released.
    order = [(victim + k) % 3 for k in (2, 1)]  # the victim's waiter runs first, then its waiter
    for i in order:
        assert waits[i].result(WAIT, why="the deadlock victim rolled back").rowcount == 1
        s[i].execute("COMMIT")
    rows = dict(s[victim].rows(f"SELECT id, v FROM {t} WHERE id <= 3"))
    assert sum(rows.values()) == 60 + 4, f"two survivors made two increments each: {rows}"


def test_deadlock_when_two_share_lockers_both_upgrade(sessions, kv_table):
    """Both hold FOR SHARE on the same row, then both UPDATE it: a lock-upgrade deadlock."""
    t = kv_table
    a, b = sessions("a"), sessions("b")
    for x in (a, b):
        x.execute("BEGIN")
        x.rows(f"SELECT v FROM {t} WHERE id = 1 FOR SHARE")
    pa = a.start(f"UPDATE {t} SET v = 1 WHERE id = 1")
    pa.assert_blocked(why="b holds FOR SHARE on id=1")
    pb = b.start(f"UPDATE {t} SET v = 2 WHERE id = 1")
    first = _first_done([pa, pb], DEADLOCK_WAIT)
    assert first.exc is not None, f"{first.label!r} finished first without an error: {first.value!r}"
    assert_sqlstate(first.exc, "40P01")
    (a if first is pa else b).execute("ROLLBACK")
    other, other_session, value = (pb, b, 2) if first is pa else (pa, a, 1)
    assert other.result(why="victim rolled back").rowcount == 1
    other_session.execute("COMMIT")
    assert a.scalar(f"SELECT v FROM {t} WHERE id = 1") == value
