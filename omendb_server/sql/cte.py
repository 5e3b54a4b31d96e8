"""WITH [RECURSIVE]: common table expressions, computed once per execution.

Each CTE is planned once where the WITH appears and materialized the first time a
``CTE Scan`` reads it (the rows are kept in ``ctx.subquery_cache`` for the rest of the
execution, so a CTE referenced twice runs once, as PostgreSQL's materialized CTEs do).
A CTE whose body reads columns of an enclosing query is recomputed per scan instead.

``WITH RECURSIVE t AS (base UNION [ALL] step)``: ``RecursiveUnion`` emits the base
rows, then runs ``step`` against the previous iteration's rows (the "work table",
read by ``WorkTableScan``) until an iteration adds nothing. With UNION (not ALL) rows
already produced are dropped, which is what makes cyclic graphs terminate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import ScopeColumn
from omendb_server.sql.plan import OutputColumn, QueryPlan
from omendb_server.sql.scopes import RelScope, boundary

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Row = tuple[Any, ...]


def hashable(row: Row) -> Row:
    """Rows as dict/set keys: arrays (lists) and dicts become tuples."""
    for v in row:
        if isinstance(v, (list, dict)):
            return tuple(_freeze(x) for x in row)
    return row


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        bounds = getattr(v, "lbounds", None)  # '[0:1]={1,2}' is not '{1,2}'
        return ("\x00a",) + (("\x00b", bounds) if bounds else ()) + tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return ("\x00d",) + tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


@dataclass
class CteDef:
    name: str
    columns: list[OutputColumn] = field(default_factory=list)
    root: ops.Operator | None = None
    #: Recompute on every scan (the body reads an enclosing query's row).
    correlated: bool = False
    #: While planning a recursive term: scans of the name read the work table.
    worktable: bool = False
    #: Set once some scan has shown the CTE's plan in EXPLAIN.
    shown: bool = False


class CteScan(ops.Operator):
    label = "CTE Scan"

    def __init__(self, cte: CteDef, alias: str) -> None:
        self.cte = cte
        self.alias = alias
        self.show_plan = not cte.shown
        cte.shown = True

    def title(self) -> str:
        name = self.cte.name
        return f"CTE Scan on {name}" + (f" {self.alias}" if self.alias != name else "")

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        cte = self.cte
        assert cte.root is not None
        if cte.correlated:
            yield from list(cte.root.rows(ctx))
            return
        cached = ctx.subquery_cache.get(id(cte))
        if cached is None:
            cached = ctx.subquery_cache[id(cte)] = list(cte.root.rows(ctx))
        yield from cached

    def subplans(self) -> list[tuple[str, ops.Operator]]:
        if self.show_plan and self.cte.root is not None:
            return [(f"CTE {self.cte.name}", self.cte.root)]
        return []


class WorkTableScan(ops.Operator):
    label = "WorkTable Scan"

    def __init__(self, cte: CteDef, alias: str) -> None:
        self.cte = cte
        self.alias = alias

    def title(self) -> str:
        return f"WorkTable Scan on {self.cte.name}" + (
            f" {self.alias}" if self.alias != self.cte.name else "")

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        yield from ctx.subquery_cache.get(("wt", id(self.cte)), ())


class RecursiveUnion(ops.Operator):
    label = "Recursive Union"

    def __init__(self, cte: CteDef, base: ops.Operator, step: ops.Operator,
                 distinct: bool) -> None:
        self.cte = cte
        self.base, self.step = base, step
        self.distinct = distinct

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        seen: set[Row] | None = set() if self.distinct else None
        key = ("wt", id(self.cte))
        work: list[Row] = []
        for row in self.base.rows(ctx):
            if seen is not None:
                h = hashable(row)
                if h in seen:
                    continue
                seen.add(h)
            work.append(row)
            yield row
        while work:
            ctx.subquery_cache[key] = work
            new: list[Row] = []
            for row in self.step.rows(ctx):
                if seen is not None:
                    h = hashable(row)
                    if h in seen:
                        continue
                    seen.add(h)
                new.append(row)
                yield row
            work = new
        ctx.subquery_cache.pop(key, None)

    def children(self) -> list[ops.Operator]:
        return [self.base, self.step]


def plan_with(planner: Planner, with_: exp.With, outer: Any) -> dict[str, CteDef]:
    """Plan every CTE of a WITH clause, in order (each sees the ones before it)."""
    frame: dict[str, CteDef] = {}
    planner.cte_frames.append(frame)
    recursive = bool(with_.args.get("recursive"))
    for cte_node in with_.expressions:
        name = cte_node.alias
        if name in frame:
            raise errors.DBError(f'WITH query name "{name}" specified more than once', "42712")
        body = cte_node.this
        alias = cte_node.args.get("alias")
        cte = CteDef(name)
        if isinstance(body, (exp.Insert, exp.Update, exp.Delete)):
            _plan_modifying(planner, cte, body, alias)
            frame[name] = cte
            continue
        if not isinstance(body, (exp.Select, exp.Union, exp.Intersect, exp.Except,
                                 exp.Values, exp.Subquery)):
            raise errors.FeatureNotSupported(
                f"statement in WITH not supported: {body.sql(dialect='postgres')[:60]}")
        if recursive and _references(body, name) and not isinstance(body, exp.Union):
            raise errors.DBError(
                f'recursive query "{name}" does not have the form non-recursive-term UNION '
                "[ALL] recursive-term", "42P19")
        if recursive and isinstance(body, exp.Union) and _references(body, name):
            _plan_recursive(planner, cte, body, alias, outer, frame)
        else:
            wrapped, used = boundary(outer)
            plan = planner.plan_query(body, wrapped)
            cte.root = plan.root
            cte.correlated = used[0]
            cte.columns = _named(planner, alias, plan.columns or [], name)
            frame[name] = cte
    return frame


class ModifyingCte(ops.Operator):
    """A data-modifying CTE (``WITH d AS (DELETE ... RETURNING ...)``): runs its
    statement once per execution and yields the RETURNING rows."""

    label = "ModifyTable"

    def __init__(self, cte: CteDef, plan: Any) -> None:
        self.cte = cte
        self.plan = plan

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        key = ("modify", id(self.cte))
        done = ctx.subquery_cache.get(key)
        if done is None:
            result = self.plan.execute(ctx)
            done = ctx.subquery_cache[key] = list(result.rows or [])
        yield from done


class RunModifyingCtes(ops.Operator):
    """Runs every data-modifying CTE of the statement (PostgreSQL executes them even
    when nothing reads them), then yields the main query's rows."""

    label = "Result"
    hidden = True

    def __init__(self, child: ops.Operator, ctes: list[ModifyingCte]) -> None:
        self.child = child
        self.ctes = ctes

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        for cte in self.ctes:
            for _ in cte.rows(ctx):
                pass
        yield from self.child.rows(ctx)

    def children(self) -> list[ops.Operator]:
        return [self.child]


