"""Type rules of the SQL layer: well-known types, casts, and operator result types.

PostgreSQL resolves operators by the types of their operands; this module is the
small table of those rules OmenDB implements: the numeric tower
(int2 < int4 < int8 < numeric < float4 < float8), ``unknown`` literals adopting
the other side's type, and casts with PostgreSQL's errors (22P02, 22003).
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, DataType, FormatContext, format_type
from omendb_server.datatypes.numeric import NUMERIC_NAN

BOOL = TYPES_BY_OID[16]
BYTEA = TYPES_BY_OID[17]
CHAR = TYPES_BY_OID[18]
NAME = TYPES_BY_OID[19]
INT8 = TYPES_BY_OID[20]
INT2 = TYPES_BY_OID[21]
INT4 = TYPES_BY_OID[23]
TEXT = TYPES_BY_OID[25]
OID = TYPES_BY_OID[26]
FLOAT4 = TYPES_BY_OID[700]
FLOAT8 = TYPES_BY_OID[701]
UNKNOWN = TYPES_BY_OID[705]
BPCHAR = TYPES_BY_OID[1042]
VARCHAR = TYPES_BY_OID[1043]
DATE = TYPES_BY_OID[1082]
TIME = TYPES_BY_OID[1083]
TIMESTAMP = TYPES_BY_OID[1114]
TIMESTAMPTZ = TYPES_BY_OID[1184]
INTERVAL = TYPES_BY_OID[1186]
NUMERIC = TYPES_BY_OID[1700]
REGCLASS = TYPES_BY_OID[2205]
REGTYPE = TYPES_BY_OID[2206]
VOID = TYPES_BY_OID[2278]
TEXT_ARRAY = TYPES_BY_OID[1009]

INT_RANGES = {
    21: (-(2**15), 2**15 - 1, "smallint"),
    23: (-(2**31), 2**31 - 1, "integer"),
    20: (-(2**63), 2**63 - 1, "bigint"),
    26: (0, 2**32 - 1, "oid"),
}
NUMERIC_RANK = {21: 1, 23: 2, 20: 3, 1700: 4, 700: 5, 701: 6}
STRING_OIDS = {25, 1043, 1042, 19, 705}
REG_OIDS = {26, 2205, 2206, 24, 4089}


def is_nan(v: Any) -> bool:
    """NaN test for float and numeric values (also PostgreSQL-ordered NaN singletons,
    which compare equal to themselves, so ``v != v`` would miss them)."""
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, Decimal):
        return v.is_nan()
    return False


def is_numeric(t: DataType) -> bool:
    return t.oid in NUMERIC_RANK


def is_string(t: DataType) -> bool:
    return t.oid in STRING_OIDS


def is_integer(t: DataType) -> bool:
    return t.oid in (21, 23, 20)


def check_int(value: int, oid: int) -> int:
    lo, hi, label = INT_RANGES[oid]
    if value < lo or value > hi:
        raise errors.NumericValueOutOfRange(f"{label} out of range")
    return value


def numeric_result(a: DataType, b: DataType) -> DataType:
    """The common type of two numeric types (CASE, COALESCE, UNION, comparisons)."""
    return a if NUMERIC_RANK[a.oid] >= NUMERIC_RANK[b.oid] else b


def arithmetic_result(a: DataType, b: DataType) -> DataType:
    """Result type of + - * / over two numeric types: real mixed with anything else
    resolves to PostgreSQL's float8 cross-type operators (float48pl...)."""
    if 700 in (a.oid, b.oid) and a.oid != b.oid:
        return FLOAT8
    return numeric_result(a, b)


