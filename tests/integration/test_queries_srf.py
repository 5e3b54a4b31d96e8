"""Set-returning functions in FROM (WITH ORDINALITY) and in the select list (several SRFs in lock-step, records for multi-column ones): generate_series, unnest, jsonb/json element and key functions, regexp_matches, regexp_split_to_table, string_to_table.

Expected results were produced by PostgreSQL 15 (see ``_query_cases.py``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal  # noqa: F401

import pytest

from ._query_cases import check_case, tables_fixture

CASES = [
    ('select * from unnest(array[3, 1, 2]) with ordinality as t(v, n)',
     ['v', 'n'],
     [(3, 1), (1, 2), (2, 3)]),
    ("select * from unnest(array['a','b']) with ordinality",
     ['unnest', 'ordinality'],
     [('a', 1), ('b', 2)]),
    ("select * from unnest(array[1,2], array['x']) as u(a, b)",
     ['a', 'b'],
     [(1, 'x'), (2, None)]),
    ('select * from generate_series(1, 10, 3)',
     ['generate_series'],
     [(1,), (4,), (7,), (10,)]),
    ('select * from generate_series(5, 1, -2) as g(x)',
     ['x'],
     [(5,), (3,), (1,)]),
    ("select * from generate_series('2024-01-01'::timestamp, '2024-01-03'::timestamp, '1 day')",
     ['generate_series'],
     [(datetime.datetime(2024, 1, 1, 0, 0),), (datetime.datetime(2024, 1, 2, 0, 0),), (datetime.datetime(2024, 1, 3, 0, 0),)]),
    ('select * from generate_series(1, 3) with ordinality',
     ['generate_series', 'ordinality'],
     [(1, 1), (2, 2), (3, 3)]),
    ('select qa.id, u.x from qa, unnest(array[qa.id, qa.id + 1]) u(x) where qa.id < 3 order by 1, 2',
     ['id', 'x'],
     [(1, 1), (1, 2), (2, 2), (2, 3)]),
    ('select generate_series(1, 3)',
     ['generate_series'],
     [(1,), (2,), (3,)]),
    ("select generate_series(1, 3) as g, 'x'",
     ['g', '?column?'],
     [(1, 'x'), (2, 'x'), (3, 'x')]),
    ('select id, generate_series(1, id) from qa where id < 4 order by 1, 2',
     ['id', 'generate_series'],
     [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3)]),
    ('select generate_series(1, 2), generate_series(1, 3)',
     ['generate_series', 'generate_series'],
     [(1, 1), (2, 2), (None, 3)]),
    ('select unnest(array[1, 2, 3]) as u',
     ['u'],
     [(1,), (2,), (3,)]),
    ("select unnest(array['a', 'b']), unnest(array[1, 2, 3])",
     ['unnest', 'unnest'],
     [('a', 1), ('b', 2), (None, 3)]),
    ('select id, unnest(array[id, id * 10]) from qa where id < 3 order by 1, 2',
     ['id', 'unnest'],
     [(1, 1), (1, 10), (2, 2), (2, 20)]),
    ('select count(*) from (select generate_series(1, 10)) s',
     ['count'],
     [(10,)]),
    ('select generate_series(1, 3) order by 1 desc',
     ['generate_series'],
     [(3,), (2,), (1,)]),
    ('select * from jsonb_array_elements(\'[1, "a", {"b": 2}, null]\')',
     ['value'],
     [(1,), ('a',), ({'b': 2},), (None,)]),
    ('select * from jsonb_array_elements_text(\'[1, "a", {"b": 2}, null]\')',
     ['value'],
     [('1',), ('a',), ('{"b": 2}',), (None,)]),
    ("select jsonb_array_elements('[1,2]'::jsonb) as e",
     ['e'],
     [(1,), (2,)]),
    ('select * from jsonb_each(\'{"b": 1, "a": [1,2]}\')',
     ['key', 'value'],
     [('a', [1, 2]), ('b', 1)]),
    ('select * from jsonb_each_text(\'{"b": 1, "a": "x"}\')',
     ['key', 'value'],
     [('a', 'x'), ('b', '1')]),
    ('select jsonb_object_keys(\'{"bb": 1, "a": 2}\')',
     ['jsonb_object_keys'],
     [('a',), ('bb',)]),
    ('select * from jsonb_array_elements(\'{"a":1}\')',
     ('error', '22023')),
    ("select regexp_matches('foo bar baz', 'ba(.)', 'g')",
     ['regexp_matches'],
     [(['r'],), (['z'],)]),
    ("select * from regexp_split_to_table('a,b,,c', ',')",
     ['regexp_split_to_table'],
     [('a',), ('b',), ('',), ('c',)]),
    ("select * from string_to_table('a|b|c', '|')",
     ['string_to_table'],
     [('a',), ('b',), ('c',)]),
    ('select e->>\'k\' from jsonb_array_elements(\'[{"k":"v1"},{"k":"v2"}]\') e',
     ['?column?'],
     [('v1',), ('v2',)]),
    ("select * from jsonb_array_elements('[1,2]') with ordinality as t(v, n)",
     ['v', 'n'],
     [(1, 1), (2, 2)]),
    ('select jsonb_each(\'{"a": 1, "b": "x y"}\')',
     ['jsonb_each'],
     [(('a', '1'),), (('b', '"x y"'),)]),
    ('select jsonb_each_text(\'{"a": null, "b": "x"}\'), 1',
     ['jsonb_each_text', '?column?'],
     [(('a', None), 1), (('b', 'x'), 1)]),
    ("select generate_series(1, 3), unnest(array['a'])",
     ['generate_series', 'unnest'],
     [(1, 'a'), (2, None), (3, None)]),
]


@pytest.fixture(scope="module")
def tables(omendb_server):
    yield from tables_fixture(omendb_server)


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_srf(tables, case):
    conn, names = tables
    check_case(conn, names, *case)
