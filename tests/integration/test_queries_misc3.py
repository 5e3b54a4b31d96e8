"""Query-shape errors and edge semantics as PostgreSQL reports them: aliases required in FROM, IN (VALUES ...), set-operation typing and ORDER BY, window calls and frames PostgreSQL refuses, CASE column names, ANY/ALL over no rows.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('SELECT * FROM (VALUES (1), (2)) v(x) WHERE x IN (VALUES (2), (3))',
     ['x'],
     [(2,)]),
    ('select id from qa where id in (values (1), (3)) order by 1',
     ['id'],
     [(1,), (3,)]),
    ('SELECT * FROM (VALUES (1), (2)) v(x) WHERE x IN (VALUES (2), (3))',
     ['x'],
     [(2,)]),
    ('WITH RECURSIVE r(n) AS (SELECT n FROM r) SELECT * FROM r',
     ('error', '42P19')),
    ("SELECT 'a'::varchar(5) UNION SELECT 'b'::text",
     ['varchar'],
     [('a',), ('b',)]),
    ("SELECT 'a'::text UNION SELECT 'b'::varchar",
     ['text'],
     [('a',), ('b',)]),
    ("SELECT 'a'::varchar(5) UNION SELECT 'b'::varchar(5)",
     ['varchar'],
     [('a',), ('b',)]),
    ('SELECT id FROM qa UNION SELECT id FROM qb ORDER BY nosuch',
     ('error', '42703')),
    ('SELECT * FROM (SELECT 1)',
     ('error', '42601')),
    ('SELECT * FROM (VALUES (1))',
     ('error', '42601')),
    ('SELECT id, nosuchfn(id) OVER () FROM qa',
     ('error', '42883')),
    ('SELECT id, lower(name) OVER () FROM qa',
     ('error', '42809')),
    ('SELECT id, rank() FROM qa',
     ('error', '42809')),
    ('select * from (select 1) as s',
     ['?column?'],
     [(1,)]),
    ('select * from (qa join qb on qa.id = qb.a_id) where qa.id = 1',
     ['id', 'name', 'grp', 'val', 'id', 'a_id', 'score', 'tag'],
     [(1, 'one', 1, Decimal('10.5'), 10, 1, 100, 'x'), (1, 'one', 1, Decimal('10.5'), 11, 1, 90, 'y')]),
    ("select null::int < all (select 1 where false), null::int = any (select 1 where false), 1 = any('{}'::int[]), null::int > all('{}'::int[])",
     ['?column?', '?column?', '?column?', '?column?'],
     [(True, False, False, True)]),
    ("SELECT CASE WHEN grouping(grp) = 1 THEN 'all' ELSE coalesce(name, 'none') END, count(*) FROM qa GROUP BY ROLLUP (grp, name) order by 1, 2",
     ['coalesce', 'count'],
     [('all', 5), ('five', 1), ('four', 1), ('none', 1), ('none', 2), ('none', 2), ('one', 1), ('three', 1), ('two', 1)]),
    ('SELECT CASE WHEN id < 3 THEN val ELSE grp END FROM qa',
     ['grp'],
     [(Decimal('10.5'),), (Decimal(20),), (Decimal(2),), (None,), (Decimal(2),)]),
    ('SELECT CASE WHEN id < 3 THEN val ELSE 1 END FROM qa',
     ['case'],
     [(Decimal('10.5'),), (Decimal(20),), (Decimal(1),), (Decimal(1),), (Decimal(1),)]),
    ('SELECT grp FROM qa GROUP BY ROLLUP (grp) ORDER BY grouping(nosuch)',
     ('error', '42703')),
    ('SELECT id, count(name) OVER (), count(DISTINCT grp) OVER () FROM qa',
     ('error', '0A000')),
    ('SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM qa',
     ('error', '42P20')),
    ('SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM qa',
     ('error', '42P20')),
    ('SELECT id, sum(id) OVER (ORDER BY name RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM qa',
     ('error', '0A000')),
    ('SELECT id, sum(id) OVER w FROM qa WINDOW w AS (ORDER BY id), w AS (ORDER BY name)',
     ('error', '42P20')),
    ('SELECT sum(row_number() OVER (ORDER BY id)) FROM qa',
     ('error', '42803')),
    ('SELECT * FROM generate_series(1, 3) g(a, b)',
     ('error', '42P10')),
    ('SELECT * FROM (VALUES (1, 2)) v(a, b, c)',
     ('error', '42P10')),
    ("SELECT 1 INTERSECT SELECT 'a'::text",
     ('error', '42804')),
    ('WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3 ORDER BY 1) SELECT * FROM r',
     ('error', '0A000')),
    ('SELECT row_number(1) OVER () FROM qa',
     ('error', '42883')),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_misc3(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
