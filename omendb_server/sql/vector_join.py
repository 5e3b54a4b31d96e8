"""Vectorized joins with aggregation (TPC-H Q3's shape) over base + delta.

Why: the row path's hash join costs microseconds per row in Python closures and tuple
concatenation; a three-table join over millions of rows took about a minute. Here the same
join runs on column arrays (``docs/architecture.md``, "Vectorized joins").

``vector_join_aggregate`` (the planner's hook) takes a SELECT whose FROM/WHERE
``vector_join_plan.plan_joins`` accepts and whose aggregates are in VectorAggregate's subset.
``VectorJoinAggregate.rows`` joins (``vector_join_exec.run_joins``), computes the aggregates
per group with VectorAggregate's kernels into the row path's aggregate states and finalizes
them as the row ``Aggregate`` does; with an ORDER BY ... LIMIT it could take
(``vector_topk``), only the groups kept are built. ``_Fallback`` anywhere runs the saved row
plan instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql import vector_rel
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import AggSpec, Scope
from omendb_server.sql.vector_join_exec import (
    VectorOrRowPlan,
    _display,
    _first_rows,
    _Joined,
    group_ids,
    run_joins,
)
from omendb_server.sql.vector_join_plan import JoinPlan, plan_joins
from omendb_server.sql.vectorized import (
    _Checker,
    _Evaluator,
    _Unsupported,
    aggregate_args,
    seed_states,
)

Row = tuple[Any, ...]
log = logging.getLogger("omendb.executor")


class VectorJoinAggregate(VectorOrRowPlan, ops.Aggregate):
    """``operators.Aggregate`` over a join of tables, computed column-at-a-time.

    ``child`` stays the row plan (run when the vectorized attempt falls back); EXPLAIN shows
    the vectorized plan instead."""

    def __init__(self, child: ops.Operator, group_fns: list[Any], aggs: list[AggSpec],
                 grouped: bool, plan: JoinPlan, group_cols: list[int],
                 arg_nodes: list[exp.Expression | None], consts: dict[int, Any]) -> None:
        super().__init__(child, group_fns, aggs, grouped)
        self.plan = plan
        self.group_cols = group_cols
        self.arg_nodes = arg_nodes
        self.consts = consts
        self.display = _display(plan)
        #: ORDER BY ... LIMIT over the groups, when the planner could push it here
        self.top: Any = None
        #: why the last run used the row plan (None: it ran vectorized), for EXPLAIN ANALYZE
        self.fallback_reason: str | None = None
        #: EXPLAIN shows the row plan (set by explain_path for one EXPLAIN)
        self.row_path = False

    def title(self) -> str:
        return ("HashAggregate" if self.grouped else "Aggregate") + (
            "" if self.row_path else " (vectorized)")

    def children(self) -> list[ops.Operator]:
        return [self.child if self.row_path else self.display]

    def row_plan_rows(self, ctx: ExecContext) -> Iterator[Row]:
        return ops.Aggregate.rows(self, ctx)

    def _run(self, ctx: ExecContext) -> list[Row]:
        from omendb_server.sql import vector_kernels as K

        joined = run_joins(ctx, self.plan, self.display)
        n = joined.n
        log.debug("vectorized join of %d tables: %d joined rows, %d delta rows read",
                  len(self.plan.items), n, sum(r.n - r.nb for r in joined.rels if r is not None))
        ev = _Evaluator(joined, self.plan.scope, ctx, self.consts)  # type: ignore[arg-type]
        if self.group_cols:
            gid, n_groups = group_ids([joined.column(i) for i in self.group_cols], n)
        else:
            gid, n_groups = np.zeros(n, dtype=np.int64), 1
        mask = np.ones(n, dtype=np.bool_)
        counts = K.group_count(gid, mask, n_groups)
        present = np.arange(n_groups if (n or not self.grouped) else 0, dtype=np.int64)
        first = _first_rows(gid, n_groups)
        if self.top is not None and len(present) > 1:
            present = self.top.select(ctx, self, joined, ev, gid, n_groups, counts, first,
                                      present)
            log.debug("vectorized ORDER BY ... LIMIT: %d of %d groups built", len(present),
                      n_groups)
        states: dict[int, list[Any]] = {int(g): [ops._AggState(a) for a in self.aggs]
                                        for g in present}
        for j, (spec, arg) in enumerate(zip(self.aggs, self.arg_nodes)):
            if spec.star:
                for g in present:
                    states[int(g)][j].count = int(counts[g])
                continue
            seed_states(spec, j, ev.value(arg), gid, mask, n_groups, present, states, n, counts)
        keys = self._group_keys(joined, first[present] if len(present) else present)
        return [key + tuple(ops._final(st) for st in states[int(g)])
                for key, g in zip(keys, present)]

    def _group_keys(self, joined: _Joined, rows: np.ndarray) -> list[Row]:
        """The key values of the groups whose first joined rows are ``rows``, as the row
        path reads them (base getters, delta tuples)."""
        if not self.group_cols:
            return [()] * len(rows)
        columns = []
        for i in self.group_cols:
            k, c = self.plan.col_map[i]
            rel = joined.rels[k]
            a = joined.idx[k]
            at = rows if a is None else a[rows]
            assert rel is not None
            columns.append([rel.value(int(r), c) for r in at])
        return list(zip(*columns))


# -- the planner's entry point ----------------------------------------------------------------------
def vector_join_aggregate(planner: Any, node: exp.Select, source: ops.Operator, scope: Scope,
                          agg: Any) -> VectorJoinAggregate | None:
    """A VectorJoinAggregate for this SELECT's aggregation over joins, or None."""
    plan = plan_joins(planner, node, source, scope)
    if plan is None:
        return None
    from omendb_server.sql.qcompiler import QueryCompiler

    group_cols: list[int] = []
    for g in agg.group_exprs:
        if g.col_index is None or vector_rel.KIND_OF_TYPE.get(
                scope.columns[g.col_index].type.oid) is None:
            return None
        group_cols.append(g.col_index)
    compiler = QueryCompiler(planner, scope)
    checker = _Checker(scope, 0, lambda n: compiler.compile(n).fn, allow=lambda i: True)
    try:
        arg_nodes = aggregate_args(agg, checker)
    except (_Unsupported, errors.DBError):
        return None
    if arg_nodes is None:
        return None
    consts = dict(plan.consts)
    consts.update(checker.consts)
    plan.consts = consts
    return VectorJoinAggregate(source, [g.fn for g in agg.group_exprs], agg.aggs,
                               bool(agg.group_nodes), plan, group_cols, arg_nodes, consts)
