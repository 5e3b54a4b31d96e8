"""A table's checkpointed rows, served straight from Arrow columns.

Why: building one Python ``RowVersion`` per row at restart made a 1,000,000-row
restart take seconds and cost about 1 KB of memory per row. Rows of the last
checkpoint are all committed and (at restart) visible to every snapshot, so they
need no per-row MVCC objects: they stay in the Arrow/numpy columns read from the
Parquet segment, and a row becomes a Python tuple only when a query reads it.

A base row is addressed by its *position* (index into the columns). Positions
sorted by vid let the commit-log replay find the row a logged delete names.
Writing to a base row *promotes* it: its values move into a ``RowVersion`` in the
delta and ``live[pos]`` turns False, so every write path (waits, locks, update
chains, savepoints) keeps working on ``RowVersion`` objects.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import uuid
from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from omendb_server.datatypes import DEFAULT_CONTEXT, DataType, far_dates

Getter = Callable[[int], Any]

_EPOCH_DATE = _dt.date(1970, 1, 1)
_EPOCH_TS = _dt.datetime(1970, 1, 1)
_EPOCH_TSTZ = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_DAY = _dt.timedelta(days=1)
_US = _dt.timedelta(microseconds=1)


def _with_nulls(arr: pa.Array, get: Getter) -> Getter:
    if arr.null_count == 0:
        return get
    valid = np.asarray(arr.is_valid())
    return lambda p: get(p) if valid[p] else None


_FORMATS = {pa.int8(): "b", pa.int16(): "h", pa.int32(): "i", pa.int64(): "q",
            pa.float32(): "f", pa.float64(): "d", pa.date32(): "i"}


def _values_view(arr: pa.Array, fmt: str) -> memoryview:
    """The value buffer as a typed memoryview: indexing it returns a Python int or
    float directly (about 0.1 us, several times cheaper than a numpy scalar) and
    copies nothing."""
    view = memoryview(arr.buffers()[1]).cast(fmt)
    return view[arr.offset:arr.offset + len(arr)]


def decimal_view(arr: pa.Array) -> memoryview:
    """A decimal128 column with precision <= 18 as its scaled int64 values, zero-copy:
    such values fit the low 64-bit word of each little-endian 128-bit value."""
    view = memoryview(arr.buffers()[1]).cast("q")[2 * arr.offset:2 * (arr.offset + len(arr))]
    return view[::2]


def _utf8_getter(arr: pa.Array) -> Getter:
    """Decode a slice of Arrow's UTF-8 buffer in place: no copy of the column."""
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    bufs = arr.buffers()
    offsets = memoryview(bufs[1]).cast("i")[arr.offset:]
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    decode = codecs.utf_8_decode
    return lambda p: decode(data[offsets[p]:offsets[p + 1]])[0]


def _binary_getter(arr: pa.Array) -> Getter:
    bufs = arr.buffers()
    offsets = memoryview(bufs[1]).cast("i")[arr.offset:]
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    return lambda p: bytes(data[offsets[p]:offsets[p + 1]])


def column_getter(arr: pa.Array, t: DataType) -> Getter:
    """position → the Python value the row path uses for type ``t``."""
    at = arr.type
    fmt = _FORMATS.get(at)
    if fmt is not None and pa.types.is_integer(at):
        view = _values_view(arr, fmt)
        return _with_nulls(arr, view.__getitem__)
    if fmt is not None and pa.types.is_floating(at):
        view = _values_view(arr, fmt)
        # NaN is a value object of the type (PostgreSQL sorts it above every number)
        nan = t.text_in("NaN", -1, DEFAULT_CONTEXT) if hasattr(t, "text_in") else float("nan")

        def get_float(p: int) -> float:
            v = view[p]
            return v if v == v else nan

        return _with_nulls(arr, get_float)
    if pa.types.is_decimal128(at):
        if at.precision <= 18:
            scaled = decimal_view(arr)
            exp = -at.scale
            return _with_nulls(arr, lambda p: Decimal(scaled[p]).scaleb(exp))
        return lambda p: arr[p].as_py()
    if pa.types.is_boolean(at):
        np_vals = np.asarray(arr.fill_null(False))
        return _with_nulls(arr, lambda p: bool(np_vals[p]))
    if pa.types.is_string(at) or pa.types.is_large_string(at):
        get = _utf8_getter(arr)
        if t.oid == 2950:
            return _with_nulls(arr, lambda p: uuid.UUID(get(p)))
        if t.oid in (25, 1043, 1042, 19, 114, 705):
            return _with_nulls(arr, get)
        # numeric kept as text (NaN, unconstrained), jsonb, arrays...: the type's own value
        # objects, which carry PostgreSQL's ordering
        text_in = t.text_in
        return _with_nulls(arr, lambda p: text_in(get(p), -1, DEFAULT_CONTEXT))
    if pa.types.is_binary(at):
        return _with_nulls(arr, _binary_getter(arr))
    if pa.types.is_date32(at):
        days = _values_view(arr, "i")

        def get_date(p: int) -> Any:
            try:
                return _EPOCH_DATE + _DAY * days[p]
            except OverflowError:  # BC, after 9999 or infinite (datatypes/far_dates.py)
                return far_dates.date_from_unix_days(days[p])

        return _with_nulls(arr, get_date)
    if pa.types.is_timestamp(at):
        us = _values_view(arr, "q")
        with_tz = at.tz is not None
        epoch = _EPOCH_TSTZ if with_tz else _EPOCH_TS

        def get_timestamp(p: int) -> Any:
            try:
                return epoch + _US * us[p]
            except OverflowError:  # BC, after 9999 or infinite (datatypes/far_dates.py)
                return far_dates.timestamp_from_unix_micros(us[p], with_tz)

        return _with_nulls(arr, get_timestamp)
    # anything else (time, ...): Arrow's own conversion
    return lambda p: arr[p].as_py()


