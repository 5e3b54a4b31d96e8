"""Window aggregates with FILTER (WHERE ...), and aggregate ORDER BY refused in window calls as PostgreSQL does.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id, count(*) filter (where grp = 1) over (order by id) from qa order by id',
     ['id', 'count'],
     [(1, 1), (2, 2), (3, 2), (4, 2), (5, 2)]),
    ('select id, sum(id) filter (where id > 2) over () from qa order by id',
     ['id', 'sum'],
     [(1, 12), (2, 12), (3, 12), (4, 12), (5, 12)]),
    ('select grp, count(*) filter (where id > 1) from qa group by grp order by grp',
     ['grp', 'count'],
     [(1, 1), (2, 2), (None, 1)]),
    ('select id, array_agg(id order by id desc) over () from qa order by id',
     ('error', '0A000')),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_winfilter(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
