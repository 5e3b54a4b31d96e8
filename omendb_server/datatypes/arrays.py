"""Arrays ('{1,2,NULL}', nested lists) and the int2vector/oidvector catalog types.

Why a hand-written literal parser: PostgreSQL's array_in has its own quoting
(double quotes, backslash escapes, unquoted NULL, trimmed whitespace) that neither
CSV nor JSON parsing reproduces, and the output side must quote exactly as
array_out does so clients that parse arrays (psycopg, asyncpg) read them back.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary

if TYPE_CHECKING:
    from omendb_server.datatypes.core import DataType

MAXDIM = 6
_HEADER = struct.Struct(">iiI")
_DIM = struct.Struct(">ii")
_LEN = struct.Struct(">i")
_NULL = _LEN.pack(-1)
_WS = " \t\n\r\v\f"
_NEEDS_QUOTES = frozenset('{}",\\' + _WS)


def quote_element(s: str) -> str:
    if s == "" or s.lower() == "null" or any(c in _NEEDS_QUOTES for c in s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _malformed(text: str, detail: str) -> errors.InvalidTextRepresentation:
    return errors.InvalidTextRepresentation(f'malformed array literal: "{text}"', detail=detail)


class _LiteralParser:
    """Recursive-descent reader for one array literal; elements stay raw strings (None = NULL)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        #: '[lo:hi]...' decoration: one (lo, hi) per dimension, None without one
        self.bounds: list[tuple[int, int]] | None = None

    def fail(self, detail: str) -> errors.InvalidTextRepresentation:
        return _malformed(self.text, detail)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def parse(self) -> list[Any]:
        self.skip_ws()
        if self.text.startswith("[", self.pos):  # '[0:2]=' dimension decoration
            self.bounds = self.dimensions()
            self.skip_ws()
        if not self.text.startswith("{", self.pos):
            raise self.fail('Array value must start with "{" or dimension information.')
        result = self.level()
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.fail("Junk after closing right brace.")
        dims = _shape(result, lambda: self.fail("Multidimensional arrays must have sub-arrays with matching dimensions."))
        if self.bounds is not None and [hi - lo + 1 for lo, hi in self.bounds] != dims:
            raise self.fail("Specified array dimensions do not match array contents.")
        return result

    def dimensions(self) -> list[tuple[int, int]]:
        """'[lo:hi][lo:hi]=' (lo defaults to 1) up to and past the '='."""
        m = _DIMS_RE.match(self.text, self.pos)
        if m is None:
            eq = self.text.find("=", self.pos)
            raise self.fail('Missing "=" after array dimensions.' if eq < 0 else
                            'Missing "]" in array dimensions.')
        bounds = []
        for lo, hi in _DIM_RE.findall(m.group(0)):
            lo_i, hi_i = (int(lo) if lo else 1), int(hi)
            if hi_i < lo_i:
                raise errors.DBError("upper bound cannot be less than lower bound", "2202E")
            bounds.append((lo_i, hi_i))
        self.pos = m.end()
        return bounds

    def level(self) -> list[Any]:
        self.pos += 1  # past '{'
        items: list[Any] = []
        kinds: set[bool] = set()
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return items
        while True:
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.fail("Unexpected end of input.")
            c = self.text[self.pos]
            if c == "{":
                items.append(self.level())
                kinds.add(True)
            elif c in ",}":
                raise self.fail(f'Unexpected "{c}" character.')
            else:
                items.append(self.element())
                kinds.add(False)
            if len(kinds) > 1:
                raise self.fail("Unexpected array element.")
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.fail("Unexpected end of input.")
            c = self.text[self.pos]
            self.pos += 1
            if c == "}":
                return items
            if c != ",":
                raise self.fail(f'Unexpected "{c}" character.')

    def element(self) -> str | None:
        text, out = self.text, []
        if text[self.pos] == '"':
            self.pos += 1
            while True:
                if self.pos >= len(text):
                    raise self.fail("Unexpected end of input.")
                c = text[self.pos]
                if c == "\\":
                    if self.pos + 1 >= len(text):
                        raise self.fail("Unexpected end of input.")
                    out.append(text[self.pos + 1])
                    self.pos += 2
                elif c == '"':
                    self.pos += 1
                    return "".join(out)
                else:
                    out.append(c)
                    self.pos += 1
        keep = 0  # length of ``out`` that trailing-whitespace trimming may not cut (escaped chars)
        escaped = False
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\\":
                if self.pos + 1 >= len(text):
                    raise self.fail("Unexpected end of input.")
                out.append(text[self.pos + 1])
                keep = len(out)
                escaped = True
                self.pos += 2
                continue
            if c in ",}":
                break
            if c in '{"':
                raise self.fail(f'Unexpected "{c}" character.')
            out.append(c)
            self.pos += 1
        while len(out) > keep and out[-1] in _WS:
            out.pop()
        value = "".join(out)
        if not escaped and value.lower() == "null":
            return None
        return value


