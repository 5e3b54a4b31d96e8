# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""Aggregates (DISTINCT, ORDER BY inside the call, FILTER, WITHIN GROUP, statistics, JSON aggregates, arrays as group keys, as running window aggregates) against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import pytest

from ._text_cases import check


CASES = [("select g, count(distinct x), count(*), count(x), string_agg(s, ',' order by s desc), "
  "array_agg(x order by x), array_agg(x) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, "
  "2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, "
  "'d', true, 3)) as t(g, x, f, s, b, n) group by g order by g",
  [('g', 23),
   ('count', 20),
   ('count', 20),
   ('count', 20),
   ('string_agg', 25),
   ('array_agg', 1007),
   ('array_agg', 1007)],
  [('1', '2', '3', '3', 'b,a', '{1,2,2}', '{1,2,2}'),
   ('2', '1', '2', '1', 'd,c', '{5,NULL}', '{5,NULL}')]),
 ("select g, bool_and(b), bool_or(b), every(b) from (values (1, 1, 1.5::float8, 'a', true, 1.5), "
  "(1, 2, 2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, "
  "null, 7, 'd', true, 3)) as t(g, x, f, s, b, n) group by g order by g",
  [('g', 23), ('bool_and', 16), ('bool_or', 16), ('every', 16)],
  [('1', 'f', 't', 'f'), ('2', 't', 't', 't')]),
 ('select stddev(x), stddev_samp(x), stddev_pop(x), variance(x), var_samp(x), var_pop(x) from '
  "(values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, null, "
  "null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n)",
  [('stddev', 1700),
   ('stddev_samp', 1700),
   ('stddev_pop', 1700),
   ('variance', 1700),
   ('var_samp', 1700),
   ('var_pop', 1700)],
  [('1.7320508075688773',
    '1.7320508075688773',
    '1.5000000000000000',
    '3.0000000000000000',
    '3.0000000000000000',
    '2.2500000000000000')]),
 ('select stddev(f), variance(f), var_pop(f), stddev(n), variance(n), stddev_pop(n) from (values '
  "(1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, null, null, "
  "null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n)",
  [('stddev', 701),
   ('variance', 701),
   ('var_pop', 701),
   ('stddev', 1700),
   ('variance', 1700),
   ('stddev_pop', 1700)],
  [('2.48327740429189',
    '6.166666666666667',
    '4.625',
    '3.9230887066188039',
    '15.3906250000000000',
    '3.3974944812317209')]),
 ('select percentile_cont(0.5) within group (order by x), percentile_disc(0.5) within group (order '
  'by x), mode() within group (order by x), percentile_cont(array[0.25, 0.75]) within group (order '
  'by f), percentile_disc(0.1) within group (order by s desc) from (values (1, 1, 1.5::float8, '
  "'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', "
  "true, 10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n)",
  [('percentile_cont', 701),
   ('percentile_disc', 23),
   ('mode', 23),
   ('percentile_cont', 1022),
   ('percentile_disc', 25)],
  [('2', '2', '2', '{2.25,5.5}', 'd')]),
 ('select g, count(*) filter (where x > 1), sum(x) filter (where b), array_agg(s) filter (where s '
  "<> 'a'), avg(f) filter (where f > 2) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, "
  "2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, "
  "'d', true, 3)) as t(g, x, f, s, b, n) group by g order by g",
  [('g', 23), ('count', 20), ('sum', 20), ('array_agg', 1009), ('avg', 701)],
  [('1', '2', '1', '{b}', '2.5'), ('2', '1', '5', '{c,d}', '6')]),
 ('select json_agg(x), jsonb_agg(s order by s desc), jsonb_object_agg(s, x), json_object_agg(s, x) '
  "from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, "
  "null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n) "
  'where s is not null',
  [('json_agg', 114), ('jsonb_agg', 3802), ('jsonb_object_agg', 3802), ('json_object_agg', 114)],
  [('[1, 2, 5, null]',
    '["d", "c", "b", "a"]',
    '{"a": 1, "b": 2, "c": 5, "d": null}',
    '{ "a" : 1, "b" : 2, "c" : 5, "d" : null }')]),
 ("select string_agg(distinct s, '-'), count(distinct g), array_agg(distinct x), sum(distinct x) "
  "from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, "
  "null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n)",
  [('string_agg', 25), ('count', 20), ('array_agg', 1007), ('sum', 20)],
  [('a-b-c-d', '2', '{1,2,5,NULL}', '8')]),
 ('select sum(x), avg(x), min(s), max(f), avg(f), sum(n), avg(n), min(n), max(b) from (values (1, '
  "1.5::float8, 'a', 1.5, 1)) as t(x, f, s, n, b)",
  [('sum', 20),
   ('avg', 1700),
   ('min', 25),
   ('max', 701),
   ('avg', 701),
   ('sum', 1700),
   ('avg', 1700),
   ('min', 1700),
   ('max', 23)],
  [('1',
    '1.00000000000000000000',
    'a',
    '1.5',
    '1.5',
    '1.5',
    '1.50000000000000000000',
    '1.5',
    '1')]),
 ("select stddev(x), variance(x), string_agg(s, ','), array_agg(x), json_agg(x), "
  'percentile_cont(0.5) within group (order by x), mode() within group (order by x), bool_and(b), '
  "count(*), sum(x) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, "
  "2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as "
  't(g, x, f, s, b, n) where false',
  [('stddev', 1700),
   ('variance', 1700),
   ('string_agg', 25),
   ('array_agg', 1007),
   ('json_agg', 114),
   ('percentile_cont', 701),
   ('mode', 23),
   ('bool_and', 16),
   ('count', 20),
   ('sum', 20)],
  [(None, None, None, None, None, None, None, None, '0', None)]),
 ('select json_agg(x order by x desc nulls last), array_agg(x order by x nulls first), '
  "string_agg(s, '' order by g desc, s) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, "
  "2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, "
  "'d', true, 3)) as t(g, x, f, s, b, n)",
  [('json_agg', 114), ('array_agg', 1007), ('string_agg', 25)],
  [('[5, 2, 2, 1, null]', '{NULL,1,2,2,5}', 'cdab')]),
 ("select percentile_cont(1.5) within group (order by x) from (values (1, 1, 1.5::float8, 'a', "
  "true, 1.5), (1, 2, 2.5, 'b', false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, "
  "10), (2, null, 7, 'd', true, 3)) as t(g, x, f, s, b, n)",
  'ERROR',
  ('22003', 'percentile value 1.5 is not between 0 and 1', None)),
 ("select string_agg(x) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, "
  "2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as "
  't(g, x, f, s, b, n)',
  'ERROR',
  ('42883',
   'function string_agg(integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select sum(s) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', false, 2.25), "
  "(1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, 3)) as t(g, "
  'x, f, s, b, n)',
  'ERROR',
  ('42883',
   'function sum(text) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select bit_and(x), bit_or(x) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', "
  "false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, "
  '3)) as t(g, x, f, s, b, n)',
  [('bit_and', 23), ('bit_or', 23)],
  [('0', '7')]),
 ("select avg(x::interval) from (values ('1 day'), ('3 days')) as t(x)",
  [('avg', 1186)],
  [('2 days',)]),
 ("select percentile_cont(0.5) from (values (1, 1, 1.5::float8, 'a', true, 1.5), (1, 2, 2.5, 'b', "
  "false, 2.25), (1, 2, null, null, null, null), (2, 5, 5, 'c', true, 10), (2, null, 7, 'd', true, "
  '3)) as t(g, x, f, s, b, n)',
  'ERROR',
  ('42883',
   'function percentile_cont(numeric) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select count(x, s) from (values (1, 'a')) as t(x, s)",
  'ERROR',
  ('42883',
   'function count(integer, text) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select string_agg(x, ',') from (values (1)) as t(x)",
  'ERROR',
  ('42883',
   'function string_agg(integer, unknown) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select array_agg(distinct x order by s) from (values (1, 'a')) as t(x, s)",
  'ERROR',
  ('42P10',
   'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list',
   None)),
 ("select percentile_cont(0.5) within group (order by s) from (values ('a')) as t(s)",
  'ERROR',
  ('42883',
   'function percentile_cont(numeric, text) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select min(v), max(v), min(f), max(f) from (values ('a'::varchar, 'NaN'::float8), ('b', 1)) as "
  't(v, f)',
  [('min', 25), ('max', 25), ('min', 701), ('max', 701)],
  [('a', 'b', '1', 'NaN')]),
 ('select corr(y, x), covar_pop(y, x), covar_samp(y, x), regr_slope(y, x), regr_intercept(y, x), '
  'regr_count(y, x), regr_r2(y, x) from (values (1.0, 2.0), (2.0, 4.5), (3.0, 5.5)) as t(x, y)',
  [('corr', 701),
   ('covar_pop', 701),
   ('covar_samp', 701),
   ('regr_slope', 701),
   ('regr_intercept', 701),
   ('regr_count', 20),
   ('regr_r2', 701)],
  [('0.9707253433941511', '1.1666666666666667', '1.75', '1.75', '0.5', '3', '0.9423076923076923')]),
 ("select avg(iv), sum(iv) from (values (interval '1 year 2 mons 3 days'), (interval '5 hours 1 "
  "min'), (interval '-7 days')) as t(iv)",
  [('avg', 1186), ('sum', 1186)],
  [('4 mons 19 days -06:19:40', '1 year 2 mons -4 days +05:01:00')]),
 ('select g, array_agg(a) from (values (1, array[1,2]), (1, array[3,4]), (2, null)) as t(g, a) '
  'group by g order by g',
  'ERROR',
  ('22004', 'cannot accumulate null arrays', None)),
 ('select a, count(*) from (values (array[1,2]), (array[1,2]), (array[3])) as t(a) group by a '
  'order by a',
  [('a', 1007), ('count', 20)],
  [('{1,2}', '2'), ('{3}', '1')]),
 ('select array_agg(a) from (values (array[1,2]), (array[3])) as t(a)',
  'ERROR',
  ('2202E', 'cannot accumulate arrays of different dimensionality', None)),
 ("select x, string_agg(x::text, ',' order by x desc) over (order by x), array_agg(distinct x % 2) "
  'over (order by x), count(*) filter (where x > 1) over (order by x) from generate_series(1, 4) x',
  'ERROR',
  ('0A000', 'aggregate ORDER BY is not implemented for window functions', None))]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
