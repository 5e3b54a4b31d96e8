# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""Type input/output, type resolution and cast errors (uuid, bytea, numeric(p,s), char(n), varchar(n), integers, floats, booleans, intervals, NaN ordering, row values; 22P02, 22003, 22001, 42883) against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.adapt import Loader


class _Text(Loader):
    """Keep every value in PostgreSQL's text output format (no client-side parsing)."""

    def load(self, data):  # type: ignore[override]
        return bytes(data).decode()


@pytest.fixture(scope="module")
def text_conn(omendb_server):
    c = omendb_server.connect(autocommit=True)
    for oid in range(1, 6000):
        c.adapters.register_loader(oid, _Text)
    c.execute("SET TimeZone = 'UTC'")
    yield c
    c.close()


def check(conn, sql, cols, expected):
    if cols == "ERROR":
        sqlstate, message, hint = expected
        with pytest.raises(psycopg.Error) as info:
            conn.execute(sql).fetchall()
        diag = info.value.diag
        assert (diag.sqlstate, diag.message_primary) == (sqlstate, message)
        if hint is not None:
            assert diag.message_hint == hint
        return
    cur = conn.execute(sql)
    assert [(d.name, d.type_code) for d in cur.description] == cols
    assert [tuple(r) for r in cur.fetchall()] == expected


