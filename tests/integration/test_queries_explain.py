"""EXPLAIN shows the query-shape nodes under PostgreSQL's names, and EXPLAIN ANALYZE
measures them (rows and loops per node, averaged per loop as PostgreSQL does).

Node names were checked against ``EXPLAIN (COSTS OFF)`` of PostgreSQL 15 for the same
queries; OmenDB prints no costs, so only the node lines are compared.
"""

from __future__ import annotations

import re

import pytest

from ._query_cases import substitute, tables_fixture

# OmenDB's own plan output (PostgreSQL prints costs and may choose other plans).
pytestmark = pytest.mark.usefixtures("managed_only")


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


def explain(conn, names, sql: str, analyze: bool = False) -> list[str]:
    prefix = "EXPLAIN ANALYZE " if analyze else "EXPLAIN "
    return [r[0] for r in conn.execute(prefix + substitute(sql, names)).fetchall()]


def nodes(lines: list[str]) -> list[str]:
    """The node names, in plan order (without 'on <table>' and ANALYZE figures)."""
    out = []
    for ln in lines:
        text = ln.strip()
        if text.startswith("->"):
            text = text[2:].strip()
        elif ln.startswith(" "):
            continue  # a detail line (Filter:, Hash Cond:, CTE x, SubPlan n...)
        text = re.sub(r" \(actual .*\)$| \(never executed\)$", "", text)
        out.append(re.sub(r" on .*$", "", text))
    return out


CASES = [
    ("select qa.id, qb.id from qa full join qb on qa.id = qb.a_id",
     ["Hash Full Join", "Seq Scan", "Hash", "Seq Scan"]),
    ("select qa.id, qb.id from qa right join qb on qa.id = qb.a_id",
     ["Hash Right Join", "Seq Scan", "Hash", "Seq Scan"]),
    ("select * from qa, lateral (select sum(score) from qb where qb.a_id = qa.id) x",
     ["Nested Loop", "Seq Scan", "Aggregate", "Seq Scan"]),
    ("with recursive t(n) as (select 1 union all select n + 1 from t where n < 10) select * from t",
     ["CTE Scan", "Recursive Union", "Result", "WorkTable Scan"]),
    ("select id from qa intersect select a_id from qb", ["HashSetOp Intersect", "Seq Scan",
                                                        "Seq Scan"]),
    ("select id, row_number() over (partition by grp order by id) from qa",
     ["WindowAgg", "Seq Scan"]),
    ("select grp, count(*) from qa group by rollup(grp)", ["MixedAggregate", "Seq Scan"]),
    ("select distinct on (grp) grp, id from qa order by grp, id",
     ["Unique", "Sort", "Seq Scan"]),
    ("select generate_series(1, 3)", ["ProjectSet", "Result"]),
    ("select * from generate_series(1, 3) g", ["Function Scan"]),
]


@pytest.mark.parametrize("sql, expected", CASES, ids=[c[0][:50] for c in CASES])
def test_explain_nodes(tables, sql, expected):
    conn, names = tables
    got = nodes(explain(conn, names, sql))
    assert [g for g in got if g != "CTE"] == expected, got


def test_explain_shows_cte_and_subplans(tables):
    conn, names = tables
    lines = explain(conn, names, "with x as (select id from qa) select * from x a join x b "
                    "on a.id = b.id")
    assert any(ln.strip() == "CTE x" for ln in lines), lines
    lines = explain(conn, names, "select (select max(score) from qb where qb.a_id = qa.id) "
                    "from qa")
    assert any(ln.strip() == "SubPlan 1" for ln in lines), lines


def test_explain_analyze_counts_rows_and_loops(tables):
    conn, names = tables
    lines = explain(conn, names, "select id, row_number() over (order by id) from qa",
                    analyze=True)
    assert re.search(r"^WindowAgg \(actual time=\S+ rows=5 loops=1\)$", lines[0]), lines
    lines = explain(conn, names, "select id, (select max(score) from qb where qb.a_id = qa.id) "
                    "from qa", analyze=True)
    sub = [ln for ln in lines if "Aggregate" in ln]
    assert sub and re.search(r"rows=1 loops=5\)$", sub[0]), lines


def test_exists_becomes_semi_and_anti_join(tables):
    conn, names = tables
    lines = explain(conn, names, "select id from qa where exists "
                    "(select 1 from qb where qb.a_id = qa.id)")
    assert nodes(lines) == ["Hash Semi Join", "Seq Scan", "Hash", "Seq Scan"], lines
    lines = explain(conn, names, "select id from qa where not exists "
                    "(select 1 from qb where qb.a_id = qa.id and qb.score > 85)")
    assert nodes(lines)[0] == "Hash Anti Join", lines
