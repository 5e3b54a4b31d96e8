"""EXPLAIN and EXPLAIN ANALYZE print plans the way PostgreSQL users read them."""

from __future__ import annotations

import re


def _plan(conn, sql, params=None):
    return [r[0] for r in conn.execute(sql, params).fetchall()]


def test_explain_shows_index_and_seq_scans(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, g int, v text)")
    conn.execute(f"CREATE INDEX {table_name}_g ON {table_name} (g)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c')")
    assert _plan(conn, f"EXPLAIN SELECT * FROM {table_name} WHERE id = 1") == [
        f"Index Scan using {table_name}_pkey on {table_name}",
        "  Index Cond: (id = 1)",
    ]
    assert _plan(conn, f"EXPLAIN SELECT v FROM {table_name} WHERE g = 1 AND v <> 'z'")[0] == (
        f"Index Scan using {table_name}_g on {table_name}")
    plan = _plan(conn, f"EXPLAIN SELECT g, count(*) FROM {table_name} GROUP BY g ORDER BY g LIMIT 1")
    assert [ln.strip() for ln in plan] == [
        "Limit", "->  Sort", "Sort Key: g", "->  HashAggregate", "Group Key: g",
        f"->  Seq Scan on {table_name}",
    ]
    conn.rollback()


def test_explain_analyze_reports_actual_rows(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    plan = _plan(conn, f"EXPLAIN ANALYZE SELECT * FROM {table_name} WHERE v > 'a'")
    assert re.fullmatch(rf"Seq Scan on {table_name} \(actual time=[0-9.]+\.\.[0-9.]+ rows=2 loops=1\)",
                        plan[0]), plan
    assert "  Filter: (v > 'a')" in plan
    assert "  Rows Removed by Filter: 1" in plan
    assert plan[-2].startswith("Planning Time: ") and plan[-1].startswith("Execution Time: ")
    # EXPLAIN ANALYZE of DML executes it; plain EXPLAIN does not
    _plan(conn, f"EXPLAIN UPDATE {table_name} SET v = 'x' WHERE id = 1")
    assert conn.execute(f"SELECT v FROM {table_name} WHERE id = 1").fetchone() == ("a",)
    _plan(conn, f"EXPLAIN ANALYZE UPDATE {table_name} SET v = 'x' WHERE id = 1")
    assert conn.execute(f"SELECT v FROM {table_name} WHERE id = 1").fetchone() == ("x",)
    conn.rollback()


def test_in_list_uses_the_index_and_returns_each_row_once(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    plan = _plan(conn, f"EXPLAIN SELECT v FROM {table_name} WHERE id IN (1, 3, 3, NULL)")
    assert plan == [f"Index Scan using {table_name}_pkey on {table_name}",
                    "  Index Cond: (id = ANY (ARRAY[1, 3, 3, NULL]))"]
    rows = conn.execute(f"SELECT v FROM {table_name} WHERE id IN (%s, %s, %s)", (3, 1, 3)).fetchall()
    assert sorted(rows) == [("a",), ("c",)]
    assert conn.execute(f"DELETE FROM {table_name} WHERE id IN (1, 2) RETURNING id").fetchall() in (
        [(1,), (2,)], [(2,), (1,)])
    conn.rollback()


def test_alex_ranges_and_order_by_primary_key(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int8 PRIMARY KEY, v text)")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table_name} FROM STDIN") as cp:
            for i in range(0, 2000, 2):  # even ids only
                cp.write(f"{i}\tv{i}\n")
    conn.execute(f"DELETE FROM {table_name} WHERE id = 100")
    q = f"SELECT id FROM {table_name} WHERE id > %s AND id <= %s"
    assert sorted(r[0] for r in conn.execute(q, (95, 106))) == [96, 98, 102, 104, 106]
    assert [r[0] for r in conn.execute(
        f"SELECT id FROM {table_name} WHERE id BETWEEN 10 AND 20 ORDER BY id DESC")] == [
        20, 18, 16, 14, 12, 10]
    assert [r[0] for r in conn.execute(
        f"SELECT id FROM {table_name} ORDER BY id DESC LIMIT 3")] == [1998, 1996, 1994]
    assert [r[0] for r in conn.execute(
        f"SELECT id, v FROM {table_name} WHERE v <> 'v0' ORDER BY id LIMIT 2")] == [2, 4]
    assert conn.execute(f"SELECT count(*) FROM {table_name} WHERE id < 0").fetchone() == (0,)
    assert conn.execute(f"SELECT count(*) FROM {table_name} WHERE id >= NULL").fetchone() == (0,)
    plan = _plan(conn, f"EXPLAIN SELECT id FROM {table_name} ORDER BY id DESC LIMIT 3")
    assert plan == ["Limit", f"  ->  Index Scan Backward using {table_name}_pkey on {table_name}"]
    plan = _plan(conn, f"EXPLAIN SELECT id FROM {table_name} WHERE id > 5 AND id < 9")
    assert plan[0] == f"Index Scan using {table_name}_pkey on {table_name}"
    assert plan[1] == "  Index Cond: (id > 5) AND (id < 9)"
    conn.rollback()
