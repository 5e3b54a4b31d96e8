# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""Arrays: constructors, subscripts and slices (also multi-dimensional and jsonb subscripts), @> <@ && ||, ANY/ALL, unnest, array functions and ordering, against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import pytest

from ._text_cases import check


CASES = [("select array[1,2,3], array['a','b'], array[1.5, 2], array[]::int[], array[null, 1], "
  'array[array[1,2],array[3,4]], \'{1,2,3}\'::int[], \'{"a b",c,NULL}\'::text[]',
  [('array', 1007),
   ('array', 1009),
   ('array', 1231),
   ('array', 1007),
   ('array', 1007),
   ('array', 1007),
   ('int4', 1007),
   ('text', 1009)],
  [('{1,2,3}',
    '{a,b}',
    '{1.5,2}',
    '{}',
    '{NULL,1}',
    '{{1,2},{3,4}}',
    '{1,2,3}',
    '{"a b",c,NULL}')]),
 ('select (array[1,2,3])[1], (array[1,2,3])[2:3], (array[1,2,3])[:2], (array[1,2,3])[2:], '
  '(array[1,2,3])[5], (array[1,2,3])[0], (array[1,2,3])[3:2]',
  [('array', 23),
   ('array', 1007),
   ('array', 1007),
   ('array', 1007),
   ('array', 23),
   ('array', 23),
   ('array', 1007)],
  [('1', '{2,3}', '{1,2}', '{2,3}', None, None, '{}')]),
 ('select array[1,2] @> array[1], array[1,2] <@ array[1,2,3], array[1,2] && array[2,3], array[1,2] '
  "&& array[3], array[1,null] @> array[null::int], array['a'] @> '{a}'",
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', 't', 'f', 'f', 't')]),
 ("select array[1,2] || array[3], array[1,2] || 3, 0 || array[1], array['a'] || 'b', array[1] || "
  'null::int[], null::int[] || array[1]',
  'ERROR',
  ('22P02', 'malformed array literal: "b"', None)),
 ('select array_length(array[1,2,3], 1), array_length(array[]::int[], 1), array_length(array[1,2], '
  '2), cardinality(array[1,2]), cardinality(array[[1,2],[3,4]]), array_upper(array[1,2],1), '
  'array_lower(array[1,2],1), array_ndims(array[[1],[2]]), array_dims(array[[1,2],[3,4]])',
  [('array_length', 23),
   ('array_length', 23),
   ('array_length', 23),
   ('cardinality', 23),
   ('cardinality', 23),
   ('array_upper', 23),
   ('array_lower', 23),
   ('array_ndims', 23),
   ('array_dims', 25)],
  [('3', None, None, '2', '4', '2', '1', '2', '[1:2][1:2]')]),
 ("select array_position(array['a','b'],'b'), array_position(array[1,2,1], 1, 2), "
  'array_position(array[1], 5), array_positions(array[1,2,1], 1)',
  [('array_position', 23),
   ('array_position', 23),
   ('array_position', 23),
   ('array_positions', 1007)],
  [('2', '3', None, '{1,3}')]),
 ('select array_append(array[1],2), array_prepend(0,array[1]), array_cat(array[1],array[2]), '
  'array_remove(array[1,2,1],1), array_replace(array[1,2,1], 1, 9), array_append(null::int[], 1), '
  'array_fill(7, array[3])',
  [('array_append', 1007),
   ('array_prepend', 1007),
   ('array_cat', 1007),
   ('array_remove', 1007),
   ('array_replace', 1007),
   ('array_append', 1007),
   ('array_fill', 1007)],
  [('{1,2}', '{0,1}', '{1,2}', '{2}', '{9,2,9}', '{1}', '{7,7,7}')]),
 ('select 1 = any(array[1,2]), 3 > all(array[1,2]), 3 = any(array[1,2]), null = any(array[1]), 1 = '
  "any(array[null, 1]), 2 = any(array[null, 1]), 1 = all(array[]::int[]), 'a' = any('{a,b}')",
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', 'f', None, 't', None, 't', 't')]),
 ("select unnest(array[1,2]), 'x'", [('unnest', 23), ('?column?', 25)], [('1', 'x'), ('2', 'x')]),
 ("select * from unnest(array['a','b']) as u(x)", [('x', 25)], [('a',), ('b',)]),
 ("select array_to_string(array[1,2,3], '-'), string_to_array('1,2', ',')::int[], "
  'array[1,2]::text[], array[1,2] = array[1,2], array[1,2] < array[1,3]',
  [('array_to_string', 25),
   ('string_to_array', 1007),
   ('array', 1009),
   ('?column?', 16),
   ('?column?', 16)],
  [('1-2-3', '{1,2}', '{1,2}', 't', 't')]),
 ("select array_append(array[1], 'x')",
  'ERROR',
  ('22P02', 'invalid input syntax for type integer: "x"', None)),
 ('select (1)[1]',
  'ERROR',
  ('42804', 'cannot subscript type integer because it does not support subscripting', None)),
 ('select array[1] @> 1',
  'ERROR',
  ('42883',
   'operator does not exist: integer[] @> integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ('select unnest(1)',
  'ERROR',
  ('42883',
   'function unnest(integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ('select (array[[1,2],[3,4]])[2][1], (array[[1,2],[3,4]])[1][5], '
  '(\'{"a":{"b":[1,2]}}\'::jsonb)[\'a\'][\'b\'][1], (\'{"a":1}\'::jsonb)[\'x\'], '
  "('[1,2]'::jsonb)[0]",
  [('array', 23), ('array', 23), ('jsonb', 3802), ('jsonb', 3802), ('jsonb', 3802)],
  [('3', None, '2', None, '1')]),
 ('select (array[1,2,3])[1], (array[[1,2],[3,4]])[1]',
  [('array', 23), ('array', 23)],
  [('1', None)]),
 ('SELECT x FROM (VALUES (ARRAY[1, NULL]), (ARRAY[1, 2]), (ARRAY[NULL::int]), (ARRAY[1])) v(x) '
  'ORDER BY x',
  [('x', 1007)],
  [('{1}',), ('{1,2}',), ('{1,NULL}',), ('{NULL}',)]),
 ('select array[1,null] < array[1,2], array[1] < array[1,2], array[2] > array[1,5], max(x) from '
  '(values (array[1,2]), (array[1,null])) v(x)',
  [('?column?', 16), ('?column?', 16), ('?column?', 16), ('max', 1007)],
  [('f', 't', 't', '{1,NULL}')])]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
