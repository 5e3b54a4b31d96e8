"""Small standalone types: bool, bytea, uuid, void and anonymous records.

Why they share a module: each is a few lines and none shares logic with the
numeric, text or datetime families.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import (
    Codec,
    DataType,
    FormatContext,
    bad_binary,
    invalid_syntax,
)


class BoolCodec(Codec):
    """PostgreSQL's boolin accepts any unambiguous prefix of true/false/yes/no/on/off."""

    _TRUE = ("true", "yes")
    _FALSE = ("false", "no")

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return "t" if value else "f"

    def decode_text(self, text: str, ctx: FormatContext) -> bool:
        s = text.strip(" \t\n\r\v\f").lower()
        if s:
            if s in ("1", "0"):
                return s == "1"
            if any(w.startswith(s) for w in self._TRUE):
                return True
            if any(w.startswith(s) for w in self._FALSE):
                return False
            if len(s) >= 2 and "on".startswith(s):
                return True
            if len(s) >= 2 and "off".startswith(s):
                return False
        raise invalid_syntax("boolean", text)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return b"\x01" if value else b"\x00"

    def decode_binary(self, data: bytes, ctx: FormatContext) -> bool:
        if len(data) != 1:
            raise bad_binary()
        return data != b"\x00"


_HEX_WS = " \t\n\r"
_OCTAL = re.compile(r"[0-3][0-7][0-7]")


def parse_bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        out = bytearray()
        i, n = 2, len(text)
        while i < n:
            c = text[i]
            if c in _HEX_WS:
                i += 1
                continue
            if c not in "0123456789abcdefABCDEF":
                raise errors.InvalidParameterValue(f'invalid hexadecimal digit: "{c}"')
            if i + 1 >= n:
                raise errors.InvalidParameterValue("invalid hexadecimal data: odd number of digits")
            d = text[i + 1]
            if d not in "0123456789abcdefABCDEF":
                raise errors.InvalidParameterValue(f'invalid hexadecimal digit: "{d}"')
            out.append(int(text[i : i + 2], 16))
            i += 2
        return bytes(out)
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\":
            j = text.find("\\", i)
            j = n if j < 0 else j
            out += text[i:j].encode("utf-8")
            i = j
        elif text.startswith("\\\\", i):
            out.append(0x5C)
            i += 2
        elif _OCTAL.match(text, i + 1):
            out.append(int(text[i + 1 : i + 4], 8))
            i += 4
        else:
            raise errors.InvalidTextRepresentation("invalid input syntax for type bytea")
    return bytes(out)


def bytea_escape(data: bytes) -> str:
    """bytea_output = 'escape': printable ASCII as is, backslash doubled, others as \\ooo."""
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


class ByteaCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        if ctx.bytea_output == "escape":
            return bytea_escape(bytes(value))
        return "\\x" + bytes(value).hex()

    def decode_text(self, text: str, ctx: FormatContext) -> bytes:
        return parse_bytea(text)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return bytes(value)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> bytes:
        return data


_UUID_RE = re.compile(r"(\{)?([0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7})(\})?", re.ASCII)


class UuidCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return str(value)

    def decode_text(self, text: str, ctx: FormatContext) -> uuid.UUID:
        m = _UUID_RE.fullmatch(text)
        if m is None or bool(m.group(1)) != bool(m.group(3)):
            raise invalid_syntax("uuid", text)
        return uuid.UUID(hex=m.group(2).replace("-", ""))

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return value.bytes

    def decode_binary(self, data: bytes, ctx: FormatContext) -> uuid.UUID:
        if len(data) != 16:
            raise bad_binary()
        return uuid.UUID(bytes=data)


class VoidCodec(Codec):
    """void results (e.g. ``SELECT pg_sleep(0)``) print as an empty string."""

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return ""

    def decode_text(self, text: str, ctx: FormatContext) -> None:
        return None

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return b""

    def decode_binary(self, data: bytes, ctx: FormatContext) -> None:
        return None


_RECORD_SPECIAL = set('"\\(),') | set(" \t\n\r\v\f")


class RowValue(tuple):
    """A composite value (whole-row reference ``t``): raw field values that keep their
    column names and types, so to_json and text output can render each field."""

    names: tuple[str, ...]
    types: tuple[Any, ...]

    def __new__(cls, values: Any, names: tuple[str, ...], types: tuple[Any, ...]) -> RowValue:  # noqa: PYI034
        obj = super().__new__(cls, values)
        obj.names = names
        obj.types = types
        return obj

    # PostgreSQL's record_cmp: field by field, NULL after any value; a field whose type is
    # still unknown (ROW(1, 'b')) has no comparison function.
    def _cmp(self, other: tuple) -> int:
        other_types = getattr(other, "types", None)
        if other_types is not None:
            from omendb_server.datatypes.typmods import format_type

            for i, (ta, tb) in enumerate(zip(self.types, other_types)):
                if ta.oid != tb.oid:
                    raise errors.DatatypeMismatch(
                        f"cannot compare dissimilar column types {format_type(ta, -1)} and "
                        f"{format_type(tb, -1)} at record column {i + 1}")
        for t in (*self.types, *(other_types or ())):
            if t.oid == 705:
                raise errors.UndefinedFunction("could not identify a comparison function for type unknown")
        for a, b in zip(self, other):
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return 1 if a is None else -1
            if a != b:
                return -1 if a < b else 1
        return (len(self) > len(other)) - (len(self) < len(other))

    def __lt__(self, other: object) -> bool:
        return self._cmp(other) < 0 if isinstance(other, tuple) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self._cmp(other) <= 0 if isinstance(other, tuple) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self._cmp(other) > 0 if isinstance(other, tuple) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self._cmp(other) >= 0 if isinstance(other, tuple) else NotImplemented


_COMPOSITES: dict[int, DataType] = {}


def composite_type(name: str, oid: int) -> DataType:
    """The row type of a table (pg_type typtype 'c', named like the table): a record whose
    type OID is the table's, as PostgreSQL types a whole-row reference ``t``."""
    t = _COMPOSITES.get(oid)
    if t is None or t.name != name:
        t = _COMPOSITES[oid] = DataType(name, oid, -1, "C", 0, None, RecordCodec())
    return t


def composite_by_oid(oid: int) -> DataType | None:
    """A table row type already met in this process (regtype output names it)."""
    return _COMPOSITES.get(oid)


def is_record(oid: int) -> bool:
    """record (2249) or a table's row type."""
    return oid == 2249 or oid in _COMPOSITES


class RecordCodec(Codec):
    """Anonymous rows ``(1,"a b",)``: the value is a tuple of already-rendered field texts.

    The engine renders each field with its own type first, because a record value
    carries no per-field type information here.
    """

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        if isinstance(value, RowValue):
            value = [None if v is None else t.text_out(v, ctx) for v, t in zip(value, value.types)]
        parts = []
        for field_text in value:
            if field_text is None:
                parts.append("")
                continue
            s = field_text if isinstance(field_text, str) else str(field_text)
            if s == "" or any(c in _RECORD_SPECIAL for c in s):
                s = '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'
            parts.append(s)
        return "(" + ",".join(parts) + ")"

    def decode_text(self, text: str, ctx: FormatContext) -> Any:
        raise errors.FeatureNotSupported("input of anonymous composite types is not implemented")

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        raise errors.FeatureNotSupported("binary output of anonymous records is not supported")

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Any:
        raise errors.FeatureNotSupported("input of anonymous composite types is not implemented")
