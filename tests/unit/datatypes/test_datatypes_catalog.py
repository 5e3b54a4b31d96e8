"""Type lookup, OIDs, format_type() and typmod rules."""

from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal

import pytest

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, Interval, array_of, format_type, type_by_name, typmod_for

T = type_by_name

EXPECTED_OIDS = {
    "int2": 21, "int4": 23, "int8": 20, "float4": 700, "float8": 701, "numeric": 1700, "bool": 16, "text": 25,
    "varchar": 1043, "bpchar": 1042, "name": 19, '"char"': 18, "bytea": 17, "date": 1082, "time": 1083,
    "timestamp": 1114, "timestamptz": 1184, "interval": 1186, "uuid": 2950, "json": 114, "jsonb": 3802, "oid": 26,
    "regtype": 2206, "regclass": 2205, "regproc": 24, "regnamespace": 4089, "unknown": 705, "void": 2278,
    "int2vector": 22, "oidvector": 30, "record": 2249,
    "_int2": 1005, "_int4": 1007, "_int8": 1016, "_float4": 1021, "_float8": 1022, "_numeric": 1231, "_bool": 1000,
    "_text": 1009, "_varchar": 1015, "_bpchar": 1014, "_name": 1003, "_char": 1002, "_bytea": 1001, "_date": 1182,
    "_time": 1183, "_timestamp": 1115, "_timestamptz": 1185, "_interval": 1187, "_uuid": 2951, "_json": 199,
    "_jsonb": 3807, "_oid": 1028, "_regtype": 2211,
}


@pytest.mark.parametrize("name,oid", sorted(EXPECTED_OIDS.items()))
def test_oids(name: str, oid: int) -> None:
    assert T(name).oid == oid
    assert TYPES_BY_OID[oid] is T(name)


@pytest.mark.parametrize(
    "spelling,name",
    [("integer", "int4"), ("int", "int4"), ("bigint", "int8"), ("smallint", "int2"), ("double precision", "float8"),
     ("float", "float8"), ("real", "float4"), ("decimal", "numeric"), ("boolean", "bool"),
     ("character varying", "varchar"), ("varchar", "varchar"), ("character", "bpchar"), ("char", "bpchar"),
     ("bpchar", "bpchar"), ("text", "text"), ("timestamp without time zone", "timestamp"),
     ("timestamp with time zone", "timestamptz"), ("timestamptz", "timestamptz"), ("date", "date"),
     ("time", "time"), ("time without time zone", "time"), ("bytea", "bytea"), ("uuid", "uuid"), ("json", "json"),
     ("jsonb", "jsonb"), ("interval", "interval"), ("oid", "oid"), ("name", "name"), ("regtype", "regtype"),
     ("regclass", "regclass"), ("int4[]", "_int4"), ("integer[]", "_int4"), ("_int4", "_int4"),
     ("INTEGER", "int4"), ("  Character   Varying(20) ", "varchar"), ("numeric(10,2)", "numeric"),
     ("float(10)", "float4"), ("float(30)", "float8"), ("text[][]", "_text"), ("pg_catalog.int8", "int8"),
     ("timestamp(3) with time zone", "timestamptz")],
)
def test_type_by_name(spelling: str, name: str) -> None:
    assert T(spelling).name == name


def test_unknown_type() -> None:
    with pytest.raises(errors.UndefinedObject) as info:
        T("nosuchtype")
    assert info.value.sqlstate == "42704"
    assert info.value.message == 'type "nosuchtype" does not exist'


def test_array_of() -> None:
    assert array_of(T("int4")) is T("_int4")
    assert array_of(T("_int4")) is T("_int4")
    assert T("_int4").element is T("int4")
    with pytest.raises(errors.UndefinedObject):
        array_of(T("unknown"))


@pytest.mark.parametrize(
    "name,args,expected",
    [("varchar", [20], 24), ("character varying", [1], 5), ("char", [3], 7), ("bpchar", [3], 7),
     ("numeric", [10, 2], (10 << 16 | 2) + 4), ("numeric", [5], (5 << 16) + 4), ("timestamp", [3], 3),
     ("timestamptz", [0], 0), ("time", [9], 6), ("integer", [], -1), ("varchar", [], -1)],
)
def test_typmod_for(name: str, args: list[int], expected: int) -> None:
    assert typmod_for(name, args) == expected


@pytest.mark.parametrize(
    "name,args,exc",
    [("varchar", [0], errors.InvalidParameterValue), ("numeric", [0], errors.InvalidParameterValue),
     ("numeric", [1001, 0], errors.InvalidParameterValue), ("timestamp", [-1], errors.InvalidParameterValue),
     ("integer", [3], errors.SyntaxError)],
)
def test_typmod_for_errors(name: str, args: list[int], exc: type) -> None:
    with pytest.raises(exc):
        typmod_for(name, args)