CASES = [("select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, "
  "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid, "
  "'a0eebc999c0b4ef8bb6d6bb9bd380a11'::uuid",
  [('uuid', 2950), ('uuid', 2950), ('uuid', 2950), ('uuid', 2950)],
  [('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')]),
 ("select 'xyz'::uuid", 'ERROR', ('22P02', 'invalid input syntax for type uuid: "xyz"', None)),
 ('select gen_random_uuid() <> gen_random_uuid(), length(gen_random_uuid()::text)',
  [('?column?', 16), ('length', 23)],
  [('t', '36')]),
 ("select '\\x0102'::bytea, 'abc'::bytea, E'\\\\001'::bytea, 'a\\\\b'::bytea, "
  "length('\\x0102'::bytea), md5('abc'::bytea)",
  [('bytea', 17), ('bytea', 17), ('bytea', 17), ('bytea', 17), ('length', 23), ('md5', 25)],
  [('\\x0102', '\\x616263', '\\x01', '\\x615c62', '2', '900150983cd24fb0d6963f7d28e17f72')]),
 ("select '\\x0'::bytea",
  'ERROR',
  ('22023', 'invalid hexadecimal data: odd number of digits', None)),
 ('select 123.456::numeric(5,2), 0.005::numeric(3,2), -1.5::numeric(2,0), 99.995::numeric(4,2)',
  'ERROR',
  ('22003', 'numeric field overflow', None)),
 ('select 123.456::numeric(4,2)', 'ERROR', ('22003', 'numeric field overflow', None)),
 ("select 'ab'::char(4), length('ab'::char(4)), 'ab'::char(4) || 'c', 'ab  '::char(4) = "
  "'ab'::char(4), 'abcdef'::char(3), 'abc'::varchar(5), 'abc   '::varchar(2)",
  [('bpchar', 1042),
   ('length', 23),
   ('?column?', 25),
   ('?column?', 16),
   ('bpchar', 1042),
   ('varchar', 1043),
   ('varchar', 1043)],
  [('ab  ', '2', 'abc', 't', 'abc', 'abc', 'ab')]),
 ("select 'abcdef'::varchar(3)", [('varchar', 1043)], [('abc',)]),
 ("select 'abc'::int", 'ERROR', ('22P02', 'invalid input syntax for type integer: "abc"', None)),
 ("select '12.5'::int", 'ERROR', ('22P02', 'invalid input syntax for type integer: "12.5"', None)),
 ("select ''::int", 'ERROR', ('22P02', 'invalid input syntax for type integer: ""', None)),
 ("select '  42  '::int, '-7'::int2, '+5'::int8, '1e3'::numeric, ' 2.5 '::float8, 'NaN'::float8, "
  "'inf'::float8, '-Infinity'::numeric",
  [('int4', 23),
   ('int2', 21),
   ('int8', 20),
   ('numeric', 1700),
   ('float8', 701),
   ('float8', 701),
   ('float8', 701),
   ('numeric', 1700)],
  [('42', '-7', '5', '1000', '2.5', 'NaN', 'Infinity', '-Infinity')]),
 ("select '99999'::int2",
  'ERROR',
  ('22003', 'value "99999" is out of range for type smallint', None)),
 ("select 'x'::numeric", 'ERROR', ('22P02', 'invalid input syntax for type numeric: "x"', None)),
 ("select 'x'::float8",
  'ERROR',
  ('22P02', 'invalid input syntax for type double precision: "x"', None)),
 ("select 'maybe'::bool",
  'ERROR',
  ('22P02', 'invalid input syntax for type boolean: "maybe"', None)),
 ("select 'yes'::bool, 'off'::bool, 't'::bool, '1'::bool",
  [('bool', 16), ('bool', 16), ('bool', 16), ('bool', 16)],
  [('t', 'f', 't', 't')]),
 ('select 3000000000::int', 'ERROR', ('22003', 'integer out of range', None)),
 ('select 32768::int2', 'ERROR', ('22003', 'smallint out of range', None)),
 ('select 1.5::int, 2.5::int, -2.5::int, 2.5::float8::int, 3.5::float8::int',
  [('int4', 23), ('int4', 23), ('?column?', 23), ('int4', 23), ('int4', 23)],
  [('2', '3', '-3', '2', '4')]),
 ("select interval '1 year 2 mons', interval '-1 year -2 mons +3 days', interval '1 day "
  "-01:00:00', interval '0', interval '1.5 years', interval '36 hours', interval '100 "
  "microseconds'",
  [('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186)],
  [('1 year 2 mons',
    '-1 years -2 mons +3 days',
    '1 day -01:00:00',
    '00:00:00',
    '1 year 6 mons',
    '36:00:00',
    '00:00:00.0001')]),
 ("select '2020-01-01'::date, '2020-01-01 10:00:00.5'::timestamp, '2020-01-01 "
  "10:00+02'::timestamptz, '10:11:12'::time, 'epoch'::timestamp",
  [('date', 1082), ('timestamp', 1114), ('timestamptz', 1184), ('time', 1083), ('timestamp', 1114)],
  [('2020-01-01',
    '2020-01-01 10:00:00.5',
    '2020-01-01 08:00:00+00',
    '10:11:12',
    '1970-01-01 00:00:00')]),
 ("select '2020-02-30'::date",
  'ERROR',
  ('22008', 'date/time field value out of range: "2020-02-30"', None)),
 ('select foo(1)',
  'ERROR',
  ('42883',
   'function foo(integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select 1 + 'a'::text",
  'ERROR',
  ('42883',
   'operator does not exist: integer + text',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select 'a'::text - 1",
  'ERROR',
  ('42883',
   'operator does not exist: text - integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ('select now() - 1',
  'ERROR',
  ('42883',
   'operator does not exist: timestamp with time zone - integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 1, 'NaN'::numeric = 'NaN'::numeric, "
  "'NaN'::numeric > 1000, 'Infinity'::float8 > 1e308",
  [('?column?', 16), ('?column?', 16), ('?column?', 16), ('?column?', 16), ('?column?', 16)],
  [('t', 't', 't', 't', 't')]),
 ('select 0.1::float4 + 0.2::float4, 1e30::float4 * 1e10::float4 is null',
  'ERROR',
  ('22003', 'value out of range: overflow', None)),
 ('select 1e-300::float8 * 1e-300', 'ERROR', ('22003', 'value out of range: underflow', None)),
 ('select 1::float8::numeric, 0.5::float4::numeric, 12.25::float8::numeric',
  [('numeric', 1700), ('numeric', 1700), ('numeric', 1700)],
  [('1', '0.5', '12.25')]),
 ("select array[1.5, 2.5]::int4[], array['1', '2']::int4[], array[1, 2]::text[], 'abc'::char, "
  "pg_typeof('abc'::char(3)), pg_typeof(1::int2)",
  [('array', 1007),
   ('array', 1007),
   ('array', 1009),
   ('bpchar', 1042),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206)],
  [('{2,3}', '{1,2}', '{1,2}', 'a', 'character', 'smallint')]),
 ("select array['a'::varchar, 'b'::text], array['a'::text, 'b'::varchar]",
  [('array', 1015), ('array', 1009)],
  [('{a,b}', '{a,b}')]),
 ("select 'ab'::char(5) = 'ab', 'ab'::char(5) in ('ab', 'x'), 'ab '::char(3) = 'ab'::char(5)",
  [('?column?', 16), ('?column?', 16), ('?column?', 16)],
  [('t', 't', 't')]),
 ("select (1, 2) = (1, 2), (1, 2) < (1, 3), (1, null) = (1, 2), (2, 1) > (1, 5), row(1, 'a'), "
  'row(null, 1) is null, row(null, null) is null, row(1, 2) is not null',
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('row', 2249),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', None, 't', '(1,a)', 'f', 't', 't')]),
 ("select 'a'::text = 1",
  'ERROR',
  ('42883',
   'operator does not exist: text = integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select '2020-01-01'::text = date '2020-01-01'",
  'ERROR',
  ('42883',
   'operator does not exist: text = date',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select 'a' + 'b'",
  'ERROR',
  ('42725',
   'operator is not unique: unknown + unknown',
   'Could not choose a best candidate operator. You might need to add explicit type casts.')),
 ("select -'a'::text",
  'ERROR',
  ('42883',
   'operator does not exist: - text',
   'No operator matches the given name and argument type. You might need to add an explicit type '
   'cast.')),
 ('select @ (-5), @ (-2.5)', [('?column?', 23), ('?column?', 1700)], [('5', '2.5')]),
 ("select num_nulls(1, null, null), num_nonnulls(1, null, 'a'), scale(1.230), "
  "to_number('12,345.6', '99G999D9'), encode('\\x0102ff'::bytea, 'hex'), encode('abc'::bytea, "
  "'base64'), decode('616263', 'hex'), get_byte('\\x0102'::bytea, 1)",
  [('num_nulls', 23),
   ('num_nonnulls', 23),
   ('scale', 23),
   ('to_number', 1700),
   ('encode', 25),
   ('encode', 25),
   ('decode', 17),
   ('get_byte', 23)],
  [('2', '2', '3', '12345.6', '0102ff', 'YWJj', '\\x616263', '2')]),
 ("select decode('zz', 'hex')", 'ERROR', ('22023', 'invalid hexadecimal digit: "z"', None)),
 ("select overlay('Txxxxas' placing 'hom' from 2 for 4), '\\xdead'::bytea || '\\xbeef'::bytea",
  [('overlay', 25), ('?column?', 17)],
  [('Thomas', '\\xdeadbeef')]),
 ('select @ (-2147483648)::int4', 'ERROR', ('22003', 'integer out of range', None)),
 ('SELECT 0.1::float4, 1e7::float4, 1e8::float4, 16777217::float4, 1.0e-6::float4, '
  '3.4028235e38::float4',
  [('float4', 700),
   ('float4', 700),
   ('float4', 700),
   ('float4', 700),
   ('float4', 700),
   ('float4', 700)],
  [('0.1', '1e+07', '1e+08', '1.6777216e+07', '1e-06', '3.4028235e+38')]),
 ('SELECT round(12.5::float8), round(13.5::float8), round(-0.5::float8), round(0.5::float4), '
  'trunc(-0.5::float8)',
  [('round', 701), ('round', 701), ('round', 701), ('round', 701), ('trunc', 701)],
  [('12', '14', '-0', '0', '-0')]),
 ("SELECT true, false, true::text, 't'::bool::text",
  [('?column?', 16), ('?column?', 16), ('text', 25), ('text', 25)],
  [('t', 'f', 'true', 'true')]),
 ("SELECT pg_typeof(coalesce(1, 2::int8)), pg_typeof(coalesce(NULL, 'a')), "
  'pg_typeof(coalesce(1.5::float4, 1)), pg_typeof(nullif(1::int2, 1)), nullif(1::int2, 1), '
  'nullif(2::int2, 1)',
  [('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('nullif', 21),
   ('nullif', 21)],
  [('bigint', 'text', 'real', 'smallint', None, '2')]),
 ('SELECT pg_typeof(round(1.5)), pg_typeof(round(1.5::float8)), pg_typeof(round(1::int4)), '
  'pg_typeof(trunc(1.5)), pg_typeof(ceil(1::int8)), pg_typeof(sqrt(4)), pg_typeof(power(2, 3)), '
  'round(7::int), round(7::int, 1)',
  [('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('pg_typeof', 2206),
   ('round', 701),
   ('round', 1700)],
  [('numeric',
    'double precision',
    'double precision',
    'numeric',
    'double precision',
    'double precision',
    'double precision',
    '7',
    '7.0')]),
 ('select 1.5::float4 + 1, pg_typeof(1.5::float4 + 1), pg_typeof(1.5::float4 * 2::int2)',
  [('?column?', 701), ('pg_typeof', 2206), ('pg_typeof', 2206)],
  [('2.5', 'double precision', 'double precision')]),
 ('select 3.5e38::float4',
  'ERROR',
  ('22003', '"350000000000000000000000000000000000000" is out of range for type real', None)),
 ("select (t).a, (t).b, (row(1, 'x'::text)).f2 from (values (1, 'q')) as t(a, b)",
  [('a', 23), ('b', 25), ('f2', 25)],
  [('1', 'q', 'x')]),
 ("SELECT DISTINCT x FROM (VALUES ('NaN'::numeric), ('NaN'::numeric), (1)) v(x) ORDER BY x",
  [('x', 1700)],
  [('1',), ('NaN',)]),
 ("SELECT x FROM (VALUES (1.5::numeric), ('NaN'), (-1), (100)) v(x) ORDER BY x DESC",
  [('x', 1700)],
  [('NaN',), ('100',), ('1.5',), ('-1',)]),
 ("SELECT min(x), max(x), count(distinct x) FROM (VALUES (1.5::numeric), ('NaN'), ('NaN'), (-1)) "
  'v(x)',
  [('min', 1700), ('max', 1700), ('count', 20)],
  [('-1', 'NaN', '3')]),
 ("SELECT 'NaN'::numeric + 1, 'NaN'::numeric * 0, 'NaN'::numeric = 'NaN'::numeric, 1 < "
  "'NaN'::numeric",
  [('?column?', 1700), ('?column?', 1700), ('?column?', 16), ('?column?', 16)],
  [('NaN', 'NaN', 't', 't')]),
 ("SELECT x FROM (VALUES (1.5::float8), ('NaN'), ('-Infinity'), ('Infinity'), (-1), (NULL)) v(x) "
  'ORDER BY x NULLS FIRST',
  [('x', 701)],
  [(None,), ('-Infinity',), ('-1',), ('1.5',), ('Infinity',), ('NaN',)]),
 ("SELECT min(f8), max(f8), min(f4), max(f4) FROM (VALUES (1.5::float8, 2::float4), ('NaN', "
  "'NaN'), (-3, 1)) v(f8, f4)",
  [('min', 701), ('max', 701), ('min', 700), ('max', 700)],
  [('-3', 'NaN', '1', 'NaN')]),
 ("SELECT count(*) FROM (VALUES (1.5::float8), ('NaN')) v(f8) WHERE f8 = 'NaN'",
  [('count', 20)],
  [('1',)]),
 ("SELECT DISTINCT x FROM (VALUES ('NaN'::float8), ('NaN'::float8), (1)) v(x) ORDER BY x",
  [('x', 701)],
  [('1',), ('NaN',)]),
 ("SELECT 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 1, 'NaN'::float8 + 1, 'NaN'::float4",
  [('?column?', 16), ('?column?', 16), ('?column?', 701), ('float4', 700)],
  [('t', 't', 'NaN', 'NaN')]),
 ("select 'NaN'::numeric / 0, 1 / 'NaN'::numeric, 'NaN'::float8 / 0, 'NaN'::numeric % 0",
  [('?column?', 1700), ('?column?', 1700), ('?column?', 701), ('?column?', 1700)],
  [('NaN', 'NaN', 'NaN', 'NaN')]),
 ('select 1.0 / 0', 'ERROR', ('22012', 'division by zero', None)),
 ('select 1::float8 / 0', 'ERROR', ('22012', 'division by zero', None))]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
