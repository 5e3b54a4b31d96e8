"""The table of supported types: PostgreSQL 15 OIDs and pg_type attributes, each paired with a codec.

Why OIDs are hard-coded: clients (psycopg, pgjdbc, asyncpg) ship PostgreSQL's
built-in OIDs and decode result columns by them, so these numbers are protocol.
"""

from __future__ import annotations

import re

from omendb_server import errors
from omendb_server.datatypes.arrays import ArrayCodec, VectorCodec
from omendb_server.datatypes.bits import BitCodec
from omendb_server.datatypes.core import Codec, DataType
from omendb_server.datatypes.dates import (
    DateCodec,
    TimeCodec,
    TimestampCodec,
    TimeTzCodec,
)
from omendb_server.datatypes.floats import FloatCodec
from omendb_server.datatypes.interval import IntervalCodec
from omendb_server.datatypes.ints import IntCodec, OidCodec, RegTypeCodec
from omendb_server.datatypes.misc import (
    BoolCodec,
    ByteaCodec,
    RecordCodec,
    UuidCodec,
    VoidCodec,
)
from omendb_server.datatypes.money import MoneyCodec
from omendb_server.datatypes.numeric import NumericCodec
from omendb_server.datatypes.text import (
    BpcharCodec,
    CharCodec,
    JsonCodec,
    NameCodec,
    TextCodec,
    VarcharCodec,
)

TYPES_BY_OID: dict[int, DataType] = {}
TYPES_BY_NAME: dict[str, DataType] = {}


def _register(t: DataType) -> DataType:
    TYPES_BY_OID[t.oid] = t
    TYPES_BY_NAME[t.name] = t
    return t


def _base(name: str, oid: int, typlen: int, category: str, array_oid: int, codec: Codec) -> DataType:
    return _register(DataType(name, oid, typlen, category, array_oid, None, codec))


# name, oid, typlen, typcategory, typarray — as in PostgreSQL 15's pg_type.
BOOL = _base("bool", 16, 1, "B", 1000, BoolCodec())
BYTEA = _base("bytea", 17, -1, "U", 1001, ByteaCodec())
CHAR = _base("char", 18, 1, "Z", 1002, CharCodec())
NAME = _base("name", 19, 64, "S", 1003, NameCodec())
INT8 = _base("int8", 20, 8, "N", 1016, IntCodec("bigint", ">q"))
INT2 = _base("int2", 21, 2, "N", 1005, IntCodec("smallint", ">h"))
INT4 = _base("int4", 23, 4, "N", 1007, IntCodec("integer", ">i"))
REGPROC = _base("regproc", 24, 4, "N", 1008, OidCodec("regproc"))
TEXT = _base("text", 25, -1, "S", 1009, TextCodec())
OID = _base("oid", 26, 4, "N", 1028, OidCodec())
JSON = _base("json", 114, -1, "U", 199, JsonCodec(binary_version=False))
FLOAT4 = _base("float4", 700, 4, "N", 1021, FloatCodec(single=True))
FLOAT8 = _base("float8", 701, 8, "N", 1022, FloatCodec(single=False))
UNKNOWN = _base("unknown", 705, -2, "X", 0, TextCodec())
BPCHAR = _base("bpchar", 1042, -1, "S", 1014, BpcharCodec())
VARCHAR = _base("varchar", 1043, -1, "S", 1015, VarcharCodec())
DATE = _base("date", 1082, 4, "D", 1182, DateCodec())
TIME = _base("time", 1083, 8, "D", 1183, TimeCodec())
TIMESTAMP = _base("timestamp", 1114, 8, "D", 1115, TimestampCodec(with_tz=False))
TIMESTAMPTZ = _base("timestamptz", 1184, 8, "D", 1185, TimestampCodec(with_tz=True))
INTERVAL = _base("interval", 1186, 16, "T", 1187, IntervalCodec())
TIMETZ = _base("timetz", 1266, 12, "D", 1270, TimeTzCodec())
NUMERIC = _base("numeric", 1700, -1, "N", 1231, NumericCodec())
REGCLASS = _base("regclass", 2205, 4, "N", 2210, OidCodec("regclass"))
REGTYPE = _base("regtype", 2206, 4, "N", 2211, RegTypeCodec())
RECORD = _base("record", 2249, -1, "P", 2287, RecordCodec())
VOID = _base("void", 2278, 4, "P", 0, VoidCodec())
UUID = _base("uuid", 2950, 16, "U", 2951, UuidCodec())
MONEY = _base("money", 790, 8, "N", 791, MoneyCodec())
BIT = _base("bit", 1560, -1, "V", 1561, BitCodec(varying=False))
VARBIT = _base("varbit", 1562, -1, "V", 1563, BitCodec(varying=True))
JSONB = _base("jsonb", 3802, -1, "U", 3807, JsonCodec(binary_version=True))
REGNAMESPACE = _base("regnamespace", 4089, 4, "N", 4090, OidCodec("regnamespace"))
INT2VECTOR = _base("int2vector", 22, -1, "A", 1006, VectorCodec(INT2))
OIDVECTOR = _base("oidvector", 30, -1, "A", 1013, VectorCodec(OID))


