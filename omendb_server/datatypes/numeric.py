"""numeric ↔ decimal.Decimal, including PostgreSQL's base-10000 binary format.

Why explicit tuple construction everywhere: Decimal arithmetic obeys a context
precision (28 digits by default) while numeric holds up to 131072 digits; building
values from digit tuples and quantizing under a wide local context keeps them exact.
"""

from __future__ import annotations

import decimal
import re
import struct
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import (
    Codec,
    FormatContext,
    NaNOrder,
    bad_binary,
    invalid_syntax,
)

_WIDE = Context(prec=200_000, Emax=999_999_999, Emin=-999_999_999)

# numeric + - * must be exact like PostgreSQL's (the default 28 digits would round a sum
# of 20-digit values with 20 decimals). Every thread starts from DefaultContext, so the
# connection threads created after this import get the wider precision too.
_NUMERIC_PREC = 200
decimal.DefaultContext.prec = max(decimal.DefaultContext.prec, _NUMERIC_PREC)
decimal.getcontext().prec = max(decimal.getcontext().prec, _NUMERIC_PREC)
_HEADER = struct.Struct(">hhHH")
_SIGN_POS, _SIGN_NEG, _SIGN_NAN, _SIGN_PINF, _SIGN_NINF = 0x0000, 0x4000, 0xC000, 0xD000, 0xF000
_NUM_RE = re.compile(r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*", re.ASCII)
_SPECIAL_RE = re.compile(r"\s*([+-]?)(nan|inf|infinity)\s*", re.ASCII | re.IGNORECASE)
NUMERIC_MAX_DSCALE = 0x3FFF


class _NumericNaN(NaNOrder, Decimal):
    """numeric 'NaN' as PostgreSQL orders it: equal to itself, above every number.

    Decimal's own NaN raises InvalidOperation on < and >, so sorting or MIN/MAX over a
    column holding NaN would fail; as a Decimal subclass its comparison methods also
    win when the NaN is the right-hand operand (Python tries the subclass's reflection)."""

    __slots__ = ()

    def __new__(cls) -> _NumericNaN:  # noqa: PYI034
        return super().__new__(cls, "NaN")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decimal) and other.is_nan()

    def __hash__(self) -> int:
        return hash("numeric NaN")

    def __reduce__(self) -> tuple:
        return (_NumericNaN, ())


NUMERIC_NAN = _NumericNaN()


def normalize(d: Decimal) -> Decimal:
    """Give ``d`` a non-negative scale (numeric has no positive exponents) and drop -0."""
    if not d.is_finite():
        return d
    sign, digits, exp = d.as_tuple()
    if exp > 0:
        digits = digits + (0,) * exp
        exp = 0
    if not any(digits):
        sign = 0
    return Decimal((sign, digits, exp))


def scale_of(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def format_numeric(d: Decimal) -> str:
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "-Infinity" if d < 0 else "Infinity"
    return format(normalize(d), "f")


def decode_typmod(typmod: int) -> tuple[int, int]:
    """(precision, scale) of a numeric typmod; scale is an 11-bit signed field in PG 15."""
    raw = typmod - 4
    precision = (raw >> 16) & 0xFFFF
    scale = ((raw & 0x7FF) ^ 1024) - 1024
    return precision, scale


def apply_numeric_typmod(d: Decimal, typmod: int) -> Decimal:
    if typmod < 4 or d.is_nan():
        return d
    precision, scale = decode_typmod(typmod)
    if d.is_infinite():
        raise errors.NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} cannot hold an infinite value.",
        )
    rounded = d.quantize(Decimal((0, (1,), -scale)), rounding=ROUND_HALF_UP, context=_WIDE)
    maxdigits = precision - scale
    if rounded != 0 and rounded.adjusted() + 1 > maxdigits:
        limit = f"10^{maxdigits}" if maxdigits else "1"
        raise errors.NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} must round to an absolute value less than {limit}.",
        )
    return normalize(rounded)


class NumericCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(value)
        return format_numeric(value)

    def decode_text(self, text: str, ctx: FormatContext) -> Decimal:
        m = _NUM_RE.fullmatch(text)
        if m is None:
            sm = _SPECIAL_RE.fullmatch(text)
            if sm is None:
                raise invalid_syntax("numeric", text)
            word = sm.group(2).lower()
            if word == "nan":
                if sm.group(1):
                    raise invalid_syntax("numeric", text)
                return NUMERIC_NAN
            return Decimal("-Infinity" if sm.group(1) == "-" else "Infinity")
        try:
            d = Decimal(m.group(1))
        except InvalidOperation:
            raise invalid_syntax("numeric", text) from None
        if scale_of(d) > NUMERIC_MAX_DSCALE:
            raise errors.NumericValueOutOfRange("value overflows numeric format")
        return normalize(d)

    def apply_typmod(self, value: Any, typmod: int) -> Decimal:
        return apply_numeric_typmod(value, typmod)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        if not isinstance(value, Decimal):
            value = Decimal(value)
        if value.is_nan():
            return _HEADER.pack(0, 0, _SIGN_NAN, 0)
        if value.is_infinite():
            # PostgreSQL 15 really sends dscale 32 for infinities (header bits leak through).
            return _HEADER.pack(0, 0, _SIGN_NINF if value < 0 else _SIGN_PINF, 0x20)
        value = normalize(value)
        sign, digits, exp = value.as_tuple()
        dscale = -exp
        pad = (-dscale) % 4
        n = int("".join(map(str, digits)) or "0") * 10**pad
        groups: list[int] = []
        while n:
            n, rem = divmod(n, 10000)
            groups.append(rem)
        groups.reverse()
        frac_groups = (dscale + pad) // 4
        weight = len(groups) - frac_groups - 1
        while groups and groups[-1] == 0:
            groups.pop()
        if not groups:
            return _HEADER.pack(0, 0, _SIGN_POS, dscale)
        return _HEADER.pack(len(groups), weight, _SIGN_NEG if sign else _SIGN_POS, dscale) + struct.pack(
            f">{len(groups)}H", *groups
        )

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Decimal:
        if len(data) < 8:
            raise bad_binary()
        ndigits, weight, sign, dscale = _HEADER.unpack_from(data)
        if ndigits < 0 or len(data) != 8 + 2 * ndigits:
            raise bad_binary()
        if sign == _SIGN_NAN:
            return NUMERIC_NAN
        if sign == _SIGN_PINF:
            return Decimal("Infinity")
        if sign == _SIGN_NINF:
            return Decimal("-Infinity")
        if sign not in (_SIGN_POS, _SIGN_NEG):
            raise bad_binary('invalid sign in external "numeric" value')
        if dscale > NUMERIC_MAX_DSCALE:
            raise bad_binary('invalid scale in external "numeric" value')
        groups = struct.unpack_from(f">{ndigits}H", data, 8)
        if any(g > 9999 for g in groups):
            raise bad_binary('invalid digit in external "numeric" value')
        digits = "".join(f"{g:04d}" for g in groups) or "0"
        exp = 4 * (weight - ndigits + 1)
        d = Decimal((1 if sign == _SIGN_NEG else 0, tuple(map(int, digits)), exp))
        # PostgreSQL's numeric_recv truncates digits hidden by dscale.
        d = d.quantize(Decimal((0, (1,), -dscale)), rounding=ROUND_DOWN, context=_WIDE)
        return normalize(d)
