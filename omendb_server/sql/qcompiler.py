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
from omendb_server.sql.expr import AGGREGATES, AggContext, CExpr, ExprCompiler, Scope


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
        #: ORDER BY inside aggregate calls: [(text, [(fn, desc, nulls_first)])].
        self.agg_orders: list[tuple[str, list[Any]]] = []

    def compile(self, node: exp.Expression) -> CExpr:
        if self.agg is not None and (isinstance(node, (exp.Subquery, exp.Exists)) or
                                     isinstance(node, exp.In) and node.args.get("query") is not None):
            from omendb_server.sql import outer_aggs

            if isinstance(node, exp.In):
                query = node.args["query"]
                lifted = outer_aggs.lift(self, query)
                if lifted is not query:
                    node = node.copy()
                    node.set("query", lifted)
            else:
                node = outer_aggs.lift(self, node)
        if isinstance(node, exp.In) and len(node.expressions) == 1 and \
                isinstance(node.expressions[0], exp.Values):
            # x IN (VALUES (a), (b)): a subquery
            node = exp.In(this=node.this.copy(),
                          query=exp.Subquery(this=node.expressions[0].copy()))
        rewritten = _row_comparison(node)
        if rewritten is not None:
            return self.compile(rewritten)
        if isinstance(node, exp.In) and _row_of(node.this) is not None and \
                node.args.get("query") is not None:
            return self._row_in_subquery(node)
        if isinstance(node, (exp.Func, exp.Anonymous)) and not isinstance(
                node.parent, (exp.Window, exp.WithinGroup)):
            from omendb_server.sql.window import WINDOW_ONLY

            name = self._func_name(node)
            if name in WINDOW_ONLY:
                raise errors.DBError(f"window function {name} requires an OVER clause",
                                     "42809")
        if self.srfs is not None and self.srfs.is_srf(node):
            return self.srfs.compile(node, self)
        if self.srfs is None and self.clause in ("WHERE", "GROUP BY", "JOIN/ON") and \
                isinstance(node, (exp.Func, exp.Anonymous)):
            from omendb_server.sql.srf_project import is_srf

            if is_srf(node):
                raise errors.FeatureNotSupported(
                    f"set-returning functions are not allowed in {self.clause}")
        if self.agg is None and isinstance(node, (exp.Func, exp.Anonymous)) and \
                not isinstance(node.parent, (exp.Window, exp.WithinGroup, exp.Filter)) and \
                self._func_name(node) in AGGREGATES:
            if self.clause == "aggregate arguments":
                raise errors.GroupingError("aggregate function calls cannot be nested")
            if self.clause in ("WHERE", "GROUP BY", "JOIN/ON"):
                raise errors.GroupingError(
                    f"aggregate functions are not allowed in {self.clause}")
        if self.agg is not None and isinstance(node, (exp.Func, exp.Anonymous)) and any(
                isinstance(a, exp.Order) for a in [node.args.get("this"), *node.expressions]):
            try:
                return super().compile(node)  # aggregates that order their input themselves
            except errors.FeatureNotSupported:
                stripped = self._strip_agg_order(node)
                if stripped is None:
                    raise
                return super().compile(stripped)
        if self.agg is not None and isinstance(node, exp.Column) and \
                not isinstance(node.this, exp.Star):
            hit = self._grouped_column(node)
            if hit is not None:
                return hit
        return super().compile(node)

    def _c_In(self, node: exp.In) -> CExpr:
        """``x IN (subquery)`` probes a hash set of the subquery's values (built once per
        execution for an uncorrelated subquery) instead of scanning them per row."""
        query = node.args.get("query")
        if query is None:
            return super()._c_In(node)
        left = self.compile(node.this)
        values_fn, elem_type = self._subquery_column(
            query.this if isinstance(query, exp.Subquery) else query)
        target = T.common_type(left.type, elem_type) if left.type.oid != 705 else elem_type
        left = self.coerce(left, target)
        conv = T.cast_function(elem_type, target) if target.oid != elem_type.oid else None
        lf = left.fn
        key = ("in-set", id(values_fn))

        def in_query(r: tuple, c: Any) -> Any:
            a = lf(r, c)
            values = values_fn(r, c)
            if a is None:
                return None if values else False
            if len(values) > 8:
                entry = c.subquery_cache.get(key)
                if entry is None or entry[0] is not values:
                    converted = [conv(v, c.fmt) if conv else v for v in values if v is not None]
                    try:
                        entry = (values, frozenset(converted), len(converted) < len(values))
                    except TypeError:  # unhashable values (arrays): scan below
                        entry = (values, None, False)
                    c.subquery_cache[key] = entry
                if entry[1] is not None:
                    try:
                        if a in entry[1]:
                            return True
                    except TypeError:
                        pass
                    else:
                        return None if entry[2] else False
            saw_null = False
            for v in values:
                if v is None:
                    saw_null = True
                elif (conv(v, c.fmt) if conv else v) == a:
                    return True
            return None if saw_null else False

        return CExpr(in_query, T.BOOL)

    def _row_in_subquery(self, node: exp.In) -> CExpr:
        """``(a, b) IN (SELECT x, y ...)``: true if some row matches on every column,
        NULL if none does but one might (a NULL compared), else false."""
        items = _row_of(node.this) or []
        query = node.args["query"]
        plan, correlated = self.planner.subquery(query.this if isinstance(query, exp.Subquery)
                                                 else query, self.scope)
        cols = plan.columns or []
        if len(cols) != len(items):
            raise errors.SyntaxError("subquery has too many columns" if len(cols) > len(items)
                                     else "subquery has too few columns")
        lefts = []
        convs = []
        for item, col in zip(items, cols):
            left = self.compile(item)
            target = T.common_type(left.type, col.type) if left.type.oid != 705 else col.type
            lefts.append(self.coerce(left, target).fn)
            convs.append(T.cast_function(col.type, target) if target.oid != col.type.oid
                         else None)
        key = id(plan)

        def row_in(r: tuple, c: Any) -> Any:
            a = tuple(f(r, c) for f in lefts)
            rows = None if correlated else c.subquery_cache.get(key)
            if rows is None:
                c.outer.append(r)
                try:
                    rows = list(plan.rows(c))
                finally:
                    c.outer.pop()
                if not correlated:
                    c.subquery_cache[key] = rows
            unknown = False
            for row in rows:
                verdict: Any = True
                for x, y, conv in zip(a, row, convs):
                    if x is None or y is None:
                        verdict = None
                        continue
                    if (conv(y, c.fmt) if conv else y) != x:
                        verdict = False
                        break
                if verdict is True:
                    return True
                if verdict is None:
                    unknown = True
            return None if unknown else False

        return CExpr(row_in, T.BOOL)

    def _strip_agg_order(self, node: exp.Expression) -> exp.Expression | None:
        """``agg(x ORDER BY k)``: record the ordering (the planner sorts the aggregate's
        input by it) and return the call without it; None if there is none."""
        order: exp.Expression | None = None
        if isinstance(node, exp.Anonymous):
            for i, e in enumerate(node.expressions):
                if isinstance(e, exp.Order):
                    order = e
                    stripped = node.copy()
                    args = list(stripped.expressions)
                    args[i] = e.this.copy()
                    stripped.set("expressions", args)
                    break
        elif isinstance(node.args.get("this"), exp.Order):
            order = node.this
            stripped = node.copy()
            stripped.set("this", order.this.copy())
        if order is None:
            return None
        agg = self.agg
        assert agg is not None and agg.input is not None
        keys = []
        for o in order.expressions:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            keys.append((agg.input.compile(o.this).fn, desc, desc if nf is None else bool(nf)))
        text = ", ".join(o.sql(dialect="postgres") for o in order.expressions)
        if self.agg_orders and self.agg_orders[0][0] != text:
            raise errors.FeatureNotSupported(
                "aggregates with different ORDER BY clauses in one query are not supported yet")
        if not self.agg_orders:
            self.agg_orders.append((text, keys))
        return stripped

    def _grouped_column(self, node: exp.Column) -> CExpr | None:
        """A column under GROUP BY: the group key that reads the same input column
        (however it is spelled: ``x``, ``s.x``, ``"s"."x"``), else 42803 with
        PostgreSQL's wording. Columns of enclosing queries are left to the base class."""
        agg = self.agg
        assert agg is not None
        if agg.input is None:
            return None
        scope = agg.input.scope
        qualifier = node.table or None
        try:
            if qualifier is not None and not scope.has_qualifier(qualifier):
                return None
            idx = scope.find(node.name, qualifier)
        except errors.DBError:
            return None
        if idx is None:
            return None
        for i, g in enumerate(agg.group_exprs):
            if g.col_index == idx:
                return CExpr(lambda r, c, i=i: r[i], g.type, g.typmod, node.name,
                             source=g.source)
        col = scope.columns[idx]
        shown = f"{col.qualifier}.{col.name}" if col.qualifier and \
            not col.qualifier.startswith("\x00") else col.name
        raise errors.GroupingError(
            f'column "{shown}" must appear in the GROUP BY clause or be used in an '
            "aggregate function")

    def _c_Window(self, node: exp.Window) -> CExpr:
        p = node.parent
        while p is not None and not isinstance(p, (exp.Select, exp.Subquery)):
            if isinstance(p, (exp.Func, exp.Anonymous)) and not isinstance(p, exp.Window) and \
                    self._func_name(p) in AGGREGATES:
                raise errors.GroupingError(
                    "aggregate function calls cannot contain window function calls")
            p = p.parent
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
            if self.agg.input is not None:
                self.agg.input.compile(a)  # an unknown column is 42703 first
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
        try:
            ce = super()._c_Subquery(node)
        except errors.SyntaxError as e:
            if "too many columns" in str(e):  # IN says that; a scalar subquery says this
                raise errors.SyntaxError("subquery must return only one column") from None
            raise
        plan = getattr(self.planner, "last_subquery", None)
        if plan is not None and plan.columns:
            ce.name = plan.columns[0].name
        return ce