def _plan_modifying(planner: Planner, cte: CteDef, body: exp.Expression,
                    alias: exp.Expression | None) -> None:
    if planner.cte_frames[:-1]:
        raise errors.FeatureNotSupported(
            "WITH clause containing a data-modifying statement must be at the top level")
    plan = planner.plan_dml(body)
    if not plan.columns:
        cte.columns = []
    else:
        cte.columns = _named(planner, alias, plan.columns, cte.name)
    cte.root = ModifyingCte(cte, plan)
    planner.modifying_ctes.append(cte.root)
    planner.volatile = True


def _named(planner: Planner, alias: exp.Expression | None, cols: list[OutputColumn],
           name: str) -> list[OutputColumn]:
    given = [c.name for c in alias.args.get("columns") or []] if alias is not None else []
    if len(given) > len(cols):
        raise errors.DBError(
            f'WITH query "{name}" has {len(cols)} columns available but {len(given)} '
            "columns specified", "42P10")
    names = planner._alias_columns(alias, [c.name for c in cols])
    return [OutputColumn(n, c.type, c.typmod) for n, c in zip(names, cols)]


def _references(node: exp.Expression, name: str) -> bool:
    return any(isinstance(t, exp.Table) and not t.db and t.name == name
               for t in node.find_all(exp.Table))


def _plan_recursive(planner: Planner, cte: CteDef, body: exp.Union,
                    alias: exp.Expression | None, outer: Any, frame: dict[str, CteDef]) -> None:
    wrapped, used = boundary(outer)
    if _references(body.this, cte.name):
        raise errors.DBError(
            f'recursive reference to query "{cte.name}" must not appear within its '
            "non-recursive term", "42P19")
    if body.args.get("order") or body.expression.args.get("order"):
        raise errors.FeatureNotSupported("ORDER BY in a recursive query is not implemented")
    base = planner.plan_query(body.this, wrapped)
    cte.columns = _named(planner, alias, base.columns or [], cte.name)
    cte.columns = [OutputColumn(c.name, T.TEXT if c.type.oid == 705 else c.type, c.typmod)
                   for c in cte.columns]
    cte.worktable = True
    frame[cte.name] = cte
    try:
        step = planner.plan_query(body.expression, wrapped)
    finally:
        cte.worktable = False
    if len(step.columns or []) != len(cte.columns):
        raise errors.SyntaxError("each UNION query must have the same number of columns")
    for i, (a, b) in enumerate(zip(cte.columns, step.columns or [])):
        if a.type.oid != b.type.oid and b.type.oid != 705:
            raise errors.DatatypeMismatch(
                f'recursive query "{cte.name}" column {i + 1} has type '
                f"{T.type_label(a.type, a.typmod)} in non-recursive term but type "
                f"{T.type_label(b.type, b.typmod)} overall",
                hint="Cast the output of the non-recursive term to the correct type.")
    distinct = bool(body.args.get("distinct", True))
    cte.root = RecursiveUnion(cte, base.root, step.root, distinct)  # type: ignore[arg-type]
    cte.correlated = used[0]


def cte_source(cte: CteDef, item: exp.Table) -> tuple[ops.Operator, RelScope]:
    """The operator and scope for a FROM reference to a CTE."""
    alias_node = item.args.get("alias")
    qual = item.alias or cte.name
    names = [c.name for c in cte.columns]
    if alias_node is not None and alias_node.args.get("columns"):
        given = [c.name for c in alias_node.args["columns"]]
        names = given + names[len(given):]
    scope = RelScope([ScopeColumn(qual, n, c.type, c.typmod)
                      for n, c in zip(names, cte.columns)])
    if cte.worktable:
        return WorkTableScan(cte, qual), scope
    return CteScan(cte, qual), scope


__all__ = ["CteDef", "CteScan", "QueryPlan", "RecursiveUnion", "cte_source", "plan_with"]
