"""Enum types (CREATE TYPE ... AS ENUM) as DataTypes the engine and wire layer use.

A value is a ``str`` subclass per enum type whose comparisons follow the label
order (PostgreSQL sorts enums by declaration, not alphabetically); equality and
hashing stay those of ``str``, so storage, indexes and the wire see plain text.
Input of an unknown label fails with 22P02 like PostgreSQL's enum_in.
"""

from __future__ import annotations

from typing import Any, ClassVar

from omendb_server import errors
from omendb_server.datatypes import (
    TYPES_BY_NAME,
    TYPES_BY_OID,
    Codec,
    DataType,
    FormatContext,
)


class EnumLabel(str):
    """Base of the per-type label classes; ``_order`` maps label → sort position."""

    _order: ClassVar[dict[str, int]] = {}

    def _pos(self, other: Any) -> tuple[int, int] | None:
        order = self._order
        a = order.get(str(self))
        b = order.get(str(other)) if isinstance(other, str) else None
        if a is None or b is None:
            return None
        return a, b

    def __lt__(self, other: Any) -> bool:
        p = self._pos(other)
        return str.__lt__(self, other) if p is None else p[0] < p[1]

    def __le__(self, other: Any) -> bool:
        p = self._pos(other)
        return str.__le__(self, other) if p is None else p[0] <= p[1]

    def __gt__(self, other: Any) -> bool:
        p = self._pos(other)
        return str.__gt__(self, other) if p is None else p[0] > p[1]

    def __ge__(self, other: Any) -> bool:
        p = self._pos(other)
        return str.__ge__(self, other) if p is None else p[0] >= p[1]

    __hash__ = str.__hash__

    #: OID of the enum type (set on each per-type subclass).
    _type_oid = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled into the commit log: restored through the registered type
        return (_restore, (self._type_oid, str(self)))


def _restore(type_oid: int, text: str) -> str:
    t = TYPES_BY_OID.get(type_oid)
    codec = t.codec if t is not None else None
    if isinstance(codec, EnumCodec):
        return codec.cls(text)
    return text


class EnumCodec(Codec):
    def __init__(self, name: str, labels: list[str], oid: int = 0) -> None:
        self.name = name
        self.labels = set(labels)
        self.cls = type(f"enum_{name}", (EnumLabel,), {
            "_order": {lbl: i for i, lbl in enumerate(labels)}, "_type_oid": oid})

    def update(self, name: str, labels: list[str]) -> None:
        self.name = name
        self.labels = set(labels)
        order = self.cls._order
        order.clear()
        order.update({lbl: i for i, lbl in enumerate(labels)})

    def _make(self, text: str) -> str:
        if text not in self.labels:
            raise errors.InvalidTextRepresentation(
                f'invalid input value for enum {self.name}: "{text}"')
        return self.cls(text)

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return str(value)

    def decode_text(self, text: str, ctx: FormatContext) -> Any:
        return self._make(text)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return str(value).encode()

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Any:
        return self._make(bytes(data).decode())


def enum_datatype(oid: int, name: str, labels: list[str], array_oid: int) -> DataType:
    """Build (or update) and register the DataType of an enum, by OID and by name.

    One codec per enum OID is kept and updated in place when labels change (ALTER
    TYPE ... ADD/RENAME VALUE): compiled casts are cached by type OID and must see
    the current labels."""
    existing = TYPES_BY_OID.get(oid)
    codec = existing.codec if existing is not None else None
    if isinstance(codec, EnumCodec):
        codec.update(name, labels)
        if existing is not None and existing.name == name and existing.array_oid == array_oid:
            return existing
    else:
        codec = EnumCodec(name, labels, oid)
    t = DataType(name, oid, 4, "E", array_oid, None, codec)
    if existing is not None and existing.name != name and TYPES_BY_NAME.get(existing.name) is existing:
        del TYPES_BY_NAME[existing.name]  # ALTER TYPE ... RENAME TO
    TYPES_BY_OID[oid] = t
    previous = TYPES_BY_NAME.get(name)
    if previous is None or previous.oid >= 16384:
        TYPES_BY_NAME[name] = t
    return t
