"""Joins with WHERE: inner-join ON and WHERE conjuncts pooled (single-table filters pushed to their scan, equalities as hash keys); conditions on the first table of INNER/LEFT chains filter its scan; RIGHT/FULL joins keep the WHERE above; NATURAL/USING forms.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select qa.name, qb.score from qa join qb on qb.a_id = qa.id where qa.id = 1 order by 2',
     ['name', 'score'],
     [('one', 90), ('one', 100)]),
    ("select * from qa join qb on qa.id = qb.a_id join qc on qc.k = qb.a_id and qc.label <> 'b' order by qb.id, qc.label",
     ['id', 'name', 'grp', 'val', 'id', 'a_id', 'score', 'tag', 'k', 'label'],
     [(1, 'one', 1, Decimal('10.5'), 10, 1, 100, 'x', 1, 'a'), (1, 'one', 1, Decimal('10.5'), 11, 1, 90, 'y', 1, 'a'), (2, 'two', 1, Decimal(20), 12, 2, 80, 'x', 2, 'b2')]),
    ("select qa.id, qc.label from qa join qb on qa.id = qb.a_id join qc on qc.k = qa.id where qb.score > 80 or qc.label = 'b2' order by 1, 2",
     ['id', 'label'],
     [(1, 'a'), (1, 'a'), (2, 'b2')]),
    ('select count(*) from qa join qb on true join qc on qc.k = qb.a_id where qa.grp = 2',
     ['count'],
     [(8,)]),
    ("select qa.id from qa inner join qb on qa.id = qb.a_id and (qb.tag = 'x' or qb.tag is null) order by 1",
     ['id'],
     [(1,), (2,)]),
    ('select qa.id, qb.id from qa join qb on qa.id = qb.a_id where exists (select 1 from qc where qc.k = qb.a_id) order by 1, 2',
     ['id', 'id'],
     [(1, 10), (1, 11), (2, 12)]),
    ('select qa.id from qa join qb on qb.a_id = qa.id join qc on qc.k = qa.id where qa.id in (1, 2) order by 1',
     ['id'],
     [(1,), (1,), (2,), (2,)]),
    ('select a1.id, a2.id from qa a1 join qa a2 on a1.grp = a2.grp join qa a3 on a3.id = a2.id where a1.id < a2.id order by 1, 2',
     ['id', 'id'],
     [(1, 2), (3, 5)]),
    ('select qa.id, qb.id from qa left join qb on qb.a_id = qa.id where qa.id = 1 order by 2',
     ['id', 'id'],
     [(1, 10), (1, 11)]),
    ('select qa.id, qb.id from qa left join qb on qb.a_id = qa.id where qa.id > 2 and qb.id is null order by 1',
     ['id', 'id'],
     [(4, None), (5, None)]),
    ('select qa.id, qb.id from qa left join qb on qb.a_id = qa.id left join qc on qc.k = qb.a_id where qa.grp = 1 order by 1, 2',
     ['id', 'id'],
     [(1, 10), (1, 11), (2, 12), (2, 12)]),
    ('select qa.id, qb.id from qa right join qb on qb.a_id = qa.id where qa.id = 1 order by 2',
     ['id', 'id'],
     [(1, 10), (1, 11)]),
    ('select qa.id, qb.id from qa full join qb on qb.a_id = qa.id where qa.id = 1 order by 2',
     ['id', 'id'],
     [(1, 10), (1, 11)]),
    ("select a.id, b.id from qa a left join qb b on b.a_id = a.id where a.name like 't%' order by 1, 2",
     ['id', 'id'],
     [(2, 12), (3, 15)]),
    ('select a.id from qa a left join qb b on b.a_id = a.id where a.id = (select max(id) from qa) order by 1',
     ['id'],
     [(5,)]),
    ('select qa.id, qb.id from qa left join qb on qb.a_id = qa.id where qa.id = 1 or qb.id = 12 order by 1, 2',
     ['id', 'id'],
     [(1, 10), (1, 11), (2, 12)]),
    ('table qc',
     ['k', 'label'],
     [(1, 'a'), (2, 'b'), (None, 'n'), (2, 'b2')]),
    ('select * from only qa order by id limit 1',
     ['id', 'name', 'grp', 'val'],
     [(1, 'one', 1, Decimal('10.5'))]),
    ('select * from qa as x(a, b) order by a limit 2',
     ['a', 'b', 'grp', 'val'],
     [(1, 'one', 1, Decimal('10.5')), (2, 'two', 1, Decimal(20))]),
    ('select x.a from qa as x(a) order by 1 limit 2',
     ['a'],
     [(1,), (2,)]),
    ('select qa.* from qa natural left join qc order by 1 limit 2',
     ['id', 'name', 'grp', 'val'],
     [(1, 'one', 1, Decimal('10.5')), (1, 'one', 1, Decimal('10.5'))]),
    ('select * from qc c1 natural left join qc c2 order by 1, 2',
     ['k', 'label'],
     [(1, 'a'), (2, 'b'), (2, 'b2'), (None, 'n')]),
    ('select * from qc c1 join qc c2 using (k, label) order by 1, 2',
     ['k', 'label'],
     [(1, 'a'), (2, 'b'), (2, 'b2')]),
    ('select c1.* , c2.label from qc c1 left join qc c2 using (k) order by 1, 2, 3',
     ['k', 'label', 'label'],
     [(1, 'a', 'a'), (2, 'b', 'b'), (2, 'b', 'b2'), (2, 'b2', 'b'), (2, 'b2', 'b2'), (None, 'n', None)]),
    ('select k from qc c1 full join qc c2 using (k) where k is null',
     ['k'],
     [(None,), (None,)]),
    ('select * from (select 1 as a, 2 as b) s cross join lateral (select s.a + s.b as c) t',
     ['a', 'b', 'c'],
     [(1, 2, 3)]),
    ('select * from qa where id = any (select a_id from qb) and grp is not null order by 1',
     ['id', 'name', 'grp', 'val'],
     [(1, 'one', 1, Decimal('10.5')), (2, 'two', 1, Decimal(20)), (3, 'three', 2, None)]),
    ('select id from qa where not exists (select from qb where a_id = qa.id) order by 1',
     ['id'],
     [(4,), (5,)]),
    ('select * from qa, generate_series(1, 2) with ordinality as g(v, o) where qa.id = 1 order by v',
     ['id', 'name', 'grp', 'val', 'v', 'o'],
     [(1, 'one', 1, Decimal('10.5'), 1, 1), (1, 'one', 1, Decimal('10.5'), 2, 2)]),
    ("select (select array_agg(k order by k) from qc), (select string_agg(label, ',' order by label desc) from qc)",
     ['array_agg', 'string_agg'],
     [([1, 2, 2, None], 'n,b2,b,a')]),
    ('select',
     [],
     [()]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_joinwhere(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