def _row_of(node: exp.Expression) -> list[exp.Expression] | None:
    """The fields of a row constructor ``(a, b)`` / ``ROW(a, b)``, else None."""
    if isinstance(node, exp.Tuple):
        return list(node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "row":
        return list(node.expressions)
    return None


def _row_comparison(node: exp.Expression) -> exp.Expression | None:
    """Row-wise ``=``/``<>`` and ``IN (row, ...)`` as the equivalent AND/OR of fields,
    which has exactly PostgreSQL's NULL behaviour; None when ``node`` is not one."""
    if isinstance(node, (exp.EQ, exp.NEQ)):
        left, right = _row_of(node.this), _row_of(node.expression)
        if left is None or right is None:
            return None
        if len(left) != len(right):
            raise errors.SyntaxError("unequal number of entries in row expressions")
        if isinstance(node, exp.EQ):
            return exp.and_(*[exp.EQ(this=a.copy(), expression=b.copy())
                              for a, b in zip(left, right)])
        return exp.or_(*[exp.NEQ(this=a.copy(), expression=b.copy())
                         for a, b in zip(left, right)])
    if isinstance(node, exp.In) and node.expressions and node.args.get("query") is None:
        left = _row_of(node.this)
        if left is None:
            return None
        alternatives = []
        for item in node.expressions:
            right = _row_of(item)
            if right is None or len(right) != len(left):
                raise errors.SyntaxError("unequal number of entries in row expressions")
            alternatives.append(exp.Paren(this=exp.and_(
                *[exp.EQ(this=a.copy(), expression=b.copy()) for a, b in zip(left, right)])))
        return exp.or_(*alternatives)
    return None