def common_type(a: DataType, b: DataType, op: str = "=") -> DataType:
    """The type both sides of a comparison are brought to (unknown adopts the other)."""
    if a.oid == b.oid:
        return a
    if a.oid == 705:
        return b
    if b.oid == 705:
        return a
    if is_numeric(a) and is_numeric(b):
        return numeric_result(a, b)
    if is_string(a) and is_string(b):
        if {a.oid, b.oid} <= {25, 1043}:
            return a  # mutually coercible: PostgreSQL keeps the first (select_common_type)
        return TEXT
    if a.oid in REG_OIDS and is_integer(b) or b.oid in REG_OIDS and is_integer(a):
        return OID
    if {a.oid, b.oid} <= {1082, 1114, 1184}:
        return TIMESTAMPTZ if 1184 in (a.oid, b.oid) else TIMESTAMP
    if a.oid in REG_OIDS and b.oid in REG_OIDS:
        return OID
    if is_string(a) and b.category in ("N", "B", "D", "T") and b.oid not in REG_OIDS or \
            is_string(b) and a.category in ("N", "B", "D", "T") and a.oid not in REG_OIDS:
        # a typed string never converts implicitly to a number/bool/date (only 'literals' do)
        raise errors.UndefinedFunction(
            f"operator does not exist: {format_type(a, -1)} {op} {format_type(b, -1)}",
            hint="No operator matches the given name and argument types. "
            "You might need to add explicit type casts.",
        )
    if is_string(a):
        return b
    if is_string(b):
        return a
    raise errors.UndefinedFunction(
        f"operator does not exist: {format_type(a, -1)} {op} {format_type(b, -1)}",
        hint="No operator matches the given name and argument types. "
        "You might need to add explicit type casts.",
    )


def _round_half_away(d: Decimal) -> int:
    return int(d.to_integral_value(rounding=ROUND_HALF_UP))


def bool_to_text(v: bool) -> str:
    return "true" if v else "false"


CastFn = Callable[[Any, "FormatContext"], Any]


