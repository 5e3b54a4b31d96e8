"""Typed columns through storage and both wire formats: char(n)/varchar(n)/numeric(p,s)
assignment rules (22001, 22003), integer overflow in UPDATE arithmetic, jsonb stored in
PostgreSQL's canonical form, json kept verbatim, arrays and uuid, read back in text and
binary. Expectations are PostgreSQL 15's (check with OMENDB_TEST_TARGET_DSN).
"""

from __future__ import annotations

import decimal
import uuid

import psycopg
import pytest
from psycopg.types.json import Json, Jsonb


@pytest.fixture
def ac(omendb_server):
    c = omendb_server.connect(autocommit=True)
    yield c
    c.close()


def _sqlstate(conn, sql, params=None) -> tuple[str | None, str]:
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql, params)
    return info.value.diag.sqlstate, info.value.diag.message_primary


def test_varchar_and_char_assignment(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v varchar(3), c char(4))")
    ac.execute(f"INSERT INTO {table_name} VALUES (1, 'ab', 'ab')")
    # trailing spaces beyond the limit are cut silently, as in PostgreSQL
    ac.execute(f"INSERT INTO {table_name} VALUES (2, 'abc   ', 'xy   ')")
    assert _sqlstate(ac, f"INSERT INTO {table_name} VALUES (3, 'abcd', 'a')") == (
        "22001", "value too long for type character varying(3)")
    assert _sqlstate(ac, f"INSERT INTO {table_name} VALUES (4, 'a', 'abcde')") == (
        "22001", "value too long for type character(4)")
    rows = ac.execute(f"SELECT v, c, length(c), c || '|' FROM {table_name} ORDER BY id").fetchall()
    assert rows == [("ab", "ab  ", 2, "ab|"), ("abc", "xy  ", 2, "xy|")]
    # an explicit cast truncates instead of failing
    assert ac.execute("SELECT 'abcdef'::varchar(3), 'abcdef'::char(2)").fetchone() == ("abc", "ab")


def test_numeric_typmod_rounds_and_overflows(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, n numeric(5,2))")
    ac.execute(f"INSERT INTO {table_name} VALUES (1, 1.005), (2, -2.5), (3, 999.994)")
    assert _sqlstate(ac, f"INSERT INTO {table_name} VALUES (4, 999.995)") == (
        "22003", "numeric field overflow")
    rows = ac.execute(f"SELECT n::text FROM {table_name} ORDER BY id").fetchall()
    assert rows == [("1.01",), ("-2.50",), ("999.99",)]
    got = ac.execute(f"SELECT n FROM {table_name} WHERE id = 2", binary=True).fetchone()
    assert got == (decimal.Decimal("-2.50"),)


def test_integer_overflow_in_update(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, a int2, b int4, c int8)")
    ac.execute(f"INSERT INTO {table_name} VALUES (1, 32767, 2147483647, 9223372036854775807)")
    assert _sqlstate(ac, f"UPDATE {table_name} SET a = a + 1") == ("22003", "smallint out of range")
    assert _sqlstate(ac, f"UPDATE {table_name} SET b = b * 2") == ("22003", "integer out of range")
    assert _sqlstate(ac, f"UPDATE {table_name} SET c = c + 1") == ("22003", "bigint out of range")
    assert _sqlstate(ac, f"UPDATE {table_name} SET b = 3000000000") == (
        "22003", "integer out of range")
    assert _sqlstate(ac, f"SELECT b / (a - 32767) FROM {table_name}") == (
        "22012", "division by zero")


def test_jsonb_and_json_columns(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, j json, b jsonb)")
    ac.execute(f"INSERT INTO {table_name} VALUES (1, %s, %s)",
               ('{"b": 1,  "a":[1, 2.50]}', '{"b": 1,  "a":[1, 2.50], "b": 3}'))
    ac.execute(f"INSERT INTO {table_name} VALUES (2, %s, %s)",
               (Json({"k": "v"}), Jsonb({"zz": None, "a": True})))
    text = ac.execute(f"SELECT j::text, b::text FROM {table_name} ORDER BY id").fetchall()
    assert text == [('{"b": 1,  "a":[1, 2.50]}', '{"a": [1, 2.50], "b": 3}'),
                    ('{"k": "v"}', '{"a": true, "zz": null}')]
    # psycopg parses json/jsonb in both formats
    for binary in (False, True):
        rows = ac.execute(f"SELECT j, b FROM {table_name} ORDER BY id", binary=binary).fetchall()
        assert rows[0][1] == {"a": [1, 2.5], "b": 3}
        assert rows[1] == ({"k": "v"}, {"a": True, "zz": None})
    hits = ac.execute(f"SELECT id FROM {table_name} WHERE b @> %s::jsonb ORDER BY id",
                      ('{"a": true}',)).fetchall()
    assert hits == [(2,)]
    assert ac.execute(f"SELECT b ->> 'b' FROM {table_name} WHERE b ? 'b'").fetchall() == [("3",)]
    assert _sqlstate(ac, f"INSERT INTO {table_name} VALUES (3, '{{', NULL)")[0] == "22P02"


