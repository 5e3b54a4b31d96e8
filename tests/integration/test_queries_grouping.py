"""GROUP BY/HAVING, GROUPING SETS/ROLLUP/CUBE with GROUPING(), DISTINCT [ON], ORDER BY forms, aggregate ORDER BY.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime  # noqa: F401  (used by expected values)
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select grp, name, sum(id), grouping(grp), grouping(grp, name) from qa group by rollup(grp, name) order by 1, 2',
     ['grp', 'name', 'sum', 'grouping', 'grouping'],
     [(1, 'one', 1, 0, 0), (1, 'two', 2, 0, 0), (1, None, 3, 0, 1), (2, 'five', 5, 0, 0), (2, 'three', 3, 0, 0), (2, None, 8, 0, 1), (None, 'four', 4, 0, 0), (None, None, 4, 0, 1), (None, None, 15, 1, 3)]),
    ('select grp, name, count(*) from qa group by cube(grp, name) order by 1 nulls first, 2 nulls first',
     ['grp', 'name', 'count'],
     [(None, None, 1), (None, None, 5), (None, 'five', 1), (None, 'four', 1), (None, 'four', 1), (None, 'one', 1), (None, 'three', 1), (None, 'two', 1), (1, None, 2), (1, 'one', 1), (1, 'two', 1), (2, None, 2), (2, 'five', 1), (2, 'three', 1)]),
    ('select grp, count(*) from qa group by grouping sets ((grp), ()) having count(*) > 1 order by 1',
     ['grp', 'count'],
     [(1, 2), (2, 2), (None, 5)]),
    ('select count(*) from qa where false group by rollup(grp)',
     ['count'],
     [(0,)]),
    ('select grp, name from qa group by grp, rollup(name) order by 1, 2',
     ['grp', 'name'],
     [(1, 'one'), (1, 'two'), (1, None), (2, 'five'), (2, 'three'), (2, None), (None, 'four'), (None, None)]),
    ('select distinct grp from qa order by grp',
     ['grp'],
     [(1,), (2,), (None,)]),
    ('select distinct on (grp) grp, id from qa order by grp, id desc',
     ['grp', 'id'],
     [(1, 2), (2, 5), (None, 4)]),
    ('select distinct on (grp) id, name from qa order by grp, id',
     ['id', 'name'],
     [(1, 'one'), (3, 'three'), (4, 'four')]),
    ('select distinct on (grp) id from qa order by id',
     ('error', '42P10')),
    ('select distinct on (a_id, tag) a_id, tag, score from qb order by a_id, tag, score desc',
     ['a_id', 'tag', 'score'],
     [(1, 'x', 100), (1, 'y', 90), (2, 'x', 80), (3, 'y', None), (9, None, 70), (None, 'z', 60)]),
    ('select distinct on (a_id) a_id, score from qb order by a_id',
     ['a_id', 'score'],
     [(1, 100), (2, 80), (3, None), (9, 70), (None, 60)]),
    ('select grp, count(*) from qa group by 1 order by 1',
     ['grp', 'count'],
     [(1, 2), (2, 2), (None, 1)]),
    ('select grp as g, count(*) from qa group by g order by g',
     ['g', 'count'],
     [(1, 2), (2, 2), (None, 1)]),
    ('select grp, count(*) from qa group by grp having count(*) > 1 order by grp',
     ['grp', 'count'],
     [(1, 2), (2, 2)]),
    ('select id from qa order by grp nulls first, id desc',
     ['id'],
     [(4,), (2,), (1,), (5,), (3,)]),
    ('select id from qa order by grp desc nulls last, id',
     ['id'],
     [(3,), (5,), (1,), (2,), (4,)]),
    ('select id, name from qa order by name collate "C"',
     ['id', 'name'],
     [(5, 'five'), (4, 'four'), (1, 'one'), (3, 'three'), (2, 'two')]),
    ('select id from qa order by -id limit 2',
     ['id'],
     [(5,), (4,)]),
    ('select id % 2 as m, count(*) from qa group by m order by m',
     ['m', 'count'],
     [(0, 2), (1, 3)]),
    ('select max(id) from qa having max(id) > 100',
     ['max'],
     []),
    ('select 1 from qa having count(*) > 0',
     ['?column?'],
     [(1,)]),
    ('select id from qa order by 5',
     ('error', '42P10')),
    ('select grp, id from qa group by grp',
     ('error', '42803')),
    ('select qa.name, count(qb.id) from qa left join qb on qb.a_id = qa.id group by qa.id order by qa.name',
     ['name', 'count'],
     [('five', 0), ('four', 0), ('one', 2), ('three', 1), ('two', 1)]),
    ('select name, count(*) from qa group by id order by 1',
     ['name', 'count'],
     [('five', 1), ('four', 1), ('one', 1), ('three', 1), ('two', 1)]),
    ('select s.x, count(*) from (select id as x from qa) s group by x order by 1',
     ['x', 'count'],
     [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]),
    ('select qa.id from qa group by id order by 1',
     ['id'],
     [(1,), (2,), (3,), (4,), (5,)]),
    ('select grp, sum(id) s from qa group by rollup(grp) order by grp nulls first, s',
     ['grp', 's'],
     [(None, 4), (None, 15), (1, 3), (2, 8)]),
    ('select grp, name, count(*) c from qa group by grouping sets ((grp), (name), ()) order by 1, 2, 3',
     ['grp', 'name', 'c'],
     [(1, None, 2), (2, None, 2), (None, 'five', 1), (None, 'four', 1), (None, 'one', 1), (None, 'three', 1), (None, 'two', 1), (None, None, 1), (None, None, 5)]),
    ('select grp, grouping(grp), count(*) from qa group by cube(grp) order by 2, 1',
     ['grp', 'grouping', 'count'],
     [(1, 0, 2), (2, 0, 2), (None, 0, 1), (None, 1, 5)]),
    ('select count(distinct grp), count(grp), count(*) from qa',
     ['count', 'count', 'count'],
     [(2, 4, 5)]),
    ("select array_agg(id order by id desc), string_agg(name, ',' order by name) from qa",
     ['array_agg', 'string_agg'],
     [([5, 4, 3, 2, 1], 'five,four,one,three,two')]),
    ('select grp, array_agg(name order by name) from qa group by grp order by grp',
     ['grp', 'array_agg'],
     [(1, ['one', 'two']), (2, ['five', 'three']), (None, ['four'])]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_grouping(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
