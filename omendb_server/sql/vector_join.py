"""Vectorized inner equi-joins with aggregation (TPC-H Q3's shape) over base + delta.

Why: the row path's hash join costs microseconds per row in Python closures and tuple
concatenation; a three-table join over millions of rows took about a minute. Here the same
join runs on column arrays (``docs/architecture.md``, "Vectorized joins").

Plan time (``vector_join_aggregate``): the SELECT must be the row path's comma/INNER-join
plan over plain user tables (``joins.plan_from_where``). We replay that function's decisions
from the AST — per-table filters, join order, which conjuncts each join step receives — and
check them against the row tree the planner built (a chain of ``BalancedHashJoin`` over
``SeqScan``/``Filter`` leaves), so the vectorized plan is the row plan, columnar. Anything
else returns None and the row ``Aggregate`` is kept.

Run time (``VectorJoinAggregate.rows``): each table becomes a ``vector_rel.Rel`` (the
snapshot's rows passing its filter, in scan order), each step a ``vector_hashjoin`` join in
the row path's row order, residual conditions a mask, then the aggregates are computed per
group with VectorAggregate's kernels into the row path's aggregate states. ``_Fallback``
anywhere runs the saved row plan instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import join_ops, vector_rel
from omendb_server.sql import operators as ops
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import AggSpec, Scope
from omendb_server.sql.vector_hashjoin import join_indices, outer_pairs
from omendb_server.sql.vectorized import (
    MIN_BASE_ROWS,
    Vec,
    _Checker,
    _Evaluator,
    _Fallback,
    _Unsupported,
    aggregate_args,
    seed_states,
)

Row = tuple[Any, ...]
log = logging.getLogger("omendb.executor")


# -- the plan ------------------------------------------------------------------------------------
@dataclass
class _Item:
    """One FROM table: its single-table filter (vectorized over the base; ``pred`` is the
    row path's compiled predicate, used for delta rows)."""

    alias: str
    table: Any
    scope: Scope
    cond: exp.Expression | None = None
    pred: Any = None
    consts: dict[int, Any] = field(default_factory=dict)


@dataclass
class _Step:
    """Join the accumulated rows (left) with ``item`` (right) on column pairs, then keep
    the rows where ``residual`` (the step's other conjuncts) is true."""

    item: int
    lcols: list[int]
    rcols: list[int]
    residual: exp.Expression | None
    text: str
    #: inner, or left/right/full (the row path's HashJoin / HashOuterJoin: right side hashed)
    kind: str = "inner"


@dataclass
class JoinPlan:
    items: list[_Item]
    order: list[int]
    steps: list[_Step]
    where: exp.Expression | None  # conjuncts that read no table or were left to the WHERE
    scope: Scope  # the whole FROM clause, FROM order
    col_map: list[tuple[int, int]]  # scope index → (item, column)
    consts: dict[int, Any]


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


def _plain_table(planner: Any, item: exp.Expression) -> Any:
    if not isinstance(item, exp.Table) or isinstance(item.this, (exp.Func, exp.Anonymous)):
        return None
    if item.args.get("joins") or item.args.get("pivots"):
        return None
    schema = item.db or None
    if schema is None and planner.find_cte(item.name) is not None:
        return None
    if schema in ("pg_catalog", "information_schema"):
        return None
    return planner.catalog.find_table(item.name, schema)


def _leaf(op: ops.Operator) -> tuple[int, Any] | None:
    """(table oid, row predicate or None) of a row-plan leaf ``[Filter] SeqScan``."""
    if isinstance(op, ops.Filter) and type(op.child) is ops.SeqScan:
        return op.child.table_oid, op.pred
    if type(op) is ops.SeqScan:
        return op.table_oid, None
    return None


def _row_chain(source: ops.Operator, n_items: int) -> list[tuple[int, Any, str]] | None:
    """The row plan's leaves in join order, (table oid, row predicate, join kind), if it is
    a left-deep chain of inner BalancedHashJoins / left HashJoins over [Filter] SeqScan
    leaves, else None."""
    op = source
    if isinstance(op, ops.ProjectColumns):
        op = op.child
    leaves: list[tuple[int, Any, str]] = []
    while True:
        if type(op) is join_ops.BalancedHashJoin and op.kind == "inner":
            kind = "inner"
        elif type(op) is ops.HashJoin and op.kind == "left":
            kind = "left"
        elif type(op) is join_ops.HashOuterJoin and op.kind in ("right", "full"):
            kind = op.kind
        else:
            break
        right = _leaf(op.right)
        if right is None:
            return None
        leaves.append((*right, kind))
        op = op.left
    first = _leaf(op)
    if first is None:
        return None
    leaves.append((*first, ""))
    leaves.reverse()
    return leaves if len(leaves) == n_items else None


def _and(conds: list[exp.Expression]) -> exp.Expression | None:
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else exp.and_(*conds)


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


def plan_joins(planner: Any, node: exp.Select, source: ops.Operator, scope: Scope
               ) -> JoinPlan | None:
    """The vectorized form of this SELECT's FROM + WHERE, or None (row path)."""
    from omendb_server.sql.joins import _join_kind
    from omendb_server.sql.qcompiler import QueryCompiler

    joins = node.args.get("joins") or []
    from_ = node.args.get("from_") or node.args.get("from")
    if not joins or from_ is None or node.args.get("locks") or scope.outer is not None:
        return None
    kinds = [_join_kind(j) for j in joins]
    for j, kind in zip(joins, kinds):
        if j.args.get("method") or kind not in (
                "inner", "cross", "left", "right", "full"):
            return None
    nodes = [from_.this] + [j.this for j in joins]
    tables = [_plain_table(planner, n) for n in nodes]
    if any(t is None for t in tables):
        return None
    # the FROM scope: each table's columns, contiguous, in attribute order
    items: list[_Item] = []
    spans: list[tuple[int, int]] = []
    col_map: list[tuple[int, int]] = []
    pos = 0
    for k, (n, t) in enumerate(zip(nodes, tables)):
        alias = n.alias_or_name
        width = len(t.columns)
        cols = scope.columns[pos:pos + width]
        if len(cols) != width or any(c.qualifier != alias or c.table_oid != t.oid
                                     or c.attnum != i + 1 for i, c in enumerate(cols)):
            return None
        items.append(_Item(alias, t, Scope(list(cols))))
        spans.append((pos, pos + width))
        col_map.extend((k, i) for i in range(width))
        pos += width
    if pos != len(scope.columns):
        return None
    where = node.args.get("where")
    if any(kind in ("left", "right", "full") for kind in kinds) or any(
            j.args.get("using") for j in joins):
        shape = _chain_shape(node, items, spans, scope, joins, kinds)
    else:
        shape = _comma_shape(node, items, spans, scope, joins)
    if shape is None:
        return None
    order, per_item, step_conds, step_kinds, rest = shape
    chain = _row_chain(source.child if where is not None and isinstance(source, ops.Filter)
                       and rest else source, len(items))
    if chain is None or [oid for oid, _, _ in chain] != [items[k].table.oid for k in order] \
            or [kind for _, _, kind in chain[1:]] != step_kinds:
        return None
    consts: dict[int, Any] = {}
    compiler = QueryCompiler(planner, scope)
    checker = _Checker(scope, 0, lambda n: compiler.compile(n).fn, allow=lambda i: True)
    try:
        for k, it in enumerate(items):
            conds = per_item.get(k)
            if conds:
                it.cond = _and(conds)
                item_comp = QueryCompiler(planner, it.scope)
                item_check = _Checker(it.scope, it.table.oid,
                                      lambda n, c=item_comp: c.compile(n).fn)
                item_check.check(it.cond)
                it.consts = item_check.consts
            it.pred = chain[order.index(k)][1]
            if (it.cond is None) != (it.pred is None):
                return None
        steps: list[_Step] = []
        joined = {order[0]}
        for k, now, kind in zip(order[1:], step_conds, step_kinds):
            lcols: list[int] = []
            rcols: list[int] = []
            residual: list[exp.Expression] = []
            for c in now:
                if isinstance(c, tuple):  # JOIN ... USING: a resolved column pair
                    if not _key_types_ok(scope, *c):
                        return None
                    lcols.append(c[0])
                    rcols.append(c[1])
                    continue
                pair = _key_pair(c, spans, joined, k, scope)
                if pair is None:
                    residual.append(c)
                else:
                    lcols.append(pair[0])
                    rcols.append(pair[1])
            joined.add(k)
            if not lcols:
                return None
            text = " AND ".join(_using_text(scope, c) if isinstance(c, tuple) else _sql(c)
                                for c in now)
            # checked as built: exp.and_ copies, and constants are found by node identity
            cond = _and(residual)
            if cond is not None:
                checker.check(cond)
            steps.append(_Step(k, lcols, [col_map[i][1] for i in rcols], cond, f"({text})",
                               kind))
        final = _and(rest)
        if final is not None:
            checker.check(final)
    except (_Unsupported, errors.DBError):
        return None
    consts.update(checker.consts)
    return JoinPlan(items, order, steps, final, scope, col_map, consts)


_Shape = tuple[list[int], dict[int, list[exp.Expression]], list[list[exp.Expression]],
               list[str], list[exp.Expression]]


def _comma_shape(node: exp.Select, items: list[_Item], spans: list[tuple[int, int]],
                 scope: Scope, joins: list[exp.Join]) -> _Shape | None:
    """Inner joins, as ``joins.plan_from_where`` plans them: ON and WHERE pooled, one-table
    conjuncts filter their table, the others go to the first join step that has all
    their tables; tables joined in FROM order, preferring one connected to those before."""
    from omendb_server.sql.joins import _conjuncts, _items_of, _pushable

    pooled: list[exp.Expression] = []
    for j in joins:
        if j.args.get("on") is not None:
            pooled.extend(_conjuncts(j.args["on"]))
    where = node.args.get("where")
    if where is not None:
        pooled.extend(_conjuncts(where.this))
    per_item: dict[int, list[exp.Expression]] = {}
    links: list[tuple[set[int], exp.Expression]] = []
    rest: list[exp.Expression] = []
    for c in pooled:
        if not _pushable(c):
            return None
        used = _items_of(c, spans, scope)  # type: ignore[arg-type]
        if used is None or not used:
            rest.append(c)
        elif len(used) == 1:
            per_item.setdefault(next(iter(used)), []).append(c)
        else:
            links.append((used, c))
    order = [0]
    remaining = list(range(1, len(items)))
    while remaining:
        joined = set(order)
        pick = next((k for k in remaining
                     if any(k in used and used - {k} <= joined for used, _ in links)), None)
        if pick is None:
            return None  # a cross product: the row path's nested loop
        order.append(pick)
        remaining.remove(pick)
    step_conds: list[list[exp.Expression]] = []
    pending = list(links)
    joined = {order[0]}
    for k in order[1:]:
        joined.add(k)
        step_conds.append([c for used, c in pending if used <= joined])
        pending = [(used, c) for used, c in pending if not used <= joined]
    return order, per_item, step_conds, ["inner"] * len(step_conds), rest


def _chain_shape(node: exp.Select, items: list[_Item], spans: list[tuple[int, int]],
                 scope: Scope, joins: list[exp.Join], kinds: list[str]) -> _Shape | None:
    """INNER and outer joins in FROM order with their ON conditions, as ``joins.plan_from``
    plans them; with INNER/LEFT joins only, WHERE conjuncts naming only the first table
    (qualified) filter its scan (``joins._left_chain_where``); the rest of the WHERE is
    applied after the joins."""
    from omendb_server.sql.joins import _conjuncts, _pushable

    step_conds: list[list[Any]] = []
    hidden: set[int] = set()
    aliases: dict[str, list[int]] = {}
    for k, (j, kind) in enumerate(zip(joins, kinds), 1):
        using = [i.name for i in j.args.get("using") or []]
        if using:
            pairs = _using_pairs(scope, spans, k, using, hidden, aliases, kind)
            if pairs is None:
                return None
            step_conds.append(pairs)
            continue
        on = j.args.get("on")
        if on is None or kind == "cross":
            return None
        conds = _conjuncts(on)
        if not all(_pushable(c) for c in conds):
            return None
        step_conds.append(conds)
    per_item: dict[int, list[exp.Expression]] = {}
    rest: list[exp.Expression] = []
    where = node.args.get("where")
    if where is not None and any(kind in ("right", "full") for kind in kinds):
        rest = _conjuncts(where.this)  # no pushdown: the first table's rows may be NULLs
        if not all(_pushable(c) for c in rest):
            return None
    elif where is not None:
        alias = items[0].alias
        for c in _conjuncts(where.this):
            if not _pushable(c):
                return None
            cols = list(c.find_all(exp.Column))
            if cols and all(col.table == alias and not isinstance(col.this, exp.Star)
                            for col in cols):
                per_item.setdefault(0, []).append(c)
            else:
                rest.append(c)
    return list(range(len(items))), per_item, step_conds, kinds, rest


def _using_pairs(scope: Scope, spans: list[tuple[int, int]], k: int, using: list[str],
                 hidden: set[int], aliases: dict[str, list[int]], kind: str
                 ) -> list[tuple[int, int]] | None:
    """``JOIN t USING (a, b)``'s column pairs as ``joins._join_using`` resolves them (each
    name once among the tables before, merged USING columns included, and once in t);
    records the merged columns as it does. FULL USING adds a computed column: None."""
    if kind == "full":
        return None
    lo, hi = spans[k]
    pairs = []
    for name in using:
        left = [i for i in range(lo) if scope.columns[i].name == name and i not in hidden]
        left += aliases.get(name, [])
        right = [i for i in range(lo, hi) if scope.columns[i].name == name]
        if len(left) != 1 or len(right) != 1:
            return None
        pairs.append((left[0], right[0]))
    for (a, b), name in zip(pairs, using):
        hidden.update((a, b))
        aliases[name] = [b if kind == "right" else a]
    return pairs


def _using_text(scope: Scope, pair: tuple[int, int]) -> str:
    a, b = (scope.columns[i] for i in pair)
    return f"{a.qualifier}.{a.name} = {b.qualifier}.{b.name}"


def _key_types_ok(scope: Scope, ia: int, ib: int) -> bool:
    """Both key columns have one vector kind the join takes (char(n) only with char(n))."""
    ta, tb = scope.columns[ia].type.oid, scope.columns[ib].type.oid
    ka, kb = vector_rel.KIND_OF_TYPE.get(ta), vector_rel.KIND_OF_TYPE.get(tb)
    return ka == kb and ka in ("int", "date", "dec", "text") and (ta == 1042) == (tb == 1042)


def _key_pair(c: exp.Expression, spans: list[tuple[int, int]], left: set[int], right: int,
              scope: Scope) -> tuple[int, int] | None:
    """(left scope index, right scope index) if ``c`` is ``left_col = right_col``."""
    while isinstance(c, exp.Paren):
        c = c.this
    if not isinstance(c, exp.EQ):
        return None
    a, b = c.this, c.expression
    while isinstance(a, exp.Paren):
        a = a.this
    while isinstance(b, exp.Paren):
        b = b.this
    if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
        return None
    if isinstance(a.this, exp.Star) or isinstance(b.this, exp.Star):
        return None
    ia = scope.find(a.name, a.table or None)
    ib = scope.find(b.name, b.table or None)
    if ia is None or ib is None:
        return None

    def item_of(i: int) -> int:
        return next(k for k, (lo, hi) in enumerate(spans) if lo <= i < hi)

    if item_of(ia) == right and item_of(ib) in left:
        ia, ib = ib, ia
    if item_of(ia) not in left or item_of(ib) != right:
        return None
    return (ia, ib) if _key_types_ok(scope, ia, ib) else None


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


class VectorJoinAggregate(ops.Aggregate):
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

    def title(self) -> str:
        return ("HashAggregate" if self.grouped else "Aggregate") + " (vectorized)"

    def children(self) -> list[ops.Operator]:
        return [self.display]

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        if _visible_upper_bound(ctx, self.plan) < MIN_BASE_ROWS:
            self.fallback_reason = f"fewer than {MIN_BASE_ROWS} rows"
            yield from super().rows(ctx)
            return
        try:
            out = self._run(ctx)
        except _Fallback as why:
            log.debug("vectorized join fell back to the row path: %s", why)
            self.fallback_reason = str(why)
            yield from super().rows(ctx)
            return
        self.fallback_reason = None
        yield from out

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
