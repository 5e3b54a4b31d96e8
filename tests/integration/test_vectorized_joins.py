"""Vectorized joins (sql/vector_join.py) return exactly what the row path returns.

Every query is written with ``{f}``, ``{d1}``... placeholders. The vectorized form names the
tables; the row-path form names derived tables ``(SELECT * FROM f) f``, which the vectorized
join does not take, so the same server answers it with the row path's hash joins (same join
order, same scan order). Results are compared with their Python types and in order (the
vectorized join reproduces the row path's row order, so float sums and ties agree too).

Each query runs after CHECKPOINT (all rows in the base), after mixed writes (base + delta),
against another session's uncommitted writes, in that session itself, and in an older
REPEATABLE READ snapshot. The server's debug log shows that the vectorized path ran.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from serverproc import ServerProcess, new_password

pytestmark = pytest.mark.usefixtures("managed_only")

N_FACT = 6000  # above sql/vectorized.py's MIN_BASE_ROWS

DDL = [
    """CREATE TABLE f (k int8, a int4, b text, c char(3), amt numeric(12,2), qty int4,
        fl float8, dt date, n numeric(10,3), a2 int8)""",
    "CREATE TABLE d1 (id int4, name text, grp int4, amt2 numeric(12,4), tag char(3))",
    "CREATE TABLE d2 (code varchar(10), label char(5), w float8, day date, id2 int8)",
    "CREATE TABLE e (id int4, x int4)",
]

LOAD = [
    f"""INSERT INTO f SELECT g,
        CASE WHEN g % 23 = 0 THEN NULL ELSE g % 330 END,
        CASE WHEN g % 29 = 0 THEN NULL ELSE 'c' || (g % 45) END,
        chr(65 + g % 4) || chr(65 + g % 3),
        (g % 997) * 1.25 - 300,
        g % 50,
        CASE WHEN g % 31 = 0 THEN NULL ELSE (g % 101) / 7.0 END,
        DATE '1995-01-01' + (g % 400),
        CASE WHEN g % 37 = 0 THEN NULL ELSE (g % 13) * 0.5 END,
        g % 40
        FROM generate_series(1, {N_FACT}) g""",
    # ids 0..299 (ids 300..329 of f find no partner), every id 5 times from 250 on
    """INSERT INTO d1 SELECT g, 'name' || (g % 17), g % 7, g * 0.0125, chr(65 + g % 4) || 'A'
        FROM generate_series(0, 299) g""",
    "INSERT INTO d1 SELECT 250 + g % 50, 'dup' || g, g % 5, g, 'BB' FROM generate_series(1, 200) g",
    "INSERT INTO d1 VALUES (NULL, 'null id', 1, 1, 'AA')",
    """INSERT INTO d2 SELECT 'c' || g, 'L' || (g % 4), g / 3.0, DATE '1995-01-01' + g * 3, g % 40
        FROM generate_series(0, 39) g""",
    "INSERT INTO d2 VALUES (NULL, 'Lnull', 0.5, NULL, NULL), ('c7', 'Ldup', 1.5, DATE '1996-01-01', 7)",
]

QUERIES = [
    "SELECT count(*) FROM {f} JOIN {d1} ON f.a = d1.id",
    "SELECT count(*), sum(f.amt), sum(d1.amt2) FROM {f}, {d1} WHERE f.a = d1.id AND d1.grp = 3",
    """SELECT d1.grp, count(*), sum(f.amt), avg(f.amt), min(f.amt), max(f.qty), sum(f.fl),
              avg(f.fl), count(f.fl), sum(f.n), avg(f.qty), min(f.dt), max(f.dt)
       FROM {f} JOIN {d1} ON f.a = d1.id GROUP BY d1.grp""",
    """SELECT d1.name, f.c, sum(f.amt * d1.amt2), count(f.n)
       FROM {f} JOIN {d1} ON d1.id = f.a WHERE f.qty < 20 AND d1.name <> 'name3'
       GROUP BY d1.name, f.c ORDER BY 3 DESC, 1, 2 LIMIT 7""",
    # three tables, filters on each, text keys, a date group key, ORDER BY with ties
    """SELECT f.dt, d2.label, sum(f.amt * (1 - f.n)), count(*)
       FROM {f} JOIN {d1} ON f.a = d1.id JOIN {d2} ON f.b = d2.code
       WHERE d1.grp IN (1, 2, 4) AND f.dt < DATE '1995-06-01' AND d2.w > 1
       GROUP BY f.dt, d2.label ORDER BY 4 DESC, 1 LIMIT 15""",
    # comma joins, the equalities in WHERE, FROM order different from join order
    """SELECT d2.code, count(*), sum(f.qty) FROM {d2}, {d1}, {f}
       WHERE f.b = d2.code AND d1.id = f.a AND d1.grp <> 0 GROUP BY d2.code""",
    # multi-column key, int4 = int8
    "SELECT count(*), sum(f.amt) FROM {f} JOIN {d2} ON f.b = d2.code AND f.a2 = d2.id2",
    # char(n) = char(n) (blank-padded)
    "SELECT f.c, count(*) FROM {f} JOIN {d1} ON f.c = d1.tag GROUP BY f.c",
    # residual conditions: a non-equality between tables, an OR across tables, a constant
    """SELECT d1.grp, count(*), sum(f.qty) FROM {f} JOIN {d1} ON f.a = d1.id AND f.qty > d1.grp * 5
       WHERE (f.qty < 10 OR d1.grp = 2) AND 1 = 1 GROUP BY d1.grp""",
    # NULL keys and NULL group keys
    "SELECT f.b, count(*), sum(d2.w) FROM {f} JOIN {d2} ON f.b = d2.code GROUP BY f.b",
    "SELECT d2.day, count(*) FROM {f} JOIN {d2} ON f.a2 = d2.id2 GROUP BY d2.day",
    # a self-join with aliases
    """SELECT count(*), sum(x.qty + y.qty) FROM {f:x} JOIN {f:y} ON x.k = y.a2
       WHERE y.k < 3000""",
    # an empty table: no groups, or one all-NULL row
    "SELECT e.x, count(*) FROM {f} JOIN {e} ON f.a = e.id GROUP BY e.x",
    "SELECT count(*), sum(f.amt), max(f.dt) FROM {f} JOIN {e} ON f.a = e.id",
    # HAVING and a select list computed from the groups
    """SELECT d1.grp * 10, sum(f.amt) / count(*) FROM {f} JOIN {d1} ON f.a = d1.id
       GROUP BY d1.grp HAVING count(*) > 100 ORDER BY 1""",
    # decimal keys at different scales
    "SELECT count(*) FROM {f} JOIN {d1} ON f.amt = d1.amt2",
    # no rows pass a filter
    "SELECT count(*), sum(f.qty) FROM {f} JOIN {d1} ON f.a = d1.id WHERE f.qty > 1000",
    # LIKE with a prefix, suffix, substring or exact pattern (NULLs stay unknown under NOT)
    """SELECT d1.name, count(*) FROM {f} JOIN {d1} ON f.a = d1.id
       WHERE d1.name LIKE 'name1%' AND f.b NOT LIKE '%7' AND f.b LIKE '%c%'
       GROUP BY d1.name""",
    """SELECT count(*) FROM {f} JOIN {d2} ON f.b = d2.code
       WHERE d2.code LIKE 'c1' OR d2.code LIKE '%' OR f.b NOT LIKE 'c2%'""",
    # ORDER BY ... LIMIT decided on the group arrays: NULL keys, DESC, OFFSET, ties
    """SELECT f.n, count(*), min(d1.amt2), max(f.dt) FROM {f} JOIN {d1} ON f.a = d1.id
       GROUP BY f.n ORDER BY f.n NULLS FIRST LIMIT 4""",
    """SELECT f.n AS n, count(*) FROM {f} JOIN {d1} ON f.a = d1.id GROUP BY f.n
       ORDER BY n DESC LIMIT 3 OFFSET 1""",
    """SELECT f.qty, sum(f.fl), min(f.fl) FROM {f} JOIN {d1} ON f.a = d1.id GROUP BY f.qty
       ORDER BY 2 DESC NULLS LAST, 1 LIMIT 5""",
    """SELECT d1.grp, f.c, count(*) FROM {f} JOIN {d1} ON f.a = d1.id GROUP BY d1.grp, f.c
       ORDER BY 3 DESC LIMIT 4""",
    """SELECT d1.name, sum(f.qty) FROM {f} JOIN {d1} ON f.a = d1.id GROUP BY d1.name
       ORDER BY d1.name DESC LIMIT 5 OFFSET 1000""",
    """SELECT d2.label, max(f.amt) FROM {f} JOIN {d2} ON f.b = d2.code GROUP BY d2.label
       ORDER BY 2, 1 LIMIT 2""",
]

# joins without aggregation: the joined rows themselves (sql/vector_join_rows.py)
ROW_QUERIES = [
    "SELECT f.k, d1.name, f.amt, d1.amt2, f.dt FROM {f} JOIN {d1} ON f.a = d1.id WHERE f.qty = 7",
    "SELECT * FROM {f} JOIN {d2} ON f.b = d2.code WHERE d2.w < 2 AND f.k < 800",
    # % is outside the vectorized subset: this one stays on the row path (counted below)
    "SELECT d2.*, f.fl FROM {d2}, {f} WHERE f.a2 = d2.id2 AND f.k % 97 = 1",
    # ORDER BY ... LIMIT decided on arrays: NULLs, DESC, OFFSET, ties, an alias, a hidden key
    "SELECT f.k, f.n FROM {f} JOIN {d1} ON f.a = d1.id ORDER BY f.n NULLS FIRST, f.k LIMIT 12",
    "SELECT f.k, d1.grp AS g FROM {f} JOIN {d1} ON f.a = d1.id ORDER BY g DESC LIMIT 9 OFFSET 30",
    "SELECT d1.name, f.fl FROM {f} JOIN {d1} ON f.a = d1.id ORDER BY f.fl DESC, d1.name LIMIT 20",
    "SELECT f.k FROM {f} JOIN {d2} ON f.b = d2.code ORDER BY d2.label, f.dt DESC LIMIT 25",
    "SELECT f.k, d1.tag FROM {f} JOIN {d1} ON f.a = d1.id LIMIT 10 OFFSET 5",
    "SELECT DISTINCT d1.grp, f.c FROM {f} JOIN {d1} ON f.a = d1.id ORDER BY 1, 2",
    "SELECT f.k + d1.grp, upper(d1.name) FROM {f} JOIN {d1} ON f.a = d1.id WHERE f.k < 50",
    "SELECT f.k FROM {f} JOIN {e} ON f.a = e.id",
    # one table, no join: the filter and ORDER BY ... LIMIT on arrays
    "SELECT k, amt, dt FROM {f} WHERE qty > 40 AND c <> 'AA' ORDER BY amt DESC, k LIMIT 7",
    "SELECT f.* FROM {f} WHERE fl IS NULL OR n > 5.5 ORDER BY n NULLS FIRST, k DESC LIMIT 11 OFFSET 3",
    "SELECT b, c, a2 FROM {f} WHERE b LIKE 'c1%' AND dt >= DATE '1995-06-01'",
    "SELECT * FROM {f} LIMIT 4",
]

# LEFT joins (the row path's HashJoin: right side hashed, unmatched left rows NULL-extended)
LEFT_QUERIES = [
    """SELECT d1.grp, count(*), count(f.k), sum(f.amt), min(f.dt)
       FROM {d1} LEFT JOIN {f} ON f.a = d1.id GROUP BY d1.grp""",
    """SELECT count(*), count(d1.id), sum(d1.amt2)
       FROM {f} LEFT JOIN {d1} ON f.a = d1.id AND d1.grp > 2""",
    "SELECT f.k, d2.label, d2.w FROM {f} LEFT JOIN {d2} ON f.b = d2.code WHERE f.k < 200",
    "SELECT f.k, f.a FROM {f} LEFT JOIN {d1} ON f.a = d1.id WHERE d1.id IS NULL",
    """SELECT count(*), count(d2.code), sum(d2.w)
       FROM {f} LEFT JOIN {d1} ON f.a = d1.id LEFT JOIN {d2} ON d1.name = d2.code""",
    """SELECT d1.grp, count(d2.code), sum(f.qty) FROM {f} JOIN {d1} ON f.a = d1.id
       LEFT JOIN {d2} ON f.b = d2.code AND f.a2 = d2.id2 GROUP BY d1.grp ORDER BY 1""",
    "SELECT count(*), count(e.x), max(e.id) FROM {f} LEFT JOIN {e} ON f.a = e.id",
    "SELECT e.x, count(*) FROM {f} LEFT JOIN {e} ON f.a = e.id GROUP BY e.x",
    """SELECT f.k, d1.name FROM {f} LEFT JOIN {d1} ON f.a = d1.id
       ORDER BY d1.name NULLS FIRST, f.k LIMIT 10""",
    """SELECT d1.name, sum(f.amt) FROM {f} LEFT JOIN {d1} ON f.a = d1.id WHERE f.qty < 5
       GROUP BY d1.name ORDER BY 2 DESC NULLS LAST LIMIT 3""",
    # RIGHT and FULL joins (join_ops.HashOuterJoin: unmatched right rows come last)
    """SELECT d1.id, d1.name, count(f.k), sum(f.qty) FROM {f} RIGHT JOIN {d1} ON f.a = d1.id
       AND f.qty > 40 GROUP BY d1.id, d1.name""",
    """SELECT f.k, d2.code, d2.w FROM {f} FULL JOIN {d2} ON f.b = d2.code AND f.a2 = d2.id2
       WHERE f.k IS NULL OR f.k < 120""",
    """SELECT count(*), count(f.k), count(e.id) FROM {f} FULL JOIN {e} ON f.a = e.id""",
    """SELECT d2.label, count(*), count(d1.id) FROM {d2} RIGHT JOIN {f} ON f.b = d2.code
       LEFT JOIN {d1} ON d1.id = f.a GROUP BY d2.label ORDER BY 2 DESC, 1 LIMIT 4""",
    # JOIN ... USING (the merged column is the left one; RIGHT: the right one)
    """SELECT k, count(*), sum(x.qty + y.qty) FROM {f:x} JOIN {f:y} USING (k)
       WHERE y.k < 3000 GROUP BY k ORDER BY 3 DESC, 1 LIMIT 5""",
    """SELECT a, count(*), count(y.k) FROM {f:x} LEFT JOIN {f:y} USING (a, c)
       WHERE x.qty < 3 GROUP BY a ORDER BY a LIMIT 10""",
    "SELECT k, x.qty, y.dt FROM {f:x} RIGHT JOIN {f:y} USING (k) WHERE y.qty > 45 ORDER BY k",
]

# bound parameters in filters, residuals and LIMIT (prepared statements: one plan, many runs)
PARAM_QUERIES = [
    ("""SELECT d1.grp, sum(f.amt), count(*) FROM {f} JOIN {d1} ON f.a = d1.id
        WHERE f.qty < %s AND d1.name <> %s GROUP BY d1.grp ORDER BY 2 DESC LIMIT %s""",
     [(10, "name3", 3), (45, "x", 5), (0, "name1", 2)]),
    ("""SELECT f.k, d1.amt2 FROM {f} JOIN {d1} ON f.a = d1.id AND f.amt > d1.amt2 * %s
        WHERE f.dt >= %s ORDER BY f.k DESC LIMIT 7""",
     [(2, "1995-06-01"), (100, "1995-01-01")]),
]


def _form(query: str, vectorized: bool) -> str:
    def sub(m: re.Match) -> str:
        table, alias = m.group(1), m.group(2) or m.group(1)
        if vectorized:
            return table if alias == table else f"{table} {alias}"
        # a function call keeps even the single-table SELECT on the row path (not vectorized)
        return f"(SELECT * FROM {table} WHERE mod(1, 1) = 0) {alias}"

    return re.sub(r"\{(\w+)(?::(\w+))?\}", sub, query)


def _typed(rows: list[tuple]) -> list[tuple]:
    return [tuple((type(v).__name__, str(v)) for v in row) for row in rows]


def _check_all(conn, label: str) -> None:
    for q in QUERIES + ROW_QUERIES + LEFT_QUERIES:
        vec = _typed(conn.execute(_form(q, True)).fetchall())
        row = _typed(conn.execute(_form(q, False)).fetchall())
        assert vec == row, f"{label}: {q}"
    for q, runs in PARAM_QUERIES:
        for params in runs:
            vec = _typed(conn.execute(_form(q, True), params, prepare=True).fetchall())
            row = _typed(conn.execute(_form(q, False), params, prepare=True).fetchall())
            assert vec == row, f"{label}: {q} {params}"


@pytest.fixture
def server(tmp_path):
    s = ServerProcess(data_dir=tmp_path / "data", password=new_password(),
                      extra_args=["--log-level", "debug"])
    s.start()
    try:
        yield s
    finally:
        if s.is_running():
            s.stop_clean()


def _vectorized_runs(server) -> int:
    return server.output(whole=True).count("vectorized join of ")


def test_vectorized_joins_match_row_path(server):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        for stmt in DDL + LOAD:
            c.execute(stmt)
        _check_all(c, "all rows in the delta")
        c.execute("CHECKPOINT")
        before = _vectorized_runs(server)
        _check_all(c, "all rows in the base")
        ran = _vectorized_runs(server) - before
        expected = len(QUERIES) + len(ROW_QUERIES) + len(LEFT_QUERIES) - 1
        expected += sum(len(runs) for _, runs in PARAM_QUERIES)
        assert ran == expected, server.output()
        # the ORDER BY ... LIMIT queries built only the groups they return
        assert server.output(whole=True).count("groups built") >= 8, server.output()

        # base + delta: promoted base rows, new rows, deleted rows, new keys and duplicates
        c.execute("UPDATE f SET qty = qty + 1, amt = amt * 2, fl = NULL WHERE k % 10 = 0")
        c.execute("DELETE FROM f WHERE k % 17 = 3")
        c.execute("INSERT INTO f SELECT k + 100000, a, b, c, amt, qty, fl, dt, n, a2 FROM f "
                  "WHERE k < 300")
        c.execute("INSERT INTO d1 VALUES (5, 'late', 3, 1.5, 'CA'), (320, 'new', 2, 2, 'DB')")
        c.execute("UPDATE d1 SET grp = grp + 1 WHERE id % 11 = 0")
        c.execute("INSERT INTO d2 VALUES ('c44', 'Lnew', 9, DATE '1995-02-02', 3)")
        c.execute("INSERT INTO e VALUES (1, 1), (7, NULL)")
        _check_all(c, "base + delta")

        # another session's uncommitted writes are invisible; that session sees its own
        other = psycopg.connect(server.dsn)
        other.execute("INSERT INTO f SELECT k + 200000, a, b, c, amt, qty, fl, dt, n, a2 FROM f "
                      "WHERE k < 2000")
        other.execute("UPDATE d1 SET id = id + 1 WHERE id < 100")
        other.execute("DELETE FROM d2 WHERE code = 'c3'")
        _check_all(c, "another session's uncommitted writes")
        _check_all(other, "the writing session itself")
        other.rollback()

        # an older REPEATABLE READ snapshot keeps seeing the rows as they were
        reader = psycopg.connect(server.dsn)
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        q = _form(QUERIES[2], True)
        seen = reader.execute(q).fetchall()
        c.execute("UPDATE f SET amt = 0 WHERE k < 3000")
        c.execute("DELETE FROM d1 WHERE grp = 1")
        assert reader.execute(q).fetchall() == seen
        _check_all(reader, "an older snapshot")
        reader.rollback()
        reader.close()
        other.close()
        _check_all(c, "after the reader")
        assert "vectorized join fell back" not in server.output(whole=True)


def test_vectorized_join_integer_overflow_is_still_an_error(server):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big (k int4, v int4)")
        c.execute("CREATE TABLE dim (k int4)")
        c.execute("INSERT INTO big SELECT g % 10, 2000000000 FROM generate_series(1, 5000) g")
        c.execute("INSERT INTO dim SELECT g FROM generate_series(0, 9) g")
        c.execute("CHECKPOINT")
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            c.execute("SELECT sum(big.v + big.v) FROM big JOIN dim ON big.k = dim.k")
        assert c.execute("SELECT sum(big.v) FROM big JOIN dim ON big.k = dim.k").fetchone() == (
            2000000000 * 5000,)


def test_explain_shows_the_vectorized_plan(server):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        for stmt in DDL + LOAD:
            c.execute(stmt)
        c.execute("CHECKPOINT")
        q = _form(QUERIES[4], True)
        plan = "\n".join(r[0] for r in c.execute("EXPLAIN " + q).fetchall())
        assert "HashAggregate (vectorized)" in plan
        assert plan.count("Hash Join (vectorized)") == 2
        assert "Seq Scan on d1 (vectorized)" in plan and "Hash Cond: (f.a = d1.id)" in plan
        assert "Filter: (d2.w > 1)" in plan
        analyzed = "\n".join(r[0] for r in c.execute("EXPLAIN ANALYZE " + q).fetchall())
        assert "never executed" not in analyzed
        scan = re.search(r"Seq Scan on f \(vectorized\) \(actual time=[\d.]+\.\.[\d.]+ "
                         r"rows=(\d+) loops=1\)", analyzed)
        assert scan is not None, analyzed
        expected = c.execute("SELECT count(*) FROM f WHERE f.dt < DATE '1995-06-01'").fetchone()
        assert int(scan.group(1)) == expected[0]
        left = "\n".join(r[0] for r in c.execute("EXPLAIN " + _form(LEFT_QUERIES[5], True)))
        assert "Hash Left Join (vectorized)" in left and "Hash Join (vectorized)" in left
        full = "\n".join(r[0] for r in c.execute("EXPLAIN " + _form(LEFT_QUERIES[11], True)))
        assert "Hash Full Join (vectorized)" in full, full
        rows_plan = "\n".join(r[0] for r in c.execute("EXPLAIN " + _form(ROW_QUERIES[3], True)))
        assert "Hash Join (vectorized)" in rows_plan and "Aggregate" not in rows_plan
        # tiny tables: the saved row plan runs, and EXPLAIN ANALYZE says so
        c.execute("CREATE TABLE s1 (a int4)")
        c.execute("CREATE TABLE s2 (a int4)")
        c.execute("INSERT INTO s1 VALUES (1), (2)")
        c.execute("INSERT INTO s2 VALUES (2), (3)")
        small = "\n".join(r[0] for r in c.execute(
            "EXPLAIN ANALYZE SELECT count(*) FROM s1 JOIN s2 ON s1.a = s2.a"))
        assert "Vectorized: no, ran the row plan (fewer than 2048 rows)" in small, small
        # ... and shows the row plan that runs, under PostgreSQL's node names
        assert "(vectorized)" not in small and "Hash Join" in small, small
        plain = "\n".join(r[0] for r in c.execute(
            "EXPLAIN SELECT s1.a FROM s1 RIGHT JOIN s2 ON s1.a = s2.a"))
        assert "Hash Right Join" in plain and "(vectorized)" not in plain, plain
        assert "Vectorized: no" not in analyzed
        # the row path's plan for the derived-table form is unchanged
        row_plan = "\n".join(r[0] for r in c.execute("EXPLAIN " + _form(QUERIES[4], False)))
        assert "vectorized" not in row_plan
