"""Aggregates that belong to an enclosing query, written inside a subquery.

In ``... GROUP BY dept HAVING count(*) > (SELECT count(*) FROM p WHERE p.emp = min(e.id))``
``min(e.id)`` reads only the outer query's columns, so PostgreSQL evaluates it as an
aggregate of the *outer* query and hands its value to the subquery like an outer column.
``lift`` does the same before the subquery is planned: each such call (in the subquery's
own SELECT, not deeper) is compiled by the outer, aggregating compiler, and replaced in a
copy of the subquery by a placeholder call that ``compile_placeholder`` turns into a read
of that value from the outer row (``ctx.outer[-1]``), marking the subquery correlated.
Calls are recognised by qualified column names only (an unqualified name could be the
subquery's own column).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from omendb_server.sql.expr import AGGREGATES, CExpr, ExprCompiler

PLACEHOLDER = "omendb_outer_aggregate__"


def lift(comp: ExprCompiler, node: exp.Expression) -> exp.Expression:
    """``node`` (a Subquery/Exists/IN query) with outer-level aggregates replaced."""
    select = node.this if isinstance(node, (exp.Subquery, exp.Exists)) else node
    if not isinstance(select, exp.Select) or comp.agg is None or comp.agg.input is None:
        return node
    outer_aliases = {c.qualifier for c in comp.agg.input.scope.columns if c.qualifier}
    copy = node.copy()
    sel = copy.this if isinstance(copy, (exp.Subquery, exp.Exists)) else copy
    inner_aliases = _from_aliases(sel)
    registry = _registry(comp)
    changed = False
    for call in list(sel.find_all(exp.Func, exp.Anonymous)):
        if ExprCompiler._func_name(call) not in AGGREGATES or call.find_ancestor(exp.Select) is not sel:
            continue
        cols = list(call.find_all(exp.Column))
        if not cols or not all(c.table and c.table in outer_aliases and c.table not in inner_aliases
                               for c in cols):
            continue
        name = f"{PLACEHOLDER}{len(registry)}"
        registry[name] = comp.compile(call.copy())
        call.replace(exp.Anonymous(this=name, expressions=[]))
        changed = True
    return copy if changed else node


def _from_aliases(select: exp.Select) -> set[str]:
    items = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        items.append(from_.this)
    items += [j.this for j in select.args.get("joins") or []]
    return {i.alias_or_name for i in items if hasattr(i, "alias_or_name")}


def _registry(comp: ExprCompiler) -> dict[str, CExpr]:
    reg = getattr(comp.planner, "outer_aggregates", None)
    if reg is None:
        reg = {}
        comp.planner.outer_aggregates = reg
    return reg


def compile_placeholder(comp: ExprCompiler, name: str) -> CExpr:
    """The subquery's read of a lifted aggregate: the outer row's value."""
    from omendb_server.sql.scopes import Boundary

    ce = _registry(comp)[name]
    scope: Any = comp.scope
    while scope is not None:  # the subquery reads its enclosing row: correlated
        if isinstance(scope, Boundary):
            scope.used[0] = True
            break
        scope = scope.outer
    comp.correlated = True
    f = ce.fn
    return CExpr(lambda r, c: f(c.outer[-1], c), ce.type, ce.typmod, ce.name)
