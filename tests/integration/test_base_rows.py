"""Checkpointed rows served from Arrow (the *base*) behave exactly like rows in the delta.

After CHECKPOINT + restart every row of a table lives in the base; these tests then read,
write and lock such rows through every path (index lookups, ranges, secondary indexes, scans,
UPDATE/DELETE, FOR UPDATE), restart again (the commit log's deletes promote base rows during
replay) and compare the table with a Python model of what it must contain.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest

pytestmark = pytest.mark.usefixtures("managed_only")


def _connect(server) -> psycopg.Connection:
    return psycopg.connect(server.dsn, autocommit=True)


def _rows(conn, table: str) -> list[tuple]:
    return conn.execute(f"SELECT id, name, d, score FROM {table} ORDER BY id").fetchall()


def test_base_rows_read_write_and_survive_restarts(fresh_server):
    model: dict[int, tuple] = {}
    with _connect(fresh_server) as c:
        c.execute("CREATE TABLE acct (id int PRIMARY KEY, name text, d date, score float8)")
        c.execute("CREATE INDEX acct_name ON acct (name)")
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO acct VALUES (%s, %s, %s, %s)",
                [(i, None if i % 7 == 0 else f"n{i % 50}", dt.date(2020, 1, 1) + dt.timedelta(days=i),
                  None if i % 5 == 0 else i / 4) for i in range(1, 401)])
        for i in range(1, 401):
            model[i] = (i, None if i % 7 == 0 else f"n{i % 50}",
                        dt.date(2020, 1, 1) + dt.timedelta(days=i), None if i % 5 == 0 else i / 4)
        c.execute("CHECKPOINT")
    fresh_server.restart()

    with _connect(fresh_server) as c:
        assert _rows(c, "acct") == [model[k] for k in sorted(model)]
        # point, IN, range, ORDER BY pk LIMIT, secondary index, NULL-aware scan
        assert c.execute("SELECT * FROM acct WHERE id = 42").fetchall() == [model[42]]
        assert c.execute("SELECT id FROM acct WHERE id IN (3, 999, 7)").fetchall() in (
            [(3,), (7,)], [(7,), (3,)])
        assert c.execute("SELECT id FROM acct WHERE id BETWEEN 10 AND 13 ORDER BY id").fetchall() == [
            (10,), (11,), (12,), (13,)]
        assert c.execute("SELECT id FROM acct ORDER BY id DESC LIMIT 2").fetchall() == [(400,), (399,)]
        assert sorted(r[0] for r in c.execute("SELECT id FROM acct WHERE name = 'n3'")) == [
            k for k in sorted(model) if model[k][1] == "n3"]
        assert c.execute("SELECT count(*) FROM acct WHERE score IS NULL").fetchone()[0] == len(
            [k for k in model if model[k][3] is None])

        # writes to base rows: by key, by secondary index, by an unindexed predicate
        c.execute("UPDATE acct SET score = -1 WHERE id = 42")
        model[42] = model[42][:3] + (-1.0,)
        c.execute("DELETE FROM acct WHERE id = 43")
        del model[43]
        c.execute("UPDATE acct SET name = 'renamed' WHERE name = 'n9'")
        for k, v in list(model.items()):
            if v[1] == "n9":
                model[k] = (k, "renamed") + v[2:]
        c.execute("DELETE FROM acct WHERE d < DATE '2020-01-05'")
        for k in [k for k, v in model.items() if v[2] < dt.date(2020, 1, 5)]:
            del model[k]
        c.execute("INSERT INTO acct VALUES (43, 'back', DATE '2000-01-01', 0.5)")
        model[43] = (43, "back", dt.date(2000, 1, 1), 0.5)
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute("INSERT INTO acct VALUES (44, 'dup', NULL, NULL)")

        # a lock on a base row blocks a second writer until the holder ends
        holder = _connect(fresh_server)
        holder.autocommit = False
        assert holder.execute("SELECT name FROM acct WHERE id = 100 FOR UPDATE").fetchall() == [
            (model[100][1],)]
        with _connect(fresh_server) as other:
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("UPDATE acct SET score = 1 WHERE id = 100")
        holder.rollback()
        holder.close()
        assert _rows(c, "acct") == [model[k] for k in sorted(model)]
    fresh_server.restart()  # replay promotes the base rows the log deletes

    with _connect(fresh_server) as c:
        assert _rows(c, "acct") == [model[k] for k in sorted(model)]
        c.execute("CHECKPOINT")  # base live rows + delta into one new segment
        c.execute("UPDATE acct SET score = 2 WHERE id = 200")
        model[200] = model[200][:3] + (2.0,)
    fresh_server.kill()  # SIGKILL, then start again: the segment + the log after it

    with _connect(fresh_server) as c:
        assert _rows(c, "acct") == [model[k] for k in sorted(model)]
        assert sorted(r[0] for r in c.execute("SELECT id FROM acct WHERE name = 'renamed'")) == [
            k for k in sorted(model) if model[k][1] == "renamed"]


def test_text_primary_key_base_rows(fresh_server):
    with _connect(fresh_server) as c:
        c.execute("CREATE TABLE kv (k text PRIMARY KEY, v int)")
        c.execute("INSERT INTO kv SELECT 'k' || g, g FROM generate_series(1, 50) g")
        c.execute("CHECKPOINT")
    fresh_server.restart()
    with _connect(fresh_server) as c:
        assert c.execute("SELECT v FROM kv WHERE k = 'k7'").fetchall() == [(7,)]
        c.execute("UPDATE kv SET v = v * 10 WHERE k = 'k7'")
        c.execute("DELETE FROM kv WHERE k = 'k8'")
        assert c.execute("SELECT v FROM kv WHERE k IN ('k7', 'k8')").fetchall() == [(70,)]
        assert c.execute("SELECT count(*), sum(v) FROM kv").fetchone() == (49, sum(range(1, 51)) - 7 - 8 + 70)


def test_checkpoint_folds_delta_into_base_without_restart(fresh_server):
    """A quiescent CHECKPOINT serves the table from the segment it wrote (the delta
    empties); reads, writes and a later restart still see exactly the same rows, and
    numeric(p,s) values (stored as decimal128, NaN kept as text) round-trip exactly."""
    with _connect(fresh_server) as c:
        c.execute("CREATE TABLE money (id int8 PRIMARY KEY, amount numeric(15,2), note varchar(10))")
        c.execute("INSERT INTO money SELECT g, g * 1.25 - 100, 'n' || g FROM generate_series(1, 300) g")
        c.execute("CHECKPOINT")
        assert "1 tables now served from the new segments" in fresh_server.output()
        assert c.execute("SELECT amount FROM money WHERE id = 3").fetchone()[0] == Decimal("-96.25")
        assert c.execute("SELECT sum(amount), count(*) FROM money").fetchone() == (
            sum(Decimal(g) * Decimal("1.25") - 100 for g in range(1, 301)), 300)
        c.execute("UPDATE money SET amount = 'NaN' WHERE id = 5")
        c.execute("DELETE FROM money WHERE id > 290")
        c.execute("CHECKPOINT")
        assert str(c.execute("SELECT amount FROM money WHERE id = 5").fetchone()[0]) == "NaN"
    fresh_server.restart()
    with _connect(fresh_server) as c:
        assert c.execute("SELECT count(*) FROM money").fetchone()[0] == 290
        assert str(c.execute("SELECT amount FROM money WHERE id = 5").fetchone()[0]) == "NaN"
        assert c.execute("SELECT amount, note FROM money WHERE id = 290").fetchone() == (
            Decimal("262.50"), "n290")


def test_value_objects_keep_postgresql_ordering_after_checkpoint(fresh_server):
    """float/numeric NaN sort above every number and jsonb compares as jsonb, also when
    the rows are read back from the checkpoint's Arrow columns."""
    queries = ["SELECT f FROM vo ORDER BY f", "SELECT n FROM vo ORDER BY n",
               "SELECT j FROM vo ORDER BY j", "SELECT max(f), min(f), count(*) FROM vo WHERE f > 1"]
    with _connect(fresh_server) as c:
        c.execute("CREATE TABLE vo (id int PRIMARY KEY, f float8, n numeric, j jsonb)")
        c.execute("""INSERT INTO vo SELECT g, CASE WHEN g % 500 = 0 THEN 'NaN'::float8 ELSE g END,
                     CASE WHEN g % 700 = 0 THEN 'NaN'::numeric ELSE g / 3.0 END,
                     jsonb_build_object('k', g % 7, 'a', g) FROM generate_series(1, 3000) g""")
        before = [c.execute(q).fetchall() for q in queries]
        c.execute("CHECKPOINT")
        after = [c.execute(q).fetchall() for q in queries]
    assert [str(r) for r in after] == [str(r) for r in before]
    fresh_server.restart()
    with _connect(fresh_server) as c:
        assert [str(c.execute(q).fetchall()) for q in queries] == [str(r) for r in before]
