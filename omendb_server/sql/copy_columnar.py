"""COPY FROM STDIN straight into columnar storage.

Why: the row path parses every field in Python and builds a ``RowVersion`` per row (about
100,000 rows/s, and about 1 KB of memory per row until a checkpoint). Here a chunk of text
or CSV is parsed by pyarrow's CSV reader (C++), each column is converted with Arrow casts,
and the rows are staged for the transaction as Arrow tables; at COMMIT they are written as
one synced Parquet file that the commit record names, and become base rows.

PostgreSQL's input rules stay exact because this path only takes what it can convert
*exactly*; anything else in a chunk — a value Arrow parses differently or not at all
(whitespace around numbers, more decimals than the scale, a date in another style,
backslash escapes, a NULL in a NOT NULL column, a value too long, a duplicate key) — makes
the chunk go through the row path (``NotColumnar``), which raises PostgreSQL's error with
the right line number or applies the value as PostgreSQL would.

Taken only for tables the row writer calls *simple* (no CHECK, FOREIGN KEY or generated
columns), without secondary indexes, with every column in the COPY column list, and with
column types this module converts: int2/4/8, float8, numeric(p,s), text, varchar(n),
char(n), date, bool.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from omendb_server.storage.segments import decimal_type


class NotColumnar(Exception):
    """This chunk goes through the row path."""


_SIMPLE_TEXT = {25, 1043, 1042}
_INTS = {21: (pa.int16(), 2**15), 23: (pa.int32(), 2**31), 20: (pa.int64(), 2**63)}
_TRUE = ["t", "true", "y", "yes", "on", "1"]
_FALSE = ["f", "false", "n", "no", "off", "0"]


def _converter(col: Any) -> Any:
    """string Array → typed Array for one column, or raise NotColumnar; None if the
    column's type is not handled at all."""
    oid, typmod = col.type.oid, col.typmod
    if oid in _INTS:
        target, limit = _INTS[oid]

        def conv_int(arr: pa.Array) -> pa.Array:
            try:
                wide = pc.cast(arr, pa.int64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise NotColumnar from None
            if limit < 2**63 and len(wide) - wide.null_count:
                lo_hi = pc.min_max(wide)
                if lo_hi["min"].as_py() < -limit or lo_hi["max"].as_py() >= limit:
                    raise NotColumnar
            return wide.cast(target)

        return conv_int
    if oid == 701:
        def conv_float(arr: pa.Array) -> pa.Array:
            try:
                out = pc.cast(arr, pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise NotColumnar from None
            vals = np.asarray(out.fill_null(0.0))
            if not np.isfinite(vals).all():  # NaN/Infinity spellings and range: row rules
                raise NotColumnar
            return out

        return conv_float
    if oid == 1700:
        dec = decimal_type(col.type, typmod)
        if dec is None:
            return None

        def conv_dec(arr: pa.Array) -> pa.Array:
            try:
                return pc.cast(arr, dec)  # refuses extra decimals and overflow: row rules
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise NotColumnar from None

        return conv_dec
    if oid in _SIMPLE_TEXT:
        n = typmod - 4 if typmod >= 4 else None

        def conv_text(arr: pa.Array) -> pa.Array:
            if n is not None and len(arr) - arr.null_count:
                if pc.max(pc.utf8_length(arr)).as_py() > n:
                    raise NotColumnar  # 22001, or char(n)'s trailing-space rule
                if oid == 1042:
                    return pc.utf8_rpad(arr, width=n, padding=" ")
            return arr

        return conv_text
    if oid == 1082:
        def conv_date(arr: pa.Array) -> pa.Array:
            # ISO dates only; other DateStyles, BC and infinity fail here: row rules
            try:
                return pc.cast(pc.strptime(arr, format="%Y-%m-%d", unit="s"), pa.date32())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise NotColumnar from None

        return conv_date
    if oid == 16:
        def conv_bool(arr: pa.Array) -> pa.Array:
            low = pc.utf8_lower(arr)
            is_true = pc.is_in(low, value_set=pa.array(_TRUE))
            is_false = pc.is_in(low, value_set=pa.array(_FALSE))
            if not pc.all(pc.or_(pc.or_(is_true, is_false), pc.is_null(arr))).as_py():
                raise NotColumnar
            return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), is_true)

        return conv_bool
    return None


