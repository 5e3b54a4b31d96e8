"""Type modifiers (atttypmod) and PostgreSQL's format_type() display names.

Why this matters to clients: drivers and ORMs read atttypmod from pg_attribute
and RowDescription and call format_type() for reflection (SQLAlchemy, psql \\d),
so the encodings below must be PostgreSQL's, bit for bit.
"""

from __future__ import annotations

from omendb_server import errors
from omendb_server.datatypes.core import DataType
from omendb_server.datatypes.numeric import decode_typmod as decode_numeric_typmod
from omendb_server.datatypes.registry import type_by_name

VARHDRSZ = 4
MAX_VARCHAR_LENGTH = 10 * 1024 * 1024
MAX_TIMESTAMP_PRECISION = 6
INTERVAL_FULL_RANGE = 0x7FFF
INTERVAL_FULL_PRECISION = 0xFFFF

_SQL_NAMES = {
    "bool": "boolean",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "char": '"char"',
    "varbit": "bit varying",
}


def format_type(t: DataType, typmod: int) -> str:
    """What ``format_type(oid, typmod)`` returns in PostgreSQL 15."""
    if t.element is not None:
        return format_type(t.element, typmod) + "[]"
    name = t.name
    if name == "bpchar":
        return f"character({typmod - VARHDRSZ})" if typmod >= 0 else "bpchar"
    if name == "varchar":
        return f"character varying({typmod - VARHDRSZ})" if typmod >= 0 else "character varying"
    if name == "numeric":
        if typmod >= VARHDRSZ:
            precision, scale = decode_numeric_typmod(typmod)
            return f"numeric({precision},{scale})"
        return "numeric"
    if name in ("timestamp", "timestamptz", "time", "timetz"):
        base = "time" if name in ("time", "timetz") else "timestamp"
        zone = "with time zone" if name in ("timestamptz", "timetz") else "without time zone"
        return f"{base}({typmod}) {zone}" if typmod >= 0 else f"{base} {zone}"
    if name in ("bit", "varbit"):
        label = "bit" if name == "bit" else "bit varying"
        return f"{label}({typmod})" if typmod >= 0 else label
    if name == "interval":
        precision = typmod & 0xFFFF if typmod >= 0 else INTERVAL_FULL_PRECISION
        return f"interval({precision})" if precision != INTERVAL_FULL_PRECISION else "interval"
    return _SQL_NAMES.get(name, name)


def _length_typmod(label: str, args: list[int]) -> int:
    if len(args) != 1:
        raise errors.SyntaxError("invalid type modifier")
    n = args[0]
    if n < 1:
        raise errors.InvalidParameterValue(f"length for type {label} must be at least 1")
    if n > MAX_VARCHAR_LENGTH:
        raise errors.InvalidParameterValue(f"length for type {label} cannot exceed {MAX_VARCHAR_LENGTH}")
    return n + VARHDRSZ


def _numeric_typmod(args: list[int]) -> int:
    if len(args) > 2:
        raise errors.SyntaxError("invalid NUMERIC type modifier")
    precision = args[0]
    scale = args[1] if len(args) == 2 else 0
    if not 1 <= precision <= 1000:
        raise errors.InvalidParameterValue(f"NUMERIC precision {precision} must be between 1 and 1000")
    if not -1000 <= scale <= 1000:
        raise errors.InvalidParameterValue(f"NUMERIC scale {scale} must be between -1000 and 1000")
    return ((precision << 16) | (scale & 0x7FF)) + VARHDRSZ


def _precision_typmod(label: str, args: list[int]) -> int:
    if len(args) != 1:
        raise errors.SyntaxError("invalid type modifier")
    p = args[0]
    if p < 0:
        raise errors.InvalidParameterValue(f"{label}({p}) precision must not be negative")
    return min(p, MAX_TIMESTAMP_PRECISION)


def typmod_for(name: str, args: list[int]) -> int:
    """The atttypmod PostgreSQL stores for ``name(args...)``; -1 when there are no args."""
    if not args:
        return -1
    t = type_by_name(name)
    base = t.element.name if t.element is not None else t.name
    if base == "varchar":
        return _length_typmod("varchar", args)
    if base == "bpchar":
        return _length_typmod("char", args)
    if base == "numeric":
        return _numeric_typmod(args)
    if base in ("timestamp", "timestamptz"):
        return _precision_typmod("TIMESTAMP", args)
    if base == "time":
        return _precision_typmod("TIME", args)
    if base == "interval":
        return (INTERVAL_FULL_RANGE << 16) | _precision_typmod("INTERVAL", args)
    if base in ("bit", "varbit"):  # the length itself, no header (bittypmodin)
        if len(args) != 1:
            raise errors.SyntaxError("invalid type modifier")
        if args[0] < 1:
            raise errors.InvalidParameterValue(f"length for type {'bit' if base == 'bit' else 'varbit'} must be at least 1")
        return args[0]
    raise errors.SyntaxError(f'type modifier is not allowed for type "{t.name}"')