def cast_function(src: DataType, dst: DataType, typmod: int = -1,
                  regclass_lookup: Callable[[str], int] | None = None,
                  regclass_name: Callable[[int], str] | None = None,
                  regtype_name: Callable[[int], str] | None = None,
                  regtype_lookup: Callable[[str], int] | None = None) -> CastFn:
    """Return f(value, format_ctx) converting a non-NULL ``src`` value to ``dst``."""
    s, d = src.oid, dst.oid

    def with_typmod(fn: CastFn) -> CastFn:
        if typmod < 0:
            return fn
        apply = dst.apply_typmod
        return lambda v, ctx: apply(fn(v, ctx), typmod)

    if s == 1042 and d in (25, 1043, 705):
        # char(n) -> text drops the padding, as PostgreSQL's rtrim1 cast does.
        return with_typmod(lambda v, ctx: v.rstrip(" "))
    if s == d or (is_string(src) and d in (25, 705)):
        return with_typmod(lambda v, ctx: v)
    if d == 2205:  # regclass
        if is_string(src):
            if regclass_lookup is None:
                raise errors.FeatureNotSupported("regclass casts are not available here")
            return lambda v, ctx: regclass_lookup(v)
        if regclass_name is not None:  # oid → regclass prints the relation's name
            from omendb_server.catalog.pg_catalog import NamedOid

            return lambda v, ctx: NamedOid(int(v), regclass_name(int(v)))
        return lambda v, ctx: int(v)
    if d == 2206 and is_string(src) and regtype_lookup is not None:  # user types too (enums)
        return lambda v, ctx: regtype_lookup(v)
    if d == 2206 and is_string(src):
        from omendb_server.datatypes import type_by_name

        return lambda v, ctx: type_by_name(v.strip()).oid
    if s == 2205 and is_string(dst):
        if regclass_name is None:
            return with_typmod(lambda v, ctx: str(v))
        return with_typmod(lambda v, ctx: regclass_name(v))
    if s == 2206 and is_string(dst) and regtype_name is not None:  # user types too (enums)
        return with_typmod(lambda v, ctx: regtype_name(v))
    if d == 2206 and s != 2206 and regtype_name is not None and not is_string(src):
        from omendb_server.catalog.pg_catalog import NamedOid

        return lambda v, ctx: NamedOid(int(v), regtype_name(int(v)))
    if s == 2206 and is_string(dst):
        return with_typmod(lambda v, ctx: format_type(TYPES_BY_OID[v], -1) if v in TYPES_BY_OID else str(v))
    if s in REG_OIDS and d in REG_OIDS | {20, 23}:
        return lambda v, ctx: v
    if is_integer(src) and d in REG_OIDS:
        return lambda v, ctx: check_int(v, 26)
    if s == 16 and is_string(dst):
        return with_typmod(lambda v, ctx: bool_to_text(v))
    if is_string(dst):
        out = src.text_out
        return with_typmod(lambda v, ctx: out(v, ctx))
    if is_string(src):
        inp = dst.text_in
        return lambda v, ctx: inp(v, typmod, ctx)
    if is_integer(dst):
        if is_integer(src):
            return lambda v, ctx: check_int(v, d)
        if s == 1700:
            def num_to_int(v: Decimal, ctx: FormatContext) -> int:
                if v.is_nan():
                    raise errors.FeatureNotSupported(f"cannot convert NaN to {INT_RANGES[d][2]}")
                return check_int(_round_half_away(v), d)
            return num_to_int
        if s in (700, 701):
            def float_to_int(v: float, ctx: FormatContext) -> int:
                if math.isnan(v) or math.isinf(v):
                    raise errors.NumericValueOutOfRange(f"{INT_RANGES[d][2]} out of range")
                return check_int(int(Decimal(v).to_integral_value(rounding=ROUND_HALF_EVEN)), d)
            return float_to_int
        if s == 16 and d == 23:
            return lambda v, ctx: int(v)
    if d == 1700:
        if is_integer(src):
            return with_typmod(lambda v, ctx: Decimal(v))
        if s in (700, 701):
            def float_to_num(v: float, ctx: FormatContext) -> Decimal:
                if math.isnan(v):
                    return NUMERIC_NAN
                if v in (float("inf"), float("-inf")):
                    raise errors.FeatureNotSupported("cannot convert infinity to numeric")
                if s == 700:
                    from omendb_server.datatypes.floats import FloatCodec

                    return Decimal(FloatCodec(single=True).encode_text(v, ctx))
                text = repr(v)
                return Decimal(text[:-2] if text.endswith(".0") else text)
            return with_typmod(float_to_num)
    if d in (700, 701):
        if is_integer(src) or s in (700, 701, 1700):
            def to_float(v: Any, ctx: FormatContext) -> float:
                try:
                    f = float(v)
                except (OverflowError, InvalidOperation):
                    raise errors.NumericValueOutOfRange("value out of range: overflow") from None
                if d == 700:
                    from omendb_server.datatypes.floats import to_float4

                    try:
                        return to_float4(f)
                    except OverflowError:
                        if s == 1700:  # numeric_float4 quotes the value
                            from omendb_server.datatypes.numeric import format_numeric

                            raise errors.NumericValueOutOfRange(
                                f'"{format_numeric(v)}" is out of range for type real') from None
                        raise errors.NumericValueOutOfRange("value out of range: overflow") from None
                return f
            return to_float
    if d == 16 and s == 23:
        return lambda v, ctx: v != 0
    if s == 1266 and d == 1083:
        return with_typmod(lambda v, ctx: v.replace(tzinfo=None))
    if s == 1083 and d == 1266:
        def time_to_timetz(v: Any, ctx: FormatContext) -> Any:
            offset = _dt.datetime.now(_zone(ctx)).utcoffset() or _dt.timedelta(0)
            return v.replace(tzinfo=_dt.timezone(offset))
        return with_typmod(time_to_timetz)
    if s == 1082 and d in (1114, 1184):
        return lambda v, ctx: _date_to_ts(v, d, ctx)
    if s in (1114, 1184) and d == 1082:
        return lambda v, ctx: _ts_to_date(v, s == 1184, ctx)
    if s == 1114 and d == 1184:
        return with_typmod(lambda v, ctx: _localize(v, ctx))
    if s == 1184 and d == 1114:
        return with_typmod(lambda v, ctx: _tstz_to_ts(v, ctx))
    if d == 2278:
        return lambda v, ctx: None
    if d == 1560 and is_integer(src):  # int → bit(n): the low n bits, sign-extended
        from omendb_server.datatypes.bits import BitString

        n = typmod if typmod > 0 else 1
        return lambda v, ctx: BitString(format(v & ((1 << n) - 1), f"0{n}b"))
    if s in (1560, 1562) and d in (23, 20):  # bit → int: two's complement of the bits
        width = 32 if d == 23 else 64

        def bits_to_int(v: Any, ctx: FormatContext) -> int:
            if len(v) > width:
                raise errors.NumericValueOutOfRange(f"{'integer' if d == 23 else 'bigint'} out of range")
            x = int(v, 2) if v else 0
            return x - (1 << width) if x >> (width - 1) else x
        return bits_to_int
    if s == 790 and d == 1700:  # money → numeric: the cents with two decimals
        return with_typmod(lambda v, ctx: Decimal(int(v)).scaleb(-2))
    if d == 790 and (is_integer(src) or s == 1700):
        from omendb_server.datatypes.money import money_from_decimal

        return lambda v, ctx: money_from_decimal(Decimal(v))
    if 790 in (s, d) and s not in (25, 1043, 1042, 705) and d not in (25, 1043, 1042):
        raise errors.CannotCoerce(f"cannot cast type {format_type(src, -1)} to {format_type(dst, typmod)}")
    if src.element is not None and dst.element is not None and src.category == "A" \
            and dst.category == "A" and s not in (22, 30) and d not in (22, 30):
        # array -> array: element by element with the element cast (ARRAY[1.5]::int[])
        inner = cast_function(src.element, dst.element, typmod, regclass_lookup, regclass_name)

        def cast_elements(v: Any, ctx: FormatContext) -> Any:
            from omendb_server.datatypes.arrays import lower_bounds, with_bounds

            def conv(x: Any) -> Any:
                if isinstance(x, list):
                    return [conv(y) for y in x]
                return None if x is None else inner(x, ctx)
            return with_bounds([conv(x) for x in v], lower_bounds(v))

        return cast_elements
    if s == 3802 and d in (16, 21, 23, 20, 700, 701, 1700):
        from omendb_server.datatypes.jsonb import cast_jsonb_scalar

        to_target = cast_function(NUMERIC, dst, typmod) if d not in (16, 1700) else None

        def from_jsonb(v: str, ctx: FormatContext) -> Any:
            x = cast_jsonb_scalar(v, d)
            if d == 16:
                return x
            x = Decimal(x)
            return to_target(x, ctx) if to_target is not None else dst.apply_typmod(x, typmod)

        return from_jsonb
    # Fallback: through the text representation, as PostgreSQL's I/O conversion casts do.
    out, inp = src.text_out, dst.text_in
    if src.category == dst.category or "A" in (src.category, dst.category) or d in (114, 3802):
        return lambda v, ctx: inp(out(v, ctx), typmod, ctx)
    raise errors.CannotCoerce(
        f"cannot cast type {format_type(src, -1)} to {format_type(dst, typmod)}"
    )


