"""Subqueries: scalar (21000), IN/NOT IN with NULLs, EXISTS, ANY/ALL, correlated in WHERE and the select list, derived tables.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id, (select max(score) from qb where qb.a_id = qa.id) from qa order by id',
     ['id', 'max'],
     [(1, 100), (2, 80), (3, None), (4, None), (5, None)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id) order by id',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select id from qa where not exists (select 1 from qb where qb.a_id = qa.id) order by id',
     ['id'],
     [(4,), (5,)]),
    ('select id from qa where id in (select a_id from qb) order by id',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select id from qa where id not in (select a_id from qb) order by id',
     ['id'],
     []),
    ('select id from qa where id not in (select a_id from qb where a_id is not null) order by id',
     ['id'],
     [(4,), (5,)]),
    ('select id from qa where id = any (select a_id from qb) order by id',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select id from qa where id > all (select a_id from qb where a_id is not null) order by id',
     ['id'],
     []),
    ('select id from qa where id > all (select a_id from qb) order by id',
     ['id'],
     []),
    ('select id from qa where id < any (array[2,3]) order by id',
     ['id'],
     [(1,), (2,)]),
    ('select (select id from qb)',
     ('error', '21000')),
    ('select (select id from qb limit 1)',
     ['id'],
     [(10,)]),
    ('select (select id, a_id from qb limit 1)',
     ('error', '42601')),
    ('select id, (select count(*) from qb where qb.score > qa.val) from qa order by 1',
     ['id', 'count'],
     [(1, 5), (2, 5), (3, 0), (4, 5), (5, 5)]),
    ('select * from (select grp, count(*) c from qa group by grp) s where c > 1',
     ['grp', 'c'],
     [(2, 2), (1, 2)]),
    ('select id from qa q where val > (select avg(val) from qa q2 where q2.grp = q.grp) order by 1',
     ['id'],
     [(2,)]),
    ('select id, (select tag from qb where qb.a_id = qa.id order by score limit 1) from qa order by 1',
     ['id', 'tag'],
     [(1, 'y'), (2, 'x'), (3, 'y'), (4, None), (5, None)]),
    ('select id from qa where (select count(*) from qb where qb.a_id = qa.id) = 2',
     ['id'],
     [(1,)]),
    ("select id, exists(select 1 from qb where a_id = qa.id and tag = 'y') from qa order by 1",
     ['id', 'exists'],
     [(1, True), (2, False), (3, True), (4, False), (5, False)]),
    ('select (select (select qa.name)) from qa order by 1',
     ['name'],
     [('five',), ('four',), ('one',), ('three',), ('two',)]),
    ('select id, (select x from (select qa.id * 2 as x) s) from qa order by 1',
     ['id', 'x'],
     [(1, 2), (2, 4), (3, 6), (4, 8), (5, 10)]),
    ('select id, (select sum(g) from generate_series(1, qa.id) g) from qa order by 1',
     ['id', 'sum'],
     [(1, 1), (2, 3), (3, 6), (4, 10), (5, 15)]),
    ('select id from qa where grp in (select k from qc) and id not in (select a_id from qb where a_id is not null)',
     ['id'],
     [(5,)]),
    ('select * from qa where id in (1, null)',
     ['id', 'name', 'grp', 'val'],
     [(1, 'one', 1, Decimal('10.5'))]),
    ('select * from qa where id not in (1, null)',
     ['id', 'name', 'grp', 'val'],
     []),
    ('select null::int in (select a_id from qb)',
     ['?column?'],
     [(None,)]),
    ('select 1 in (select a_id from qb where false)',
     ['?column?'],
     [(False,)]),
    ('select null::int not in (select a_id from qb where false)',
     ['?column?'],
     [(True,)]),
    ('select g, g * 2 from generate_series(1, 3) g',
     ['g', '?column?'],
     [(1, 2), (2, 4), (3, 6)]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_subqueries(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