def _shape(value: list[Any], fail: Callable[[], Exception]) -> list[int]:
    """Dimensions of a nested list, checking it is rectangular (PostgreSQL arrays are)."""
    dims: list[int] = []
    probe: Any = value
    while isinstance(probe, list):
        dims.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    if len(dims) > MAXDIM:
        raise errors.ProgramLimitExceeded(f"number of array dimensions ({len(dims)}) exceeds the maximum allowed ({MAXDIM})")

    def check(node: Any, depth: int) -> None:
        if depth == len(dims):
            if isinstance(node, list):
                raise fail()
            return
        if not isinstance(node, list) or len(node) != dims[depth]:
            raise fail()
        for child in node:
            check(child, depth + 1)

    check(value, 0)
    return [] if 0 in dims else dims


_DIM_RE = re.compile(r"\[\s*(?:([+-]?\d+)\s*:)?\s*([+-]?\d+)\s*\]")
_DIMS_RE = re.compile(r"(?:\s*\[\s*(?:[+-]?\d+\s*:)?\s*[+-]?\d+\s*\])+\s*=")


class PgArray(list):
    """An array value that can be a hash key (GROUP BY, DISTINCT, IN lists).

    Array values are never mutated in place once built (every array function
    returns a new list), so hashing by content is safe."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(PgArray(v) if isinstance(v, list) else v for v in self))

    # PostgreSQL's array_cmp: element by element in storage order, NULL after any value,
    # then the shorter array first.
    def _cmp(self, other: object) -> int:
        a: list[Any] = []
        b: list[Any] = []
        _flatten(self, a)
        _flatten(other, b)  # type: ignore[arg-type]
        for x, y in zip(a, b):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return 1 if x is None else -1
            if x != y:
                return -1 if x < y else 1
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
        # same elements: then the shape, then the lower bounds ('[0:1]={1,2}' < '{1,2}')
        sa, sb = _shape_loose(self), _shape_loose(other)
        if sa != sb:
            return -1 if (len(sa), sa) < (len(sb), sb) else 1
        la, lb = lower_bounds(self), lower_bounds(other)  # type: ignore[arg-type]
        return (la > lb) - (la < lb)

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        return self._cmp(other) < 0 if isinstance(other, list) else NotImplemented

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        return self._cmp(other) <= 0 if isinstance(other, list) else NotImplemented

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        return self._cmp(other) > 0 if isinstance(other, list) else NotImplemented

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        return self._cmp(other) >= 0 if isinstance(other, list) else NotImplemented


class BoundedArray(PgArray):
    """An array whose lower bounds are not all 1 ('[0:2]={1,2,3}'): rare, so plain arrays
    carry no bounds and every array function keeps working on lists. Equality includes the
    bounds, as PostgreSQL's array_eq does; slices and most functions return 1-based arrays."""

    __slots__ = ("lbounds",)

    def __init__(self, items: Any = (), lbounds: tuple[int, ...] = ()) -> None:
        super().__init__(items)
        self.lbounds = lbounds

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and lower_bounds(other) == self.lbounds and list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((PgArray.__hash__(self), self.lbounds))

    def __reduce__(self) -> Any:
        return (BoundedArray, (list(self), self.lbounds))


def lower_bounds(value: list[Any]) -> tuple[int, ...]:
    """Per-dimension lower bounds of an array value (all 1 unless a BoundedArray)."""
    if type(value) is BoundedArray:
        return value.lbounds
    return (1,) * len(_shape_loose(value))


def _shape_loose(value: Any) -> list[int]:
    dims = []
    while isinstance(value, list) and value:
        dims.append(len(value))
        value = value[0]
    return dims


def with_bounds(value: list[Any], lbounds: list[int] | tuple[int, ...]) -> PgArray:
    """``value`` with the given lower bounds (a plain PgArray when they are all 1)."""
    if not value or all(b == 1 for b in lbounds):
        return value if isinstance(value, PgArray) else PgArray(value)
    return BoundedArray(value, tuple(lbounds))


def hashable_array(value: list[Any]) -> PgArray:
    return value if isinstance(value, PgArray) else PgArray(value)


def _map(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, list):
        return [_map(v, fn) for v in value]
    return None if value is None else fn(value)


def _flatten(value: Any, out: list[Any]) -> None:
    for v in value:
        if isinstance(v, list):
            _flatten(v, out)
        else:
            out.append(v)


def _reshape(flat: list[Any], dims: list[int]) -> list[Any]:
    if len(dims) <= 1:
        return flat
    step = len(flat) // dims[0]
    return [_reshape(flat[i * step : (i + 1) * step], dims[1:]) for i in range(dims[0])]


def _mismatch() -> errors.DBError:
    return errors.DBError(
        "multidimensional arrays must have array expressions with matching dimensions", "2202E"
    )


