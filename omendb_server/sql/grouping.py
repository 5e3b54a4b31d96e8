"""GROUP BY with GROUPING SETS / ROLLUP / CUBE, and DISTINCT ON.

Grouping sets are expanded to a list of sets over the distinct grouping expressions
(ROLLUP (a, b) → (a, b), (a), (); CUBE → every subset; several items → their cross
product, as PostgreSQL defines it). One pass over the input steps every set's group;
an expression not in a row's set reads as NULL there, and a hidden last group key
carries the set so ``GROUPING(...)`` can tell those NULLs from data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.cte import hashable
from omendb_server.sql.expr import AggSpec, CExpr, ExprCompiler, Fn
from omendb_server.sql.srf_project import GROUPING_ID

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Row = tuple[Any, ...]


@dataclass
class GroupingInfo:
    sets: list[frozenset[int]]
    texts: list[str]
    gid_position: int

    def explain_lines(self) -> list[str]:
        return [f"Group Key: {t}" for t in self.texts]


def _sets_of(item: exp.Expression) -> list[list[exp.Expression]] | None:
    """The grouping sets one GROUP BY item stands for (None: a plain expression)."""
    def elems(node: exp.Expression) -> list[exp.Expression]:
        if isinstance(node, exp.Tuple):
            return list(node.expressions)
        if isinstance(node, exp.Paren):
            return elems(node.this)
        return [node]

    if isinstance(item, exp.Rollup):
        parts = [elems(e) for e in item.expressions]
        return [list(itertools.chain.from_iterable(parts[:k])) for k in range(len(parts), -1, -1)]
    if isinstance(item, exp.Cube):
        parts = [elems(e) for e in item.expressions]
        out = []
        for mask in itertools.product([True, False], repeat=len(parts)):
            out.append(list(itertools.chain.from_iterable(
                p for p, keep in zip(parts, mask) if keep)))
        return out
    if isinstance(item, exp.GroupingSets):
        out = []
        for e in item.expressions:
            nested = _sets_of(e)
            out.extend(nested if nested is not None else [elems(e)])
        return out
    return None


def plan_group_by(planner: Planner, group: exp.Group | None, selects: list[exp.Expression],
                  compiler: ExprCompiler
                  ) -> tuple[list[exp.Expression], list[CExpr], GroupingInfo | None]:
    if group is None:
        return [], [], None
    items = [g for g in group.expressions
             if not (isinstance(g, exp.Tuple) and not g.expressions)]  # GROUP BY ()
    for key in ("grouping_sets", "rollup", "cube"):
        extra = group.args.get(key)
        if extra:
            items.extend(extra if isinstance(extra, list) else [extra])
    per_item: list[list[list[exp.Expression]]] = []
    special = False
    for it in items:
        sets = _sets_of(it)
        if sets is None:
            per_item.append([[it]])
        else:
            special = True
            per_item.append(sets)
    resolve = _group_resolver(planner, compiler)
    if not special:
        nodes = [resolve(g, selects) for g in items]
        exprs = [compiler.compile(g) for g in nodes]
        _functionally_dependent(planner, compiler, nodes, exprs)
        return nodes, exprs, None
    distinct: list[exp.Expression] = []

    def position(node: exp.Expression) -> int:
        node = resolve(node, selects)
        for i, d in enumerate(distinct):
            if d == node:
                return i
        distinct.append(node)
        return len(distinct) - 1

    sets: list[frozenset[int]] = []
    texts: list[str] = []
    for combo in itertools.product(*per_item):
        members = [position(e) for part in combo for e in part]
        sets.append(frozenset(members))
    exprs = [compiler.compile(d) for d in distinct]
    for st in sets:
        texts.append(", ".join(distinct[i].sql(dialect="postgres") for i in sorted(st)) or "()")
    gid_node = exp.Anonymous(this=GROUPING_ID, expressions=[])
    nodes = distinct + [gid_node]
    exprs.append(CExpr(lambda r, c: None, T.INT4, -1, "grouping"))
    return nodes, exprs, GroupingInfo(sets, texts, len(distinct))


def _group_resolver(planner: Planner, compiler: ExprCompiler
                    ) -> Callable[[exp.Expression, list[exp.Expression]], exp.Expression]:
    """GROUP BY name → expression. A bare name that is a column of this query's FROM
    means that column, even when an output column has the same alias (SQL99, as
    PostgreSQL resolves GROUP BY; ORDER BY prefers the alias); otherwise the output
    column's alias or position (the planner's rule)."""

    def resolve(g: exp.Expression, selects: list[exp.Expression]) -> exp.Expression:
        if isinstance(g, exp.Column) and not g.table and isinstance(g.this, exp.Identifier):
            try:
                if compiler.scope.find(g.name, None) is not None:
                    return g
            except errors.DBError:
                return g  # ambiguous among the inputs: compiling it reports that
        return planner._resolve_group_ref(g, selects)

    return resolve


def _functionally_dependent(planner: Planner, compiler: ExprCompiler,
                             nodes: list[exp.Expression], exprs: list[CExpr]) -> None:
    """Grouping by a table's primary key also groups by its other columns (PostgreSQL
    lets the select list use them): add those as extra group keys."""
    scope = compiler.scope
    grouped = {e.col_index for e in exprs if e.col_index is not None}
    by_table: dict[tuple[str | None, int], set[int]] = {}
    for i in grouped:
        col = scope.columns[i]
        if col.table_oid:
            by_table.setdefault((col.qualifier, col.table_oid), set()).add(col.attnum - 1)
    for (qualifier, oid), attnums in by_table.items():
        table = planner.catalog.tables.get(oid)
        if table is None or not table.primary_key or not set(table.primary_key) <= attnums:
            continue
        for i, col in enumerate(scope.columns):
            if col.table_oid == oid and col.qualifier == qualifier and i not in grouped:
                nodes.append(exp.Anonymous(this=f"\x00fd{i}", expressions=[]))
                exprs.append(CExpr(lambda r, c, i=i: r[i], col.type, col.typmod, col.name,
                                   source=(col.table_oid, col.attnum), col_index=i))
                grouped.add(i)


class GroupingSetsAggregate(ops.Operator):
    """Aggregates every grouping set in one pass over the input."""

    label = "MixedAggregate"

    def __init__(self, child: ops.Operator, group_fns: list[Fn], aggs: list[AggSpec],
                 sets: list[frozenset[int]]) -> None:
        self.child = child
        self.group_fns = group_fns[:-1]  # the last one is the synthetic set key
        self.aggs = aggs
        self.sets = sets

    def title(self) -> str:
        return "MixedAggregate" if frozenset() in self.sets else "HashAggregate"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        gfns = self.group_fns
        m = len(gfns)
        groups: dict[tuple, tuple[Row, list[Any]]] = {}
        masks = [[i in st for i in range(m)] for st in self.sets]
        for row in self.child.rows(ctx):
            full = tuple(f(row, ctx) for f in gfns)
            for si, mask in enumerate(masks):
                key = tuple(v if keep else None for v, keep in zip(full, mask))
                hkey = (si,) + hashable(key)
                entry = groups.get(hkey)
                if entry is None:
                    entry = groups[hkey] = (key, [ops._AggState(a) for a in self.aggs])
                for st in entry[1]:
                    ops._step(st, row, ctx)
        for si, st in enumerate(self.sets):
            if not st and not any(k[0] == si for k in groups):
                groups[(si,)] = ((None,) * m, [ops._AggState(a) for a in self.aggs])
        # emit in the order PostgreSQL's sorted grouping emits: by key, a set's subtotal
        # right after the groups it sums (absent keys sort after NULLs, NULLs after values)
        out = []
        for hkey, (key, states) in groups.items():
            st = self.sets[hkey[0]]
            order = tuple((2,) if i not in st else (1,) if v is None else (0, v)
                          for i, v in enumerate(key))
            out.append((order, key + (st,) + tuple(ops._final(s) for s in states)))
        try:
            out.sort(key=lambda x: x[0])
        except TypeError:
            pass
        for _, row in out:
            yield row

    def children(self) -> list[ops.Operator]:
        return [self.child]


class DistinctOn(ops.Operator):
    """Keeps the first row of each run of equal DISTINCT ON keys (input is sorted)."""

    label = "Unique"

    def __init__(self, child: ops.Operator, positions: list[int]) -> None:
        self.child = child
        self.positions = positions

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        pos = self.positions
        last: Any = object()
        for row in self.child.rows(ctx):
            key = tuple(row[p] for p in pos)
            if key != last:
                last = key
                yield row

    def children(self) -> list[ops.Operator]:
        return [self.child]


class DistinctRows(ops.Operator):
    """SELECT DISTINCT: first occurrence of each row (over the first ``width`` columns);
    arrays and json values compare by content."""

    label = "HashAggregate"

    def __init__(self, child: ops.Operator, width: int) -> None:
        self.child = child
        self.width = width

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        seen: set[Row] = set()
        w = self.width
        for row in self.child.rows(ctx):
            key = hashable(row[:w])
            if key not in seen:
                seen.add(key)
                yield row

    def children(self) -> list[ops.Operator]:
        return [self.child]
