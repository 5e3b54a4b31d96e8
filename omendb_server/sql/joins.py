"""FROM clause planning: tables, views, CTE references, derived tables, VALUES,
functions, LATERAL, and every join form PostgreSQL has.

Join strategy: equality conjuncts that split cleanly into a left-side and a
right-side expression become hash keys (``Hash Join`` / ``Hash Left|Right|Full
Join``), the rest a residual filter; anything else is a nested loop. A right side
that reads earlier FROM items (LATERAL subqueries, functions in FROM) is re-run per
left row (``LateralJoin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import join_ops, srf
from omendb_server.sql import operators as ops
from omendb_server.sql.expr import CExpr, ExprCompiler, Scope, ScopeColumn
from omendb_server.sql.qcompiler import QueryCompiler
from omendb_server.sql.scopes import HIDDEN, RelScope, as_rel, boundary, combine

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner


def plan_from(planner: Planner, from_: exp.Expression | None, joins: list[exp.Join],
              outer: Scope | None) -> tuple[ops.Operator, RelScope]:
    """The operator tree and scope of a whole FROM clause (comma items are cross joins)."""
    if from_ is None:
        return ops.OneRow(), RelScope([], outer)
    source, scope = from_item(planner, from_.this, outer, None)
    for join in joins:
        source, scope = plan_join(planner, source, scope, join, outer)
    scope.outer = outer
    return source, scope


def _lateral_outer(left_scope: RelScope | None, outer: Scope | None) -> Scope | None:
    """The scope a LATERAL item sees as its enclosing one: the FROM items to its left."""
    if left_scope is None:
        return outer
    return RelScope(left_scope.columns, outer, left_scope.star, left_scope.hidden,
                    left_scope.aliases)


def from_item(planner: Planner, item: exp.Expression, outer: Scope | None,
              left_scope: RelScope | None) -> tuple[ops.Operator, RelScope]:
    """Plan one FROM item. Items that may read earlier FROM items (LATERAL, functions)
    are planned against ``left_scope`` and marked ``lateral`` on the returned operator."""
    if isinstance(item, exp.Lateral):
        inner = item.this
        alias = item.args.get("alias")
        lat_outer = _lateral_outer(left_scope, outer)
        if isinstance(inner, exp.Subquery):
            if alias is not None and inner.args.get("alias") is None:
                inner = inner.copy()
                inner.set("alias", alias.copy())
            op, scope = from_item(planner, inner, lat_outer, None)
        else:
            op, scope = _function_source(planner, inner, alias, item.args.get("ordinality"),
                                         lat_outer)
        op.lateral = left_scope is not None  # type: ignore[attr-defined]
        return op, scope
    if isinstance(item, exp.Unnest) or (isinstance(item, exp.Table)
                                        and isinstance(item.this, (exp.Func, exp.Anonymous))):
        fn_node = item if isinstance(item, exp.Unnest) else item.this
        ordinality: Any = item.args.get("ordinality")
        if isinstance(item, exp.Unnest):
            ordinality = item.args.get("offset") or None
        op, scope = _function_source(planner, fn_node, item.args.get("alias"), ordinality,
                                     _lateral_outer(left_scope, outer))
        op.lateral = left_scope is not None  # type: ignore[attr-defined]
        return op, scope
    if isinstance(item, exp.Table):
        op, scope = _table_source(planner, item, outer)
        return op, scope
    if isinstance(item, exp.Subquery):
        inner = item.this
        alias = item.args.get("alias")
        if isinstance(inner, exp.Values):
            if alias is None and inner.args.get("alias") is None:
                raise errors.SyntaxError("VALUES in FROM must have an alias",
                                         hint="For example, FROM (VALUES ...) [AS] foo.")
            op, scope = planner._values_source(inner, alias, outer)
            return op, as_rel(scope)
        if isinstance(inner, exp.Table) and inner.args.get("joins"):
            # a parenthesized join: (a JOIN b ON ...)
            bare = inner.copy()
            bare.set("joins", None)
            source, scope = from_item(planner, bare, outer, left_scope)
            for join in inner.args["joins"]:
                source, scope = plan_join(planner, source, scope, join, outer)
            return source, scope
        if isinstance(inner, exp.Subquery) and alias is None:
            return from_item(planner, inner, outer, left_scope)
        if alias is None or not alias.name:
            raise errors.SyntaxError("subquery in FROM must have an alias",
                                     hint="For example, FROM (SELECT ...) [AS] foo.")
        plan = planner.plan_query(inner, outer)
        name = alias.name if alias is not None and alias.name else None
        given = alias.args.get("columns") or [] if alias is not None else []
        if len(given) > len(plan.columns or []):
            raise errors.DBError(
                f'table "{name}" has {len(plan.columns or [])} columns available but '
                f"{len(given)} columns specified", "42P10")
        names = planner._alias_columns(alias, [c.name for c in plan.columns or []])
        scope = RelScope([ScopeColumn(name, n, c.type, c.typmod) for n, c in
                          zip(names, plan.columns or [])])
        return ops.SubqueryScan(plan.root), scope  # type: ignore[arg-type]
    if isinstance(item, exp.Values):
        if item.args.get("alias") is None:
            raise errors.SyntaxError("VALUES in FROM must have an alias",
                                     hint="For example, FROM (VALUES ...) [AS] foo.")
        op, scope = planner._values_source(item, item.args.get("alias"), outer)
        return op, as_rel(scope)
    raise errors.FeatureNotSupported(f"FROM item not supported yet: {item.sql()[:100]}")


def _table_source(planner: Planner, item: exp.Table, outer: Scope | None
                  ) -> tuple[ops.Operator, RelScope]:
    name = item.name
    schema = item.db or None
    alias_node = item.args.get("alias")
    if schema is None:
        cte = planner.find_cte(name)
        if cte is not None:
            return planner.cte_scan(cte, item)
    op, scope = planner._table_source(item)
    rel = as_rel(scope)
    if alias_node is not None and alias_node.args.get("columns"):
        names = planner._alias_columns(alias_node, [c.name for c in rel.columns])
        for c, n in zip(rel.columns, names):
            c.name = n
    return op, rel


def _function_args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.ExplodingGenerateSeries):
        return [node.args[k] for k in ("start", "end", "step") if node.args.get(k) is not None]
    if isinstance(node, (exp.Anonymous, exp.Unnest)):
        return list(node.expressions)
    out: list[exp.Expression] = []
    for key in node.arg_types:
        value = node.args.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, exp.Expression))
        elif isinstance(value, exp.Expression):
            out.append(value)
    return out


def function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.ExplodingGenerateSeries):
        return "generate_series"
    if isinstance(node, (exp.Unnest, exp.Explode)):
        return "unnest"
    return ExprCompiler._func_name(node)


def _function_source(planner: Planner, node: exp.Expression, alias: exp.Expression | None,
                     ordinality: Any, outer: Scope | None) -> tuple[ops.Operator, RelScope]:
    name = function_name(node)
    if name not in srf.REGISTRY:
        if isinstance(node, (exp.Func, exp.Anonymous)):
            return _scalar_function_source(planner, node, alias, name, outer)
        raise errors.FeatureNotSupported(f"FROM item not supported yet: {node.sql()[:100]}")
    comp = ExprCompiler(planner, RelScope([], outer))
    args = [comp.compile(a) for a in _function_args(node)]
    fn = srf.resolve(comp, name, args)
    alias_name = alias.name if alias is not None and alias.name else None
    default_names = [c for c, _ in fn.columns]
    if len(fn.columns) == 1 and alias_name:
        default_names = [alias_name]
    if ordinality:
        default_names.append(ordinality.name if isinstance(ordinality, exp.Identifier)
                             else "ordinality")
    given = alias.args.get("columns") or [] if alias is not None else []
    if len(given) > len(default_names):
        raise errors.DBError(
            f'table "{alias_name}" has {len(default_names)} columns available but '
            f"{len(given)} columns specified", "42P10")
    names = planner._alias_columns(alias, default_names)
    qual = alias_name or name
    types = [t for _, t in fn.columns]
    if ordinality:
        from omendb_server.sql import types as T

        types.append(T.INT8)
    scope = RelScope([ScopeColumn(qual, n, t) for n, t in zip(names, types)])
    arg_fns = [a.fn for a in fn.args]
    scan = join_ops.FunctionScan(name, arg_fns, fn.produce, bool(ordinality))
    scan.alias = qual  # type: ignore[attr-defined]
    return scan, scope


def _scalar_function_source(planner: Planner, node: exp.Expression,
                            alias: exp.Expression | None, name: str, outer: Scope | None
                            ) -> tuple[ops.Operator, RelScope]:
    """``FROM lower('X') AS t``: a scalar function is a one-row relation."""
    comp = ExprCompiler(planner, RelScope([], outer))
    ce = comp.compile(node)
    alias_name = alias.name if alias is not None and alias.name else None
    names = planner._alias_columns(alias, [alias_name or name])
    fn = ce.fn
    scope = RelScope([ScopeColumn(alias_name or name, names[0], ce.type, ce.typmod)])
    return join_ops.FunctionScan(name, [fn], lambda vals, ctx: [(vals[0],)]), scope


# -- joins ------------------------------------------------------------------------------------
def _join_kind(join: exp.Join) -> str:
    side = (join.args.get("side") or "").lower()
    kind = (join.args.get("kind") or "").lower()
    if side in ("left", "right", "full"):
        return side
    return "cross" if kind == "cross" else "inner"


def plan_join(planner: Planner, left: ops.Operator, lscope: RelScope, join: exp.Join,
              outer: Scope | None) -> tuple[ops.Operator, RelScope]:
    right, rscope = from_item(planner, join.this, outer, lscope)
    return _plan_join_with(planner, left, lscope, right, rscope, join, outer)


def _plan_join_with(planner: Planner, left: ops.Operator, lscope: RelScope,
                    right: ops.Operator, rscope: RelScope, join: exp.Join,
                    outer: Scope | None) -> tuple[ops.Operator, RelScope]:
    lateral = bool(getattr(right, "lateral", False))
    jkind = _join_kind(join)
    clash = ({c.qualifier for c in lscope.columns} & {c.qualifier for c in rscope.columns}) - {
        None, HIDDEN}
    if clash:
        raise errors.DBError(f'table name "{min(clash)}" specified more than once',
                             "42712")
    scope = combine(lscope, rscope, outer)
    lw, rw = len(lscope.columns), len(rscope.columns)
    on = join.args.get("on")
    using = [i.name for i in join.args.get("using") or []]
    natural = str(join.args.get("method") or "").upper() == "NATURAL"
    if natural:
        rnames = {rscope.columns[i].name for i in rscope.star}
        using = []
        for i in lscope.star:
            n = lscope.columns[i].name
            if n in rnames and n not in using:
                using.append(n)
        if not using:  # no common columns: every pair matches
            if jkind == "inner":
                jkind = "cross"
            else:
                on = exp.Boolean(this=True)
    if lateral and jkind in ("right", "full"):
        raise errors.DBError("The combining JOIN type must be INNER or LEFT for a LATERAL "
                             "reference.", "42P10")
    if using:
        return _join_using(planner, left, right, lscope, rscope, scope, using, jkind, lateral)
    if on is None:
        if jkind not in ("cross", "inner"):
            raise errors.SyntaxError("syntax error at end of input")
        if lateral:
            return join_ops.LateralJoin(left, right, None, "cross", lw, rw), scope
        return ops.NestedLoopJoin(left, right, None, "cross", lw, rw), scope
    comp = QueryCompiler(planner, scope)
    on_text = on.sql(dialect="postgres")
    if lateral:
        pred = comp.boolean(on, "JOIN/ON").fn
        return join_ops.LateralJoin(left, right, pred, jkind, lw, rw).explain(
            f"Join Filter: ({on_text})"), scope
    conjuncts = list(on.flatten()) if isinstance(on, exp.And) else [on]
    lkeys: list[Any] = []
    rkeys: list[Any] = []
    rest: list[exp.Expression] = []
    lcomp = ExprCompiler(planner, RelScope(lscope.columns, outer, lscope.star, lscope.hidden,
                                           lscope.aliases))
    rcomp = ExprCompiler(planner, RelScope(rscope.columns, outer, rscope.star, rscope.hidden,
                                           rscope.aliases))
    for c in conjuncts:
        handled = False
        while isinstance(c, exp.Paren):
            c = c.this
        if isinstance(c, exp.EQ) and not isinstance(c.expression, (exp.Any, exp.All)):
            for a, b in ((c.this, c.expression), (c.expression, c.this)):
                if not (_refs_only(a, lscope) and _refs_only(b, rscope)):
                    continue
                try:
                    la = lcomp.compile(a)
                    rb = rcomp.compile(b)
                    la, rb = lcomp.compare_pair(la, rb)
                except errors.DBError:
                    continue
                lkeys.append(_hash_key(la))
                rkeys.append(_hash_key(rb))
                handled = True
                break
        if not handled:
            rest.append(c)
    if lkeys:
        residual = None
        if rest:
            cond = rest[0]
            for r in rest[1:]:
                cond = exp.And(this=cond, expression=r)
            residual = comp.boolean(cond, "JOIN/ON").fn
        if jkind in ("right", "full"):
            op: ops.Operator = join_ops.HashOuterJoin(left, right, lkeys, rkeys, residual,
                                                      jkind, lw, rw)
        elif jkind == "left":
            op = ops.HashJoin(left, right, lkeys, rkeys, residual, "left", lw, rw)
        else:
            op = join_ops.BalancedHashJoin(left, right, lkeys, rkeys, residual, "inner", lw, rw)
        return op.explain(f"Hash Cond: ({on_text})"), scope
    if jkind == "full":
        if on.find(exp.Column) is None:
            # a constant condition (ON false, ON true): PostgreSQL evaluates it as a one-time
            # filter; a key-less hash full join with the condition as residual is the same
            residual_fn = comp.boolean(on, "JOIN/ON").fn
            return join_ops.HashOuterJoin(left, right, [], [], residual_fn, "full", lw, rw).explain(
                f"Join Filter: ({on_text})"), scope
        raise errors.FeatureNotSupported(
            "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions")
    pred_fn = comp.boolean(on, "JOIN/ON").fn
    return ops.NestedLoopJoin(left, right, pred_fn, jkind, lw, rw).explain(
        f"Join Filter: ({on_text})"), scope


def _join_using(planner: Planner, left: ops.Operator, right: ops.Operator,
                lscope: RelScope, rscope: RelScope, scope: RelScope, using: list[str],
                jkind: str, lateral: bool) -> tuple[ops.Operator, RelScope]:
    lw, rw = len(lscope.columns), len(rscope.columns)
    pairs: list[tuple[int, int]] = []
    for name in using:
        li = lscope.find(name, None)
        if li is None:
            raise errors.UndefinedColumn(
                f'column "{name}" specified in USING clause does not exist in left table')
        ri = rscope.find(name, None)
        if ri is None:
            raise errors.UndefinedColumn(
                f'column "{name}" specified in USING clause does not exist in right table')
        pairs.append((li, lw + ri))
    comp = ExprCompiler(planner, scope)
    lkeys, rkeys = [], []
    conds = []
    merged_types = []
    for a, b in pairs:
        ca = CExpr(lambda r, c, i=a: r[i], scope.columns[a].type)
        cb = CExpr(lambda r, c, i=b - lw: r[i], scope.columns[b].type)
        ka, kb = comp.compare_pair(ca, cb)
        lkeys.append(_hash_key(ka))
        rkeys.append(_hash_key(kb))
        merged_types.append(ka.type)
        conds.append(f"({lscope.columns[a].qualifier or ''}.{lscope.columns[a].name} = "
                     f"{rscope.columns[b - lw].qualifier or ''}.{rscope.columns[b - lw].name})"
                     .replace("(.", "(").replace("= .", "= "))
    text = "Hash Cond: " + " AND ".join(conds) if len(conds) == 1 else \
        "Hash Cond: (" + " AND ".join(conds) + ")"
    if lateral:
        lk, rk_cols = lkeys, [b for _, b in pairs]
        shifted = [(lambda r, c, f=f, i=i: f(r, c) == r[i]) for f, i in zip(lk, rk_cols)]

        def pred(r: tuple, c: Any) -> bool:
            return all(p(r, c) for p in shifted)

        op: ops.Operator = join_ops.LateralJoin(left, right, pred, jkind, lw, rw)
    elif jkind in ("right", "full"):
        op = join_ops.HashOuterJoin(left, right, lkeys, rkeys, None, jkind, lw, rw).explain(text)
    else:
        join_cls = ops.HashJoin if jkind == "left" else join_ops.BalancedHashJoin
        op = join_cls(left, right, lkeys, rkeys, None,
                      "left" if jkind == "left" else "inner", lw, rw).explain(text)
    # the merged columns: left's value (INNER/LEFT), right's (RIGHT), COALESCE (FULL)
    merged: list[int] = []
    if jkind == "full":
        base = len(scope.columns)
        fns = []
        for k, (a, b) in enumerate(pairs):
            fns.append(lambda r, c, a=a, b=b: r[a] if r[a] is not None else r[b])
            scope.columns.append(ScopeColumn(HIDDEN, using[k], merged_types[k]))
            merged.append(base + k)
        op = join_ops.AppendComputed(op, fns)
    else:
        merged = [b if jkind == "right" else a for a, b in pairs]
    for k, (a, b) in enumerate(pairs):
        scope.hidden.update((a, b))
        name = using[k]
        scope.aliases[name] = [merged[k]]
    drop = {a for a, _ in pairs} | {b for _, b in pairs}
    scope.star = merged + [i for i in scope.star if i not in drop and i not in merged]
    return op, scope


def _hash_key(ce: CExpr) -> Any:
    """A join key function whose values can be dict keys (arrays are lists)."""
    if ce.type.category != "A":
        return ce.fn
    from omendb_server.sql.cte import hashable

    f = ce.fn
    return lambda r, c: None if (v := f(r, c)) is None else hashable((v,))


def _refs_only(node: exp.Expression, scope: Scope) -> bool:
    """True if every column ``node`` names resolves in ``scope`` (and it names one)."""
    if any(isinstance(x, (exp.Subquery, exp.Select, exp.Exists)) for x in node.walk()):
        return False
    cols = list(node.find_all(exp.Column))
    if not cols:
        return False
    for c in cols:
        try:
            if c.table and not scope.has_qualifier(c.table):
                return False
            if scope.find(c.name, c.table or None) is None:
                return False
        except errors.DBError:
            return False
    return True


__all__ = ["boundary", "from_item", "plan_from", "plan_join"]


# -- comma joins with WHERE: filters pushed to their table, equalities as hash keys ------------
def _pushable(node: exp.Expression) -> bool:
    return not any(isinstance(x, (exp.Subquery, exp.Select, exp.Exists, exp.Window))
                   for x in node.walk())


def _items_of(node: exp.Expression, spans: list[tuple[int, int]], scope: RelScope
              ) -> set[int] | None:
    """Which FROM items the conjunct reads (by column position), or None if a name does
    not resolve cleanly here (the WHERE filter then reports it as before)."""
    used: set[int] = set()
    for col in node.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            return None
        try:
            if col.table and not scope.has_qualifier(col.table):
                return None
            idx = scope.find(col.name, col.table or None)
        except errors.DBError:
            return None
        if idx is None:
            return None  # an outer reference or an unknown name: keep it in the WHERE
        for k, (lo, hi) in enumerate(spans):
            if lo <= idx < hi:
                used.add(k)
    return used


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """``a AND (b AND c)`` → [a, b, c] (also through parentheses)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _simple_comma_from(from_: exp.Expression | None, joins: list[exp.Join]) -> bool:
    if from_ is None or not joins:
        return False
    items = [from_.this] + [j.this for j in joins]
    for j in joins:
        if j.args.get("using") or j.args.get("method") or _join_kind(j) not in ("inner", "cross"):
            return False
    return all(isinstance(i, exp.Table) and not isinstance(i.this, (exp.Func, exp.Anonymous))
               or isinstance(i, exp.Subquery) and not isinstance(i.this, exp.Values)
               for i in items)


