"""``WHERE [NOT] EXISTS (SELECT ... WHERE inner.a = outer.b AND ...)`` as a hash semi-join
(anti-join for NOT EXISTS), as PostgreSQL plans it, instead of re-running the subquery
for every outer row.

Only simple subqueries are rewritten: one SELECT with FROM, no aggregates, grouping,
windows, DISTINCT, LIMIT/OFFSET or WITH, whose WHERE conjuncts are either equalities
between an expression of the subquery's own columns and one of the outer query's
columns, or conditions on the subquery's columns alone. Everything else keeps the
correlated-subquery path. NULL keys never match: EXISTS is then false and NOT EXISTS
true, exactly what the subquery would have said.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql.context import ExecContext
from omendb_server.sql.cte import hashable
from omendb_server.sql.expr import Fn, Scope
from omendb_server.sql.scopes import RelScope

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Row = tuple[Any, ...]


class HashSemiJoin(ops.Operator):
    def __init__(self, left: ops.Operator, right: ops.Operator, lkeys: list[Fn],
                 rkeys: list[Fn], anti: bool) -> None:
        self.left, self.right = left, right
        self.lkeys, self.rkeys = lkeys, rkeys
        self.anti = anti

    def title(self) -> str:
        return "Hash Anti Join" if self.anti else "Hash Semi Join"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        rk = self.rkeys
        keys: set[Any] = set()
        for row in self.right.rows(ctx):
            key = tuple(f(row, ctx) for f in rk)
            if None not in key:
                keys.add(hashable(key))
        lk = self.lkeys
        anti = self.anti
        for row in self.left.rows(ctx):
            key = tuple(f(row, ctx) for f in lk)
            hit = None not in key and hashable(key) in keys
            if hit != anti:
                yield row

    def children(self) -> list[ops.Operator]:
        return [self.left, self.right]


def _simple(sub: exp.Expression) -> bool:
    if not isinstance(sub, exp.Select) or sub.args.get("from_") is None and \
            sub.args.get("from") is None:
        return False
    for key in ("group", "having", "limit", "offset", "distinct", "with_", "with", "windows",
                "locks", "qualify"):
        if sub.args.get(key):
            return False
    from_ = sub.args.get("from_") or sub.args.get("from")
    items = [from_.this] + [j.this for j in sub.args.get("joins") or []]
    if not all(isinstance(i, exp.Table) and isinstance(i.this, exp.Identifier) for i in items):
        return False  # derived tables/functions could read the outer query: keep SubPlan
    for j in sub.args.get("joins") or []:
        side = (j.args.get("side") or "").lower()
        if side in ("left", "right", "full") or j.args.get("using") or j.args.get("method"):
            return False
    from omendb_server.sql.expr import AGGREGATES, ExprCompiler

    return not any(isinstance(x, (exp.Window, exp.AggFunc, exp.Subquery, exp.Exists)) or
                   isinstance(x, (exp.Func, exp.Anonymous)) and
                   ExprCompiler._func_name(x) in AGGREGATES
                   for e in sub.expressions for x in e.walk())


def _local(node: exp.Expression, scope: Scope) -> bool | None:
    """True if every column resolves in ``scope``, False if none does, None if mixed
    or unresolvable here."""
    hits = set()
    for col in node.find_all(exp.Column):
        try:
            if col.table and not scope.has_qualifier(col.table):
                hits.add(False)
                continue
            hits.add(scope.find(col.name, col.table or None) is not None)
        except errors.DBError:
            return None
    if len(hits) != 1:
        return None if hits else True
    return hits.pop()


def rewrite_exists(planner: Planner, source: ops.Operator, scope: RelScope,
                   cond: exp.Expression | None, outer: Scope | None
                   ) -> tuple[ops.Operator, exp.Expression | None]:
    """Turn top-level [NOT] EXISTS conjuncts of ``cond`` into semi/anti joins over
    ``source``; returns the new source and what is left of the condition."""
    if cond is None:
        return source, None
    from omendb_server.sql.joins import _conjuncts, _pushable, plan_from
    from omendb_server.sql.qcompiler import QueryCompiler

    rest: list[exp.Expression] = []
    for c in _conjuncts(cond):
        node, anti = c, False
        if isinstance(node, exp.Not):
            node, anti = node.this, True
            while isinstance(node, exp.Paren):
                node = node.this
        if not isinstance(node, exp.Exists) or not _simple(node.this):
            rest.append(c)
            continue
        sub = node.this
        try:
            inner_op, inner_scope = plan_from(
                planner, sub.args.get("from_") or sub.args.get("from"),
                sub.args.get("joins") or [], outer)
        except errors.DBError:
            rest.append(c)
            continue
        if any(j.args.get("on") is not None and _local(j.args["on"], inner_scope) is not True
               for j in sub.args.get("joins") or []):
            rest.append(c)
            continue
        where = sub.args.get("where")
        pairs: list[tuple[exp.Expression, exp.Expression]] = []
        local: list[exp.Expression] = []
        ok = where is not None
        for w in _conjuncts(where.this) if where is not None else []:
            if not _pushable(w):
                ok = False
                break
            side = _local(w, inner_scope)
            if side is True:
                local.append(w)
                continue
            if isinstance(w, exp.EQ):
                a, b = w.this, w.expression
                la, lb = _local(a, inner_scope), _local(b, inner_scope)
                if la is True and lb is False and _local(b, scope) is True:
                    pairs.append((a, b))
                    continue
                if lb is True and la is False and _local(a, scope) is True:
                    pairs.append((b, a))
                    continue
            ok = False
            break
        if not ok or not pairs:
            rest.append(c)
            continue
        inner_scope.outer = outer
        icomp = QueryCompiler(planner, inner_scope)
        if local:
            inner_op = planner._filter(inner_op, inner_scope,
                                       local[0] if len(local) == 1 else exp.and_(*local), icomp)
        ocomp = QueryCompiler(planner, scope)
        lkeys, rkeys = [], []
        for inner_expr, outer_expr in pairs:
            ik, ok_ = ocomp.compare_pair(icomp.compile(inner_expr), ocomp.compile(outer_expr))
            rkeys.append(ik.fn)
            lkeys.append(ok_.fn)
        text = " AND ".join(f"({o.sql(dialect='postgres')} = {i.sql(dialect='postgres')})"
                            for i, o in pairs)
        source = HashSemiJoin(source, inner_op, lkeys, rkeys, anti).explain(
            f"Hash Cond: {text}")
    if not rest:
        return source, None
    return source, rest[0] if len(rest) == 1 else exp.and_(*rest)
