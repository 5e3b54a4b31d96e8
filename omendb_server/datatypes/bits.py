"""bit(n) and bit varying(n): strings of 0s and 1s.

The value is a ``BitString`` (a str of '0'/'1'), so equality, hashing and ordering are
str's: for bit strings that is PostgreSQL's bitcmp too (a proper prefix sorts first).
The binary form is PostgreSQL's: int32 bit count, then the bits packed MSB first.
"""

from __future__ import annotations

import struct
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary

_I32 = struct.Struct(">i")


class BitString(str):
    __slots__ = ()


def parse_bits(text: str) -> BitString:
    """'0101' (or 'x1F' / 'X1F', hex digits of four bits each)."""
    if text[:1] in ("x", "X"):
        out = []
        for ch in text[1:]:
            try:
                out.append(f"{int(ch, 16):04b}")
            except ValueError:
                raise errors.InvalidTextRepresentation(f'"{ch}" is not a valid hexadecimal digit') from None
        return BitString("".join(out))
    body = text[1:] if text[:1] in ("b", "B") else text
    for ch in body:
        if ch not in "01":
            raise errors.InvalidTextRepresentation(f'"{ch}" is not a valid binary digit')
    return BitString(body)


class BitCodec(Codec):
    """``varying`` False: bit(n) (length must be n); True: varbit(n) (at most n)."""

    def __init__(self, varying: bool) -> None:
        self.varying = varying

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return str(value)

    def decode_text(self, text: str, ctx: FormatContext) -> BitString:
        return parse_bits(text)

    def apply_typmod(self, value: Any, typmod: int) -> BitString:
        if typmod < 0:
            return value
        if self.varying:
            if len(value) > typmod:
                raise errors.DBError(f"bit string too long for type bit varying({typmod})", "22001")
            return value
        if len(value) != typmod:
            raise errors.DBError(f"bit string length {len(value)} does not match type bit({typmod})", "22026")
        return value

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        n = len(value)
        padded = str(value) + "0" * (-n % 8)
        return _I32.pack(n) + bytes(int(padded[i:i + 8], 2) for i in range(0, len(padded), 8))

    def decode_binary(self, data: bytes, ctx: FormatContext) -> BitString:
        if len(data) < 4:
            raise bad_binary()
        n = _I32.unpack_from(data)[0]
        if n < 0 or len(data) - 4 != (n + 7) // 8:
            raise bad_binary("invalid length in external bit string")
        bits = "".join(f"{b:08b}" for b in data[4:])
        return BitString(bits[:n])


def explicit_length(value: Any, typmod: int, varying: bool) -> BitString:
    """An explicit cast to bit(n) pads with zeros or truncates; to varbit(n) truncates."""
    if len(value) > typmod:
        return BitString(value[:typmod])
    if not varying and len(value) < typmod:
        return BitString(value + "0" * (typmod - len(value)))
    return value
