"""Stopping statements: statement_timeout and CancelRequest (psycopg's ``cancel()``,
psql's Ctrl-C) give 57014 with PostgreSQL's messages, the session goes on, other
sessions are unharmed and no committed data is lost."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

# a read-only statement that runs for many seconds on the row path
LONG_QUERY = "SELECT count(*) FROM generate_series(1, 3000) a, generate_series(1, 3000) b WHERE a + b = -1"


def test_statement_timeout_stops_a_long_select(omendb_server):
    with omendb_server.connect(autocommit=True) as conn:
        conn.execute("SET statement_timeout = '300ms'")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as exc:
            conn.execute(LONG_QUERY)
        assert "canceling statement due to statement timeout" in str(exc.value)
        assert time.monotonic() - started < 10
        # the session goes on, and the timeout does not hit the statements after it
        for _ in range(200):
            assert conn.execute("SELECT 1").fetchone() == (1,)
        time.sleep(0.4)
        assert conn.execute("SELECT 2").fetchone() == (2,)
        conn.execute("SET statement_timeout = 0")
        assert conn.execute("SELECT count(*) FROM generate_series(1, 1000)").fetchone() == (1000,)


def test_cancel_request_stops_a_long_select(omendb_server):
    with omendb_server.connect(autocommit=True) as conn, \
            omendb_server.connect(autocommit=True) as other:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as exc:
            conn.execute(LONG_QUERY)
        timer.join()
        assert "canceling statement due to user request" in str(exc.value)
        assert time.monotonic() - started < 10
        assert conn.execute("SELECT 3").fetchone() == (3,)
        assert other.execute("SELECT 4").fetchone() == (4,)
        conn.cancel()  # nothing running: no effect on what comes next
        time.sleep(0.2)
        assert conn.execute("SELECT 5").fetchone() == (5,)


def test_cancel_inside_a_transaction_block_fails_the_block(omendb_server, table_name):
    with omendb_server.connect(autocommit=False) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
        conn.execute(f"INSERT INTO {table_name} VALUES (1, 10)")
        conn.commit()
        conn.execute(f"UPDATE {table_name} SET v = 11 WHERE id = 1")
        conn.execute("SET statement_timeout = '200ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(LONG_QUERY)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute(f"SELECT v FROM {table_name}").fetchone() == (10,)


def test_statement_timeout_stops_a_writer_waiting_for_a_row_lock(omendb_server, table_name):
    with omendb_server.connect(autocommit=False) as holder, \
            omendb_server.connect(autocommit=False) as waiter:
        holder.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
        holder.execute(f"INSERT INTO {table_name} VALUES (1, 0)")
        holder.commit()
        holder.execute(f"UPDATE {table_name} SET v = 1 WHERE id = 1")  # holds the row
        waiter.execute("SET statement_timeout = '300ms'")
        waiter.commit()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as exc:
            waiter.execute(f"UPDATE {table_name} SET v = 2 WHERE id = 1")
        assert "statement timeout" in str(exc.value)
        assert time.monotonic() - started < 5
        waiter.rollback()
        holder.commit()
        # and a CancelRequest stops such a wait too
        holder.execute(f"UPDATE {table_name} SET v = 3 WHERE id = 1")
        waiter.execute("SET statement_timeout = 0")
        timer = threading.Timer(0.4, waiter.cancel)
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled) as exc:
            waiter.execute(f"UPDATE {table_name} SET v = 4 WHERE id = 1")
        timer.join()
        assert "user request" in str(exc.value)
        waiter.rollback()
        holder.commit()
        assert waiter.execute(f"SELECT v FROM {table_name}").fetchone() == (3,)
