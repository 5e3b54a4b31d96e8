"""Row constructors in comparisons: (a, b) = / <> (c, d), IN lists of rows, and multi-column IN / NOT IN subqueries with PostgreSQL's NULL rules (also in join conditions and comma-join filters).

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id from qa where (id, grp) = (1, 1)',
     ['id'],
     [(1,)]),
    ('select id from qa where (id, grp) <> (1, 1) order by 1',
     ['id'],
     [(2,), (3,), (4,), (5,)]),
    ('select id from qa where (id, grp) in ((1, 1), (3, 2), (4, null)) order by 1',
     ['id'],
     [(1,), (3,)]),
    ('select id from qa where (id, grp) in (select a_id, 1 from qb) order by 1',
     ['id'],
     [(1,), (2,)]),
    ('select id from qa where (id, grp) not in (select a_id, 1 from qb where a_id is not null) order by 1',
     ['id'],
     [(3,), (4,), (5,)]),
    ('select id from qa where (grp, id) not in (select 1, a_id from qb) order by 1',
     ['id'],
     [(3,), (5,)]),
    ('select (1, null::int) = (1, 2), (1, null::int) = (2, 2), (1, 2) in ((1, null), (1, 2))',
     ['?column?', '?column?', '?column?'],
     [(None, False, True)]),
    ("select id from qa where row(id, name) = row(2, 'two')",
     ['id'],
     [(2,)]),
    ('select id from qa q where (q.id, q.grp) in (select a_id, q.grp from qb) order by 1',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select (1, 2) = (1, 2, 3)',
     ('error', '42601')),
    ('select id from qa where (id, grp) in (select a_id from qb)',
     ('error', '42601')),
    ('select qa.id from qa, qb where (qa.id, qa.grp) in ((1, 1), (2, 1)) and qb.a_id = qa.id order by 1',
     ['id'],
     [(1,), (1,), (2,)]),
    ('select qa.id from qa join qb on (qa.id, 1) = (qb.a_id, 1) order by 1',
     ['id'],
     [(1,), (1,), (2,), (3,)]),
    ("select qa.id from qa join qb on qa.id = qb.a_id and qb.tag in (values ('x')) order by 1",
     ['id'],
     [(1,), (2,)]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_rows(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