def plan_from_where(planner: Planner, from_: exp.Expression | None, joins: list[exp.Join],
                    where: exp.Expression | None, outer: Scope | None
                    ) -> tuple[ops.Operator, RelScope, exp.Expression | None]:
    """FROM + WHERE for ``FROM a, b, c WHERE ...`` (comma/CROSS/plain inner joins): each
    conjunct that reads one table filters that table's scan (so its indexes apply), and
    equalities between tables become hash-join keys, joining tables in an order where
    each one is connected to those before it. Returns the remaining WHERE (or None).
    Other FROM shapes are planned as written, with the whole WHERE left to filter."""
    ons = [j.args["on"] for j in joins if j.args.get("on") is not None]
    if where is None and not ons or not _simple_comma_from(from_, joins):
        if where is not None and joins:
            return _left_chain_where(planner, from_, joins, where, outer)
        source, scope = plan_from(planner, from_, joins, outer)
        return source, scope, where
    assert from_ is not None
    # INNER JOIN ... ON conditions mean the same as WHERE conjuncts: pool them
    for on in ons:
        where = on if where is None else exp.and_(where, on)
    nodes = [from_.this] + [j.this for j in joins]
    planned = [from_item(planner, n, outer, None) for n in nodes]
    full = RelScope([], outer)
    spans: list[tuple[int, int]] = []
    for _, sc in planned:
        lo = len(full.columns)
        full = combine(full, sc, outer)
        spans.append((lo, len(full.columns)))
    assert where is not None
    conjuncts = _conjuncts(where)
    per_item: dict[int, list[exp.Expression]] = {}
    links: list[tuple[set[int], exp.Expression]] = []
    rest: list[exp.Expression] = []
    for c in conjuncts:
        items = _items_of(c, spans, full) if _pushable(c) else None
        if items is None or not items:
            rest.append(c)
        elif len(items) == 1:
            per_item.setdefault(next(iter(items)), []).append(c)
        else:
            links.append((items, c))
    # filter each table's scan by its own conjuncts
    ops_: list[ops.Operator] = []
    for k, (op, sc) in enumerate(planned):
        conds = per_item.get(k)
        if conds:
            cond = conds[0] if len(conds) == 1 else exp.and_(*conds)
            item_scope = RelScope(sc.columns, outer, sc.star, sc.hidden, sc.aliases)
            op = planner._filter(op, item_scope, cond, QueryCompiler(planner, item_scope))
        ops_.append(op)
    # join order: FROM order, but prefer a table connected to the ones joined so far
    order = [0]
    remaining = list(range(1, len(planned)))
    while remaining:
        joined = set(order)
        pick = next((k for k in remaining
                     if any(k in items and items - {k} <= joined for items, _ in links)),
                    remaining[0])
        order.append(pick)
        remaining.remove(pick)
    acc_op = ops_[order[0]]
    acc_scope = as_rel(planned[order[0]][1])
    joined = {order[0]}
    pending = list(links)
    for k in order[1:]:
        sc = planned[k][1]
        joined.add(k)
        now = [c for items, c in pending if items <= joined]
        pending = [(items, c) for items, c in pending if not items <= joined]
        on = None
        if now:
            on = now[0] if len(now) == 1 else exp.and_(*now)
        join = exp.Join(this=exp.Table(this=exp.to_identifier("x")))
        if on is not None:
            join.set("on", on)
        acc_op, acc_scope = _join_planned(planner, acc_op, acc_scope, ops_[k], sc, join, outer)
    rest.extend(c for _, c in pending)
    if order != sorted(order):
        # restore FROM order of the columns (what * and positions mean)
        positions: list[int] = []
        offsets: dict[int, int] = {}
        pos = 0
        for k in order:
            offsets[k] = pos
            pos += spans[k][1] - spans[k][0]
        for k in range(len(planned)):
            positions.extend(range(offsets[k], offsets[k] + spans[k][1] - spans[k][0]))
        acc_op = ops.ProjectColumns(acc_op, positions)
    full.outer = outer
    remaining_where = None
    if rest:
        remaining_where = rest[0] if len(rest) == 1 else exp.and_(*rest)
    return acc_op, full, remaining_where


