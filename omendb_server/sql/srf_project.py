"""Set-returning functions in the select list (``SELECT generate_series(1, 3)``).

PostgreSQL 10+ runs all SRFs of a select list in lock-step: an input row yields as
many output rows as the longest SRF result, shorter ones padded with NULL
(``ProjectSet``). The collector registers each SRF call while the select list is
compiled; the compiled reference reads the SRF's current value from a per-execution
slot that ``ProjectSet`` fills before evaluating the row's expressions (plans are
shared between sessions, so the slot lives in the execution context).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql import srf
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr, ExprCompiler, Fn

#: Name of the synthetic group key that carries the current grouping set.
GROUPING_ID = "\x00grouping_set"


def is_srf(node: exp.Expression) -> bool:
    from omendb_server.sql.joins import function_name

    if isinstance(node, (exp.ExplodingGenerateSeries, exp.Unnest, exp.Explode)):
        return True
    return isinstance(node, (exp.Anonymous, exp.Func)) and not isinstance(node, exp.Window) \
        and function_name(node) in srf.REGISTRY


class ProjectSet(ops.Operator):
    label = "ProjectSet"

    def __init__(self, child: ops.Operator, calls: list[tuple[list[Fn], srf.Produce]],
                 fns: list[Fn], key: object) -> None:
        self.child = child
        self.calls = calls
        self.fns = fns
        self.key = key

    def rows(self, ctx: ExecContext) -> Iterator[tuple[Any, ...]]:
        cache = ctx.subquery_cache
        key = self.key
        fns = self.fns
        for row in self.child.rows(ctx):
            lists = [list(produce([f(row, ctx) for f in args], ctx))
                     for args, produce in self.calls]
            n = max((len(x) for x in lists), default=0)
            for i in range(n):
                cache[key] = [x[i] if i < len(x) else None for x in lists]
                yield tuple(f(row, ctx) for f in fns)

    def children(self) -> list[ops.Operator]:
        return [self.child]


class SrfCollector:
    def __init__(self, planner: Any) -> None:
        self.planner = planner
        self.items: list[srf.Srf] = []
        self.key = object()

    @staticmethod
    def is_srf(node: exp.Expression) -> bool:
        return is_srf(node)

    def compile(self, node: exp.Expression, comp: ExprCompiler) -> CExpr:
        from omendb_server.sql.joins import _function_args, function_name

        name = function_name(node)
        outer_srfs, comp.srfs = comp.srfs, None  # type: ignore[attr-defined]
        try:
            arg_nodes = _function_args(node)
            if any(is_srf(x) for a in arg_nodes for x in a.walk()):
                raise errors.FeatureNotSupported(
                    "set-returning functions nested in set-returning function arguments are "
                    "not supported yet")
            args = [comp.compile(a) for a in arg_nodes]
        finally:
            comp.srfs = outer_srfs  # type: ignore[attr-defined]
        fn = srf.resolve(comp, name, args)
        slot = len(self.items)
        self.items.append(fn)
        key = self.key
        if len(fn.columns) == 1:
            return CExpr(lambda r, c: None if (v := c.subquery_cache[key][slot]) is None
                         else v[0], fn.columns[0][1], -1, name)
        # several output columns: one anonymous record, as PostgreSQL shows (key,value)
        from omendb_server.datatypes import TYPES_BY_OID
        from omendb_server.datatypes.misc import RowValue

        names = tuple(n for n, _ in fn.columns)
        types = tuple(t for _, t in fn.columns)
        return CExpr(lambda r, c: None if (v := c.subquery_cache[key][slot]) is None
                     else RowValue(v, names, types), TYPES_BY_OID[2249], -1, name)

    def project_set(self, child: ops.Operator, fns: list[Fn]) -> ProjectSet:
        calls = [([a.fn for a in fn.args], fn.produce) for fn in self.items]
        return ProjectSet(child, calls, fns, self.key)
