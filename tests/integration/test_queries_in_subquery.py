"""IN / NOT IN over larger subqueries (hashed probe) with PostgreSQL's NULL rules and type conversions.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select count(*) from qb where a_id in (select g from generate_series(1, 20) g)',
     ['count'],
     [(5,)]),
    ('select count(*) from qb where a_id not in (select g from generate_series(1, 20) g)',
     ['count'],
     [(0,)]),
    ('select count(*) from qb where a_id not in (select g from generate_series(1, 20) g union all select null)',
     ['count'],
     [(0,)]),
    ('select count(*) from qb where score in (select g * 10 from generate_series(1, 20) g)',
     ['count'],
     [(5,)]),
    ('select count(*) from qb where score::numeric in (select g * 10.0 from generate_series(1, 20) g)',
     ['count'],
     [(5,)]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_inset(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
