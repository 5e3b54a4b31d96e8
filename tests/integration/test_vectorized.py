"""Vectorized aggregation over checkpointed rows returns exactly what the row path returns.

Each query runs three times on the same server: before CHECKPOINT (every row in the delta:
the row path), after it (every row in the base: the vectorized path, seen in the debug log),
and after mixed writes (base + delta together), where a copy of the table made with CREATE
TABLE AS (all delta again) gives the row path's answer to compare with. Values, types and
numeric scales must match exactly; integer overflow must still raise PostgreSQL's 22003.
"""

from __future__ import annotations

import psycopg
import pytest

from serverproc import ServerProcess, new_password

pytestmark = pytest.mark.usefixtures("managed_only")

ROWS = 6000  # above sql/vectorized.py's MIN_BASE_ROWS

QUERIES = [
    # TPC-H Q1 and Q6 shapes
    """SELECT flag, st, sum(qty), sum(price), sum(price * (1 - disc)),
              sum(price * (1 - disc) * (1 + tax)), avg(qty), avg(price), avg(disc), count(*)
       FROM {t} WHERE ship <= DATE '1998-09-02' GROUP BY flag, st ORDER BY flag, st""",
    """SELECT sum(price * disc) FROM {t} WHERE ship >= DATE '1994-01-01'
       AND ship < DATE '1995-01-01' AND disc BETWEEN 0.05 AND 0.07 AND qty < 24""",
    # NULLs, floats, ints, dates, min/max, empty groups
    """SELECT count(f), sum(f), avg(f), min(f), max(f), count(i), sum(i), min(i), max(i),
              avg(i), min(ship), max(ship), count(*) FROM {t}""",
    "SELECT flag, count(*), sum(i) FROM {t} WHERE f IS NULL OR i IN (5, 7, 9) GROUP BY flag ORDER BY 1",
    "SELECT count(*) FROM {t} WHERE NOT (i > 100) AND flag = 'A'",
    "SELECT max(qty), min(price) FROM {t} WHERE flag <> 'B' AND i IS NOT NULL",
    "SELECT sum(i), count(*) FROM {t} WHERE i > 1000000",
    "SELECT i % 3 AS m, count(*) FROM {t} GROUP BY 1 ORDER BY 1",  # not vectorizable: row path
    "SELECT st, sum(k * 2 - 1), avg(qty * 2) FROM {t} WHERE (k < 10 OR k > 5990) GROUP BY st ORDER BY st",
    "SELECT count(*) FROM {t} WHERE name = 'x' OR name IS NULL",
    "SELECT name, count(*) FROM {t} WHERE name > 'n5' GROUP BY name ORDER BY name",
    "SELECT count(*), sum(i) FROM {t} WHERE name LIKE 'n%' AND name NOT LIKE '%3'",
    "SELECT flag, count(*) FROM {t} WHERE name LIKE '%5%' OR name LIKE 'n1' GROUP BY 1 ORDER BY 1",
]

LOAD = """INSERT INTO {t} SELECT g, chr(65 + g % 3), chr(70 + g % 2), (g % 50) + 1,
    (g % 1000) * 1.37, (g % 11) / 100.0, (g % 9) / 100.0, DATE '1992-01-01' + (g % 2500),
    CASE WHEN g % 13 = 0 THEN NULL ELSE g / 7.0 END,
    CASE WHEN g % 17 = 0 THEN NULL ELSE g END,
    CASE WHEN g % 19 = 0 THEN NULL ELSE 'n' || (g % 10) END
    FROM generate_series(1, {n}) g"""

DDL = """CREATE TABLE {t} (k int8, flag char(1), st char(1), qty numeric(15,2), price numeric(15,2),
    disc numeric(15,2), tax numeric(15,2), ship date, f float8, i int4, name text)"""


@pytest.fixture
def debug_server(tmp_path):
    server = ServerProcess(data_dir=tmp_path / "data", password=new_password(),
                           extra_args=["--log-level", "debug"])
    server.start()
    try:
        yield server
    finally:
        if server.is_running():
            server.stop_clean()


def _all(conn, table: str) -> list[list[tuple]]:
    return [conn.execute(q.format(t=table)).fetchall() for q in QUERIES]


def _typed(results: list[list[tuple]]) -> list[list[tuple]]:
    """Values with their Python types, so 1 == Decimal('1.00') does not hide a scale change."""
    return [[tuple((type(v).__name__, str(v)) for v in row) for row in rows] for rows in results]


def test_vectorized_matches_row_path(debug_server):
    with psycopg.connect(debug_server.dsn, autocommit=True) as c:
        c.execute(DDL.format(t="li"))
        c.execute(LOAD.format(t="li", n=ROWS))
        row_path = _typed(_all(c, "li"))
        c.execute("CHECKPOINT")
        assert _typed(_all(c, "li")) == row_path
        assert f"vectorized aggregate over {ROWS} base rows" in debug_server.output()

        # base + delta: updates promote base rows, inserts and deletes land in the delta
        c.execute("UPDATE li SET qty = qty + 1, f = NULL WHERE k % 100 = 0")
        c.execute("INSERT INTO li SELECT * FROM li WHERE k < 50")
        c.execute("DELETE FROM li WHERE k % 250 = 1")
        mixed = _typed(_all(c, "li"))
        c.execute("CREATE TABLE li_copy AS SELECT * FROM li")
        assert mixed == _typed(_all(c, "li_copy"))

        # a snapshot older than those writes still sees the old values through the base
        reader = psycopg.connect(debug_server.dsn)
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        before = reader.execute("SELECT sum(qty), count(*) FROM li").fetchall()
        c.execute("UPDATE li SET qty = 0 WHERE k < 3000")
        assert reader.execute("SELECT sum(qty), count(*) FROM li").fetchall() == before
        reader.rollback()
        reader.close()


def test_vectorized_integer_overflow_is_still_an_error(debug_server):
    with psycopg.connect(debug_server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE ov (a int4, b int8)")
        c.execute(f"INSERT INTO ov SELECT 2000000000, 9000000000000000000 FROM generate_series(1, {ROWS})")
        c.execute("CHECKPOINT")
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            c.execute("SELECT sum(a + a) FROM ov")
        # sum(int4) is int8 and sum(int8) is numeric: exact, beyond int64
        assert c.execute("SELECT sum(a), sum(b) FROM ov").fetchone() == (
            2000000000 * ROWS, 9000000000000000000 * ROWS)
