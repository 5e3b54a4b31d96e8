"""Plan time of the vectorized join: which joins of a SELECT run vectorized, and how.

Why a replay: the row planner (``joins.py``) has already chosen per-table filters, the join
order, each step's keys and residual conditions and which input each hash join builds on.
The vectorized join must make exactly the same choices to return the row path's rows in the
row path's order, so ``plan_joins`` replays ``joins.plan_from_where`` (inner/comma joins)
or ``joins.plan_from`` + ``_left_chain_where`` (outer and USING joins) from the AST and then
checks the outcome against the row tree the planner built (a left-deep chain of
``BalancedHashJoin`` / left ``HashJoin`` / ``HashOuterJoin`` over ``[Filter] SeqScan``).
Anything it does not recognize returns None: the row plan stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import join_ops, vector_rel
from omendb_server.sql import operators as ops
from omendb_server.sql.expr import Scope
from omendb_server.sql.vectorized import _Checker, _Unsupported


# -- the plan -------------------------------------------------------------------------------------
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
    if from_ is None or node.args.get("locks") or scope.outer is not None:
        return None  # (one table and no joins: the filter and top-N alone, vectorized)
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


