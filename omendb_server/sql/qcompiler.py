"""The expression compiler as the SELECT planner uses it.

``expr.ExprCompiler`` compiles scalar expressions; a query's select list can also hold
things that only make sense at query level: window calls (``f() OVER (...)``),
``GROUPING(...)`` under GROUPING SETS, and set-returning functions. This subclass
hands those to the planner's collectors and otherwise defers to the base class, so
expression compilation itself stays in one place.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import types as T
from omendb_server.sql.expr import AggContext, CExpr, ExprCompiler, Scope


class QueryCompiler(ExprCompiler):
    def __init__(self, planner: Any, scope: Scope, agg: AggContext | None = None, *,
                 windows: Any = None, grouping: Any = None, srfs: Any = None,
                 clause: str = "WHERE") -> None:
        super().__init__(planner, scope, agg)
        #: window.WindowPlanner collecting this SELECT's window calls (None: not allowed).
        self.windows = windows
        #: planner.GroupingInfo when the query has GROUPING SETS/ROLLUP/CUBE.
        self.grouping = grouping
        #: planner.SrfCollector when set-returning functions are allowed here.
        self.srfs = srfs
        self.clause = clause

    def compile(self, node: exp.Expression) -> CExpr:
        if self.srfs is not None and self.srfs.is_srf(node):
            return self.srfs.compile(node, self)
        return super().compile(node)

    def _c_Window(self, node: exp.Window) -> CExpr:
        if self.windows is None:
            raise errors.DBError(f"window functions are not allowed in {self.clause}", "42P20")
        return self.windows.compile(node, self)

    def _c_Grouping(self, node: exp.Expression) -> CExpr:
        if self.agg is None:
            raise errors.GroupingError(
                f"grouping operations are not allowed in {self.clause}")
        args = list(node.expressions)
        positions = []
        for a in args:
            found = None
            for i, g in enumerate(self.agg.group_nodes):
                if a == g:
                    found = i
                    break
            if found is None:
                raise errors.GroupingError(
                    "arguments to GROUPING must be grouping expressions of the associated "
                    "query level")
            positions.append(found)
        if self.grouping is None:
            return CExpr(lambda r, c: 0, T.INT4, -1, "grouping")
        gid_pos = self.grouping.gid_position
        width = len(positions)

        def grouping(r: tuple, c: Any) -> int:
            present = r[gid_pos]
            v = 0
            for k, p in enumerate(positions):
                if p not in present:
                    v |= 1 << (width - 1 - k)
            return v

        return CExpr(grouping, T.INT4, -1, "grouping")

    def _c_Subquery(self, node: exp.Subquery) -> CExpr:
        ce = super()._c_Subquery(node)
        plan = getattr(self.planner, "last_subquery", None)
        if plan is not None and plan.columns:
            ce.name = plan.columns[0].name
        return ce
