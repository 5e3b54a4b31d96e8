"""Text I/O of every type against PostgreSQL 15's output (values checked with psql)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
import math
import uuid

import pytest

from omendb_server import errors
from omendb_server.datatypes import FormatContext, Interval, type_by_name

T = type_by_name


def out(type_name: str, value: object, **ctx: object) -> str:
    return T(type_name).text_out(value, FormatContext(**ctx))  # type: ignore[arg-type]


def roundtrip(type_name: str, text: str, **ctx: object) -> str:
    c = FormatContext(**ctx)  # type: ignore[arg-type]
    t = T(type_name)
    return t.text_out(t.text_in(text, ctx=c), c)


@pytest.mark.parametrize(
    "value,expected",
    [
        (1.0, "1"), (0.1, "0.1"), (1e20, "1e+20"), (123456789012345678.0, "1.2345678901234568e+17"),
        (math.inf, "Infinity"), (-math.inf, "-Infinity"), (math.nan, "NaN"), (-0.0, "-0"),
        (1e15, "1e+15"), (123456789012345.6, "123456789012345.6"), (1e-4, "0.0001"), (1e-5, "1e-05"),
        (5e-7, "5e-07"), (-2.5, "-2.5"),
    ],
)
def test_float8_output(value: float, expected: str) -> None:
    assert out("float8", value) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("123456", "123456"), ("1234567", "1.234567e+06"), ("1e-5", "1e-05"), ("3.4e38", "3.4e+38"), ("1.1", "1.1")],
)
def test_float4_output(text: str, expected: str) -> None:
    assert roundtrip("float4", text) == expected


def test_float_extra_digits_zero_uses_g_format() -> None:
    assert out("float8", 0.1, extra_float_digits=0) == "0.1"
    assert out("float8", 1 / 3, extra_float_digits=0) == "0.333333333333333"


@pytest.mark.parametrize("text", [" 1.5 ", "-inf", "Infinity", "nan", "1e5", ".5"])
def test_float_input_forms(text: str) -> None:
    T("float8").text_in(text)


@pytest.mark.parametrize(
    "type_name,text,sqlstate,message",
    [
        ("float8", "abc", "22P02", 'invalid input syntax for type double precision: "abc"'),
        ("float8", "1e400", "22003", '"1e400" is out of range for type double precision'),
        ("float8", "1e-400", "22003", '"1e-400" is out of range for type double precision'),
        ("float4", "1e40", "22003", '"1e40" is out of range for type real'),
        ("int4", "1.5", "22P02", 'invalid input syntax for type integer: "1.5"'),
        ("int4", "", "22P02", 'invalid input syntax for type integer: ""'),
        ("int4", "99999999999", "22003", 'value "99999999999" is out of range for type integer'),
        ("int2", "40000", "22003", 'value "40000" is out of range for type smallint'),
        ("int8", "1_000", "22P02", 'invalid input syntax for type bigint: "1_000"'),
        ("numeric", "x", "22P02", 'invalid input syntax for type numeric: "x"'),
        ("bool", "x", "22P02", 'invalid input syntax for type boolean: "x"'),
        ("uuid", "zz", "22P02", 'invalid input syntax for type uuid: "zz"'),
        ("date", "abc", "22007", 'invalid input syntax for type date: "abc"'),
        ("date", "2020-13-01", "22008", 'date/time field value out of range: "2020-13-01"'),
        ("date", "2020-02-30", "22008", 'date/time field value out of range: "2020-02-30"'),
        ("time", "25:00", "22008", 'date/time field value out of range: "25:00"'),
        ("timestamp", "x", "22007", 'invalid input syntax for type timestamp: "x"'),
        ("timestamptz", "x", "22007", 'invalid input syntax for type timestamp with time zone: "x"'),
        ("interval", "x", "22007", 'invalid input syntax for type interval: "x"'),
        ("int4[]", "{1,2", "22P02", 'malformed array literal: "{1,2"'),
        ("int4[]", "{{1,2},{3}}", "22P02", 'malformed array literal: "{{1,2},{3}}"'),
        ("text[]", "{a", "22P02", 'malformed array literal: "{a"'),
        ("bytea", "\\xzz", "22023", 'invalid hexadecimal digit: "z"'),
        ("bytea", "\\x0", "22023", "invalid hexadecimal data: odd number of digits"),
        ("json", "{bad", "22P02", "invalid input syntax for type json"),
    ],
)
def test_input_errors(type_name: str, text: str, sqlstate: str, message: str) -> None:
    with pytest.raises(errors.DBError) as info:
        T(type_name).text_in(text)
    assert info.value.sqlstate == sqlstate
    assert info.value.message == message


def test_int_input_whitespace_and_sign() -> None:
    assert T("int4").text_in("  -42 ") == -42
    assert T("int8").text_in("+9223372036854775807") == 2**63 - 1
    assert T("oid").text_in("-1") == 4294967295


@pytest.mark.parametrize(
    "text,expected",
    [("t", True), ("  TRUE ", True), ("yes", True), ("on", True), ("1", True), ("tr", True),
     ("f", False), ("false", False), ("no", False), ("off", False), ("0", False), ("of", False)],
)
def test_bool_input(text: str, expected: bool) -> None:
    assert T("bool").text_in(text) is expected
    assert out("bool", expected) == ("t" if expected else "f")


def test_bool_rejects_ambiguous_o() -> None:
    with pytest.raises(errors.InvalidTextRepresentation):
        T("bool").text_in("o")


@pytest.mark.parametrize(
    "text,expected",
    [("1.50", "1.50"), ("NaN", "NaN"), ("-0.00", "0.00"), ("1e5", "100000"), ("1.5e1", "15"),
     ("1e-3", "0.001"), ("inf", "Infinity"), (" -12.3400 ", "-12.3400")],
)
def test_numeric_text(text: str, expected: str) -> None:
    assert roundtrip("numeric", text) == expected


def test_numeric_value_is_decimal() -> None:
    v = T("numeric").text_in("1.50")
    assert isinstance(v, Decimal) and v == Decimal("1.50") and str(v) == "1.50"
    assert T("numeric").text_in("NaN").is_nan()


def test_text_types() -> None:
    assert T("text").text_in("héllo") == "héllo"
    assert out("varchar", "x") == "x"
    assert T("name").text_in("x" * 80) == "x" * 63
    with pytest.raises(errors.CharacterNotInRepertoire):
        T("text").text_in("a\x00b")


def test_bytea_text() -> None:
    assert out("bytea", b"\x01\x02") == "\\x0102"
    assert T("bytea").text_in("\\x01 02") == b"\x01\x02"
    assert T("bytea").text_in("ab\\\\c\\101") == b"ab\\cA"
    with pytest.raises(errors.InvalidTextRepresentation):
        T("bytea").text_in("bad\\9")


def test_uuid_text() -> None:
    u = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    for text in ("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
                 "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"):
        assert T("uuid").text_in(text) == u
    assert out("uuid", u) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    with pytest.raises(errors.InvalidTextRepresentation):
        T("uuid").text_in("{a0eebc999c0b4ef8bb6d6bb9bd380a11")


def test_date_text() -> None:
    assert T("date").text_in("2020-01-02") == date(2020, 1, 2)
    for text in ("Jan 2 2020", "01/02/2020", "20200102", "2020-01-02 04:05:06", "January 2, 2020"):
        assert roundtrip("date", text) == "2020-01-02"
    assert roundtrip("date", "02/01/2020", datestyle="ISO, DMY") == "2020-01-02"
    assert roundtrip("date", "epoch") == "1970-01-01"
    for text in ("infinity", "-infinity", "4713-01-01 BC", "10000-01-01", "5874897-12-31"):
        assert roundtrip("date", text) == text
    with pytest.raises(errors.InvalidDatetimeFormat):
        T("date").text_in("+infinity")  # PostgreSQL 15 has no "+infinity" for dates
    for text in ("5874898-01-01", "4714-11-23 BC"):
        with pytest.raises(errors.DatetimeFieldOverflow):
            T("date").text_in(text)


def test_time_text() -> None:
    assert T("time").text_in("03:04:05") == time(3, 4, 5)
    assert roundtrip("time", "03:04:05.1234567") == "03:04:05.123457"
    assert roundtrip("time", "03:04 PM") == "15:04:00"
    assert roundtrip("time", "03:04:05.500") == "03:04:05.5"
    assert roundtrip("time", "24:00:00") == "24:00:00"
    assert roundtrip("time", "23:59:59.9999999") == "24:00:00"


def test_timestamp_text() -> None:
    assert T("timestamp").text_in("2020-01-02 03:04:05.123") == datetime(2020, 1, 2, 3, 4, 5, 123000)
    assert roundtrip("timestamp", "2020-01-02 03:04:05+02") == "2020-01-02 03:04:05"
    assert roundtrip("timestamp", "2020-01-02") == "2020-01-02 00:00:00"
    assert roundtrip("timestamp", "epoch") == "1970-01-01 00:00:00"
    assert roundtrip("timestamp", "2020-01-01 24:00:00") == "2020-01-02 00:00:00"
    assert roundtrip("timestamp", "9999-12-31 24:00:00") == "10000-01-01 00:00:00"
    assert roundtrip("timestamp", "0001-01-01 00:00:00 BC") == "0001-01-01 00:00:00 BC"
    assert roundtrip("timestamp", "infinity") == "infinity"


def test_timestamptz_text() -> None:
    v = T("timestamptz").text_in("2020-01-02T03:04:05+02")
    assert v == datetime(2020, 1, 2, 1, 4, 5, tzinfo=timezone.utc) and v.tzinfo is timezone.utc
    assert out("timestamptz", v) == "2020-01-02 01:04:05+00"
    assert roundtrip("timestamptz", "2020-01-02 03:04:05 America/New_York") == "2020-01-02 08:04:05+00"
    assert roundtrip("timestamptz", "2020-01-02 03:04:05Z") == "2020-01-02 03:04:05+00"


@pytest.mark.parametrize(
    "zone,expected",
    [("+02", "2020-06-01 14:00:00.5+02"), ("UTC+3", "2020-06-01 09:00:00.5-03"),
     ("-05:30", "2020-06-01 17:30:00.5+05:30"), ("Europe/Paris", "2020-06-01 14:00:00.5+02"),
     ("Asia/Kolkata", "2020-06-01 17:30:00.5+05:30"), ("America/Los_Angeles", "2020-06-01 05:00:00.5-07"),
     ("GMT", "2020-06-01 12:00:00.5+00")],
)
def test_timestamptz_session_zone(zone: str, expected: str) -> None:
    v = T("timestamptz").text_in("2020-06-01 12:00:00.5+00")
    assert out("timestamptz", v, timezone=zone) == expected


def test_timestamptz_input_uses_session_zone() -> None:
    v = T("timestamptz").text_in("2020-06-01 12:00", ctx=FormatContext(timezone="Europe/Paris"))
    assert v == datetime(2020, 6, 1, 10, 0, tzinfo=timezone.utc)


def test_bad_session_zone() -> None:
    with pytest.raises(errors.InvalidParameterValue):
        out("timestamptz", datetime(2020, 1, 1, tzinfo=timezone.utc), timezone="Nowhere/Land")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1 year 2 mons 3 days 04:05:06", "1 year 2 mons 3 days 04:05:06"),
        ("-1 year -2 mons 3 days -04:05:06", "-1 years -2 mons +3 days -04:05:06"),
        ("1 day -1 hour", "1 day -01:00:00"), ("-1 day +1 hour", "-1 days +01:00:00"),
        ("0", "00:00:00"), ("100 hours", "100:00:00"), ("1.5 days", "1 day 12:00:00"),
        ("1.5 months", "1 mon 15 days"), ("@ 1 minute ago", "-00:01:00"),
        ("P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"), ("5", "00:00:05"), ("10:00", "10:00:00"),
        ("1 mon -1 day", "1 mon -1 days"), ("-0.000001 sec", "-00:00:00.000001"), ("1 week 2 days", "9 days"),
        ("-1.5 years", "-1 years -6 mons"), ("3 mons 4 days ago", "-3 mons -4 days"),
        ("1 millisecond", "00:00:00.001"), ("1-2", "1 year 2 mons"), ("-1 days", "-1 days"),
    ],
)
def test_interval_postgres_style(text: str, expected: str) -> None:
    assert roundtrip("interval", text) == expected


def test_interval_value_and_iso_style() -> None:
    v = T("interval").text_in("1 year 2 mons 3 days 04:05:06")
    assert v == Interval(14, 3, (4 * 3600 + 5 * 60 + 6) * 1_000_000)
    assert out("interval", v, intervalstyle="iso_8601") == "P1Y2M3DT4H5M6S"
    assert out("interval", Interval(0, 0, 0), intervalstyle="iso_8601") == "PT0S"


def test_array_text_quoting() -> None:
    t = T("text[]")
    value = ["a b", 'x"y', None, "", "NULL", " ", "\\x", "{", "a,b"]
    text = '{"a b","x\\"y",NULL,"","NULL"," ","\\\\x","{","a,b"}'
    assert t.text_out(value) == text
    assert t.text_in(text) == value


def test_array_text_parsing() -> None:
    assert T("int4[]").text_in("{{1,2},{3,4}}") == [[1, 2], [3, 4]]
    assert out("int4[]", [[1, 2], [3, 4]]) == "{{1,2},{3,4}}"
    assert T("int4[]").text_in("{ 1 , 2 , NULL }") == [1, 2, None]
    assert list(T("int4[]").text_in("[0:1]={1,2}")) == [1, 2]
    assert out("int4[]", T("int4[]").text_in("[0:1]={1,2}")) == "[0:1]={1,2}"  # bounds are kept
    assert T("text[]").text_in("{a b, c ,nulL}") == ["a b", "c", None]
    assert T("text[]").text_in('{"NULL",\\N}') == ["NULL", "N"]
    assert T("_int4").text_in("{}") == []
    assert out("int4[]", []) == "{}"
    assert out("bytea[]", [b"\x01"]) == '{"\\\\x01"}'
    assert out("float8[]", [1.5, math.nan]) == "{1.5,NaN}"
    assert out("timestamptz[]", [datetime(2020, 1, 1, tzinfo=timezone.utc)]) == '{"2020-01-01 00:00:00+00"}'


def test_array_element_errors_propagate() -> None:
    with pytest.raises(errors.InvalidTextRepresentation) as info:
        T("int4[]").text_in("{1,x}")
    assert info.value.message == 'invalid input syntax for type integer: "x"'


def test_json_and_misc() -> None:
    assert T("json").text_in('{"a": [1, 2]}') == '{"a": [1, 2]}'
    assert T("jsonb").text_in("[1]") == "[1]"
    assert out("void", None) == ""
    assert out("record", ("1", "a b", None, "")) == '(1,"a b",,"")'
    assert out("regtype", 23) == "integer"
    assert T("regtype").text_in("text") == 25
    assert out("int2vector", [1, 2, 3]) == "1 2 3"
    assert T("oidvector").text_in("23 25") == [23, 25]
    assert T('"char"').text_in("r") == "r"
