"""Vectorized joins without aggregation: the joined rows themselves, built at the end.

Why: ``SELECT o.x, c.y FROM orders o JOIN customer c ON ... WHERE ... [ORDER BY ... LIMIT n]``
pays the row path's per-row hash-join cost for every input row even when few rows come out.
``VectorJoinRows`` replaces the row plan's FROM/WHERE subtree (the chain of hash joins and
filters ``vector_join_plan.plan_joins`` recognizes) by the vectorized join and turns only the
joined rows into tuples, and only the columns the rest of the query reads (the others are
None: nothing above reads them). With ``ORDER BY`` plain columns and ``LIMIT``, the rows
are ordered on arrays first and only OFFSET + LIMIT of them are built; the row path's Sort
above then finds them in order (its sort is stable, so ties are as they would have been).

Rows come out in the row path's order, so results are the same with or without ORDER BY.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from omendb_server.sql import operators as ops
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import Scope
from omendb_server.sql.vector_join_exec import (
    VectorOrRowPlan,
    _display,
    run_joins,
)
from omendb_server.sql.vector_join_plan import JoinPlan, plan_joins
from omendb_server.sql.vectorized import Vec, _Fallback

Row = tuple[Any, ...]
log = logging.getLogger("omendb.executor")
#: Joined rows turned into tuples per batch.
CHUNK_ROWS = 65536


class VectorJoinRows(VectorOrRowPlan, ops.Operator):
    """The joined rows of a FROM + WHERE, vectorized; ``fallback`` is the row plan."""

    def __init__(self, plan: JoinPlan, fallback: ops.Operator, needed: list[int],
                 width: int) -> None:
        self.plan = plan
        self.fallback = fallback
        self.needed = needed
        self.width = width
        self.display = _display(plan)
        #: (scope index, descending, nulls_first) keys and the Limit's value functions
        self.top: tuple[list[tuple[int, bool, bool]], Any, Any] | None = None
        #: why the last run used the row plan (None: it ran vectorized), for EXPLAIN ANALYZE
        self.fallback_reason: str | None = None
        #: EXPLAIN shows the row plan (set by explain_path for one EXPLAIN)
        self.row_path = False

    def title(self) -> str:
        return self.display.title()

    def children(self) -> list[ops.Operator]:
        return [self.fallback] if self.row_path else self.display.children()

    @property  # type: ignore[override]
    def details(self) -> list[str]:
        return [] if self.row_path else self.display.details

    @property
    def hidden(self) -> bool:  # type: ignore[override]
        """Folded away by EXPLAIN when the row plan below is what runs."""
        return self.row_path

    def row_plan_rows(self, ctx: ExecContext) -> Iterator[Row]:
        return self.fallback.rows(ctx)

    def _run(self, ctx: ExecContext) -> Iterator[Row]:
        """Join (anything that can fall back happens here, before the first row), then an
        iterator building the rows a chunk at a time (a large result is not held twice)."""
        joined = run_joins(ctx, self.plan, self.display)
        n = joined.n
        log.debug("vectorized join of %d tables: %d joined rows, %d delta rows read",
                  len(self.plan.items), n, sum(r.n - r.nb for r in joined.rels if r is not None))
        rows = np.arange(n, dtype=np.int64)
        if self.top is not None:
            rows = _top_rows(ctx, joined, self.top, rows)
        return self._build(joined, rows)

    def _build(self, joined: Any, rows: np.ndarray) -> Iterator[Row]:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            if not self.width:
                yield from [()] * len(chunk)
                continue
            nones = [None] * len(chunk)
            columns: list[list[Any]] = [nones] * self.width
            for i in self.needed:
                k, c = self.plan.col_map[i]
                rel = joined.rels[k]
                a = joined.idx[k]
                at = chunk if a is None else a[chunk]
                assert rel is not None
                columns[i] = _values(rel, at, c)
            yield from zip(*columns)


def _values(rel: Any, at: np.ndarray, c: int) -> list[Any]:
    """Column ``c`` of ``rel``'s rows ``at`` as the row path's Python values."""
    if rel.base is not None and rel.n == rel.nb and not (len(at) and at.min() < 0):
        get = rel.base.getters[c]
        return [get(p) for p in rel.pos[at].tolist()]
    value = rel.value
    return [value(r, c) for r in at.tolist()]


def _top_rows(ctx: ExecContext, joined: Any, top: tuple[list[tuple[int, bool, bool]], Any, Any],
              rows: np.ndarray) -> np.ndarray:
    keys, limit, offset = top
    lim = limit((), ctx) if limit is not None else None
    off = offset((), ctx) if offset is not None else 0
    if lim is None or off is None or lim < 0 or off < 0 or off + lim >= len(rows):
        return rows
    columns: list[np.ndarray] = [rows]  # ties: the row path's row order
    for i, desc, nulls_first in reversed(keys):
        values, valid = _sort_values(joined.column(i))
        if desc:
            values = -values if values.dtype.kind == "f" else ~values
        columns.append(values)
        if valid is not None:
            columns.append(np.where(valid, 1, 0) if nulls_first else np.where(valid, 0, 1))
    return np.lexsort(columns)[:off + lim]


def _sort_values(v: Vec) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(v.data, pa.Array):
        ranks = pc.rank(v.data.fill_null(""), sort_keys="ascending", tiebreaker="dense")
        return np.asarray(ranks, dtype=np.int64), v.valid
    if not isinstance(v.data, np.ndarray):
        raise _Fallback("constant sort key")
    if v.kind == "float":
        return v.data.astype(np.float64), v.valid
    return v.data.astype(np.int64), v.valid


def vector_join_rows(planner: Any, node: exp.Select, source: ops.Operator, scope: Scope
                     ) -> VectorJoinRows | None:
    """A VectorJoinRows for this SELECT's FROM + WHERE (no aggregation), or None."""
    reads: list[exp.Expression] = list(node.expressions)
    order = node.args.get("order")
    if order is not None:
        reads.extend(o.this for o in order.expressions)
    distinct = node.args.get("distinct")
    if distinct is not None and distinct.args.get("on") is not None:
        reads.append(distinct.args["on"])
    aliases = {e.alias for e in node.expressions if isinstance(e, exp.Alias)}
    needed: set[int] = set()
    for e in reads:
        for sub in e.walk():
            if isinstance(sub, (exp.Subquery, exp.Select, exp.Exists, exp.Window)):
                return None  # a subquery may read the whole row (correlated): row path
            if isinstance(sub, exp.Star) and not isinstance(sub.parent, exp.Column):
                needed.update(range(len(scope.columns)))
            elif isinstance(sub, exp.Column):
                if isinstance(sub.this, exp.Star):
                    needed.update(i for i, c in enumerate(scope.columns)
                                  if c.qualifier == sub.table)
                    continue
                try:
                    i = scope.find(sub.name, sub.table or None)
                except Exception:  # noqa: BLE001 - the row planner reports it
                    return None
                if i is None and not (sub.table or sub.name not in aliases):
                    continue  # ORDER BY an output column's alias
                if i is None:
                    return None
                needed.add(i)
    plan = plan_joins(planner, node, source, scope)
    if plan is None:
        return None
    return VectorJoinRows(plan, source, sorted(needed), len(scope.columns))


def push_top(op: VectorJoinRows, all_cols: list[Any], sort_keys: list[tuple[int, bool, bool]],
             limit: Any) -> None:
    """ORDER BY ... LIMIT on arrays, if every sort key is a plain column."""
    from omendb_server.sql.vector_rel import KIND_OF_TYPE

    keys = []
    for idx, desc, nulls_first in sort_keys:
        i = all_cols[idx].col_index if idx < len(all_cols) else None
        if i is None or KIND_OF_TYPE.get(op.plan.scope.columns[i].type.oid) is None:
            return  # not a plain column whose values the arrays order exactly
        keys.append((i, desc, nulls_first))
    op.top = (keys, limit.limit, limit.offset)
