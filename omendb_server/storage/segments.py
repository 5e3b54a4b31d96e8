"""Parquet segments: a table's committed row versions as a compressed columnar file.

Each segment holds the MVCC stamps (``__vid``, ``__begin``, ``__end``) next to
the user columns, so it is a self-describing snapshot external engines (DuckDB,
pyarrow) can read. Column types map to Arrow types; exact types Arrow cannot
hold losslessly (arbitrary-precision numeric, intervals, arrays...) are stored
as PostgreSQL's text form and parsed back on load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from omendb_server.datatypes import DEFAULT_CONTEXT, DataType
from omendb_server.storage.base import BaseRows
from omendb_server.storage.fs import atomic_write

META_COLUMNS = ("__vid", "__begin", "__end")

_NATIVE: dict[int, pa.DataType] = {
    16: pa.bool_(),
    21: pa.int16(),
    23: pa.int32(),
    20: pa.int64(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1042: pa.string(),
    19: pa.string(),
    114: pa.string(),
    3802: pa.string(),
    705: pa.string(),
    17: pa.binary(),
    1082: pa.date32(),
    1083: pa.time64("us"),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def arrow_type(t: DataType) -> pa.DataType:
    return _NATIVE.get(t.oid, pa.string())


def _to_arrow(t: DataType) -> Callable[[Any], Any]:
    if t.oid in _NATIVE:
        return lambda v: v
    if t.oid == 1700:
        return str
    if t.oid == 2950:
        return str
    return lambda v: t.text_out(v, DEFAULT_CONTEXT)


def decimal_type(t: DataType, typmod: int) -> pa.DataType | None:
    """decimal128(p, s) for ``numeric(p,s)`` Arrow can hold exactly, else None (text)."""
    if t.oid != 1700 or typmod < 4:
        return None
    from omendb_server.datatypes.numeric import decode_typmod

    p, s = decode_typmod(typmod)
    return pa.decimal128(p, s) if 1 <= p <= 38 and 0 <= s <= p else None


def _column_array(t: DataType, typmod: int, col: list[Any]) -> pa.Array:
    dec = decimal_type(t, typmod)
    if dec is not None:
        try:
            return pa.array(col, dec)  # NaN/Infinity or an out-of-range value: keep text
        except (pa.ArrowInvalid, pa.ArrowTypeError, ArithmeticError, ValueError, TypeError):
            pass
    conv = _to_arrow(t)
    if conv is not None and t.oid not in _NATIVE:
        col = [None if v is None else conv(v) for v in col]
    try:
        return pa.array(col, arrow_type(t))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return _far_column_array(t, col)


def _far_column_array(t: DataType, col: list[Any]) -> pa.Array:
    """Dates/timestamps beyond Python's years or infinite (datatypes/far_dates.py) as their
    Arrow integers (infinities at the integer bounds); what Arrow cannot hold even so
    (time '24:00:00', timestamps after 294247 AD) as PostgreSQL's text, parsed on load."""
    from omendb_server.datatypes.far_dates import unix_ints

    if t.oid in (1082, 1114, 1184):
        try:
            return pa.array(unix_ints(col), pa.int32() if t.oid == 1082 else pa.int64()).cast(arrow_type(t))
        except (pa.ArrowInvalid, OverflowError):
            pass
    return pa.array([None if v is None else t.text_out(v, DEFAULT_CONTEXT) for v in col], pa.string())


def segment_table(types: list[DataType], names: list[str],
                  versions: Iterable[tuple[int, int, int, tuple[Any, ...]]],
                  base: pa.Table | None = None, typmods: list[int] | None = None) -> pa.Table:
    """(vid, begin, end, values) rows after the rows of ``base`` (a table in segment layout:
    the live rows of the previous checkpoint, kept columnar), as one table ordered by vid."""
    vids: list[int] = []
    begins: list[int] = []
    ends: list[int] = []
    cols: list[list[Any]] = [[] for _ in types]
    for vid, begin, end, values in versions:
        vids.append(vid)
        begins.append(begin)
        ends.append(end)
        for i, v in enumerate(values):
            cols[i].append(v)
    mods = typmods or [-1] * len(types)
    arrays = [pa.array(vids, pa.int64()), pa.array(begins, pa.int64()), pa.array(ends, pa.int64())]
    base_cols = base.num_columns if base is not None and base.num_rows else 0
    for i, (t, mod, col) in enumerate(zip(types, mods, cols)):
        arr = _column_array(t, mod, col)
        if base_cols and arr.type != base.schema.field(3 + i).type:  # type: ignore[union-attr]
            # one type for the whole column: the base's, unless the new rows need text
            want = base.schema.field(3 + i).type  # type: ignore[union-attr]
            try:
                arr = arr.cast(want) if len(arr) else pa.array([], want)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        arrays.append(arr)
    schema_names = list(META_COLUMNS) + [f"c{i}_{n}" for i, n in enumerate(names)]
    table = pa.Table.from_arrays(arrays, names=schema_names)
    if base_cols:
        assert base is not None
        base = pa.Table.from_arrays([base.column(i).cast(table.schema.field(i).type)
                                     for i in range(base.num_columns)], names=schema_names)
        table = pa.concat_tables([base, table]) if table.num_rows else base
        table = table.sort_by("__vid")
    return table


def write_table(path: Path, table: pa.Table) -> int:
    """Write a segment table to ``path`` atomically; returns its row count."""

    def write(tmp: Path) -> None:
        # one row group: recovery then maps each column to one Arrow array without merging
        pq.write_table(table, tmp, compression="zstd", row_group_size=max(1, table.num_rows))

    atomic_write(path, write)
    return table.num_rows


def write_bulk_file(path: Path, table: pa.Table) -> None:
    """A COPY's staged rows, synced before its commit record: Arrow IPC, uncompressed,
    because it is written while the committer waits and lives only until the next
    checkpoint folds it into a (compressed) segment."""
    import pyarrow.feather as feather

    atomic_write(path, lambda tmp: feather.write_feather(table, tmp, compression="uncompressed"))


def read_bulk_file(path: Path) -> pa.Table:
    import pyarrow.feather as feather

    return feather.read_table(path, memory_map=False)


def read_base(path: Path, types: list[DataType]) -> BaseRows:
    """A segment as base rows: columns stay in Arrow (see ``storage/base.py``)."""
    return BaseRows(pq.read_table(path), types)