def decode_array_binary(data: bytes, element: DataType, ctx: FormatContext,
                        lbounds_out: list[int] | None = None) -> tuple[list[Any], list[int]]:
    """array_recv: returns the flat element list and the dimensions, validating every length
    (the lower bounds go to ``lbounds_out`` when given)."""
    if len(data) < 12:
        raise bad_binary()
    ndim, flags, elem_oid = _HEADER.unpack_from(data)
    if not 0 <= ndim <= MAXDIM:
        raise bad_binary(f"invalid number of dimensions: {ndim}")
    if flags not in (0, 1):
        raise bad_binary("invalid array flags")
    if elem_oid != element.oid:
        raise errors.DatatypeMismatch(
            f"binary data has array element type {elem_oid} instead of expected {element.oid} ({element.name})"
        )
    pos = 12
    if len(data) < pos + 8 * ndim:
        raise bad_binary()
    dims = []
    total = 1 if ndim else 0
    for _ in range(ndim):
        size, lbound = _DIM.unpack_from(data, pos)
        pos += 8
        if size < 0:
            raise bad_binary()
        dims.append(size)
        if lbounds_out is not None:
            lbounds_out.append(lbound)
        total *= size
    if total * 4 > len(data) - pos:  # each element needs at least its length word
        raise bad_binary()
    flat: list[Any] = []
    for _ in range(total):
        if pos + 4 > len(data):
            raise bad_binary()
        (length,) = _LEN.unpack_from(data, pos)
        pos += 4
        if length == -1:
            flat.append(None)
            continue
        if length < 0 or pos + length > len(data):
            raise bad_binary()
        flat.append(element.binary_in(data[pos : pos + length], -1, ctx))
        pos += length
    if pos != len(data):
        raise bad_binary()
    return flat, ([] if total == 0 else dims)


def encode_array_binary(flat: list[Any], dims: list[int], lbound: int | tuple[int, ...], element: DataType,
                        ctx: FormatContext) -> bytes:
    has_null = any(v is None for v in flat)
    parts = [_HEADER.pack(len(dims), 1 if has_null else 0, element.oid)]
    lbounds = lbound if isinstance(lbound, tuple) else (lbound,) * len(dims)
    parts.extend(_DIM.pack(size, lb) for size, lb in zip(dims, lbounds))
    out = element.binary_out
    for v in flat:
        if v is None:
            parts.append(_NULL)
        else:
            raw = out(v, ctx)
            parts.append(_LEN.pack(len(raw)))
            parts.append(raw)
    return b"".join(parts)


class ArrayCodec(Codec):
    def __init__(self, element: DataType) -> None:
        self.element = element

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        out = self.element.text_out
        parts: list[str] = []

        def emit(node: list[Any]) -> None:
            parts.append("{")
            for i, v in enumerate(node):
                if i:
                    parts.append(",")
                if isinstance(v, list):
                    emit(v)
                elif v is None:
                    parts.append("NULL")
                else:
                    parts.append(quote_element(out(v, ctx)))
            parts.append("}")

        emit(value)
        if type(value) is BoundedArray:
            dims = _shape_loose(value)
            return "".join(f"[{lb}:{lb + n - 1}]" for lb, n in zip(value.lbounds, dims)) + "=" + "".join(parts)
        return "".join(parts)

    def decode_text(self, text: str, ctx: FormatContext) -> list[Any]:
        parser = _LiteralParser(text)
        raw = parser.parse()
        elem_in = self.element.text_in
        value = _map(raw, lambda s: elem_in(s, -1, ctx))
        if parser.bounds is not None:
            return with_bounds(value, [lo for lo, _ in parser.bounds])
        return PgArray(value)

    def apply_typmod(self, value: Any, typmod: int) -> list[Any]:
        return with_bounds(_map(value, lambda v: self.element.apply_typmod(v, typmod)), lower_bounds(value))

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        dims = _shape(value, _mismatch)
        flat: list[Any] = []
        if dims:
            _flatten(value, flat)
        lbounds = value.lbounds if type(value) is BoundedArray else 1
        return encode_array_binary(flat, dims, lbounds, self.element, ctx)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> list[Any]:
        lbounds: list[int] = []
        flat, dims = decode_array_binary(data, self.element, ctx, lbounds)
        return with_bounds(_reshape(flat, dims), lbounds) if dims else PgArray([])


class VectorCodec(Codec):
    """int2vector/oidvector: space-separated text, one-dimensional zero-based binary arrays."""

    def __init__(self, element: DataType) -> None:
        self.element = element

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return " ".join(str(int(v)) for v in value)

    def decode_text(self, text: str, ctx: FormatContext) -> list[int]:
        return [self.element.text_in(tok, -1, ctx) for tok in text.split()]

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return encode_array_binary(list(value), [len(value)], 0, self.element, ctx)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> list[int]:
        flat, dims = decode_array_binary(data, self.element, ctx)
        if len(dims) > 1 or any(v is None for v in flat):
            raise bad_binary("invalid int2vector data" if self.element.oid == 21 else "invalid oidvector data")
        return flat