@pytest.mark.parametrize(
    "name,typmod,expected",
    [("int4", -1, "integer"), ("int8", -1, "bigint"), ("int2", -1, "smallint"), ("varchar", 24, "character varying(20)"),
     ("varchar", -1, "character varying"), ("numeric", (10 << 16 | 2) + 4, "numeric(10,2)"), ("numeric", -1, "numeric"),
     ("timestamp", -1, "timestamp without time zone"), ("timestamp", 3, "timestamp(3) without time zone"),
     ("timestamptz", -1, "timestamp with time zone"), ("time", -1, "time without time zone"), ("text[]", -1, "text[]"),
     ("varchar[]", 24, "character varying(20)[]"), ("bpchar", 7, "character(3)"), ("bpchar", -1, "bpchar"),
     ("float8", -1, "double precision"), ("float4", -1, "real"), ("bool", -1, "boolean"), ('"char"', -1, '"char"'),
     ("interval", -1, "interval"), ("regtype", -1, "regtype"), ("int2[]", -1, "smallint[]"), ("jsonb", -1, "jsonb")],
)
def test_format_type(name: str, typmod: int, expected: str) -> None:
    assert format_type(T(name), typmod) == expected


def test_varchar_typmod() -> None:
    vc = T("varchar")
    tm = typmod_for("varchar", [3])
    assert vc.apply_typmod("abc", tm) == "abc"
    assert vc.apply_typmod("abc   ", tm) == "abc"
    with pytest.raises(errors.StringDataRightTruncation) as info:
        vc.apply_typmod("abcd", tm)
    assert info.value.message == "value too long for type character varying(3)"
    assert info.value.sqlstate == "22001"
    assert vc.text_in("ab", tm) == "ab"


def test_bpchar_typmod() -> None:
    bp = T("bpchar")
    tm = typmod_for("char", [3])
    assert bp.apply_typmod("a", tm) == "a  "
    assert bp.apply_typmod("abc  ", tm) == "abc"
    with pytest.raises(errors.StringDataRightTruncation) as info:
        bp.apply_typmod("abcd", tm)
    assert info.value.message == "value too long for type character(3)"


def test_numeric_typmod() -> None:
    n = T("numeric")
    assert n.apply_typmod(Decimal("1.005"), typmod_for("numeric", [5, 2])) == Decimal("1.01")
    assert str(n.apply_typmod(Decimal("-1.005"), typmod_for("numeric", [5, 2]))) == "-1.01"
    assert str(n.apply_typmod(Decimal("2"), typmod_for("numeric", [5, 2]))) == "2.00"
    assert n.apply_typmod(Decimal("NaN"), typmod_for("numeric", [5, 2])).is_nan()
    with pytest.raises(errors.NumericValueOutOfRange) as info:
        n.apply_typmod(Decimal("12345.678"), typmod_for("numeric", [5, 2]))
    assert info.value.message == "numeric field overflow"
    assert info.value.detail == "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
    with pytest.raises(errors.NumericValueOutOfRange) as info:
        n.apply_typmod(Decimal("0.9999"), typmod_for("numeric", [3, 3]))
    assert info.value.detail == "A field with precision 3, scale 3 must round to an absolute value less than 1."
    with pytest.raises(errors.NumericValueOutOfRange) as info:
        n.apply_typmod(Decimal("Infinity"), typmod_for("numeric", [3, 1]))
    assert info.value.detail == "A field with precision 3, scale 1 cannot hold an infinite value."


def test_datetime_typmod() -> None:
    ts = T("timestamp")
    assert ts.apply_typmod(datetime(2020, 1, 2, 3, 4, 5, 123456), 2) == datetime(2020, 1, 2, 3, 4, 5, 120000)
    assert ts.apply_typmod(datetime(2020, 1, 2, 3, 4, 5, 500000), 0) == datetime(2020, 1, 2, 3, 4, 6)
    assert ts.text_out(ts.text_in("2020-01-02 03:04:05.123456789", 2)) == "2020-01-02 03:04:05.12"
    tz = T("timestamptz")
    assert tz.apply_typmod(datetime(2020, 1, 1, 0, 0, 0, 999999, tzinfo=timezone.utc), 3) == datetime(
        2020, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert T("time").apply_typmod(time(1, 2, 3, 456789), 1) == time(1, 2, 3, 500000)
    assert T("int4").apply_typmod(5, 10) == 5


def test_array_typmod_applies_to_elements() -> None:
    with pytest.raises(errors.StringDataRightTruncation):
        T("varchar[]").text_in("{ab,abcd}", typmod_for("varchar", [3]))
    assert T("bpchar[]").apply_typmod(["a"], typmod_for("char", [2])) == ["a "]


def test_interval_is_frozen() -> None:
    iv = Interval(1, 2, 3)
    with pytest.raises(AttributeError):
        iv.months = 5  # type: ignore[misc]
    assert -iv == Interval(-1, -2, -3)
