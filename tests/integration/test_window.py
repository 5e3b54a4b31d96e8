"""Window functions: ranking, lag/lead, first/last/nth_value, aggregates OVER with frames, named windows.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select id, grp, row_number() over (order by id) from qa order by id',
     ['id', 'grp', 'row_number'],
     [(1, 1, 1), (2, 1, 2), (3, 2, 3), (4, None, 4), (5, 2, 5)]),
    ('select id, grp, row_number() over (partition by grp order by id desc) rn from qa order by id',
     ['id', 'grp', 'rn'],
     [(1, 1, 2), (2, 1, 1), (3, 2, 2), (4, None, 1), (5, 2, 1)]),
    ('select id, grp, rank() over (order by grp), dense_rank() over (order by grp) from qa order by id',
     ['id', 'grp', 'rank', 'dense_rank'],
     [(1, 1, 1, 1), (2, 1, 1, 1), (3, 2, 3, 2), (4, None, 5, 3), (5, 2, 3, 2)]),
    ('select id, grp, percent_rank() over (order by grp), cume_dist() over (order by grp) from qa order by id',
     ['id', 'grp', 'percent_rank', 'cume_dist'],
     [(1, 1, 0.0, 0.4), (2, 1, 0.0, 0.4), (3, 2, 0.5, 0.8), (4, None, 1.0, 1.0), (5, 2, 0.5, 0.8)]),
    ('select id, ntile(2) over (order by id), ntile(3) over (order by id), ntile(10) over (order by id) from qa order by id',
     ['id', 'ntile', 'ntile', 'ntile'],
     [(1, 1, 1, 1), (2, 1, 1, 2), (3, 1, 2, 3), (4, 2, 2, 4), (5, 2, 3, 5)]),
    ("select id, lag(id) over (order by id), lead(id) over (order by id), lag(id, 2, -1) over (order by id), lead(name, 1, 'none') over (order by id) from qa order by id",
     ['id', 'lag', 'lead', 'lag', 'lead'],
     [(1, None, 2, -1, 'two'), (2, 1, 3, -1, 'three'), (3, 2, 4, 1, 'four'), (4, 3, 5, 2, 'five'), (5, 4, None, 3, 'none')]),
    ('select id, first_value(id) over w, last_value(id) over w, nth_value(id, 2) over w from qa window w as (partition by grp order by id) order by id',
     ['id', 'first_value', 'last_value', 'nth_value'],
     [(1, 1, 1, None), (2, 1, 2, 2), (3, 3, 3, None), (4, 4, 4, None), (5, 3, 5, 5)]),
    ('select id, first_value(id) over w, last_value(id) over w, nth_value(id, 2) over w from qa window w as (order by id rows between unbounded preceding and unbounded following) order by id',
     ['id', 'first_value', 'last_value', 'nth_value'],
     [(1, 1, 5, 2), (2, 1, 5, 2), (3, 1, 5, 2), (4, 1, 5, 2), (5, 1, 5, 2)]),
    ('select id, sum(val) over (order by id), avg(val) over (), count(*) over (partition by grp), count(val) over (partition by grp) from qa order by id',
     ['id', 'sum', 'avg', 'count', 'count'],
     [(1, Decimal('10.5'), Decimal('30.1250000000000000'), 2, 2), (2, Decimal('30.5'), Decimal('30.1250000000000000'), 2, 2), (3, Decimal('30.5'), Decimal('30.1250000000000000'), 2, 1), (4, Decimal('70.5'), Decimal('30.1250000000000000'), 1, 1), (5, Decimal('120.5'), Decimal('30.1250000000000000'), 2, 1)]),
    ('select id, grp, sum(id) over (order by grp) from qa order by id',
     ['id', 'grp', 'sum'],
     [(1, 1, 3), (2, 1, 3), (3, 2, 11), (4, None, 15), (5, 2, 11)]),
    ('select id, sum(id) over (order by id rows between 1 preceding and 1 following) from qa order by id',
     ['id', 'sum'],
     [(1, 3), (2, 6), (3, 9), (4, 12), (5, 9)]),
    ('select id, sum(id) over (order by id rows between current row and unbounded following) from qa order by id',
     ['id', 'sum'],
     [(1, 15), (2, 14), (3, 12), (4, 9), (5, 5)]),
    ('select id, sum(id) over (order by id rows 2 preceding) from qa order by id',
     ['id', 'sum'],
     [(1, 1), (2, 3), (3, 6), (4, 9), (5, 12)]),
    ('select id, sum(id) over (order by id range between 1 preceding and 1 following) from qa order by id',
     ['id', 'sum'],
     [(1, 3), (2, 6), (3, 9), (4, 12), (5, 9)]),
    ('select id, grp, sum(id) over (order by grp groups between 1 preceding and current row) from qa order by id',
     ['id', 'grp', 'sum'],
     [(1, 1, 3), (2, 1, 3), (3, 2, 11), (4, None, 12), (5, 2, 11)]),
    ('select id, sum(id) over (order by id rows between unbounded preceding and unbounded following exclude current row) from qa order by id',
     ['id', 'sum'],
     [(1, 14), (2, 13), (3, 12), (4, 11), (5, 10)]),
    ('select id, grp, sum(id) over (order by grp rows between unbounded preceding and unbounded following exclude group) from qa order by id',
     ['id', 'grp', 'sum'],
     [(1, 1, 12), (2, 1, 12), (3, 2, 7), (4, None, 11), (5, 2, 7)]),
    ('select id, grp, sum(id) over (order by grp rows between unbounded preceding and unbounded following exclude ties) from qa order by id',
     ['id', 'grp', 'sum'],
     [(1, 1, 13), (2, 1, 14), (3, 2, 10), (4, None, 15), (5, 2, 12)]),
    ('select id, max(val) over (partition by grp), min(name) over (partition by grp order by name) from qa order by id',
     ['id', 'max', 'min'],
     [(1, Decimal(20), 'one'), (2, Decimal(20), 'one'), (3, Decimal(50), 'five'), (4, Decimal(40), 'four'), (5, Decimal(50), 'five')]),
    ("select id, string_agg(name, ',') over (order by id), array_agg(id) over (order by id) from qa order by id",
     ['id', 'string_agg', 'array_agg'],
     [(1, 'one', [1]), (2, 'one,two', [1, 2]), (3, 'one,two,three', [1, 2, 3]), (4, 'one,two,three,four', [1, 2, 3, 4]), (5, 'one,two,three,four,five', [1, 2, 3, 4, 5])]),
    ('select grp, sum(id), rank() over (order by sum(id) desc) from qa group by grp order by grp',
     ['grp', 'sum', 'rank'],
     [(1, 3, 3), (2, 8, 1), (None, 4, 2)]),
    ('select grp, count(*), sum(count(*)) over () from qa group by grp order by grp',
     ['grp', 'count', 'sum'],
     [(1, 2, Decimal(5)), (2, 2, Decimal(5)), (None, 1, Decimal(5))]),
    ('select id, row_number() over (order by id) from qa where row_number() over (order by id) > 1',
     ('error', '42P20')),
    ('select id from qa order by row_number() over (order by id desc)',
     ['id'],
     [(5,), (4,), (3,), (2,), (1,)]),
    ('select row_number() over (), id from qa order by 2',
     ['row_number', 'id'],
     [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
    ('select id, row_number() over (order by grp nulls first, id) from qa order by id',
     ['id', 'row_number'],
     [(1, 2), (2, 3), (3, 4), (4, 1), (5, 5)]),
    ('select *, rank() over (partition by a_id order by score desc nulls last) from qb order by id',
     ['id', 'a_id', 'score', 'tag', 'rank'],
     [(10, 1, 100, 'x', 1), (11, 1, 90, 'y', 2), (12, 2, 80, 'x', 1), (13, 9, 70, None, 1), (14, None, 60, 'z', 1), (15, 3, None, 'y', 1)]),
    ('select id, lag(id) over (partition by grp order by id) from qa order by id',
     ['id', 'lag'],
     [(1, None), (2, 1), (3, None), (4, None), (5, 3)]),
    ('select id, sum(id) over w from qa window w as (order by id) order by id',
     ['id', 'sum'],
     [(1, 1), (2, 3), (3, 6), (4, 10), (5, 15)]),
    ('select id, row_number() over w from qa window w as (partition by grp order by id) order by id',
     ['id', 'row_number'],
     [(1, 1), (2, 2), (3, 1), (4, 1), (5, 2)]),
    ('select id, sum(id) over nosuch from qa',
     ('error', '42704')),
    ('select count(*) over (), id from qa where false',
     ['count', 'id'],
     []),
    ('select id, avg(id) over (order by id rows between 1 preceding and current row) from qa order by id',
     ['id', 'avg'],
     [(1, Decimal('1.00000000000000000000')), (2, Decimal('1.5000000000000000')), (3, Decimal('2.5000000000000000')), (4, Decimal('3.5000000000000000')), (5, Decimal('4.5000000000000000'))]),
    ('select id, bool_and(id > 2) over (order by id) from qa order by id',
     ['id', 'bool_and'],
     [(1, False), (2, False), (3, False), (4, False), (5, False)]),
    ('select id, rank(id) over (order by id) from qa',
     ('error', '42809')),
    ('select ntile(0) over () from qa',
     ('error', '22014')),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_window(tables, case):
    conn, names = tables
    check_case(conn, names, *case)


RANGE_CASES = [
    (("select d, sum(x) over (order by d range between interval '1 day' preceding and current row)"
     " from td order by d"),
     [(datetime.date(2024, 1, 1), 1), (datetime.date(2024, 1, 2), 3),
      (datetime.date(2024, 1, 4), 3), (datetime.date(2024, 1, 5), 7), (None, 5)]),
    (("select ts, count(*) over (order by ts range between interval '1 hour' preceding and "
     "interval '1 hour' following) from td order by ts"),
     [(datetime.datetime(2024, 1, 1, 10, 0), 1), (datetime.datetime(2024, 1, 1, 11, 30), 2),
      (datetime.datetime(2024, 1, 1, 12, 0), 2), (datetime.datetime(2024, 1, 2, 10, 0), 1),
      (None, 1)]),
    (("select d, sum(x) over (order by d desc range between interval '1 day' preceding and "
     "current row) from td order by d"),
     [(datetime.date(2024, 1, 1), 3), (datetime.date(2024, 1, 2), 2),
      (datetime.date(2024, 1, 4), 7), (datetime.date(2024, 1, 5), 4), (None, 5)]),
    (("select x, sum(x) over (order by x desc range between 1 preceding and 1 following) "
     "from td order by x"),
     [(1, 3), (2, 6), (3, 9), (4, 12), (5, 9)]),
]


@pytest.mark.parametrize("sql, expected", RANGE_CASES, ids=[c[0][:50] for c in RANGE_CASES])
def test_range_offsets_over_dates_and_descending(omendb_server, unique_name, sql, expected):
    """RANGE frames with interval offsets over date/timestamp keys, and DESC order
    (expected rows from PostgreSQL 15)."""
    t = unique_name("td")
    conn = omendb_server.connect(autocommit=True)
    try:
        conn.execute(f"create table {t} (d date, ts timestamp, x int)")
        conn.execute(f"insert into {t} values ('2024-01-01', '2024-01-01 10:00', 1), "
                     "('2024-01-02', '2024-01-01 11:30', 2), ('2024-01-04', '2024-01-01 12:00', 3), "
                     "('2024-01-05', '2024-01-02 10:00', 4), (null, null, 5)")
        assert conn.execute(sql.replace(" td ", f" {t} ")).fetchall() == expected
    finally:
        conn.execute(f"drop table if exists {t}")
        conn.close()