class ColumnarCopy:
    """Chunk converter for one COPY FROM STDIN statement."""

    def __init__(self, table: Any, opts: Any, converters: list[Any]) -> None:
        self.table = table
        self.opts = opts
        self.converters = converters
        self.names = [f"c{i}" for i in range(len(table.columns))]
        self.not_null = [c.not_null for c in table.columns]
        if opts.format == "csv":
            escape = opts.escape
            self.parse = pacsv.ParseOptions(
                delimiter=opts.delimiter, quote_char=opts.quote,
                double_quote=escape == opts.quote,
                escape_char=False if escape == opts.quote else escape,
                newlines_in_values=True)
            null = opts.null if opts.null != "\\N" else ""
        else:
            self.parse = pacsv.ParseOptions(delimiter=opts.delimiter, quote_char=False,
                                            escape_char=False, newlines_in_values=False)
            null = opts.null
        self.convert = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in self.names}, null_values=[null],
            strings_can_be_null=True, quoted_strings_can_be_null=False)
        self.null = null

    def convert_chunk(self, chunk: bytes, skip_header: bool) -> pa.Table:
        """The chunk's rows as typed columns, or NotColumnar."""
        if self.opts.format != "csv" and chunk.count(b"\\") != chunk.count(
                self.null.encode()) * (b"\\" in self.null.encode()):
            raise NotColumnar  # backslash escapes: the row parser's job
        try:
            parsed = pacsv.read_csv(
                io.BytesIO(chunk),
                read_options=pacsv.ReadOptions(column_names=self.names,
                                               skip_rows=1 if skip_header else 0,
                                               block_size=max(1 << 20, len(chunk) + 1)),
                parse_options=self.parse, convert_options=self.convert)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise NotColumnar from None  # ragged rows, bad quoting: row path reports them
        arrays = []
        for i, conv in enumerate(self.converters):
            arr = parsed.column(i)
            arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
            if arr.null_count and self.not_null[i]:
                raise NotColumnar  # 23502 with the failing row: row path
            if self.opts.format != "csv" and arr.null_count < len(arr) and pc.any(
                    pc.match_substring(arr, "\\")).as_py():
                raise NotColumnar
            arrays.append(conv(arr))
        return pa.Table.from_arrays(arrays, names=self.names)


def columnar_copy(plan: Any, ctx: Any, writer: Any) -> Any:
    """A converter if this COPY can load columnar, else None."""
    from omendb_server.index import AlexPrimaryIndex

    table = plan.table
    opts = plan.opts
    if opts.format not in ("text", "csv", "binary") or table is None or not writer.simple:
        return None
    if not hasattr(ctx.txn, "bulk"):
        return None
    if plan.target_cols != list(range(len(table.columns))):
        return None
    data = ctx.tm.table_data(table)
    if data.pk_index is not None and not isinstance(data.pk_index, AlexPrimaryIndex):
        return None
    if data.pk_index is not None and table.columns[data.pk_cols[0]].type.oid not in _INTS:
        return None
    if data.indexes:
        return None
    if opts.format == "binary":
        from omendb_server.sql.copy_binary import binary_supported

        return BinaryCopy(table) if binary_supported(table.columns) else None
    converters = [_converter(c) for c in table.columns]
    if any(c is None for c in converters):
        return None
    return ColumnarCopy(table, opts, converters)


class BinaryCopy:
    """Marker: this binary COPY decodes its chunks with sql/copy_binary.py."""

    binary = True

    def __init__(self, table: Any) -> None:
        self.table = table
        self.not_null = [c.not_null for c in table.columns]