def test_array_and_uuid_columns(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, tags text[], nums int[], u uuid)")
    u = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    ac.execute(f"INSERT INTO {table_name} VALUES (1, %s, %s, %s)", (["a", "b c"], [1, 2, 3], u))
    ac.execute(f"INSERT INTO {table_name} VALUES (2, ARRAY['x'], '{{}}', gen_random_uuid())")
    for binary in (False, True):
        row = ac.execute(f"SELECT tags, nums, u, nums[2], tags || 'z'::text FROM {table_name} "
                         "WHERE id = 1", binary=binary).fetchone()
        assert row == (["a", "b c"], [1, 2, 3], u, 2, ["a", "b c", "z"])
    assert ac.execute(f"SELECT id FROM {table_name} WHERE 'x' = ANY(tags)").fetchall() == [(2,)]
    assert ac.execute(f"SELECT id FROM {table_name} WHERE tags && ARRAY['b c', 'q'] "
                      "ORDER BY id").fetchall() == [(1,)]
    assert ac.execute(f"SELECT array_length(nums, 1), cardinality(nums) FROM {table_name} "
                      "ORDER BY id").fetchall() == [(3, 3), (None, 0)]


def test_interval_styles_and_bytea_output(omendb_server):
    """IntervalStyle and bytea_output change text output as in PostgreSQL 15."""
    with omendb_server.connect(autocommit=True) as c:
        c.execute("SET IntervalStyle = 'postgres_verbose'")
        sql = ("SELECT (interval '1 year 2 mons 3 days 04:05:06.7')::text, "
               "(interval '-1 day -02:00:00')::text, (interval '0')::text, "
               "(interval '1 mon -3 days')::text")
        assert c.execute(sql).fetchone() == (
            "@ 1 year 2 mons 3 days 4 hours 5 mins 6.7 secs", "@ 1 day 2 hours ago", "@ 0",
            "@ 1 mon -3 days")
        c.execute("SET IntervalStyle = 'sql_standard'")
        sql = ("SELECT (interval '1 year 2 mons 3 days 04:05:06.7')::text, "
               "(interval '-1 day -02:00:00')::text, (interval '0')::text, "
               "(interval '1 mon -3 days')::text, (interval '1 year 2 mons')::text, "
               "(interval '3 days 04:05:06')::text")
        assert c.execute(sql).fetchone() == (
            "+1-2 +3 +4:05:06.7", "-1 2:00:00", "0", "+0-1 -3 +0:00:00", "1-2", "3 4:05:06")
        c.execute("SET IntervalStyle = 'iso_8601'")
        assert c.execute("SELECT (interval '1 year 2 mons 3 days 04:05:06.7')::text").fetchone() \
            == ("P1Y2M3DT4H5M6.7S",)
        c.execute("SET bytea_output = 'escape'")
        assert c.execute(r"SELECT ('abc\001'::bytea)::text, ('\x00ff5c'::bytea)::text").fetchone() \
            == ("abc\\001", "\\000\\377\\\\")
        c.execute("SET bytea_output = 'hex'")
        assert c.execute(r"SELECT ('abc\001'::bytea)::text").fetchone() == ("\\x61626301",)


def test_timetz_both_formats(ac):
    """current_time and timetz values decode in text and binary (int64 usecs + seconds west)."""
    import datetime as dt

    for binary in (False, True):
        row = ac.execute("SELECT '10:11:12.5+02'::timetz, current_time", binary=binary).fetchone()
        assert row[0] == dt.time(10, 11, 12, 500000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        assert isinstance(row[1], dt.time) and row[1].tzinfo is not None


def test_enum_functions(ac, unique_name):
    mood = unique_name("mood")
    ac.execute(f"CREATE TYPE {mood} AS ENUM ('sad', 'ok', 'happy')")
    row = ac.execute(f"SELECT enum_range(NULL::{mood})::text, enum_first(NULL::{mood})::text, "
                     f"enum_last('ok'::{mood})::text, enum_range('ok'::{mood}, NULL)::text, "
                     f"enum_range('sad'::{mood}, 'ok'::{mood})::text").fetchone()
    assert row == ("{sad,ok,happy}", "sad", "happy", "{ok,happy}", "{sad,ok}")
    ac.execute(f"DROP TYPE {mood}")


def test_jsonb_column_orders_like_postgres(ac, table_name):
    ac.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, jb jsonb)")
    ac.execute(f"""INSERT INTO {table_name} VALUES (1, '{{"nested": {{"k": {{"deep": true}}}}}}'),
                   (2, '{{"a": 1, "b": 2}}'), (3, '[1,2]'), (4, NULL), (5, '"s"'), (6, '[]')""")
    ids = [r[0] for r in ac.execute(f"SELECT id FROM {table_name} ORDER BY jb NULLS FIRST, id")]
    assert ids == [4, 6, 5, 3, 1, 2]
