"""Character types (text, varchar, bpchar, name, "char", unknown) and json/jsonb.

Why lengths are counted in characters: PostgreSQL's varchar(n)/char(n) limits are
in characters of the database encoding (UTF8), which is what ``len(str)`` counts.
"""

from __future__ import annotations

import json
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary, decode_utf8

NAMEDATALEN = 64


def _check_no_nul(text: str) -> str:
    if "\x00" in text:
        raise errors.CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0x00')
    return text


class TextCodec(Codec):
    """Plain UTF-8 strings: text, unknown and the base for the length-limited kinds."""

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return value if isinstance(value, str) else str(value)

    def decode_text(self, text: str, ctx: FormatContext) -> str:
        return _check_no_nul(text)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return self.encode_text(value, ctx).encode("utf-8")

    def decode_binary(self, data: bytes, ctx: FormatContext) -> str:
        return self.decode_text(decode_utf8(data), ctx)


class VarcharCodec(TextCodec):
    def apply_typmod(self, value: Any, typmod: int) -> str:
        limit = typmod - 4
        if limit < 0 or len(value) <= limit:
            return value
        # SQL rule kept by PostgreSQL: excess characters that are all spaces are dropped.
        if value[limit:].strip(" ") == "":
            return value[:limit]
        raise errors.StringDataRightTruncation(f"value too long for type character varying({limit})")


class BpcharCodec(TextCodec):
    def apply_typmod(self, value: Any, typmod: int) -> str:
        limit = typmod - 4
        if limit < 0:
            return value
        if len(value) > limit:
            if value[limit:].strip(" ") != "":
                raise errors.StringDataRightTruncation(f"value too long for type character({limit})")
            return value[:limit]
        return value.ljust(limit)


def truncate_name(text: str) -> str:
    """Identifiers are cut to NAMEDATALEN-1 bytes without splitting a character."""
    raw = text.encode("utf-8")
    if len(raw) < NAMEDATALEN:
        return text
    return raw[: NAMEDATALEN - 1].decode("utf-8", errors="ignore")


class NameCodec(TextCodec):
    def decode_text(self, text: str, ctx: FormatContext) -> str:
        return truncate_name(_check_no_nul(text))


class CharCodec(Codec):
    """The one-byte internal type "char" (pg_class.relkind and friends)."""

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return value[:1] if value else ""

    def decode_text(self, text: str, ctx: FormatContext) -> str:
        return text[:1]

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return value[:1].encode("latin-1") if value else b""

    def decode_binary(self, data: bytes, ctx: FormatContext) -> str:
        if len(data) > 1:
            raise bad_binary()
        return data.decode("latin-1")


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def validate_json(text: str) -> str:
    """PostgreSQL's json input checks syntax; JSON has no NaN/Infinity literals."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise errors.InvalidTextRepresentation("invalid input syntax for type json") from None
    return text


class JsonCodec(TextCodec):
    def __init__(self, binary_version: bool) -> None:
        self.binary_version = binary_version

    def decode_text(self, text: str, ctx: FormatContext) -> str:
        if self.binary_version:
            # jsonb is stored as PostgreSQL's canonical output text (see datatypes/jsonb.py)
            from omendb_server.datatypes.jsonb import normalize_jsonb

            return normalize_jsonb(_check_no_nul(text))
        return validate_json(_check_no_nul(text))

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        raw = value.encode("utf-8")
        return b"\x01" + raw if self.binary_version else raw

    def decode_binary(self, data: bytes, ctx: FormatContext) -> str:
        if self.binary_version:
            if not data or data[0] != 1:
                raise bad_binary(f"unsupported jsonb version number {data[0] if data else 0}")
            data = data[1:]
        return self.decode_text(decode_utf8(data), ctx)
