"""Binary (send/recv) formats: exact bytes from PostgreSQL 15 and round trips for every type."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
import math
import random
import uuid

import pytest

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, Interval, type_by_name

T = type_by_name

# (type, text literal, hex of PostgreSQL 15's *_send output)
PG_SEND = [
    ("int2", "-5", "fffb"),
    ("int4", "123456", "0001e240"),
    ("int8", "-9000000000", "fffffffde78ee600"),
    ("float4", "1.1", "3f8ccccd"),
    ("float8", "0.1", "3fb999999999999a"),
    ("numeric", "1.50", "000200000000000200011388"),
    ("numeric", "0.01", "0001ffff000000020064"),
    ("numeric", "-123456789.000123", "0005000240000006000109291a85000108fc"),
    ("numeric", "0.00", "0000000000000002"),
    ("numeric", "NaN", "00000000c0000000"),
    ("numeric", "Infinity", "00000000d0000020"),
    ("numeric", "-Infinity", "00000000f0000020"),
    ("numeric", "10000", "00010001000000000001"),
    ("bool", "t", "01"),
    ("text", "héllo", "68c3a96c6c6f"),
    ("bytea", "\\x00ff", "00ff"),
    ("date", "1999-12-31", "ffffffff"),
    ("date", "2020-02-29", "00001cc4"),
    ("time", "13:14:15.5", "0000000b187d38e0"),
    ("timestamp", "1970-01-01 00:00:00.000001", "fffca2fec4c82001"),
    ("timestamptz", "2020-06-01 12:00:00+02", "00024a01a067c800"),
    ("interval", "1 year 2 mons -3 days 04:05:06.7", "000000036c966ee0fffffffd0000000e"),
    ("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11"),
    ("jsonb", '{"a": 1}', "017b2261223a20317d"),
    ("oid", "4294967295", "ffffffff"),
    ("int4[]", "{{1,NULL},{3,4}}",
     "000000020000000100000017000000020000000100000002000000010000000400000001ffffffff00000004000000030000000400000004"),
    ("text[]", '{a,"b c",NULL}', "00000001000000010000001900000003000000010000000161000000036220 63ffffffff".replace(" ", "")),
    ("int4[]", "{}", "000000000000000000000017"),
    ("int2vector", "1 2 3", "0000000100000000000000150000000300000000000000020001000000020002000000020003"),
]


@pytest.mark.parametrize("type_name,literal,expected_hex", PG_SEND)
def test_binary_matches_postgres(type_name: str, literal: str, expected_hex: str) -> None:
    t = T(type_name)
    value = t.text_in(literal)
    data = t.binary_out(value)
    assert data.hex() == expected_hex
    back = t.binary_in(data)
    if isinstance(value, Decimal) and value.is_nan():
        assert back.is_nan()
    else:
        assert back == value


SAMPLES: dict[str, list[object]] = {
    "int2": [0, -32768, 32767], "int4": [0, -(2**31), 2**31 - 1], "int8": [0, -(2**63), 2**63 - 1],
    "float4": [0.0, 1.5, -3.25, math.inf], "float8": [0.0, 0.1, -1e300, -math.inf],
    "numeric": [Decimal("0"), Decimal("1.50"), Decimal("-0.0001"), Decimal("123456789012345678901234567890.123"),
                Decimal("1E-20"), Decimal("Infinity")],
    "bool": [True, False], "text": ["", "héllo ✓"], "varchar": ["x"], "bpchar": ["ab  "], "name": ["pg_class"],
    "char": ["r", ""], "json": ['{"a": 1}'], "jsonb": ["[]"], "unknown": ["?"],
    "bytea": [b"", b"\x00\xff"], "uuid": [uuid.UUID(int=12345)],
    "date": [date(2000, 1, 1), date(1, 1, 1), date(9999, 12, 31)],
    "time": [time(0, 0), time(23, 59, 59, 999999)],
    "timestamp": [datetime(2000, 1, 1), datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)],
    "timestamptz": [datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)],
    "interval": [Interval(0, 0, 0), Interval(-14, 3, -1)],
    "oid": [0, 4294967295], "regtype": [23], "regclass": [1259], "regproc": [1], "regnamespace": [11],
    "int2vector": [[1, 2]], "oidvector": [[23, 25]], "void": [None],
}


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_roundtrip_both_formats(type_name: str) -> None:
    t = T(type_name) if type_name != "char" else TYPES_BY_OID[18]
    for value in SAMPLES[type_name]:
        assert t.binary_in(t.binary_out(value)) == value
        assert t.text_in(t.text_out(value)) == value
        arr = TYPES_BY_OID.get(t.array_oid)
        if arr is not None and value is not None and not isinstance(value, list):
            nested = [[value, None], [value, value]]
            assert arr.binary_in(arr.binary_out(nested)) == nested
            assert arr.text_in(arr.text_out(nested)) == nested


def test_every_registered_type_has_working_codec() -> None:
    for oid, t in TYPES_BY_OID.items():
        assert t.oid == oid
        if t.element is not None:
            assert t.category == "A" and t.element.array_oid == oid


@pytest.mark.parametrize(
    "type_name,data",
    [("int4", b"\x00\x01"), ("int8", b"\x00" * 9), ("float8", b"\x00"), ("bool", b""), ("uuid", b"\x00" * 15),
     ("date", b"\x00"), ("interval", b"\x00" * 15), ("numeric", b"\x00\x01"), ("numeric", b"\x00\x01\x00\x00\x00\x00\x00\x00"),
     ("numeric", b"\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10"), ("numeric", b"\x00\x00\x00\x00\x12\x34\x00\x00"),
     ("int4[]", b"\x00\x00\x00\x01"), ("int4[]", b"\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x17"),
     ("int4[]", bytes.fromhex("000000010000000000000017 7fffffff00000001".replace(" ", ""))),
     ("int4[]", bytes.fromhex("00000001000000000000001700000001000000010000000400000001ff")),
     ("jsonb", b"\x02{}")],
)
def test_binary_garbage_rejected(type_name: str, data: bytes) -> None:
    with pytest.raises(errors.InvalidBinaryRepresentation):
        T(type_name).binary_in(data)


def test_binary_wrong_element_type() -> None:
    data = T("int8[]").binary_out([1])
    with pytest.raises(errors.DatatypeMismatch):
        T("int4[]").binary_in(data)


def test_binary_invalid_utf8() -> None:
    with pytest.raises(errors.CharacterNotInRepertoire) as info:
        T("text").binary_in(b"a\xc3\x28")
    assert info.value.message == 'invalid byte sequence for encoding "UTF8": 0xc3 0x28'


def test_binary_infinity_round_trips() -> None:
    """PostgreSQL's infinities are the integer bounds; they come back as they went in."""
    for name, data in (("timestamp", b"\x7f\xff\xff\xff\xff\xff\xff\xff"),
                       ("timestamptz", b"\x80\x00\x00\x00\x00\x00\x00\x00"),
                       ("date", b"\x7f\xff\xff\xff"), ("date", b"\x80\x00\x00\x00")):
        value = T(name).binary_in(data)
        assert T(name).binary_out(value) == data
        assert T(name).text_out(value).endswith("infinity")


def test_binary_far_dates() -> None:
    """BC and years after 9999 decode; values beyond PostgreSQL's range are 22008."""
    assert T("date").text_out(T("date").binary_in((38 - 2451545).to_bytes(4, "big", signed=True))) == \
        "4713-01-01 BC"
    with pytest.raises(errors.DatetimeFieldOverflow):
        T("date").binary_in((-1 - 2451545).to_bytes(4, "big", signed=True))
    assert T("time").text_out(T("time").binary_in((86_400_000_000).to_bytes(8, "big"))) == "24:00:00"


def test_binary_out_of_range_int() -> None:
    with pytest.raises(errors.NumericValueOutOfRange):
        T("int4").binary_out(2**31)


def test_binary_fuzz_never_crashes() -> None:
    rng = random.Random(1234)
    types = [t for t in TYPES_BY_OID.values() if t.name not in ("record", "_record")]
    for _ in range(2000):
        t = rng.choice(types)
        data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
        try:
            t.binary_in(data)
        except errors.DBError:
            pass
