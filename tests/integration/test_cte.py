"""WITH and WITH RECURSIVE: UNION / UNION ALL, cycles, CTEs referenced twice, correlated CTEs, errors.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('with x as (select id, name from qa where id < 3) select * from x',
     ['id', 'name'],
     [(1, 'one'), (2, 'two')]),
    ('with x as (select id from qa), y as (select id * 10 as z from x) select * from y order by z',
     ['z'],
     [(10,), (20,), (30,), (40,), (50,)]),
    ('with x(a, b) as (select id, name from qa) select a, b from x where a = 2',
     ['a', 'b'],
     [(2, 'two')]),
    ('with x as (select id from qa) select count(*) from x a join x b on a.id < b.id',
     ['count'],
     [(10,)]),
    ('with recursive t(n) as (select 1 union all select n + 1 from t where n < 10) select sum(n), count(*) from t',
     ['sum', 'count'],
     [(55, 10)]),
    ('with recursive t(n) as (values (1) union all select n + 1 from t where n < 5) select * from t',
     ['n'],
     [(1,), (2,), (3,), (4,), (5,)]),
    ('with recursive r(node) as (select 1 union select dst from edges join r on edges.src = r.node) select * from r order by node',
     ['node'],
     [(1,), (2,), (3,), (4,)]),
    ('with recursive r(node, depth) as (select 1, 0 union all select dst, depth + 1 from edges join r on edges.src = r.node where depth < 5) select node, min(depth) from r group by node order by node',
     ['node', 'min'],
     [(1, 0), (2, 1), (3, 2), (4, 3)]),
    ('with recursive fib(a, b) as (select 0::bigint, 1::bigint union all select b, a + b from fib where b < 100) select a from fib',
     ['a'],
     [(0,), (1,), (1,), (2,), (3,), (5,), (8,), (13,), (21,), (34,), (55,), (89,)]),
    ('with recursive t(n) as (select 1 union all select n + 1::bigint from t where n < 3) select * from t',
     ('error', '42804')),
    ('with recursive t as (select 1 as n union all select n + 1 from t where n < 3) select * from t',
     ['n'],
     [(1,), (2,), (3,)]),
    ('with a as (select 1 as v) select * from a, (with a as (select 2 as v) select v from a) s',
     ['v', 'v'],
     [(1, 2)]),
    ('with q as (select 1 as x) select * from q union all select * from q',
     ['x'],
     [(1,), (1,)]),
    ('with recursive r(node) as (select 1 union select dst from edges join r on edges.src = r.node) select count(*) from r',
     ['count'],
     [(4,)]),
    ('select id, (with c as (select count(*) n from qb where qb.a_id = qa.id) select n from c) from qa order by id',
     ['id', 'n'],
     [(1, 2), (2, 1), (3, 1), (4, 0), (5, 0)]),
    ('with recursive t(n) as (select n from t union select 1) select * from t',
     ('error', '42P19')),
    ('with x as (select 1) select * from x, x',
     ('error', '42712')),
    ('with recursive t(n) as (select 1 union all select n + 1 from t where n < 3), u as (select n * 2 m from t) select * from u order by m',
     ['m'],
     [(2,), (4,), (6,)]),
    ('with x as (select id from qa where id > 3) select qa.name from qa where qa.id in (select id from x) order by 1',
     ['name'],
     [('five',), ('four',)]),
    ('with recursive path(src, dst, hops, seen) as (select src, dst, 1, array[src] from edges where src = 1 union all select p.src, e.dst, p.hops + 1, p.seen || e.src from path p join edges e on e.src = p.dst where not e.src = any(p.seen)) select dst, hops from path order by hops, dst',
     ['dst', 'hops'],
     [(2, 1), (3, 2), (1, 3), (4, 3)]),
    ('with x(a, b, c) as (select 1, 2) select * from x',
     ('error', '42P10')),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_cte(tables, case):
    conn, names = tables
    check_case(conn, names, *case)


def test_with_before_dml(tables, unique_name):
    """WITH ... INSERT/UPDATE/DELETE and INSERT ... WITH ... SELECT (PostgreSQL 15 results)."""
    conn, names = tables
    t = unique_name("tins")
    conn.execute(f"create table {t} (a int, b text)")
    try:
        qa = names["qa"]
        conn.execute(f"with x as (select id, name from {qa} where id < 3) insert into {t} "
                     "select * from x")
        conn.execute(f"insert into {t} with y as (select 9 as a, 'nine' as b) select * from y")
        assert conn.execute(f"select * from {t} order by a").fetchall() == [
            (1, "one"), (2, "two"), (9, "nine")]
        conn.execute(f"with z as (select 1 as k) update {t} set b = 'upd' "
                     "where a in (select k from z)")
        conn.execute(f"with z as (select 2 as k) delete from {t} where a = (select k from z)")
        assert conn.execute(f"select * from {t} order by a").fetchall() == [
            (1, "upd"), (9, "nine")]
    finally:
        conn.execute(f"drop table {t}")


def test_data_modifying_ctes(tables, unique_name):
    """WITH d AS (DELETE/UPDATE/INSERT ... RETURNING) feeding a SELECT or an INSERT; an
    unread data-modifying CTE still runs (results checked against PostgreSQL 15)."""
    conn, _ = tables
    t1, t2 = unique_name("tm1"), unique_name("tm2")
    conn.execute(f"create table {t1} (a int, b text)")
    conn.execute(f"create table {t2} (a int, b text)")
    try:
        conn.execute(f"insert into {t1} values (1, 'x'), (2, 'y'), (3, 'z')")
        assert conn.execute(f"with d as (delete from {t1} where a > 1 returning *) "
                            "select * from d order by a").fetchall() == [(2, "y"), (3, "z")]
        assert conn.execute(f"select * from {t1}").fetchall() == [(1, "x")]
        conn.execute(f"with d as (delete from {t1} returning a, b) "
                     f"insert into {t2} select * from d")
        assert conn.execute(f"select count(*) from {t1}").fetchone() == (0,)
        assert conn.execute(f"select * from {t2}").fetchall() == [(1, "x")]
        assert conn.execute(f"with u as (update {t2} set b = b || '!' returning a) "
                            "select count(*) from u").fetchone() == (1,)
        assert conn.execute(f"with i as (insert into {t1} values (7, 'q') returning a) "
                            "select a * 2 from i").fetchall() == [(14,)]
        assert conn.execute(f"with i as (insert into {t1} values (8, 'r')) "
                            "select 1").fetchall() == [(1,)]
        assert conn.execute(f"select a from {t1} order by a").fetchall() == [(7,), (8,)]
        assert conn.execute(f"select * from {t2}").fetchall() == [(1, "x!")]
    finally:
        conn.execute(f"drop table {t1}")
        conn.execute(f"drop table {t2}")
