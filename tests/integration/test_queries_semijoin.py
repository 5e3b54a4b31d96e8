"""[NOT] EXISTS with equality correlation planned as hash semi/anti joins (and the shapes that keep the correlated subquery).

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id) order by 1',
     ['id'],
     [(1,), (2,), (3,)]),
    ('select id from qa where not exists (select 1 from qb where qb.a_id = qa.id) order by 1',
     ['id'],
     [(4,), (5,)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id and qb.score > 85) order by 1',
     ['id'],
     [(1,)]),
    ("select id from qa where not exists (select 1 from qb where a_id = qa.id and tag = 'x') order by 1",
     ['id'],
     [(3,), (4,), (5,)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.grp) order by 1',
     ['id'],
     [(1,), (2,), (3,), (5,)]),
    ('select id from qa where not exists (select 1 from qb where qb.a_id = qa.grp) order by 1',
     ['id'],
     [(4,)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id + 0 = qa.id and qb.id = qa.id + 9) order by 1',
     ['id'],
     [(1,)]),
    ('select id from qa where exists (select 1 from qb, qc where qb.a_id = qa.id and qc.k = qb.a_id) order by 1',
     ['id'],
     [(1,), (2,)]),
    ('select id from qa where exists (select 1 from qb join qc on qc.k = qb.a_id where qb.a_id = qa.id) order by 1',
     ['id'],
     [(1,), (2,)]),
    ('select id from qa where exists (select count(*) from qb where qb.a_id = qa.id) order by 1',
     ['id'],
     [(1,), (2,), (3,), (4,), (5,)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id limit 0) order by 1',
     ['id'],
     []),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id or qb.id = 10) order by 1',
     ['id'],
     [(1,), (2,), (3,), (4,), (5,)]),
    ('select id from qa where exists (select 1 from qc where k = id) order by 1',
     ['id'],
     [(1,), (2,)]),
    ('select id from qa where exists (select 1 from qc where qc.k::numeric = qa.val / 10.5) order by 1',
     ['id'],
     [(1,)]),
    ('select id from qa where id > 1 and not exists (select 1 from qb where qb.a_id = qa.id) and grp is not null order by 1',
     ['id'],
     [(5,)]),
    ("select qa.id, qb.id from qa, qb where qa.id = qb.a_id and exists (select 1 from qc where qc.k = qb.a_id and qc.label = 'b') order by 1, 2",
     ['id', 'id'],
     [(2, 12)]),
    ('select (select count(*) from qa where exists (select 1 from qb where qb.a_id = qa.id and qb.id = c.k + 9)) from qc c order by 1',
     ['count'],
     [(0,), (1,), (1,), (1,)]),
    ('select id from qa where exists (select 1 from qb where qb.a_id = qa.id) or id = 5 order by 1',
     ['id'],
     [(1,), (2,), (3,), (5,)]),
    ('select id from qa where exists (select from qb where qb.tag = qa.name) order by 1',
     ['id'],
     []),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_semijoin(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
