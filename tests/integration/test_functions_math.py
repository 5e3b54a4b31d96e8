# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""Mathematical functions, numeric/float/integer arithmetic and their errors (22003 overflow, 22012 division by zero, 2201E/2201F) against PostgreSQL 15.

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


CASES = [('select abs(-3), abs(-2.5), abs(-1.5::float8), abs(-3::int2), ceil(1.2), ceil(-0.5), '
  'floor(-1.2), floor(2.5::float4), ceiling(1.5::float8)',
  [('abs', 23),
   ('abs', 1700),
   ('abs', 701),
   ('abs', 21),
   ('ceil', 1700),
   ('ceil', 1700),
   ('floor', 1700),
   ('floor', 701),
   ('ceiling', 701)],
  [('3', '2.5', '1.5', '3', '2', '0', '-2', '2', '2')]),
 ('select round(2.567, 2), round(-2.5), round(2.5::float8), round(3.5::float8), round(1234.5, -2), '
  'round(1.5), trunc(2.567, 1), trunc(-2.567, 2), trunc(-2.7::float8), trunc(5.9)',
  [('round', 1700),
   ('round', 1700),
   ('round', 701),
   ('round', 701),
   ('round', 1700),
   ('round', 1700),
   ('trunc', 1700),
   ('trunc', 1700),
   ('trunc', 701),
   ('trunc', 1700)],
  [('2.57', '-3', '2', '4', '1200', '2', '2.5', '-2.56', '-2', '5')]),
 ('select mod(7, 3), mod(-7, 2), -7 % 2, 7.5 % 2, mod(10.5, 3), div(7, 2), div(-7, 2), div(9.5, 2)',
  [('mod', 23),
   ('mod', 23),
   ('?column?', 23),
   ('?column?', 1700),
   ('mod', 1700),
   ('div', 1700),
   ('div', 1700),
   ('div', 1700)],
  [('1', '-1', '-1', '1.5', '1.5', '3', '-3', '4')]),
 ('select power(2, 10), power(2.0, 10), power(2.5, 2), 2 ^ 0.5, power(4.0, 0.5), 2.0 ^ 3, '
  'power(-8, 1.0/3)',
  'ERROR',
  ('2201F', 'a negative number raised to a non-integer power yields a complex result', None)),
 ('select sqrt(16), sqrt(2.0), sqrt(2::float8), cbrt(27.0), cbrt(-8)',
  [('sqrt', 701), ('sqrt', 1700), ('sqrt', 701), ('cbrt', 701), ('cbrt', 701)],
  [('4', '1.414213562373095', '1.4142135623730951', '3.0000000000000004', '-2')]),
 ('select exp(1), exp(1.0), ln(10), ln(100.0), log(100), log(100.0), log(2, 8), log(2.0, 8.0), '
  'log10(1000)',
  [('exp', 701),
   ('exp', 1700),
   ('ln', 701),
   ('ln', 1700),
   ('log', 701),
   ('log', 1700),
   ('log', 1700),
   ('log', 1700),
   ('log10', 701)],
  [('2.718281828459045',
    '2.7182818284590452',
    '2.302585092994046',
    '4.6051701859880914',
    '2',
    '2.0000000000000000',
    '3.0000000000000000',
    '3.0000000000000000',
    '3')]),
 ('select sign(-3), sign(-3.5), sign(0.0), sign(2::float8), pi(), degrees(pi()), radians(180)',
  [('sign', 701),
   ('sign', 1700),
   ('sign', 1700),
   ('sign', 701),
   ('pi', 701),
   ('degrees', 701),
   ('radians', 701)],
  [('-1', '-1', '0', '1', '3.141592653589793', '180', '3.141592653589793')]),
 ("select greatest(1, 5, 3), least('b', 'a'), greatest(1, 2.5), least(null, 2, 1), "
  'greatest(null::int, null)',
  [('greatest', 23), ('least', 25), ('greatest', 1700), ('least', 23), ('greatest', 23)],
  [('5', 'a', '2.5', '1', None)]),
 ('select width_bucket(5.3, 0, 10, 5), width_bucket(-1, 0, 10, 5), width_bucket(10, 0, 10, 5), '
  'width_bucket(5, 10, 0, 5), gcd(12, 18), lcm(4, 6), factorial(5)',
  [('width_bucket', 23),
   ('width_bucket', 23),
   ('width_bucket', 23),
   ('width_bucket', 23),
   ('gcd', 23),
   ('lcm', 23),
   ('factorial', 1700)],
  [('3', '0', '6', '3', '6', '12', '120')]),
 ('select random() >= 0 and random() < 1, random() <> random()',
  [('?column?', 16), ('?column?', 16)],
  [('t', 't')]),
 ('select sqrt(-1)', 'ERROR', ('2201F', 'cannot take square root of a negative number', None)),
 ('select ln(0)', 'ERROR', ('2201E', 'cannot take logarithm of zero', None)),
 ('select ln(-1)', 'ERROR', ('2201E', 'cannot take logarithm of a negative number', None)),
 ('select log(-1)', 'ERROR', ('2201E', 'cannot take logarithm of a negative number', None)),
 ('select 0 ^ -1', 'ERROR', ('2201F', 'zero raised to a negative power is undefined', None)),
 ('select power(-8, 0.5)',
  'ERROR',
  ('2201F', 'a negative number raised to a non-integer power yields a complex result', None)),
 ('select exp(1000)', 'ERROR', ('22003', 'value out of range: overflow', None)),
 ('select 1/0', 'ERROR', ('22012', 'division by zero', None)),
 ('select 1.5/0', 'ERROR', ('22012', 'division by zero', None)),
 ('select 1::float8/0', 'ERROR', ('22012', 'division by zero', None)),
 ('select 5 % 0', 'ERROR', ('22012', 'division by zero', None)),
 ('select mod(5, 0)', 'ERROR', ('22012', 'division by zero', None)),
 ('select div(1, 0)', 'ERROR', ('22012', 'division by zero', None)),
 ('select width_bucket(1, 0, 10, 0)', 'ERROR', ('2201G', 'count must be greater than zero', None)),
 ('select 2147483647 + 1', 'ERROR', ('22003', 'integer out of range', None)),
 ('select -2147483648 - 1', 'ERROR', ('22003', 'integer out of range', None)),
 ('select 2147483647 * 2', 'ERROR', ('22003', 'integer out of range', None)),
 ('select 32767::int2 + 1::int2', 'ERROR', ('22003', 'smallint out of range', None)),
 ('select 9223372036854775807 + 1', 'ERROR', ('22003', 'bigint out of range', None)),
 ('select 9223372036854775807 * 2', 'ERROR', ('22003', 'bigint out of range', None)),
 ('select -(-2147483648)', [('?column?', 20)], [('2147483648',)]),
 ('select abs(-2147483648)', 'ERROR', ('22003', 'integer out of range', None)),
 ('select (-2147483648) / -1', 'ERROR', ('22003', 'integer out of range', None)),
 ('select 7 / 2, -7 / 2, 7.0 / 2, 1 / 3.0, 10::float8 / 4, 2 ^ 3, 1e300::float8 * 10',
  [('?column?', 23),
   ('?column?', 23),
   ('?column?', 1700),
   ('?column?', 1700),
   ('?column?', 701),
   ('?column?', 701),
   ('?column?', 701)],
  [('3', '-3', '3.5000000000000000', '0.33333333333333333333', '2.5', '8', '1e+301')]),
 ('select 1e308::float8 * 10', 'ERROR', ('22003', 'value out of range: overflow', None)),
 ("select 1 + 1.5, 1::int2 + 1::int8, 1 + 1.5::float4, 1.5::float4 + 1.5::float8, '1' + 2, 3 - '1'",
  [('?column?', 1700),
   ('?column?', 20),
   ('?column?', 701),
   ('?column?', 701),
   ('?column?', 23),
   ('?column?', 23)],
  [('2.5', '2', '2.5', '3', '3', '2')]),
 ('select 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 16 >> 2, 5::int2 & 3::int8, -1::int2 << 15',
  [('?column?', 23),
   ('?column?', 23),
   ('?column?', 23),
   ('?column?', 23),
   ('?column?', 23),
   ('?column?', 23),
   ('?column?', 20),
   ('?column?', 21)],
  [('1', '7', '6', '-6', '16', '4', '1', '-32768')]),
 ('select (1.5::float4 + 1)::text, 2.5::float4 * 2, 1.5::float4 + 1.5::float4',
  [('text', 25), ('?column?', 701), ('?column?', 700)],
  [('2.5', '5', '3')]),
 ('select 1.5 & 1',
  'ERROR',
  ('42883',
   'operator does not exist: numeric & integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.'))]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