def _flat(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


class BaseRows:
    """Rows of one checkpoint segment: Arrow columns plus per-row vid and commit stamp."""

    __slots__ = ("table", "arrays", "vector_columns", "vids", "begins", "live", "getters", "n", "promoted")

    def __init__(self, table: pa.Table, types: list[DataType]) -> None:
        """``table`` has the segment layout: ``__vid``, ``__begin``, ``__end``, then columns."""
        vids = np.asarray(_flat(table.column(0)), dtype=np.int64)
        if len(vids) > 1 and not bool(np.all(vids[1:] > vids[:-1])):
            order = np.argsort(vids, kind="stable")
            table = table.take(pa.array(order))
            vids = vids[order]
        self.arrays = [_flat(table.column(i)) for i in range(table.num_columns)]
        self.table = pa.Table.from_arrays(self.arrays, names=table.column_names)
        self.n = len(vids)
        self.vids = vids
        self.begins = np.asarray(self.arrays[1], dtype=np.int64)
        #: False once the row was promoted into the delta (or never existed).
        self.live = np.ones(self.n, dtype=np.bool_)
        self.promoted = 0
        #: column arrays and group codes cached by sql/vectorized.py for this base
        self.vector_columns: Any = None
        self.getters = [column_getter(self.arrays[3 + i], t) for i, t in enumerate(types)]
        # give back what Parquet decoding and chunk merging left in Arrow's pool
        pa.default_memory_pool().release_unused()

    def __len__(self) -> int:
        return self.n

    def row(self, pos: int) -> tuple[Any, ...]:
        return tuple([g(pos) for g in self.getters])

    def project(self, pos: int, columns: tuple[int, ...]) -> tuple[Any, ...]:
        """Only these columns of row ``pos`` (a point query reading a few of many)."""
        getters = self.getters
        return tuple([getters[i](pos) for i in columns])

    def column(self, i: int) -> pa.Array:
        return self.arrays[3 + i]

    def pos_of_vid(self, vid: int) -> int:
        """Position of ``vid`` among the base rows, -1 if it is not one (log replay)."""
        i = int(np.searchsorted(self.vids, vid))
        return i if i < self.n and int(self.vids[i]) == vid else -1

    def live_positions(self) -> np.ndarray:
        return np.flatnonzero(self.live) if self.promoted else np.arange(self.n)

    def rows(self, positions: np.ndarray | None = None, batch: int = 4096):  # type: ignore[no-untyped-def]
        """(pos, values) of live rows, converted a batch of columns at a time."""
        if positions is None:
            positions = self.live_positions()
        getters = self.getters
        for start in range(0, len(positions), batch):
            chunk = positions[start:start + batch].tolist()
            live = self.live
            for p in chunk:
                if live[p]:
                    yield p, tuple([g(p) for g in getters])

    def live_table(self) -> pa.Table:
        """The live rows as an Arrow table in segment layout (for the next checkpoint)."""
        if not self.promoted:
            return self.table
        return self.table.filter(pa.array(self.live))

    def int_keys(self, col: int) -> np.ndarray | None:
        """The column as int64 keys (ALEX's key space), or None if it holds NULLs."""
        arr = self.column(col)
        if arr.null_count:
            return None
        at = arr.type
        if pa.types.is_integer(at):
            return np.asarray(arr, dtype=np.int64)
        if pa.types.is_date32(at):
            return np.asarray(arr.cast(pa.int32()), dtype=np.int64)
        if pa.types.is_timestamp(at):
            return np.asarray(arr.cast(pa.int64()), dtype=np.int64)
        return None
