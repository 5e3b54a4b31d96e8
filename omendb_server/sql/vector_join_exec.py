"""Run time of the vectorized join: table snapshots → joined row indexes, and EXPLAIN nodes.

``run_joins`` turns a ``JoinPlan`` into a ``_Joined`` — one row-index array per table into
that table's ``vector_rel.Rel`` (-1 = the NULLs of an outer join) — step by step in the row
path's row order; ``VectorJoinAggregate`` and ``VectorJoinRows`` read columns through it.
``VectorNode`` is the EXPLAIN-only tree of the vectorized plan, whose actual rows and times
the run records.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omendb_server.sql import operators as ops
from omendb_server.sql import vector_rel
from omendb_server.sql.context import ExecContext
from omendb_server.sql.vector_hashjoin import join_indices, outer_pairs
from omendb_server.sql.vector_join_plan import JoinPlan, _sql
from omendb_server.sql.vectorized import MIN_BASE_ROWS, Vec, _Evaluator, _Fallback

Row = tuple[Any, ...]
log = logging.getLogger("omendb.executor")


class VectorNode(ops.Operator):
    """EXPLAIN-only node of a vectorized plan; its actual rows/time are recorded by the
    vectorized run (``rows`` is never called)."""

    def __init__(self, title: str, children: list[ops.Operator], details: list[str]) -> None:
        self._title = title
        self._children = children
        self.details = details
        self.actual_rows = 0
        self.actual_ms = 0.0
        self.loops = 0

    def title(self) -> str:
        return self._title

    def children(self) -> list[ops.Operator]:
        return self._children

    def record(self, rows: int, started: float) -> None:
        self.loops += 1
        self.actual_rows += rows
        self.actual_ms += (time.perf_counter() - started) * 1000



# -- the operator ----------------------------------------------------------------------------------
class _Joined:
    """Columns of the joined rows: one row-index array per joined table (None: every row
    of that table's Rel, in order), gathered when an expression reads a column."""

    def __init__(self, plan: JoinPlan, rels: list[vector_rel.Rel | None],
                 idx: dict[int, np.ndarray | None], n: int) -> None:
        self.plan = plan
        self.rels = rels
        self.idx = idx
        self.n = n
        self._cache: dict[int, Vec] = {}

    def column(self, i: int, type_oid: int = 0) -> Vec:
        v = self._cache.get(i)
        if v is None:
            k, c = self.plan.col_map[i]
            rel = self.rels[k]
            a = self.idx.get(k, "missing")
            if rel is None or isinstance(a, str):
                raise _Fallback("a column of a table not joined yet")
            if a is None:
                v = rel.vec(c)
            elif len(a) and a.min() < 0:  # NULLs of a LEFT join
                v = vector_rel.take_nullable(rel.vec(c), a)
            elif rel.base is not None and rel.n == rel.nb:
                v = vector_rel.take(rel.base_vec(c), rel.pos[a])  # one gather from the base
            else:
                v = vector_rel.take(rel.vec(c), a)
            self._cache[i] = v
        return v

    def extend(self, rows: np.ndarray, item: int, item_rows: np.ndarray) -> _Joined:
        """These joined rows (``rows``, in this order), each paired with row ``item_rows``
        of table ``item`` (-1: none, the NULLs of a LEFT join)."""
        if len(rows) and rows.min() < 0:  # RIGHT/FULL: rows with no left partner
            missing = rows < 0
            idx = {k: (rows if a is None else np.where(missing, -1, a[np.where(missing, 0, rows)]
                                                       if len(a) else -1))
                   for k, a in self.idx.items()}
        else:
            idx = {k: (rows if a is None else a[rows]) for k, a in self.idx.items()}
        idx[item] = item_rows
        return _Joined(self.plan, self.rels, idx, len(rows))

    def keep(self, mask: np.ndarray) -> _Joined:
        sel = np.flatnonzero(mask)
        idx = {k: (sel if a is None else a[sel]) for k, a in self.idx.items()}
        return _Joined(self.plan, self.rels, idx, len(sel))


def _first_rows(gid: np.ndarray, n_groups: int) -> np.ndarray:
    """The first row of each group (groups are numbered by first appearance)."""
    first = np.full(n_groups, -1, dtype=np.int64)
    first[gid[::-1]] = np.arange(len(gid) - 1, -1, -1, dtype=np.int64)
    return first


def _visible_upper_bound(ctx: ExecContext, plan: JoinPlan) -> int:
    total = 0
    for it in plan.items:
        data = ctx.tm.tables.get(it.table.oid)
        if data is not None:
            total += data.row_count_hint()
    return total


class VectorOrRowPlan:
    """The run-time choice of a vectorized join operator: its ``_run`` (which raises
    ``_Fallback`` before the first row if it cannot go on), or the row plan it replaces
    (``row_plan_rows``) for small tables and fallbacks; EXPLAIN shows what will run."""

    plan: JoinPlan
    row_path: bool
    fallback_reason: str | None

    def _run(self, ctx: ExecContext) -> Iterator[Row]:
        raise NotImplementedError

    def row_plan_rows(self, ctx: ExecContext) -> Iterator[Row]:
        raise NotImplementedError

    def explain_path(self, ctx: ExecContext) -> None:
        """EXPLAIN: show the row plan when this execution will run it (small tables)."""
        self.row_path = _visible_upper_bound(ctx, self.plan) < MIN_BASE_ROWS

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        if _visible_upper_bound(ctx, self.plan) < MIN_BASE_ROWS:
            self.fallback_reason = f"fewer than {MIN_BASE_ROWS} rows"
            yield from self.row_plan_rows(ctx)
            return
        try:
            out = self._run(ctx)
        except _Fallback as why:
            log.debug("vectorized join fell back to the row path: %s", why)
            self.fallback_reason = str(why)
            yield from self.row_plan_rows(ctx)
            return
        self.fallback_reason = None
        yield from out


def run_joins(ctx: ExecContext, plan: JoinPlan, display: VectorNode | None = None) -> _Joined:
    """The joined rows (after every step's residual and the remaining WHERE)."""
    scans = _scan_nodes(display)
    steps = _step_nodes(display)
    rels: list[vector_rel.Rel | None] = [None] * len(plan.items)
    for k in plan.order:
        started = time.perf_counter()
        it = plan.items[k]
        rels[k] = vector_rel.scan(ctx, it.table, it.scope, it.cond, it.pred, it.consts)
        if scans:
            scans[k].record(rels[k].n, started)  # type: ignore[union-attr]
    first = plan.order[0]
    joined = _Joined(plan, rels, {first: None}, rels[first].n)  # type: ignore[union-attr]
    for s, step in enumerate(plan.steps):
        started = time.perf_counter()
        rel = rels[step.item]
        assert rel is not None
        left = [joined.column(i) for i in step.lcols]
        right = [rel.vec(c) for c in step.rcols]
        # the row path's LEFT join (ops.HashJoin) always hashes its right input
        li, ri = join_indices(left, right, joined.n, rel.n,
                              None if step.kind == "inner" else False)
        pairs = joined.extend(li, step.item, ri)
        if step.residual is not None:
            ev = _Evaluator(pairs, plan.scope, ctx, plan.consts)  # type: ignore[arg-type]
            keep = ev.boolean(step.residual).true()
            li, ri = li[keep], ri[keep]
            pairs = joined.extend(li, step.item, ri)
        if step.kind != "inner":
            li, ri = outer_pairs(li, ri, joined.n, rel.n, step.kind)
            pairs = joined.extend(li, step.item, ri)
        joined = pairs
        if plan.where is not None and s == len(plan.steps) - 1:
            ev = _Evaluator(joined, plan.scope, ctx, plan.consts)  # type: ignore[arg-type]
            joined = joined.keep(ev.boolean(plan.where).true())
        if steps:
            steps[s].record(joined.n, started)
    return joined


def group_ids(vecs: list[Vec], n: int) -> tuple[np.ndarray, int]:
    """Dense group ids numbered in order of first appearance (the row path's dict order);
    NULL is a group of its own, as in GROUP BY."""
    combined = np.zeros(n, dtype=np.int64)
    for v in vecs:
        codes, k = _codes(v, n)
        combined = combined * (k + 1) + codes
        enc = pc.dictionary_encode(pa.array(combined))
        combined = np.asarray(enc.indices, dtype=np.int64)
    enc = pc.dictionary_encode(pa.array(combined))
    return np.asarray(enc.indices, dtype=np.int64), len(enc.dictionary)


def _codes(v: Vec, n: int) -> tuple[np.ndarray, int]:
    if isinstance(v.data, pa.Array):
        arr = v.data
    elif isinstance(v.data, np.ndarray):
        data = v.data + 0.0 if v.kind == "float" else v.data  # -0.0 and 0.0: one group
        arr = pa.array(data, mask=None if v.valid is None else ~v.valid)
    else:
        raise _Fallback("constant group key")
    if v.valid is not None and isinstance(v.data, pa.Array) and v.data.null_count != int(
            (~v.valid).sum()):
        raise _Fallback("group key validity")
    enc = pc.dictionary_encode(arr)
    k = len(enc.dictionary)
    return np.asarray(enc.indices.fill_null(k), dtype=np.int64), k


# -- EXPLAIN --------------------------------------------------------------------------------------
def _display(plan: JoinPlan) -> VectorNode:
    def scan_node(k: int) -> VectorNode:
        it = plan.items[k]
        name = it.table.name + (f" {it.alias}" if it.alias != it.table.name else "")
        details = [f"Filter: ({_sql(it.cond)})"] if it.cond is not None else []
        node = VectorNode(f"Seq Scan on {name} (vectorized)", [], details)
        node.item = k  # type: ignore[attr-defined]
        return node

    acc = scan_node(plan.order[0])
    for s, step in enumerate(plan.steps):
        details = [f"Hash Cond: {step.text}"]
        if plan.where is not None and s == len(plan.steps) - 1:
            details.append(f"Filter: ({_sql(plan.where)})")
        title = {"left": "Hash Left Join", "right": "Hash Right Join",
                 "full": "Hash Full Join"}.get(step.kind, "Hash Join")
        acc = VectorNode(f"{title} (vectorized)", [acc, scan_node(step.item)], details)
        acc.step = s  # type: ignore[attr-defined]
    return acc


def _walk(node: ops.Operator | None) -> list[VectorNode]:
    if node is None or not isinstance(node, VectorNode):
        return []
    out = [node]
    for c in node.children():
        out.extend(_walk(c))
    return out


def _scan_nodes(display: VectorNode | None) -> dict[int, VectorNode]:
    return {n.item: n for n in _walk(display) if hasattr(n, "item")}  # type: ignore[attr-defined]


def _step_nodes(display: VectorNode | None) -> dict[int, VectorNode]:
    return {n.step: n for n in _walk(display) if hasattr(n, "step")}  # type: ignore[attr-defined]


