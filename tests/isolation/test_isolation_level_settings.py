"""Choosing the isolation level: BEGIN / START TRANSACTION options, SET TRANSACTION,
SET SESSION CHARACTERISTICS, default_transaction_isolation, SHOW transaction_isolation,
and psycopg's own ``isolation_level`` attribute (which sends BEGIN ISOLATION LEVEL ...).

Each way of choosing REPEATABLE READ is also checked for its effect, not only its name: the
transaction must keep its snapshot across a concurrent commit.
"""

from __future__ import annotations

import psycopg
import pytest

from isolation_support import assert_sqlstate


def _keeps_snapshot(reader, writer, t, bump):
    """Inside reader's open transaction: does a row changed by a concurrent commit stay old?"""
    before = reader.scalar(f"SELECT v FROM {t} WHERE id = 1")
    writer.execute(f"UPDATE {t} SET v = v + {bump} WHERE id = 1")
    after = reader.scalar(f"SELECT v FROM {t} WHERE id = 1")
    return before == after


def test_default_is_read_committed(sessions):
    s = sessions()
    assert s.scalar("SHOW transaction_isolation") == "read committed"
    assert s.scalar("SHOW default_transaction_isolation") == "read committed"
    s.execute("BEGIN")
    assert s.scalar("SHOW transaction_isolation") == "read committed"
    s.execute("COMMIT")


@pytest.mark.parametrize(
    "begin, shown",
    [
        ("BEGIN ISOLATION LEVEL REPEATABLE READ", "repeatable read"),
        ("BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", "serializable"),
        ("START TRANSACTION ISOLATION LEVEL REPEATABLE READ", "repeatable read"),
        ("BEGIN ISOLATION LEVEL READ COMMITTED", "read committed"),
        ("BEGIN ISOLATION LEVEL READ UNCOMMITTED", "read uncommitted"),
        ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ WRITE", "repeatable read"),
        ("begin isolation level repeatable read", "repeatable read"),
    ],
)
def test_begin_with_isolation_level(sessions, kv_table, begin, shown):
    s, w = sessions("s"), sessions("w")
    s.execute(begin)
    assert s.scalar("SHOW transaction_isolation") == shown
    kept = _keeps_snapshot(s, w, kv_table, 1)
    assert kept == (shown in ("repeatable read", "serializable")), (begin, kept)
    s.execute("COMMIT")
    assert s.scalar("SHOW transaction_isolation") == "read committed", "the level lasts one transaction"


def test_set_transaction_isolation_level(sessions, kv_table):
    s, w = sessions("s"), sessions("w")
    s.execute("BEGIN")
    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    assert s.scalar("SHOW transaction_isolation") == "repeatable read"
    assert _keeps_snapshot(s, w, kv_table, 1), "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ had no effect"
    s.execute("COMMIT")
    assert s.scalar("SHOW transaction_isolation") == "read committed"


def test_set_transaction_after_first_query_is_an_error(sessions, kv_table):
    """PostgreSQL: 25001 ``SET TRANSACTION ISOLATION LEVEL must be called before any query``."""
    s = sessions()
    s.execute("BEGIN")
    s.scalar(f"SELECT count(*) FROM {kv_table}")
    s.expect_error("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "25001",
                   "SET TRANSACTION ISOLATION LEVEL must be called before any query")
    s.execute("ROLLBACK")


def test_set_default_transaction_isolation(sessions, kv_table):
    s, w = sessions("s"), sessions("w")
    s.execute("SET default_transaction_isolation = 'repeatable read'")
    assert s.scalar("SHOW default_transaction_isolation") == "repeatable read"
    assert s.scalar("SHOW transaction_isolation") == "repeatable read"
    s.execute("BEGIN")
    assert s.scalar("SHOW transaction_isolation") == "repeatable read"
    assert _keeps_snapshot(s, w, kv_table, 1), "default_transaction_isolation had no effect on BEGIN"
    s.execute("COMMIT")
    # An explicit level still wins over the default.
    s.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    assert s.scalar("SHOW transaction_isolation") == "read committed"
    assert not _keeps_snapshot(s, w, kv_table, 1)
    s.execute("COMMIT")
    s.execute("SET default_transaction_isolation TO DEFAULT")
    assert s.scalar("SHOW transaction_isolation") == "read committed"
    # It is a per-session setting.
    assert w.scalar("SHOW default_transaction_isolation") == "read committed"


def test_set_session_characteristics(sessions, kv_table):
    s, w = sessions("s"), sessions("w")
    s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    assert s.scalar("SHOW default_transaction_isolation") == "serializable"
    s.execute("BEGIN")
    assert s.scalar("SHOW transaction_isolation") == "serializable"
    assert _keeps_snapshot(s, w, kv_table, 1)
    s.execute("COMMIT")


def test_invalid_isolation_level_value(sessions):
    s = sessions()
    s.expect_error("SET default_transaction_isolation = 'snapshot'", "22023")


def test_psycopg_isolation_level_attribute(omendb_server, sessions, kv_table):
    """psycopg's ``conn.isolation_level`` sends ``BEGIN ISOLATION LEVEL REPEATABLE READ``."""
    w = sessions("w")
    with omendb_server.connect(autocommit=False) as c:
        c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert c.execute("SHOW transaction_isolation").fetchone()[0] == "repeatable read"
        v1 = c.execute(f"SELECT v FROM {kv_table} WHERE id = 1").fetchone()[0]
        w.execute(f"UPDATE {kv_table} SET v = v + 1 WHERE id = 1")
        assert c.execute(f"SELECT v FROM {kv_table} WHERE id = 1").fetchone()[0] == v1
        w.execute(f"UPDATE {kv_table} SET v = v + 1 WHERE id = 2")
        # Writing a row changed after the snapshot: 40001 through the driver's error class too.
        with pytest.raises(psycopg.errors.SerializationFailure) as info:
            c.execute(f"UPDATE {kv_table} SET v = 0 WHERE id = 2")
        assert_sqlstate(info.value, "40001")
        c.rollback()
