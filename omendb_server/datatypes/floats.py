"""float4/float8: PostgreSQL 12+ shortest round-trip text output.

Why hand-formatting: Python's ``repr`` gives the shortest digits but not PostgreSQL's
layout (``1e+16`` vs ``1e+16``, ``1000000000000000.0`` vs ``1e+15``); PostgreSQL's
Ryu port switches to exponent form when the decimal exponent is < -4 or >= 15
(float8) / >= 6 (float4), and always prints a two-digit exponent.
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import (
    Codec,
    FormatContext,
    NaNOrder,
    bad_binary,
    invalid_syntax,
)

_F4 = struct.Struct(">f")
_F8 = struct.Struct(">d")

_NUM_RE = re.compile(r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*", re.ASCII)
_SPECIAL_RE = re.compile(r"\s*([+-]?)(inf|infinity|nan)\s*", re.ASCII | re.IGNORECASE)


class _FloatNaN(NaNOrder, float):
    """float 'NaN' as PostgreSQL orders it: equal to itself, above every number
    (plain float NaN compares false both ways, which breaks sorting and MIN/MAX)."""

    __slots__ = ()

    def __new__(cls) -> _FloatNaN:  # noqa: PYI034
        return super().__new__(cls, "nan")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and math.isnan(other)

    def __hash__(self) -> int:
        return hash("float NaN")

    def __reduce__(self) -> tuple:
        return (_FloatNaN, ())


FLOAT_NAN = _FloatNaN()

_FLT_MAX = 3.4028234663852886e38
#: Halfway between FLT_MAX and the next (unrepresentable) single: below it rounds to FLT_MAX.
_FLT_ROUND_LIMIT = 3.4028235677973366e38


def to_float4(value: float) -> float:
    """Round a double to the nearest single-precision value (what float4 stores).

    OverflowError when the value lies beyond real's range (after rounding)."""
    try:
        return _F4.unpack(_F4.pack(value))[0]
    except OverflowError:
        if abs(value) < _FLT_ROUND_LIMIT:
            return math.copysign(_FLT_MAX, value)
        raise


def _shortest_digits(value: float, single: bool) -> tuple[str, int]:
    """Shortest round-trip digits of |value| and its scientific exponent."""
    if single:
        for prec in range(9):
            s = f"{value:.{prec}e}"
            try:
                if to_float4(float(s)) == value:
                    break
            except OverflowError:  # a short rounding of FLT_MAX lands beyond real's range
                continue
    else:
        s = repr(value)
    _, digits, exp = Decimal(s).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    sci = len(digits) + int(exp) - 1
    return ds, sci


def format_float(value: float, single: bool, extra_float_digits: int = 1) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if extra_float_digits <= 0:
        prec = max(1, (6 if single else 15) + extra_float_digits)
        return f"{value:.{prec}g}"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if not single and 1e-4 <= abs(value) < 1e15:
        # Fast path: here repr() already prints PostgreSQL's positional form (bar a '.0').
        r = repr(value)
        return r.removesuffix(".0")
    sign = "-" if value < 0 else ""
    digits, exp = _shortest_digits(abs(value), single)
    if exp < -4 or exp >= (6 if single else 15):
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[: exp + 1]}.{digits[exp + 1:]}"


class FloatCodec(Codec):
    """IEEE floats; ``single`` selects float4 rounding, range and thresholds."""

    def __init__(self, single: bool) -> None:
        self.single = single
        self.label = "real" if single else "double precision"
        self.struct = _F4 if single else _F8

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return format_float(float(value), self.single, ctx.extra_float_digits)

    def decode_text(self, text: str, ctx: FormatContext) -> float:
        m = _NUM_RE.fullmatch(text)
        if m is None:
            sm = _SPECIAL_RE.fullmatch(text)
            if sm is None:
                raise invalid_syntax(self.label, text)
            if sm.group(2).lower() == "nan":
                return FLOAT_NAN
            return -math.inf if sm.group(1) == "-" else math.inf
        literal = m.group(1)
        value = float(literal)
        nonzero = any(c in "123456789" for c in literal.split("e")[0].split("E")[0])
        if self.single and not math.isinf(value):
            try:
                value = to_float4(value)
            except OverflowError:
                value = math.inf
        if math.isinf(value) or (value == 0 and nonzero):
            raise errors.NumericValueOutOfRange(f'"{text}" is out of range for type {self.label}')
        return value

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        try:
            return self.struct.pack(float(value))
        except OverflowError as exc:
            raise errors.NumericValueOutOfRange("value out of range: overflow") from exc

    def decode_binary(self, data: bytes, ctx: FormatContext) -> float:
        if len(data) != self.struct.size:
            raise bad_binary()
        value = self.struct.unpack(data)[0]
        return FLOAT_NAN if math.isnan(value) else value
