"""FETCH FIRST n ROWS WITH TIES / FETCH FIRST ROW ONLY, over plain queries and set operations.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id, grp from qa order by grp fetch first 2 rows with ties',
     ['id', 'grp'],
     [(1, 1), (2, 1)]),
    ('select id, grp from qa order by grp nulls first offset 1 fetch first 1 rows with ties',
     ['id', 'grp'],
     [(1, 1), (2, 1)]),
    ('select id from qa fetch first 2 rows with ties',
     ('error', '42601')),
    ('select id from qa order by id fetch first row only',
     ['id'],
     [(1,)]),
    ('select id from qa order by id fetch next rows only',
     ['id'],
     [(1,)]),
    ('select id, grp from qa order by grp fetch first 0 rows with ties',
     ['id', 'grp'],
     []),
    ('select grp from qa union all select grp from qa order by 1 fetch first 1 rows with ties',
     ['grp'],
     [(1,), (1,), (1,), (1,)]),
    ('select id, grp from qa order by grp desc, id fetch first 3 rows with ties',
     ['id', 'grp'],
     [(4, None), (3, 2), (5, 2)]),
    ('select score from qb order by score fetch first 1 row with ties',
     ['score'],
     [(60,)]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_ties(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