def _left_chain_where(planner: Planner, from_: exp.Expression | None, joins: list[exp.Join],
                      where: exp.Expression, outer: Scope | None
                      ) -> tuple[ops.Operator, RelScope, exp.Expression | None]:
    """``FROM a LEFT JOIN b ... WHERE a.x = 1``: conjuncts that name only the first
    table (qualified, so they cannot mean another item's column) filter its scan
    before the joins; that is exact while every join keeps the left rows (INNER,
    LEFT, CROSS). The rest of the WHERE stays above the joins."""
    first = from_.this if from_ is not None else None
    if not isinstance(first, exp.Table) or isinstance(first.this, (exp.Func, exp.Anonymous)) \
            or any(_join_kind(j) in ("right", "full") for j in joins):
        source, scope = plan_from(planner, from_, joins, outer)
        return source, scope, where
    alias = first.alias_or_name
    later = _function_item_columns(joins)
    first_names: set[str] | None = None
    if later is not None:
        table = planner.catalog.find_table(first.name, first.db or None)
        first_names = {c.name for c in table.columns} if table is not None else None
    pushed: list[exp.Expression] = []
    rest: list[exp.Expression] = []
    for c in _conjuncts(where):
        cols = list(c.find_all(exp.Column))
        if cols and _pushable(c) and all(
                not isinstance(col.this, exp.Star) and (
                    col.table == alias
                    # an unqualified name only the first table has (later items are functions
                    # whose columns are known): PostgreSQL filters that table first too
                    or not col.table and first_names is not None and later is not None
                    and col.name in first_names and col.name not in later)
                for col in cols):
            pushed.append(c)
        else:
            rest.append(c)
    if not pushed:
        source, scope = plan_from(planner, from_, joins, outer)
        return source, scope, where
    op, sc = from_item(planner, first, outer, None)
    item_scope = RelScope(sc.columns, outer, sc.star, sc.hidden, sc.aliases)
    cond = pushed[0] if len(pushed) == 1 else exp.and_(*pushed)
    op = planner._filter(op, item_scope, cond, QueryCompiler(planner, item_scope))
    scope = sc
    for join in joins:
        op, scope = plan_join(planner, op, scope, join, outer)
    scope.outer = outer
    return op, scope, (rest[0] if len(rest) == 1 else exp.and_(*rest)) if rest else None


