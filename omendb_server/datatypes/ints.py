"""Integer-like types: int2/int4/int8, oid and the reg* OID aliases.

Why a regex instead of ``int()``: Python's ``int()`` accepts underscores and
non-ASCII digits, PostgreSQL 15's int4in does not; the error text must also name
the SQL type ("integer", not "int4") exactly as PostgreSQL does.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary, invalid_syntax

_INT_RE = re.compile(r"\s*([+-]?[0-9]+)\s*", re.ASCII)


class IntCodec(Codec):
    """Signed big-endian integers of a fixed width."""

    def __init__(self, label: str, fmt: str) -> None:
        self.label = label
        self.struct = struct.Struct(fmt)
        bits = self.struct.size * 8
        self.min = -(1 << (bits - 1))
        self.max = (1 << (bits - 1)) - 1
        #: plain ASCII digit strings this short always fit (int2: 4, int4: 9, int8: 18)
        self.safe_digits = len(str(self.max)) - 1

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return str(int(value))

    def decode_text(self, text: str, ctx: FormatContext) -> int:
        if len(text) <= self.safe_digits and text.isdigit() and text.isascii():
            return int(text)  # the common case (every parameter a driver sends as text)
        m = _INT_RE.fullmatch(text)
        if m is None:
            raise invalid_syntax(self.label, text)
        value = int(m.group(1))
        if not self.min <= value <= self.max:
            raise errors.NumericValueOutOfRange(f'value "{text}" is out of range for type {self.label}')
        return value

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return self.struct.pack(value)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> int:
        if len(data) != self.struct.size:
            raise bad_binary()
        return self.struct.unpack(data)[0]


_UINT32 = struct.Struct(">I")


class OidCodec(Codec):
    """Unsigned 32-bit OIDs; like PostgreSQL's oidin, negative input wraps (-1 → 4294967295)."""

    def __init__(self, label: str = "oid") -> None:
        self.label = label

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        # regclass/regproc values resolved against the catalog carry the name they print as
        # (catalog.pg_catalog.NamedOid); plain oid columns always print the number.
        if self.label != "oid":
            label = getattr(value, "pg_label", None)
            if label is not None:
                return label
        return str(int(value))

    def decode_text(self, text: str, ctx: FormatContext) -> int:
        m = _INT_RE.fullmatch(text)
        if m is None:
            raise invalid_syntax(self.label, text)
        value = int(m.group(1))
        if not -(1 << 31) <= value <= 0xFFFFFFFF:
            raise errors.NumericValueOutOfRange(f'value "{text}" is out of range for type {self.label}')
        return value & 0xFFFFFFFF

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return _UINT32.pack(int(value) & 0xFFFFFFFF)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> int:
        if len(data) != 4:
            raise bad_binary()
        return _UINT32.unpack(data)[0]


class RegTypeCodec(OidCodec):
    """regtype prints as the type's SQL name, and reads a type name or a number.

    The datatypes registry is the catalog of types, so this alias can be resolved
    here; regclass/regproc/regnamespace need the real catalog and print numbers.
    """

    def __init__(self) -> None:
        super().__init__("regtype")

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        from omendb_server.datatypes.registry import TYPES_BY_OID
        from omendb_server.datatypes.typmods import format_type

        label = getattr(value, "pg_label", None)  # resolved against the catalog (enums...)
        if label is not None:
            return label
        if int(value) == 1042:
            return "character"  # regtypeout spells bpchar as SQL's name
        t = TYPES_BY_OID.get(int(value))
        if t is None:
            from omendb_server.datatypes.misc import composite_by_oid

            t = composite_by_oid(int(value))  # a table's row type met in this process
        return format_type(t, -1) if t is not None else str(int(value))

    def decode_text(self, text: str, ctx: FormatContext) -> int:
        if _INT_RE.fullmatch(text):
            return super().decode_text(text, ctx)
        from omendb_server.datatypes.registry import type_by_name

        return type_by_name(text.strip()).oid
