"""UNION / INTERSECT / EXCEPT [ALL], with ORDER BY, LIMIT and OFFSET over the result.

Column types are resolved across the inputs as PostgreSQL does for UNION (unknown
literals adopt the other side's type, numerics widen, otherwise 42804), and each
input is cast to the resolved types. Set operations compare rows with NULLs equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.cte import hashable
from omendb_server.sql.expr import CExpr, ExprCompiler, Scope
from omendb_server.sql.plan import OutputColumn, QueryPlan

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Row = tuple[Any, ...]


class SetOp(ops.Operator):
    """INTERSECT/EXCEPT [ALL] by counting equal rows on each side."""

    label = "HashSetOp"

    def __init__(self, left: ops.Operator, right: ops.Operator, kind: str, all_: bool) -> None:
        self.left, self.right = left, right
        self.kind = kind  # intersect / except
        self.all = all_

    def title(self) -> str:
        return f"HashSetOp {self.kind.capitalize()}{' All' if self.all else ''}"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        left: dict[Row, list[Any]] = {}
        for row in self.left.rows(ctx):
            h = hashable(row)
            entry = left.get(h)
            if entry is None:
                left[h] = [row, 1]
            else:
                entry[1] += 1
        right = Counter(hashable(r) for r in self.right.rows(ctx))
        for h, (row, n) in left.items():
            m = right.get(h, 0)
            if self.kind == "intersect":
                count = min(n, m) if self.all else (1 if m else 0)
            else:
                count = max(n - m, 0) if self.all else (0 if m else 1)
            for _ in range(count):
                yield row

    def children(self) -> list[ops.Operator]:
        return [self.left, self.right]


class UniqueRows(ops.Operator):
    """UNION's duplicate removal (PostgreSQL shows a HashAggregate over the Append)."""

    label = "HashAggregate"

    def __init__(self, child: ops.Operator) -> None:
        self.child = child

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        seen: set[Row] = set()
        for row in self.child.rows(ctx):
            h = hashable(row)
            if h not in seen:
                seen.add(h)
                yield row

    def children(self) -> list[ops.Operator]:
        return [self.child]


_NAMES = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}


def _flatten_union_all(node: exp.Expression) -> list[exp.Expression]:
    """a UNION ALL b UNION ALL c → [a, b, c] (one Append, as PostgreSQL plans it)."""
    if isinstance(node, exp.Union) and not node.args.get("distinct", True) \
            and not node.args.get("order") and not node.args.get("limit") \
            and not node.args.get("offset") and not node.args.get("with_"):
        return _flatten_union_all(node.this) + _flatten_union_all(node.expression)
    return [node]


def plan_setop(planner: Planner, node: exp.Expression, outer: Scope | None) -> QueryPlan:
    word = _NAMES[type(node)]
    distinct = bool(node.args.get("distinct", True))
    if isinstance(node, exp.Union) and not distinct:
        parts = _flatten_union_all(node.this) + _flatten_union_all(node.expression)
    else:
        parts = [node.this, node.expression]
    plans = [planner.plan_query(p, outer) for p in parts]
    width = len(plans[0].columns or [])
    for p in plans[1:]:
        if len(p.columns or []) != width:
            raise errors.SyntaxError(f"each {word} query must have the same number of columns")
    comp = ExprCompiler(planner, Scope())
    types = []
    for i in range(width):
        col_types = [T.UNKNOWN if i in getattr(p, "unknown_cols", ()) else p.columns[i].type
                     for p in plans]  # type: ignore[index]
        known = [x for x in col_types if x.oid != 705]
        if not known:
            types.append(T.TEXT)
            continue
        strings = [x for x in known if T.is_string(x)]
        others = [x for x in known if not T.is_string(x)]
        if strings and others:
            a, b = known[0], next(x for x in known if T.is_string(x) != T.is_string(known[0]))
            raise errors.DatatypeMismatch(
                f"{word} types {T.type_label(a)} and {T.type_label(b)} cannot be matched")
        if known and all(T.is_string(x) for x in known) and known[0].oid != 25 \
                and not any(x.oid == 25 for x in known[:1]):
            types.append(known[0])  # e.g. varchar UNION text is varchar, as in PostgreSQL
            continue
        try:
            t = comp._unify(col_types)
        except errors.DBError:
            a, b = col_types[0], next(x for x in col_types if x.oid != col_types[0].oid)
            raise errors.DatatypeMismatch(
                f"{word} types {T.type_label(a)} and {T.type_label(b)} cannot be matched"
            ) from None
        types.append(t)
    roots: list[ops.Operator] = []
    for p in plans:
        root = p.root
        assert root is not None
        cols = p.columns or []
        if any(c.type.oid != t.oid for c, t in zip(cols, types)):
            fns = []
            for i, (c, t) in enumerate(zip(cols, types)):
                ce = CExpr(lambda r, x, i=i: r[i], c.type)
                fns.append(comp.coerce(ce, t).fn if c.type.oid != t.oid else ce.fn)
            root = ops.Project(root, fns)
        roots.append(root)
    first = plans[0].columns or []
    out_cols = []
    for i, (c, t) in enumerate(zip(first, types)):
        mods = {p.columns[i].typmod for p in plans}  # type: ignore[index]
        out_cols.append(OutputColumn(c.name, t, c.typmod if c.type.oid == t.oid and
                                     len(mods) == 1 else -1))
    if isinstance(node, exp.Union):
        op: ops.Operator = ops.Append(roots, False)
        if distinct:
            op = UniqueRows(op)
    else:
        op = SetOp(roots[0], roots[1], word.lower(), not distinct)
    order = node.args.get("order")
    if order is not None:
        keys = []
        for o in order.expressions:
            idx = planner._output_index(o.this, out_cols)
            if idx is None and isinstance(o.this, exp.Column) and not o.this.table:
                raise errors.UndefinedColumn(f'column "{o.this.name}" does not exist')
            if idx is None:
                raise errors.FeatureNotSupported(
                    "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
                    detail="Only result column names can be used, not expressions or "
                    "functions.")
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            keys.append((idx, desc, desc if nf is None else bool(nf)))
        op = ops.Sort(op, keys).explain(
            "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
    op = planner._limit(node, op, Scope(), keys if order is not None else None)
    return QueryPlan(columns=out_cols, root=op)