_CAST_CACHE: dict[tuple[int, int, int], CastFn] = {}


def cached_cast(src: DataType, dst: DataType, typmod: int = -1) -> CastFn:
    """cast_function for types that need no catalog lookups, built once per type pair."""
    key = (src.oid, dst.oid, typmod)
    fn = _CAST_CACHE.get(key)
    if fn is None:
        fn = _CAST_CACHE[key] = cast_function(src, dst, typmod)
    return fn


def _zone(ctx: FormatContext) -> _dt.tzinfo:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(ctx.timezone)
    except Exception:
        return _dt.timezone.utc


def _localize(v: _dt.datetime, ctx: FormatContext) -> _dt.datetime:
    """timestamp → timestamptz in the session zone."""
    if type(v) is _dt.datetime:
        try:
            return v.replace(tzinfo=_zone(ctx)).astimezone(_dt.timezone.utc)
        except OverflowError:
            pass
    return _far_shift(v, ctx, to_utc=True)


def _far_shift(v: Any, ctx: FormatContext, to_utc: bool) -> Any:
    """timestamp ↔ timestamptz for values beyond Python's years, at the zone's far offset."""
    from omendb_server.datatypes import far_dates as fd
    from omendb_server.datatypes.dates import far_offset_micros, micros_to_timestamp

    if type(v) is fd.FarTimestamp and not v.finite:
        return fd.FarTimestamp(v.micros, to_utc)
    micros = fd.timestamp_micros(v)
    offset = far_offset_micros(_zone(ctx), micros)
    return micros_to_timestamp(micros - offset if to_utc else micros + offset, to_utc)


