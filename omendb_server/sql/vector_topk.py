"""ORDER BY ... LIMIT over a vectorized aggregate's groups, decided on arrays.

Why: TPC-H Q3 keeps 10 of about 11,000 groups. Building every group's Python key and
aggregate states only for the row path's Sort to drop all but ten cost more than the join.
When every ORDER BY key is a group key or an aggregate whose per-group value the kernels
give exactly (count, sum, min, max), the groups are ordered with ``np.lexsort`` and only
the first OFFSET + LIMIT are built; the row path's Sort and Limit above then see those rows
already in order and keep them (its sort is stable, so ties come out as they would have).

Ordering is the row path's: values of one column compare as the row path's Python values do
(scaled decimals of one scale, ints, dates as days, floats without NaN, text by code point
= UTF-8 byte order), NULLs first or last as requested, ties in group order (first
appearance).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from omendb_server.sql.vectorized import Vec, _Fallback

#: Aggregates whose per-group result orders exactly like the kernel's array.
_ORDERABLE = ("count", "sum", "min", "max")


class TopK:
    """The groups an ORDER BY ... LIMIT keeps: ``keys`` are (("group", g) | ("agg", j),
    descending, nulls_first); ``limit``/``offset`` the Limit node's value functions."""

    def __init__(self, keys: list[tuple[tuple[str, int], bool, bool]], limit: Any,
                 offset: Any) -> None:
        self.keys = keys
        self.limit = limit
        self.offset = offset

    def select(self, ctx: Any, op: Any, joined: Any, ev: Any, gid: np.ndarray, n_groups: int,
               counts: np.ndarray, first: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The group ids to build, in ORDER BY order (all of ``present`` when the limit
        keeps them all or is not a plain non-negative number: the row path decides)."""
        lim = self.limit((), ctx) if self.limit is not None else None
        off = self.offset((), ctx) if self.offset is not None else 0
        if lim is None or off is None or lim < 0 or off < 0 or off + lim >= len(present):
            return present
        columns: list[np.ndarray] = [np.arange(n_groups, dtype=np.int64)]  # ties: group order
        for (kind, i), desc, nulls_first in reversed(self.keys):
            if kind == "group":
                values, valid = _group_values(joined.column(op.group_cols[i]), first)
            else:
                values, valid = _agg_values(op.aggs[i], op.arg_nodes[i], ev, gid, n_groups,
                                            counts)
            if desc:
                values = -values if values.dtype.kind == "f" else ~values
            columns.append(values)
            if valid is not None:
                columns.append(np.where(valid, 1, 0) if nulls_first else np.where(valid, 0, 1))
        order = np.lexsort(columns)
        return order[:off + lim]


def _group_values(v: Vec, first: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    valid = None if v.valid is None else v.valid[first]
    if isinstance(v.data, pa.Array):
        arr = v.data.take(pa.array(first))
        ranks = pc.rank(arr.fill_null(""), sort_keys="ascending", tiebreaker="dense")
        return np.asarray(ranks, dtype=np.int64), valid
    if not isinstance(v.data, np.ndarray):
        raise _Fallback("constant group key")
    data = v.data[first]
    if v.kind == "float":
        return data.astype(np.float64), valid
    return data.astype(np.int64), valid


def _agg_values(spec: Any, arg: exp.Expression | None, ev: Any, gid: np.ndarray,
                n_groups: int, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    from omendb_server.sql import vector_kernels as K

    if spec.star:
        return counts, None
    v = ev.value(arg)
    if v.kind == "null" or not isinstance(v.data, np.ndarray):
        raise _Fallback("ORDER BY an aggregate of a constant")
    m = np.ones(len(gid), dtype=np.bool_) if v.valid is None else v.valid
    c = counts if v.valid is None else K.group_count(gid, m, n_groups)
    if spec.name == "count":
        return c, None
    if v.kind == "float":
        data = np.asarray(v.data, dtype=np.float64)
        if spec.name == "sum":
            return K.group_sum_f64(gid, m, data, n_groups), c > 0
        lo, hi = K.group_minmax_f64(gid, m, data, n_groups)
        return (lo if spec.name == "min" else hi), c > 0
    if v.kind not in ("int", "dec", "date"):
        raise _Fallback(f"ORDER BY {spec.name} of {v.kind}")
    data = np.asarray(v.data, dtype=np.int64)
    if spec.name == "sum":
        sums, overflow = K.group_sum_i64(gid, m, data, n_groups)
        if overflow:
            raise _Fallback("sum overflow")
        return sums, c > 0
    lo, hi = K.group_minmax_i64(gid, m, data, n_groups)
    return (lo if spec.name == "min" else hi), c > 0


def top_k(op: Any, selects: list[exp.Expression], sort_keys: list[tuple[int, bool, bool]],
          limit: Any, scope: Any) -> TopK | None:
    """A TopK for ``op`` (a VectorJoinAggregate) if every sort key is a select item that is
    a group key column or an orderable aggregate call; else None."""
    keys: list[tuple[tuple[str, int], bool, bool]] = []
    for idx, desc, nulls_first in sort_keys:
        if idx >= len(selects):
            return None
        item = selects[idx]
        if isinstance(item, exp.Alias):
            item = item.this
        source = _source(op, item, scope)
        if source is None:
            return None
        keys.append((source, desc, nulls_first))
    return TopK(keys, limit.limit, limit.offset)


def _source(op: Any, item: exp.Expression, scope: Any) -> tuple[str, int] | None:
    if isinstance(item, exp.Column) and not isinstance(item.this, exp.Star):
        try:
            i = scope.find(item.name, item.table or None)
        except Exception:  # noqa: BLE001 - an ambiguous name: not ours to report
            return None
        if i is not None and i in op.group_cols:
            return "group", op.group_cols.index(i)
        return None
    for j, spec in enumerate(op.aggs):
        if getattr(spec, "node", None) is item:
            if spec.name not in _ORDERABLE or spec.distinct or spec.extra is not None:
                return None
            return "agg", j
    return None
