"""The DataType record, the per-family Codec interface and shared helpers.

Why a codec object per type family instead of methods on ``DataType`` subclasses:
``DataType`` must stay a plain frozen, hashable record (the catalog stores and
compares them), while the I/O behaviour is table-driven — the registry pairs each
PostgreSQL type with one small codec, so adding a type is one line, not a class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import struct
from typing import Any

from omendb_server import errors


@dataclass(frozen=True)
class FormatContext:
    """Session settings that change how values print or parse (GUCs of the same names)."""

    timezone: str = "UTC"
    datestyle: str = "ISO, MDY"
    intervalstyle: str = "postgres"
    extra_float_digits: int = 1
    bytea_output: str = "hex"


DEFAULT_CONTEXT = FormatContext()


class Codec:
    """Text and binary conversion for one type family.

    Subclasses implement the four ``encode_*``/``decode_*`` hooks; typmod
    enforcement is separate (``apply_typmod``) because PostgreSQL applies it on
    input *and* on assignment to a column, and the engine needs it for the latter.
    """

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        raise NotImplementedError

    def decode_text(self, text: str, ctx: FormatContext) -> Any:
        raise NotImplementedError

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        raise NotImplementedError

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Any:
        raise NotImplementedError

    def apply_typmod(self, value: Any, typmod: int) -> Any:
        return value


@dataclass(frozen=True)
class DataType:
    """A PostgreSQL type as the catalog sees it (mirrors the pg_type columns clients read)."""

    name: str
    oid: int
    typlen: int
    category: str
    array_oid: int
    element: "DataType | None" = None
    codec: Codec = field(default_factory=Codec, compare=False, repr=False)

    def __deepcopy__(self, memo: dict[int, Any]) -> "DataType":
        # Types are immutable singletons; catalog copies (transactional DDL) share them.
        return self

    def __copy__(self) -> "DataType":
        return self

    def text_out(self, value: Any, ctx: FormatContext = DEFAULT_CONTEXT) -> str:
        return self.codec.encode_text(value, ctx)

    def text_in(self, text: str, typmod: int = -1, ctx: FormatContext = DEFAULT_CONTEXT) -> Any:
        value = self.codec.decode_text(text, ctx)
        if typmod >= 0 and value is not None:
            value = self.codec.apply_typmod(value, typmod)
        return value

    def binary_out(self, value: Any, ctx: FormatContext = DEFAULT_CONTEXT) -> bytes:
        try:
            return self.codec.encode_binary(value, ctx)
        except struct.error as exc:
            # A Python value outside the wire type's range (e.g. int4 > 2**31-1).
            raise errors.NumericValueOutOfRange(f"value out of range for type {self.name}") from exc

    def binary_in(self, data: bytes, typmod: int = -1, ctx: FormatContext = DEFAULT_CONTEXT) -> Any:
        try:
            value = self.codec.decode_binary(bytes(data), ctx)
        except errors.DBError:
            raise
        except (struct.error, IndexError, ValueError, OverflowError, TypeError) as exc:
            # Safety net: client bytes must never surface as a Python crash.
            raise bad_binary() from exc
        if typmod >= 0 and value is not None:
            value = self.codec.apply_typmod(value, typmod)
        return value

    def apply_typmod(self, value: Any, typmod: int) -> Any:
        if typmod < 0 or value is None:
            return value
        return self.codec.apply_typmod(value, typmod)

    @property
    def is_array(self) -> bool:
        return self.element is not None


class NaNOrder:
    """Comparisons of a NaN as PostgreSQL orders it: equal to itself, above every number.
    Mixed in before float or Decimal by the types' NaN values, which define ``__eq__``
    (what counts as NaN), ``__hash__`` and ``__reduce__``."""

    __slots__ = ()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return self.__eq__(other)  # type: ignore[return-value]

    def __gt__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __ge__(self, other: object) -> bool:
        return True


def bad_binary(message: str = "incorrect binary data format") -> errors.InvalidBinaryRepresentation:
    return errors.InvalidBinaryRepresentation(message)


def invalid_syntax(type_label: str, text: str) -> errors.InvalidTextRepresentation:
    return errors.InvalidTextRepresentation(f'invalid input syntax for type {type_label}: "{text}"')


def _utf8_sequence_length(first: int) -> int:
    if first < 0x80:
        return 1
    if 0xC0 <= first < 0xE0:
        return 2
    if 0xE0 <= first < 0xF0:
        return 3
    if 0xF0 <= first < 0xF8:
        return 4
    return 1


def decode_utf8(data: bytes) -> str:
    """Decode client bytes as UTF-8 the way PostgreSQL reports bad input (22021).

    PostgreSQL names the offending bytes (as many as the lead byte announces), so the
    message is reproduced rather than Python's UnicodeDecodeError text. NUL is refused
    too: PostgreSQL text can never contain it.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        length = min(_utf8_sequence_length(data[start]), len(data) - start)
        shown = " ".join(f"0x{b:02x}" for b in data[start : start + length])
        raise errors.CharacterNotInRepertoire(f'invalid byte sequence for encoding "UTF8": {shown}') from None
    if "\x00" in text:
        raise errors.CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0x00')
    return text