def array_of(t: DataType) -> DataType:
    """The array type whose elements are ``t`` (an array type is its own array type)."""
    if t.element is not None:
        return t
    found = TYPES_BY_OID.get(t.array_oid)
    if found is None or found.element is not t:
        if not t.array_oid:
            raise errors.UndefinedObject(f"could not find array type for data type {t.name}")
        # a user-defined type (enum) whose array type was not built yet, or was built for
        # an earlier version of the element type: register it now
        found = DataType("_" + t.name, t.array_oid, -1, "A", 0, t, ArrayCodec(t))
        TYPES_BY_OID[t.array_oid] = found
    return found


for _t in list(TYPES_BY_OID.values()):
    if _t.array_oid:
        _register(DataType("_" + _t.name, _t.array_oid, -1, "A", 0, _t, ArrayCodec(_t)))

_ALIASES = {
    "integer": "int4", "int": "int4", "bigint": "int8", "smallint": "int2",
    "double precision": "float8", "float": "float8", "real": "float4",
    "decimal": "numeric", "dec": "numeric", "boolean": "bool",
    "character varying": "varchar", "char varying": "varchar",
    "character": "bpchar", "char": "bpchar", '"char"': "char",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz",
    "bit varying": "varbit",
}
_ARRAY_SUFFIX_RE = re.compile(r"(?:\s*\[\s*\d*\s*\])+\s*$|\s+array(?:\s*\[\s*\d*\s*\])?\s*$", re.IGNORECASE)
_MODIFIER_RE = re.compile(r"\s*\([^)]*\)")
_FLOAT_P_RE = re.compile(r"float\s*\(\s*(\d+)\s*\)", re.IGNORECASE)


def type_by_name(name: str) -> DataType:
    """Resolve a pg_type name or SQL spelling ('integer', 'character varying(5)', 'text[]')."""
    s = name.strip()
    m = _ARRAY_SUFFIX_RE.search(s)
    is_array = m is not None
    if m:
        s = s[: m.start()].rstrip()
    if s.lower().startswith("pg_catalog."):
        s = s[len("pg_catalog.") :]
    fm = _FLOAT_P_RE.fullmatch(s)
    if fm:
        precision = int(fm.group(1))
        if not 1 <= precision <= 53:
            raise errors.InvalidParameterValue(
                f"precision for type float must be {'at least 1 bit' if precision < 1 else 'less than 54 bits'}"
            )
        key = "float4" if precision <= 24 else "float8"
    else:
        key = " ".join(_MODIFIER_RE.sub("", s).split())
        if not key.startswith('"'):
            key = key.lower()
        elif key.endswith('"') and key != '"char"':
            key = key[1:-1]
        key = _ALIASES.get(key, key)
    t = TYPES_BY_NAME.get(key)
    if t is None:
        raise errors.UndefinedObject(f'type "{name}" does not exist')
    return array_of(t) if is_array else t