_SINGLE_COLUMN_SRFS = frozenset((
    "jsonb_object_keys", "json_object_keys", "jsonb_array_elements", "jsonb_array_elements_text",
    "json_array_elements", "json_array_elements_text", "generate_series", "regexp_split_to_table",
    "string_to_table", "generate_subscripts", "jsonb_path_query", "regexp_matches"))
_EACH_SRFS = frozenset(("jsonb_each", "jsonb_each_text", "json_each", "json_each_text"))


def _function_item_columns(joins: list[exp.Join]) -> set[str] | None:
    """Column names of the joined items when all are set-returning function calls whose
    columns are known (alias column list, or a single column named by the alias); None
    otherwise."""
    names: set[str] = set()
    for j in joins:
        item = j.this
        if isinstance(item, exp.Lateral):
            item = exp.Table(this=item.this, alias=item.args.get("alias"))
        if not (isinstance(item, exp.Table) and isinstance(item.this, (exp.Func, exp.Anonymous))):
            return None
        alias = item.args.get("alias")
        given = [c.name for c in alias.args.get("columns") or []] if alias is not None else []
        fname = item.this.name.lower() if isinstance(item.this, exp.Anonymous) else \
            item.this.sql_name().lower()
        if fname in _EACH_SRFS:
            names.update(given or ["key", "value"])
        elif fname in _SINGLE_COLUMN_SRFS:
            names.update(given or [alias.name if alias is not None and alias.name else fname])
        else:
            return None
        if item.args.get("ordinality") or (isinstance(j.this, exp.Lateral) and j.this.args.get("ordinality")):
            names.add("ordinality")
    return names


def _join_planned(planner: Planner, left: ops.Operator, lscope: RelScope,
                  right: ops.Operator, rscope: RelScope, join: exp.Join, outer: Scope | None
                  ) -> tuple[ops.Operator, RelScope]:
    """``plan_join`` for a right side that is already planned (and filtered)."""
    return _plan_join_with(planner, left, lscope, right, rscope, join, outer)
