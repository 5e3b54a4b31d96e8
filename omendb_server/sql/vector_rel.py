"""One FROM item's rows as the vectorized join sees them: the row path's scan, columnar.

Why: the row path reads a table as SeqScan (live base rows visible to the snapshot, in
position order, then the visible delta versions, in delta order) under its Filter. The
vectorized join must see exactly those rows, in that order (so that its output order, float
sums and ORDER BY ties are the row path's). A ``Rel`` keeps them as

* ``pos``: the chosen base positions (the filter evaluated a column at a time over the base,
  as ``sql/vectorized.py`` does for aggregation), and
* ``delta``: the chosen delta value tuples (the row path's own compiled predicate),

and serves any column as a ``Vec`` over ``pos`` + ``delta`` on demand. Delta rows cost one
Python → Arrow conversion of the columns a query reads; a checkpointed table costs nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import Scope
from omendb_server.sql.vectorized import (
    Vec,
    _column_vec,
    _columns_of,
    _Evaluator,
    _Fallback,
)
from omendb_server.storage.segments import arrow_type, decimal_type
from omendb_server.txn.visibility import is_visible

#: The Vec kind each supported column type must have (anything else falls back): a numeric
#: kept as text (NaN, unconstrained), for instance, must not be joined or grouped as text.
KIND_OF_TYPE = {20: "int", 21: "int", 23: "int", 1700: "dec", 1082: "date", 700: "float",
                701: "float", 25: "text", 1043: "text", 1042: "text", 16: "bool"}


class Rel:
    """The rows of one FROM item a statement's snapshot sees after its single-table filter."""

    def __init__(self, table: Any, data: Any, pos: np.ndarray, delta: list[tuple[Any, ...]]
                 ) -> None:
        self.table = table  # catalog table (column types)
        self.base = data.base if data is not None else None
        self.pos = pos
        self.delta = delta
        self.nb = len(pos)
        self.n = self.nb + len(delta)
        self._vecs: dict[int, Vec] = {}

    def base_vec(self, col: int) -> Vec:
        """Column ``col`` over the whole base (cached per base by sql/vectorized.py)."""
        t = self.table.columns[col].type
        v = _columns_of(self.base).column(col, t.oid)
        if v.kind != KIND_OF_TYPE.get(t.oid):
            raise _Fallback(f"column {self.table.columns[col].name} is stored as {v.kind}")
        return v

    def vec(self, col: int) -> Vec:
        """Column ``col`` over this Rel's rows (base part, then delta part)."""
        v = self._vecs.get(col)
        if v is None:
            parts = []
            if self.nb:
                parts.append(take(self.base_vec(col), self.pos))
            if self.delta:
                parts.append(self._delta_vec(col))
            if not parts:
                parts.append(self._delta_vec(col))
            v = self._vecs[col] = parts[0] if len(parts) == 1 else concat(parts[0], parts[1])
        return v

    def _delta_vec(self, col: int) -> Vec:
        c = self.table.columns[col]
        if self.base is not None:
            at = self.base.column(col).type
        else:
            at = decimal_type(c.type, c.typmod) or arrow_type(c.type)
        values = [row[col] for row in self.delta]
        try:
            arr = pa.array(values, at)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ArithmeticError, ValueError, TypeError) as e:
            raise _Fallback(f"delta values of {c.name}: {e}") from None
        v = _column_vec(arr)
        if v.kind != KIND_OF_TYPE.get(c.type.oid):
            raise _Fallback(f"column {c.name} is stored as {v.kind}")
        v.blank_padded = c.type.oid == 1042
        return v

    def value(self, r: int, col: int) -> Any:
        """The row path's Python value of column ``col`` in row ``r`` (-1: NULL)."""
        if r < 0:
            return None
        if r < self.nb:
            return self.base.getters[col](int(self.pos[r]))
        return self.delta[r - self.nb][col]


def take(v: Vec, idx: np.ndarray) -> Vec:
    """``v`` at positions ``idx``."""
    if isinstance(v.data, pa.Array):
        data: Any = v.data.take(pa.array(idx))
    elif isinstance(v.data, np.ndarray):
        data = v.data[idx]
    else:
        data = v.data
    out = Vec(v.kind, data, None if v.valid is None else v.valid[idx], v.scale, v.int_width)
    out.bound, out.blank_padded = v.bound, v.blank_padded
    return out


def take_nullable(v: Vec, idx: np.ndarray) -> Vec:
    """``v`` at positions ``idx``, NULL where ``idx`` is -1 (a LEFT join's missing row)."""
    missing = idx < 0
    if isinstance(v.data, pa.Array):
        data: Any = v.data.take(pa.array(idx, mask=missing))
    elif isinstance(v.data, np.ndarray):
        data = v.data[np.where(missing, 0, idx)] if len(v.data) else np.zeros(
            len(idx), dtype=v.data.dtype)
    else:
        data = v.data
    valid = ~missing
    if v.valid is not None and len(v.valid):
        valid &= v.valid[np.where(missing, 0, idx)]
    out = Vec(v.kind, data, valid, v.scale, v.int_width)
    out.bound, out.blank_padded = v.bound, v.blank_padded
    return out