def _tstz_to_ts(v: Any, ctx: FormatContext) -> Any:
    if type(v) is _dt.datetime:
        try:
            return v.astimezone(_zone(ctx)).replace(tzinfo=None)
        except OverflowError:
            pass
    return _far_shift(v, ctx, to_utc=False)


def _ts_to_date(v: Any, with_tz: bool, ctx: FormatContext) -> Any:
    from omendb_server.datatypes import far_dates as fd

    if with_tz:
        v = _tstz_to_ts(v, ctx)
    if type(v) is _dt.datetime:
        return v.date()
    if not v.finite:
        return fd.infinite_date(v.micros > 0)
    return fd.date_from_days(v.micros // fd.USECS_PER_DAY)


def _date_to_ts(v: _dt.date, d: int, ctx: FormatContext) -> _dt.datetime:
    if type(v) is not _dt.date:
        from omendb_server.datatypes import far_dates as fd
        from omendb_server.datatypes.dates import micros_to_timestamp

        if not v.finite:
            return fd.infinite_timestamp(v.days > 0, d == 1184)
        ts = micros_to_timestamp(v.days * fd.USECS_PER_DAY)
    else:
        ts = _dt.datetime(v.year, v.month, v.day)
    return _localize(ts, ctx) if d == 1184 else ts


def type_label(t: DataType, typmod: int = -1) -> str:
    return format_type(t, typmod)


def _num_weight(d: Decimal) -> int:
    """PostgreSQL's base-10000 weight of the leading digit group (0 for zero)."""
    if d == 0:
        return 0
    return d.adjusted() // 4


def _first_digit(d: Decimal) -> int:
    """The leading base-10000 digit of ``d`` (0 for zero), as PostgreSQL stores it."""
    if d == 0:
        return 0
    return int(abs(d).scaleb(-4 * _num_weight(d)))


def _dscale(d: Decimal) -> int:
    exp_ = d.as_tuple().exponent
    return -exp_ if isinstance(exp_, int) and exp_ < 0 else 0


def numeric_div(a: Decimal, b: Decimal) -> Decimal:
    """numeric / numeric with PostgreSQL's result scale (select_div_scale)."""
    from decimal import ROUND_HALF_UP, localcontext

    if a.is_nan() or b.is_nan():
        return NUMERIC_NAN
    if b == 0:
        raise errors.DivisionByZero("division by zero")
    qweight = _num_weight(a) - _num_weight(b)
    if _first_digit(a) <= _first_digit(b):
        qweight -= 1  # PostgreSQL assumes the quotient's leading group is the smaller one
    rscale = 16 - qweight * 4
    rscale = max(rscale, _dscale(a), _dscale(b), 0)
    rscale = min(rscale, 1000)
    with localcontext() as lc:
        lc.prec = max(60, a.adjusted() - b.adjusted() + rscale + 10)
        q = a / b
        return q.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP)
