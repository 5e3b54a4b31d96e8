"""money: a signed 64-bit count of cents, printed as lc_monetary = C prints it ($1,234.56).

Supported: input and output in both formats, casts from/to integers and numeric (and text),
comparison and ordering; arithmetic is ``sql/functions_money.py``, sum() the aggregates'.
"""

from __future__ import annotations

import re
import struct
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary

_I64 = struct.Struct(">q")
_INPUT_RE = re.compile(r"\s*(\()?\s*([+-])?\s*\$?\s*([+-])?\s*([0-9][0-9,]*)?(?:\.([0-9]*))?\s*(\))?\s*$")
_MIN, _MAX = -(1 << 63), (1 << 63) - 1


class Money(int):
    """Cents; an int, so comparison, hashing and sorting come for free."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Money({int(self)})"


def money_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def money_from_decimal(d: Decimal, text: str | None = None) -> Money:
    """Round to cents (half away from zero, as cash_in); 22003 outside int64."""
    cents = int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not _MIN <= cents <= _MAX:
        shown = text if text is not None else str(d)
        raise errors.NumericValueOutOfRange(f'value "{shown}" is out of range for type money')
    return Money(cents)


class MoneyCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return money_text(int(value))

    def decode_text(self, text: str, ctx: FormatContext) -> Money:
        m = _INPUT_RE.match(text)
        if m is None or (m.group(4) is None and not m.group(5)) or bool(m.group(1)) != bool(m.group(6)):
            raise errors.InvalidTextRepresentation(f'invalid input syntax for type money: "{text}"')
        digits = (m.group(4) or "0").replace(",", "")
        number = Decimal(f"{digits}.{m.group(5) or '0'}")
        negative = (m.group(2) == "-") ^ (m.group(3) == "-") ^ bool(m.group(1))
        return money_from_decimal(-number if negative else number, text)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return _I64.pack(int(value))

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Money:
        if len(data) != 8:
            raise bad_binary()
        return Money(_I64.unpack(data)[0])
