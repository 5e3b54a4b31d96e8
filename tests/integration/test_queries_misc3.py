"""Query-shape errors and edge semantics as PostgreSQL reports them: aliases required in FROM, IN (VALUES ...), set-operation typing and ORDER BY, window calls without OVER, ANY/ALL over no rows.

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
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_misc3(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
