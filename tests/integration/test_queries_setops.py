"""UNION/INTERSECT/EXCEPT [ALL] with type resolution, ORDER BY/LIMIT/OFFSET/FETCH, VALUES.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select 1 union select 2 order by 1 desc',
     ['?column?'],
     [(2,), (1,)]),
    ('select 1 union all select 1',
     ['?column?'],
     [(1,), (1,)]),
    ('select 1 union select 1',
     ['?column?'],
     [(1,)]),
    ('select id from qa intersect select a_id from qb order by 1',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select grp from qa intersect all select grp from qa where id > 2',
     ['grp'],
     [(None,), (2,), (2,)]),
    ('select grp from qa except select k from qc',
     ['grp'],
     []),
    ('select grp from qa except all select k from qc',
     ['grp'],
     [(1,)]),
    ('select 1 as a union select 2.5 order by a',
     ['a'],
     [(Decimal(1),), (Decimal('2.5'),)]),
    ("select 'x' union select 'y' order by 1",
     ['?column?'],
     [('x',), ('y',)]),
    ("select 1 union select 'a'",
     ('error', '22P02')),
    ('select 1, 2 union select 1',
     ('error', '42601')),
    ('select id from qa union select id from qb order by id limit 3 offset 1',
     ['id'],
     [(2,), (3,), (4,)]),
    ('select id from qa union all select id from qb union all select k from qc order by 1 nulls first',
     ['id'],
     [(None,), (1,), (1,), (2,), (2,), (2,), (3,), (4,), (5,), (10,), (11,), (12,), (13,), (14,), (15,)]),
    ('(select id from qa order by id desc limit 2) union all (select 100) order by 1',
     ['id'],
     [(4,), (5,), (100,)]),
    ('select id from qa union select id from qb order by id + 1',
     ('error', '0A000')),
    ('select * from (select 1 as a union select 2) s order by a',
     ['a'],
     [(1,), (2,)]),
    ('select id from qa order by id fetch first 2 rows only',
     ['id'],
     [(1,), (2,)]),
    ('select id from qa order by id offset 2 rows fetch next 1 row only',
     ['id'],
     [(3,)]),
    ("select * from (values (1, 'a'), (2, 'b')) v",
     ['column1', 'column2'],
     [(1, 'a'), (2, 'b')]),
    ("values (1, 'one'), (2, 'two') order by 1 desc",
     ['column1', 'column2'],
     [(2, 'two'), (1, 'one')]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_setops(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
