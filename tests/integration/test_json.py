# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""json/jsonb: canonical jsonb output and ordering, json members returned as written, operators (->, ->>, #>, #>>, @>, <@, ?, ?|, ?&, ||, -, #-), builders, jsonb_set/insert, set-returning functions, whole-row to_json and errors, against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import pytest

from ._text_cases import check


CASES = [('select \'{"b":1,"a":[1,2,{"c":null}]}\'::jsonb, \'{"b":1,"a":2}\'::json, \'{"aa":1, "b":2, '
  '"a":3}\'::jsonb, \'{"a":1,"a":2}\'::jsonb, \'[1.50, 1e2, -0.0, "x\\ny", true]\'::jsonb, \'  {}  '
  '\'::jsonb, \'"é"\'::jsonb',
  [('jsonb', 3802),
   ('json', 114),
   ('jsonb', 3802),
   ('jsonb', 3802),
   ('jsonb', 3802),
   ('jsonb', 3802),
   ('jsonb', 3802)],
  [('{"a": [1, 2, {"c": null}], "b": 1}',
    '{"b":1,"a":2}',
    '{"a": 3, "b": 2, "aa": 1}',
    '{"a": 2}',
    '[1.50, 100, 0.0, "x\\ny", true]',
    '{}',
    '"é"')]),
 ('select \'{"a":{"b":[1,2]}}\'::jsonb -> \'a\', \'{"a":{"b":[1,2]}}\'::jsonb ->> \'a\', '
  '\'{"a":{"b":[1,2]}}\'::jsonb #> \'{a,b,1}\', \'{"a":{"b":[1,2]}}\'::jsonb #>> \'{a,b}\', '
  '\'[1,2]\'::jsonb -> 0, \'[1,2]\'::jsonb -> -1, \'[1,2]\'::jsonb -> 5, \'{"a":1}\'::jsonb -> '
  "'x'",
  [('?column?', 3802),
   ('?column?', 25),
   ('?column?', 3802),
   ('?column?', 25),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802)],
  [('{"b": [1, 2]}', '{"b": [1, 2]}', '2', '[1, 2]', '1', '2', None, None)]),
 ('select \'{"a":"x"}\'::jsonb ->> \'a\', \'{"a":null}\'::jsonb ->> \'a\', \'{"a":null}\'::jsonb '
  '-> \'a\', \'{"a":1}\'::json -> \'a\', \'{"a": [1, 2]}\'::json ->> \'a\', '
  '\'{"a":{"b":1}}\'::jsonb -> \'a\' -> \'b\'',
  [('?column?', 25),
   ('?column?', 25),
   ('?column?', 3802),
   ('?column?', 114),
   ('?column?', 25),
   ('?column?', 3802)],
  [('x', None, 'null', '1', '[1, 2]', '1')]),
 ('select \'{"a":1,"b":2}\'::jsonb @> \'{"a":1}\', \'{"a":1}\'::jsonb <@ \'{"a":1,"b":2}\', '
  '\'[1,2,3]\'::jsonb @> \'[3,1]\', \'[1,[2]]\'::jsonb @> \'[[2]]\', \'{"a":[1,2]}\'::jsonb @> '
  '\'{"a":[2]}\', \'"a"\'::jsonb @> \'"a"\', \'[1]\'::jsonb @> \'1\'',
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', 't', 't', 't', 't', 't')]),
 ('select \'{"a":1}\'::jsonb ? \'a\', \'{"a":1}\'::jsonb ? \'b\', \'["a","b"]\'::jsonb ? \'a\', '
  '\'{"a":1}\'::jsonb ?| array[\'x\',\'a\'], \'{"a":1}\'::jsonb ?& array[\'x\',\'a\'], '
  '\'{"a":1,"x":2}\'::jsonb ?& array[\'x\',\'a\']',
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 'f', 't', 't', 'f', 't')]),
 ('select \'{"a":1}\'::jsonb || \'{"b":2}\', \'[1]\'::jsonb || \'[2,3]\', \'[1]\'::jsonb || \'2\', '
  '\'{"a":1}\'::jsonb || \'[1]\', \'{"a":1,"b":2}\'::jsonb - \'a\', \'[1,2,3]\'::jsonb - 1, '
  '\'["a","b"]\'::jsonb - \'a\', \'{"a":1,"b":2,"c":3}\'::jsonb - array[\'a\',\'c\'], '
  '\'{"a":{"b":1,"c":2}}\'::jsonb #- \'{a,b}\'',
  [('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802)],
  [('{"a": 1, "b": 2}',
    '[1, 2, 3]',
    '[1, 2]',
    '[{"a": 1}, 1]',
    '{"b": 2}',
    '[1, 3]',
    '["b"]',
    '{"b": 2}',
    '{"a": {"c": 2}}')]),
 ("select jsonb_build_object('a', 1, 'b', 'x', 'c', null, 'd', true, 'e', 1.50), "
  "json_build_object('a', 1, 'b', true), jsonb_build_array(1, 'a', null, 2.5), json_build_array(1, "
  "'a', null), jsonb_build_object(), jsonb_build_array()",
  [('jsonb_build_object', 3802),
   ('json_build_object', 114),
   ('jsonb_build_array', 3802),
   ('json_build_array', 114),
   ('jsonb_build_object', 3802),
   ('jsonb_build_array', 3802)],
  [('{"a": 1, "b": "x", "c": null, "d": true, "e": 1.50}',
    '{"a" : 1, "b" : true}',
    '[1, "a", null, 2.5]',
    '[1, "a", null]',
    '{}',
    '[]')]),
 ('select jsonb_set(\'{"a":1}\', \'{b}\', \'2\'), jsonb_set(\'{"a":1}\', \'{a}\', \'"x"\'), '
  'jsonb_set(\'{"a":[1,2]}\', \'{a,0}\', \'9\'), jsonb_set(\'{"a":1}\', \'{b}\', \'2\', false), '
  "jsonb_set('[1,2]', '{5}', '3'), jsonb_insert('[1,2]', '{1}', '9'), jsonb_insert('[1,2]', '{1}', "
  '\'9\', true), jsonb_insert(\'{"a":1}\', \'{b}\', \'2\')',
  [('jsonb_set', 3802),
   ('jsonb_set', 3802),
   ('jsonb_set', 3802),
   ('jsonb_set', 3802),
   ('jsonb_set', 3802),
   ('jsonb_insert', 3802),
   ('jsonb_insert', 3802),
   ('jsonb_insert', 3802)],
  [('{"a": 1, "b": 2}',
    '{"a": "x"}',
    '{"a": [9, 2]}',
    '{"a": 1}',
    '[1, 2, 3]',
    '[1, 9, 2]',
    '[1, 2, 9]',
    '{"a": 1, "b": 2}')]),
 ('select jsonb_insert(\'{"a":1}\', \'{a}\', \'2\')',
  'ERROR',
  ('22023',
   'cannot replace existing key',
   'Try using the function jsonb_set to replace key value.')),
 ("select jsonb_typeof('[1]'), jsonb_typeof('{}'), jsonb_typeof('1.5'), "
  'jsonb_typeof(\'"s"\'), jsonb_typeof(\'null\'), jsonb_typeof(\'true\'), json_typeof(\'1\'), '
  "jsonb_array_length('[1,2]'), json_array_length('[]')",
  [('jsonb_typeof', 25),
   ('jsonb_typeof', 25),
   ('jsonb_typeof', 25),
   ('jsonb_typeof', 25),
   ('jsonb_typeof', 25),
   ('jsonb_typeof', 25),
   ('json_typeof', 25),
   ('jsonb_array_length', 23),
   ('json_array_length', 23)],
  [('array', 'object', 'number', 'string', 'null', 'boolean', 'number', '2', '0')]),
 ("select jsonb_array_length('{}')",
  'ERROR',
  ('22023', 'cannot get array length of a non-array', None)),
 ("select to_json('a'::text), to_jsonb(1.5), to_jsonb(array[1,2]), to_json(array['a','b']), "
  "to_jsonb(true), to_jsonb(null::int), to_json(date '2020-01-02'), to_jsonb(timestamp '2020-01-02 "
  '03:04:05\'), to_jsonb(\'{"a":1}\'::jsonb), to_json(1::float8)',
  [('to_json', 114),
   ('to_jsonb', 3802),
   ('to_jsonb', 3802),
   ('to_json', 114),
   ('to_jsonb', 3802),
   ('to_jsonb', 3802),
   ('to_json', 114),
   ('to_jsonb', 3802),
   ('to_jsonb', 3802),
   ('to_json', 114)],
  [('"a"',
    '1.5',
    '[1, 2]',
    '["a","b"]',
    'true',
    None,
    '"2020-01-02"',
    '"2020-01-02T03:04:05"',
    '{"a": 1}',
    '1')]),
 ('select jsonb_strip_nulls(\'{"a":null,"b":1,"c":{"d":null}}\'), '
  'jsonb_pretty(\'{"a":[1,{"b":2}],"c":{}}\'), jsonb_extract_path(\'{"a":{"b":2}}\', \'a\', '
  '\'b\'), jsonb_extract_path_text(\'{"a":{"b":"x"}}\', \'a\', \'b\')',
  [('jsonb_strip_nulls', 3802),
   ('jsonb_pretty', 25),
   ('jsonb_extract_path', 3802),
   ('jsonb_extract_path_text', 25)],
  [('{"b": 1, "c": {}}',
    '{\n'
    '    "a": [\n'
    '        1,\n'
    '        {\n'
    '            "b": 2\n'
    '        }\n'
    '    ],\n'
    '    "c": {\n'
    '    }\n'
    '}',
    '2',
    'x')]),
 ('select * from jsonb_each(\'{"b":"x","a":1}\')',
  [('key', 25), ('value', 3802)],
  [('a', '1'), ('b', '"x"')]),
 ('select * from jsonb_each_text(\'{"a":1,"b":"x","c":null}\')',
  [('key', 25), ('value', 25)],
  [('a', '1'), ('b', 'x'), ('c', None)]),
 ('select * from jsonb_array_elements(\'[1,"a",{"b":1}]\')',
  [('value', 3802)],
  [('1',), ('"a"',), ('{"b": 1}',)]),
 ('select jsonb_array_elements_text(\'[1,"a",null]\')',
  [('jsonb_array_elements_text', 25)],
  [('1',), ('a',), (None,)]),
 ('select * from json_each(\'{"b":1,"a":2}\')',
  [('key', 25), ('value', 114)],
  [('b', '1'), ('a', '2')]),
 ('select jsonb_object_keys(\'{"b":1,"a":2,"aa":3}\')',
  [('jsonb_object_keys', 25)],
  [('a',), ('b',), ('aa',)]),
 ('select \'{"a":1}\'::jsonb = \'{ "a" : 1 }\'::jsonb, \'{"a":1}\'::jsonb::text, '
  '\'[1,2]\'::jsonb::json, \'{"a": 1}\'::json::jsonb, (\'{"a":1}\'::jsonb -> \'a\')::int, '
  '(\'{"a":"2020-01-01"}\'::jsonb ->> \'a\')::date',
  [('?column?', 16), ('text', 25), ('json', 114), ('jsonb', 3802), ('int4', 23), ('date', 1082)],
  [('t', '{"a": 1}', '[1, 2]', '{"a": 1}', '1', '2020-01-01')]),
 ('select \'{"a":\'::jsonb', 'ERROR', ('22P02', 'invalid input syntax for type json', None)),
 ("select 'abc'::json", 'ERROR', ('22P02', 'invalid input syntax for type json', None)),
 ('select \'[1,2]\'::jsonb -> \'a\', \'{"a":1}\'::jsonb -> 0',
  [('?column?', 3802), ('?column?', 3802)],
  [(None, None)]),
 ('select \'{"a":1}\'::jsonb - 0',
  'ERROR',
  ('22023', 'cannot delete from object using integer index', None)),
 ("select 1::int -> 'a'",
  'ERROR',
  ('42883',
   'operator does not exist: integer -> unknown',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select jsonb_build_object('a')",
  'ERROR',
  ('22023',
   'argument list must have even number of elements',
   'The arguments of jsonb_build_object() must consist of alternating keys and values.')),
 ("select t from (values (1, 'a b', null::int, true)) as t(a, b, c, d)",
  [('t', 2249)],
  [('(1,"a b",,t)',)]),
 ('select row_to_json(t), to_jsonb(t), to_json(t) from (values (1, \'a\', \'{"k":1}\'::jsonb, '
  'array[1,2])) as t(a, b, j, arr)',
  [('row_to_json', 114), ('to_jsonb', 3802), ('to_json', 114)],
  [('{"a":1,"b":"a","j":{"k": 1},"arr":[1,2]}',
    '{"a": 1, "b": "a", "j": {"k": 1}, "arr": [1, 2]}',
    '{"a":1,"b":"a","j":{"k": 1},"arr":[1,2]}')]),
 ("select json_agg(json_build_object('id', x)), jsonb_agg(json_build_object('id', x)), "
  'json_build_object(\'a\', \'{"x":1}\'::jsonb, \'b\', \'{"y" : 2}\'::json) from '
  'generate_series(1, 2) x',
  [('json_agg', 114), ('jsonb_agg', 3802), ('json_build_object', 114)],
  [('[{"id" : 1}, {"id" : 2}]', '[{"id": 1}, {"id": 2}]', '{"a" : {"x": 1}, "b" : {"y" : 2}}')]),
 ("select jsonb_agg(t order by id desc) from (values (1, 'a'), (2, 'b')) as t(id, name)",
  [('jsonb_agg', 3802)],
  [('[{"id": 2, "name": "b"}, {"id": 1, "name": "a"}]',)]),
 ('select coalesce(null::jsonb, \'{}\'), coalesce(\'{"a":1}\'::jsonb -> \'b\', \'null\'::jsonb), '
  'case when \'{"a":1}\'::jsonb ? \'a\' then \'yes\' end, \'[1,2,3]\'::jsonb -> 1 = \'2\'::jsonb, '
  '(\'{"n": 5}\'::jsonb ->> \'n\')::int + 1',
  [('coalesce', 3802), ('coalesce', 3802), ('case', 25), ('?column?', 16), ('?column?', 23)],
  [('{}', 'null', 'yes', 't', '6')]),
 ('select key, value from jsonb_each(\'{"a":1, "b": [1]}\') where key = \'b\'',
  [('key', 25), ('value', 3802)],
  [('b', '[1]')]),
 ('select (\'{"a":"x"}\'::jsonb -> \'a\')::int',
  'ERROR',
  ('22023', 'cannot cast jsonb string to type integer', None)),
 ("select to_jsonb(interval '1 day'), to_json(timestamptz '2024-01-01 10:00:00+00'), "
  '\'"s"\'::jsonb -> 0, \'"s"\'::jsonb -> -1, \'"s"\'::jsonb -> 1',
  [('to_jsonb', 3802),
   ('to_json', 114),
   ('?column?', 3802),
   ('?column?', 3802),
   ('?column?', 3802)],
  [('"1 day"', '"2024-01-01T10:00:00+00:00"', '"s"', '"s"', None)]),
 ('select key, value from json_each(\'{"b": 1, "a": 2, "b": 3}\')',
  [('key', 25), ('value', 114)],
  [('b', '1'), ('a', '2'), ('b', '3')]),
 ("select json_agg(t order by a) from (values (1, 'x'), (2, 'y')) as t(a, b)",
  [('json_agg', 114)],
  [('[{"a":1,"b":"x"}, \n {"a":2,"b":"y"}]',)]),
 ('select json_agg(x) from (values (array[1,2]), (array[3])) as t(x)',
  [('json_agg', 114)],
  [('[[1,2], \n [3]]',)]),
 ('select jsonb_typeof(j -> \'b\'), jsonb_array_length(j -> \'b\') from (values (\'{"b": [1, '
  "2]}'::jsonb)) as t(j)",
  [('jsonb_typeof', 25), ('jsonb_array_length', 23)],
  [('array', '2')]),
 ('select \'{"a": [1,  2], "b" : {"c":1}}\'::json -> \'a\', \'{"a": [1,  2]}\'::json ->> \'a\', '
  '\'{"a":1, "a":2}\'::json -> \'a\', \'[1, {"x" :  2}]\'::json -> 1, \'[1, {"x" :  2}]\'::json #> '
  '\'{1,x}\', \'{"a": "s"}\'::json ->> \'a\', \'{"a": {"b":  [1 ,2]}}\'::json #>> \'{a,b}\'',
  [('?column?', 114),
   ('?column?', 25),
   ('?column?', 114),
   ('?column?', 114),
   ('?column?', 114),
   ('?column?', 25),
   ('?column?', 25)],
  [('[1,  2]', '[1,  2]', '2', '{"x" :  2}', '2', 's', '[1 ,2]')]),
 ('select * from json_array_elements(\'[1, {"a" :  1}, "x"]\')',
  [('value', 114)],
  [('1',), ('{"a" :  1}',), ('"x"',)]),
 ('select * from json_each(\'{"a": [1,  2], "b":"x"}\')',
  [('key', 25), ('value', 114)],
  [('a', '[1,  2]'), ('b', '"x"')]),
 ('select * from json_each_text(\'{"a": [1,  2], "b":"x"}\')',
  [('key', 25), ('value', 25)],
  [('a', '[1,  2]'), ('b', 'x')]),
 ('select json_array_length(\'[1, 2 ,3]\'), json_typeof(\'{"a" : 1}\' ::json -> \'a\')',
  [('json_array_length', 23), ('json_typeof', 25)],
  [('3', 'number')]),
 ('SELECT x FROM (VALUES (\'1\'::jsonb), (\'"a"\'), (\'null\'), (\'true\'), (\'[1]\'), (\'{"a": '
  '1}\'), (\'[]\'), (\'{}\'), (\'1.5\'), (\'false\'), (\'{"b": 1, "a": 2}\'), (\'[0, 1]\'), '
  '(\'"b"\'), (\'{"a": 0}\')) v(x) ORDER BY x',
  [('x', 3802)],
  [('[]',),
   ('null',),
   ('"a"',),
   ('"b"',),
   ('1',),
   ('1.5',),
   ('false',),
   ('true',),
   ('[1]',),
   ('[0, 1]',),
   ('{}',),
   ('{"a": 0}',),
   ('{"a": 1}',),
   ('{"a": 2, "b": 1}',)]),
 ('SELECT \'{"a":1}\'::jsonb > \'[1,2,3]\'::jsonb, \'2\'::jsonb > \'10\'::jsonb, \'"b"\'::jsonb < '
  '\'"a"\'::jsonb',
  [('?column?', 16), ('?column?', 16), ('?column?', 16)],
  [('t', 'f', 'f')]),
 ("SELECT max(x) FROM (VALUES ('1'::jsonb)) v(x)",
  'ERROR',
  ('42883',
   'function max(jsonb) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.'))]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
