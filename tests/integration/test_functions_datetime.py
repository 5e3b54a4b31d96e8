# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""Date/time functions and operators (interval arithmetic, extract/date_part, date_trunc, age, to_char, to_date, to_timestamp, make_*, justify_*, AT TIME ZONE, OVERLAPS, timetz) against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import pytest

from ._text_cases import check


CASES = [("select interval '1 day 2 hours', interval '1 year 2 months 3 days 04:05:06.7', interval '-1 "
  "day', interval '5' day, interval '1.5 hours', interval '1 day 02:03:04'",
  [('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186),
   ('interval', 1186)],
  [('1 day 02:00:00',
    '1 year 2 mons 3 days 04:05:06.7',
    '-1 days',
    '5 days',
    '01:30:00',
    '1 day 02:03:04')]),
 ("select interval '90 minutes' * 2, interval '1 day' / 3, 2 * interval '1 mon', interval '1 mon' "
  "* 1.5, interval '1 day' + interval '3 hours', interval '1 mon' - interval '1 day', -interval '1 "
  "day'",
  [('?column?', 1186),
   ('?column?', 1186),
   ('?column?', 1186),
   ('?column?', 1186),
   ('?column?', 1186),
   ('?column?', 1186),
   ('?column?', 1186)],
  [('03:00:00',
    '08:00:00',
    '2 mons',
    '1 mon 15 days',
    '1 day 03:00:00',
    '1 mon -1 days',
    '-1 days')]),
 ("select interval '1 mon' > interval '29 days', interval '24 hours' = interval '1 day', interval "
  "'1 year' < interval '360 days'",
  [('?column?', 16), ('?column?', 16), ('?column?', 16)],
  [('t', 't', 'f')]),
 ("select date '2020-01-31' + 1, 1 + date '2020-01-31', date '2020-03-01' - 1, date '2020-01-01' - "
  "date '2019-01-01', date '2020-01-01' + time '10:00'",
  [('?column?', 1082),
   ('?column?', 1082),
   ('?column?', 1082),
   ('?column?', 23),
   ('?column?', 1114)],
  [('2020-02-01', '2020-02-01', '2020-02-29', '365', '2020-01-01 10:00:00')]),
 ("select timestamp '2020-01-01 10:00' + interval '1 day 1 hour', timestamp '2020-01-01' - "
  "interval '1 month', date '2020-01-31' + interval '1 month', timestamp '2020-03-01' - timestamp "
  "'2020-01-01 12:00'",
  [('?column?', 1114), ('?column?', 1114), ('?column?', 1114), ('?column?', 1186)],
  [('2020-01-02 11:00:00', '2019-12-01 00:00:00', '2020-02-29 00:00:00', '59 days 12:00:00')]),
 ("select timestamptz '2020-03-07 12:00+00' + interval '1 day', interval '1 hour' + timestamp "
  "'2020-01-01', time '23:00' + interval '2 hours', time '10:00' - time '08:30', timestamp "
  "'2020-01-31' + interval '1 mon'",
  [('?column?', 1184),
   ('?column?', 1114),
   ('?column?', 1083),
   ('?column?', 1186),
   ('?column?', 1114)],
  [('2020-03-08 12:00:00+00',
    '2020-01-01 01:00:00',
    '01:00:00',
    '01:30:00',
    '2020-02-29 00:00:00')]),
 ("select date_trunc('month', timestamp '2020-05-17 10:11:12'), date_trunc('hour', timestamptz "
  "'2020-05-17 10:11:12+02'), date_trunc('week', timestamp '2020-05-17 10:11:12'), "
  "date_trunc('quarter', date '2020-05-17'), date_trunc('century', timestamp '2020-05-17'), "
  "date_trunc('year', timestamp '2020-05-17 10:11:12'), date_trunc('minute', timestamp '2020-05-17 "
  "10:11:12.5')",
  [('date_trunc', 1114),
   ('date_trunc', 1184),
   ('date_trunc', 1114),
   ('date_trunc', 1184),
   ('date_trunc', 1114),
   ('date_trunc', 1114),
   ('date_trunc', 1114)],
  [('2020-05-01 00:00:00',
    '2020-05-17 08:00:00+00',
    '2020-05-11 00:00:00',
    '2020-04-01 00:00:00+00',
    '2001-01-01 00:00:00',
    '2020-01-01 00:00:00',
    '2020-05-17 10:11:00')]),
 ("select date_trunc('hour', interval '1 day 5 hours 30 min'), date_trunc('year', interval '2 "
  "years 3 months'), date_trunc('day', timestamptz '2020-05-17 23:30:00+00')",
  [('date_trunc', 1186), ('date_trunc', 1186), ('date_trunc', 1184)],
  [('1 day 05:00:00', '2 years', '2020-05-17 00:00:00+00')]),
 ("select date_trunc('foo', timestamp '2020-01-01')",
  'ERROR',
  ('22023', 'unit "foo" not recognized for type timestamp without time zone', None)),
 ("select extract(year from date '2020-05-17'), extract(epoch from timestamp '2020-01-01'), "
  "date_part('dow', date '2020-05-17'), extract(second from timestamp '2020-01-01 10:11:12.5'), "
  "extract(milliseconds from timestamp '2020-01-01 10:11:12.5'), date_part('epoch', timestamptz "
  "'2020-01-01 00:00+00')",
  [('extract', 1700),
   ('extract', 1700),
   ('date_part', 701),
   ('extract', 1700),
   ('extract', 1700),
   ('date_part', 701)],
  [('2020', '1577836800.000000', '0', '12.500000', '12500.000', '1577836800')]),
 ("select extract(month from interval '14 months'), extract(doy from timestamp '2020-12-31'), "
  "extract(quarter from date '2020-05-01'), extract(week from date '2020-01-01'), extract(isodow "
  "from date '2020-05-17'), extract(microseconds from time '10:11:12.5'), extract(century from "
  "date '2020-01-01')",
  [('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700)],
  [('2', '366', '2', '1', '7', '12500000', '21')]),
 ("select extract(epoch from interval '1 day 2 hours'), extract(hour from interval '1 day 26 "
  "hours'), extract(epoch from date '2020-01-01'), extract(isoyear from date '2021-01-01'), "
  "extract(timezone from timestamptz '2020-01-01 00:00+00'), extract(hour from time '10:11'), "
  "extract(day from timestamp '2020-02-29 23:00'), extract(minute from timestamptz '2020-01-01 "
  "10:11:12+00')",
  [('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700),
   ('extract', 1700)],
  [('93600.000000', '26', '1577836800', '2020', '0', '10', '29', '11')]),
 ("select extract(decade from date '2020-05-17'), extract(millennium from date '2020-05-17'), "
  "date_part('year', timestamp '2020-05-17'), date_part('second', time '10:11:12.25'), "
  "date_part('day', interval '3 days')",
  [('extract', 1700),
   ('extract', 1700),
   ('date_part', 701),
   ('date_part', 701),
   ('date_part', 701)],
  [('202', '3', '2020', '12.25', '3')]),
 ("select extract(hour from date '2020-01-01')",
  'ERROR',
  ('0A000', 'unit "hour" not supported for type date', None)),
 ("select age(timestamp '2020-05-17', timestamp '2018-01-20 10:00'), age(timestamp '2020-01-01', "
  "timestamp '2020-03-15'), age(date '2020-03-01', date '2020-01-31'), age(timestamp '2021-03-31', "
  "timestamp '2021-02-28')",
  [('age', 1186), ('age', 1186), ('age', 1186), ('age', 1186)],
  [('2 years 3 mons 27 days 14:00:00', '-2 mons -14 days', '1 mon 1 day', '1 mon 3 days')]),
 ('select make_date(2020, 2, 29), make_interval(days => 3, hours => 2), make_interval(1, 2), '
  'make_interval(secs => 1.5), make_timestamp(2020, 1, 2, 3, 4, 5.5), make_time(10, 11, 12.25)',
  [('make_date', 1082),
   ('make_interval', 1186),
   ('make_interval', 1186),
   ('make_interval', 1186),
   ('make_timestamp', 1114),
   ('make_time', 1083)],
  [('2020-02-29',
    '3 days 02:00:00',
    '1 year 2 mons',
    '00:00:01.5',
    '2020-01-02 03:04:05.5',
    '10:11:12.25')]),
 ("select justify_days(interval '35 days'), justify_hours(interval '27 hours'), "
  "justify_interval(interval '1 mon -1 hour'), justify_interval(interval '-1 mon 35 days'), "
  "justify_hours(interval '-27 hours')",
  [('justify_days', 1186),
   ('justify_hours', 1186),
   ('justify_interval', 1186),
   ('justify_interval', 1186),
   ('justify_hours', 1186)],
  [('1 mon 5 days', '1 day 03:00:00', '29 days 23:00:00', '5 days', '-1 days -03:00:00')]),
 ('select make_date(2020, 2, 30)',
  'ERROR',
  ('22008', 'date field value out of range: 2020-02-30', None)),
 ("select to_char(timestamp '2020-05-07 13:04:05.123', 'YYYY-MM-DD HH24:MI:SS.MS Day Mon DDth'), "
  "to_char(date '2020-05-07', 'FMMonth DD, YYYY'), to_char(timestamp '2020-05-07 01:04:05', "
  "'HH12:MI AM Dy DDD Q WW IW J'), to_char(timestamptz '2020-05-07 01:04:05+00', 'YYYY TZ OF')",
  [('to_char', 25), ('to_char', 25), ('to_char', 25), ('to_char', 25)],
  [('2020-05-07 13:04:05.123 Thursday  May 07th',
    'May 07, 2020',
    '01:04 AM Thu 128 2 19 19 2458977',
    '2020 UTC +00')]),
 ('select to_char(timestamp \'2020-01-03 00:00\', \'FMDD/FMMM/YY "week" IW, dy, month, MONTH, '
  'FMDay, DDTH, YYYY-MM-DD"T"HH24:MI:SS\')',
  [('to_char', 25)],
  [('3/1/20 week 01, fri, january  , JANUARY  , Friday, 03RD, 2020-01-03T00:00:00',)]),
 ("select to_char(interval '1 day 02:03:04', 'HH24:MI:SS DD'), to_char(1234.5, '9,999.99'), "
  "to_char(-1234.5, '9,999.99'), to_char(0.5, '0.99'), to_char(12, '999'), to_char(12, 'FM999'), "
  "to_char(123456, '999')",
  [('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25)],
  [('02:03:04 01', ' 1,234.50', '-1,234.50', ' 0.50', '  12', '12', ' ###')]),
 ("select to_char(3.14159, 'FM990.00'), to_char(-5, 'S999'), to_char(5, '999MI'), "
  "to_char(1234567.891, '999G999G999D99'), to_char(12.5::float8, '99.9'), to_char(0, '9999'), "
  "to_char(0.1, '9.99'), to_char(1e10, '9.99EEEE'), to_char(42, '000')",
  [('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25),
   ('to_char', 25)],
  [('3.14', '  -5', '  5 ', '   1,234,567.89', ' 12.5', '    0', '  .10', ' 1.00e+10', ' 042')]),
 ("select to_date('2020-05-07', 'YYYY-MM-DD'), to_timestamp('2020-05-07 10:11', 'YYYY-MM-DD "
  "HH24:MI'), to_timestamp(0), to_date('07 May 2020', 'DD Mon YYYY'), to_timestamp('2020-05-07 "
  "01:02:03 PM', 'YYYY-MM-DD HH:MI:SS AM'), to_timestamp(1.5), to_date('20200507', 'YYYYMMDD')",
  [('to_date', 1082),
   ('to_timestamp', 1184),
   ('to_timestamp', 1184),
   ('to_date', 1082),
   ('to_timestamp', 1184),
   ('to_timestamp', 1184),
   ('to_date', 1082)],
  [('2020-05-07',
    '2020-05-07 10:11:00+00',
    '1970-01-01 00:00:00+00',
    '2020-05-07',
    '2020-05-07 13:02:03+00',
    '1970-01-01 00:00:01.5+00',
    '2020-05-07')]),
 ("select to_date('2020-13-07', 'YYYY-MM-DD')",
  'ERROR',
  ('22008', 'date/time field value out of range: "2020-13-07"', None)),
 ('select localtimestamp = now()::timestamp, current_date = now()::date, clock_timestamp() >= '
  "now(), now() - interval '1 day' < now(), current_timestamp = now(), transaction_timestamp() = "
  'now()',
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', 't', 't', 't', 't')]),
 ("select date '2020-01-01' < timestamp '2020-01-01 00:00:01', timestamp '2020-01-01' - date "
  "'2019-12-31', date '2020-01-01' = timestamptz '2020-01-01 00:00+00'",
  [('?column?', 16), ('?column?', 1186), ('?column?', 16)],
  [('t', '1 day', 't')]),
 ("select interval 'abc'",
  'ERROR',
  ('22007', 'invalid input syntax for type interval: "abc"', None)),
 ("select date 'abc'", 'ERROR', ('22007', 'invalid input syntax for type date: "abc"', None)),
 ("select timestamp '2020-01-01' + 1",
  'ERROR',
  ('42883',
   'operator does not exist: timestamp without time zone + integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select date '2020-01-01' * 2",
  'ERROR',
  ('42883',
   'operator does not exist: date * integer',
   'No operator matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select timestamptz '2020-01-01 12:00+00' at time zone 'America/New_York', timestamp '2020-01-01 "
  "12:00' at time zone 'Europe/Paris', timestamptz '2020-07-01 00:00+00' at time zone 'UTC'",
  [('timezone', 1114), ('timezone', 1184), ('timezone', 1114)],
  [('2020-01-01 07:00:00', '2020-01-01 11:00:00+00', '2020-07-01 00:00:00')]),
 ("select extract(epoch from timestamptz '2020-01-01 00:00:00.5+00'), date_trunc('day', "
  "timestamptz '2020-06-15 13:00+00')::date, to_char(timestamptz '2020-06-15 13:00+00', "
  '\'YYYY-MM-DD"T"HH24:MI:SSOF\')',
  [('extract', 1700), ('date_trunc', 1082), ('to_char', 25)],
  [('1577836800.500000', '2020-06-15', '2020-06-15T13:00:00+00')]),
 ("select greatest(date '2020-01-01', date '2021-01-01'), least(interval '1 day', interval '2 "
  "hours')",
  [('greatest', 1082), ('least', 1186)],
  [('2021-01-01', '02:00:00')]),
 ("select extract(nosuchfield from date '2024-01-01')",
  'ERROR',
  ('22023', 'unit "nosuchfield" not recognized for type date', None)),
 ("select (date '2024-01-01', date '2024-02-01') overlaps (date '2024-01-15', date '2024-03-01'), "
  "(date '2024-01-01', date '2024-02-01') overlaps (date '2024-02-01', date '2024-03-01'), "
  "(timestamp '2024-01-01', interval '1 day') overlaps (timestamp '2024-01-01 12:00', interval '1 "
  "hour')",
  [('overlaps', 16), ('overlaps', 16), ('overlaps', 16)],
  [('t', 'f', 't')]),
 ("select interval '1 mon' / 7, interval '1 year 1 day' * 0.3, interval '35 days' / 3",
  [('?column?', 1186), ('?column?', 1186), ('?column?', 1186)],
  [('4 days 06:51:25.6896', '3 mons 18 days 07:12:00', '11 days 16:00:00')]),
 ("select current_time is not null, pg_typeof(current_time), '10:11:12+02'::timetz, "
  "'10:11:12.5-05:30'::time with time zone, '10:11'::timetz",
  [('?column?', 16), ('pg_typeof', 2206), ('timetz', 1266), ('timetz', 1266), ('timetz', 1266)],
  [('t', 'time with time zone', '10:11:12+02', '10:11:12.5-05:30', '10:11:00+00')]),
 ("select current_time::time <= localtime + interval '1 second', extract(hour from "
  "'10:11:12+02'::timetz)",
  [('?column?', 16), ('extract', 1700)],
  [('t', '10')])]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