def concat(a: Vec, b: Vec) -> Vec:
    """``a`` followed by ``b`` (the same column: same kind and scale)."""
    if a.kind != b.kind or a.scale != b.scale:
        raise _Fallback("base and delta columns differ")
    if isinstance(a.data, pa.Array):
        data: Any = pa.concat_arrays([a.data, b.data.cast(a.data.type)])
    else:
        data = np.concatenate([a.data, np.asarray(b.data, dtype=a.data.dtype)])
    valid = None
    if a.valid is not None or b.valid is not None:
        va = a.valid if a.valid is not None else np.ones(len(a.data), dtype=np.bool_)
        vb = b.valid if b.valid is not None else np.ones(len(b.data), dtype=np.bool_)
        valid = np.concatenate([va, vb])
    out = Vec(a.kind, data, valid, a.scale, max(a.int_width, b.int_width))
    out.bound = None if a.bound is None or b.bound is None else max(a.bound, b.bound)
    out.blank_padded = a.blank_padded or b.blank_padded
    return out


class _BaseColumns:
    """Scope index → base Vec, for evaluating a single-table filter over the whole base."""

    def __init__(self, rel: Rel) -> None:
        self.rel = rel
        self.n = rel.base.n

    def column(self, i: int, type_oid: int = 0) -> Vec:
        return self.rel.base_vec(i)


def scan(ctx: ExecContext, table: Any, scope: Scope, cond: exp.Expression | None,
         pred: Any, consts: dict[int, Any]) -> Rel:
    """The Rel of ``table``: SeqScan + Filter(cond) of the row path, columnar.

    ``scope`` is the table's own scope (column i = attribute i + 1), ``pred`` the row
    path's compiled predicate for ``cond`` (applied to delta rows)."""
    data = ctx.tm.tables.get(table.oid)
    read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
    delta: list[tuple[Any, ...]] = []
    if data is not None:
        for v in list(data.delta.values()):
            if is_visible(v, read_ts, txid):
                row = v.values
                if pred is None or pred(row, ctx) is True:
                    delta.append(row)
    base = data.base if data is not None else None
    if base is None or base.n == 0:
        return Rel(table, data, np.zeros(0, dtype=np.int64), delta)
    if base.table.num_columns - 3 != len(table.columns):
        raise _Fallback("the base was written before the table's columns changed")
    rel = Rel(table, data, np.zeros(0, dtype=np.int64), delta)
    cols = _columns_of(base)
    if base.promoted == 0 and cols.max_begin() <= read_ts:
        mask = None  # every base row is live and visible
    else:
        begins = base.begins
        mask = base.live & (begins > 0) & (begins <= read_ts)
    if cond is not None:
        where = _Evaluator(_BaseColumns(rel), scope, ctx, consts).boolean(cond).true()  # type: ignore[arg-type]
        mask = where if mask is None else mask & where
    pos = np.arange(base.n, dtype=np.int64) if mask is None else np.flatnonzero(mask)
    rel.pos, rel.nb, rel.n = pos, len(pos), len(pos) + len(delta)
    return rel


def key_int64(v: Vec, scale: int) -> np.ndarray:
    """An int/date/decimal Vec as int64 join keys at decimal ``scale`` (0 for int/date)."""
    data = v.data
    if not isinstance(data, np.ndarray):
        raise _Fallback("constant join key")
    if v.kind == "dec" and v.scale != scale:
        factor = 10 ** (scale - v.scale)
        bound = v.bound if v.bound is not None else (int(np.abs(data).max()) if len(data) else 0)
        if bound > (2**62) // factor:
            raise _Fallback("join key rescale overflow")
        return data.astype(np.int64) * factor
    return data.astype(np.int64, copy=False)


def factorize_pair(a: Vec, b: Vec) -> tuple[np.ndarray, np.ndarray, int]:
    """Dense int64 codes of two Vecs' values in one code space (equal values, equal codes;
    char(n) compared without trailing blanks), and the number of codes. NULL → -1."""
    if a.kind == "text":
        x, y = a.data, b.data
        if a.blank_padded or b.blank_padded:
            x = pc.utf8_rtrim(x, characters=" ")
            y = pc.utf8_rtrim(y, characters=" ")
        both = pa.concat_arrays([x.cast(pa.string()), y.cast(pa.string())])
    else:
        both = pa.array(np.concatenate([key_int64(a, max(a.scale, b.scale)),
                                        key_int64(b, max(a.scale, b.scale))]))
    enc = pc.dictionary_encode(both)
    codes = np.asarray(enc.indices.fill_null(-1), dtype=np.int64)
    for part, v in ((slice(0, len(a.data)), a), (slice(len(a.data), None), b)):
        if v.valid is not None:
            codes[part][~v.valid] = -1
    return codes[:len(a.data)], codes[len(a.data):], len(enc.dictionary)
