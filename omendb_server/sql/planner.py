"""Bind and plan one statement: names → catalog objects, expressions → closures,
clauses → an operator tree (SELECT) or a DML/DDL routine.

The planner sees a catalog snapshot (the transaction's own, if it ran DDL) and
records the parameter types it inferred, which the session reports in
ParameterDescription and uses to decode Bind values.

SELECT planning is split by clause, one module each:
  joins.py      FROM: tables, views, CTE references, derived tables, VALUES, functions,
                LATERAL, every join kind (hash joins for equalities); comma joins take
                their WHERE conjuncts as scan filters and join keys
  scopes.py     what a name / ``*`` means in a FROM clause (USING/NATURAL merged
                columns) and whether a subquery reads its enclosing query
  cte.py        WITH [RECURSIVE]         setops.py   UNION/INTERSECT/EXCEPT [ALL]
  grouping.py   GROUPING SETS/ROLLUP/CUBE, DISTINCT [ON]
  window.py     window functions         srf.py, srf_project.py   set-returning functions
  qcompiler.py  the expression compiler plus query-level constructs (window calls,
                GROUPING(), SRFs, aggregate ORDER BY, row comparisons, hashed IN)
This module keeps the SELECT skeleton (``_plan_select`` evaluates clauses in
PostgreSQL's order), index selection for WHERE/ORDER BY, and statement dispatch.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Table
from omendb_server.catalog.pg_catalog import virtual_relation
from omendb_server.catalog.pg_catalog_data import PG_RELATION_OIDS
from omendb_server.datatypes import DataType
from omendb_server.sql import operators as ops
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import (
    AGGREGATES,
    AggContext,
    CExpr,
    ExprCompiler,
    Scope,
    ScopeColumn,
)
from omendb_server.sql.plan import CallablePlan, OutputColumn, Plan, QueryPlan
from omendb_server.sql.scopes import RelScope, boundary, star_indices
from omendb_server.sql.srf_project import GROUPING_ID, SrfCollector


class Planner:
    def __init__(self, catalog: Catalog, param_types: list[DataType | None],
                 sequences: Any = None) -> None:
        self.catalog = catalog
        self.param_types: list[DataType | None] = list(param_types)
        #: Set when the statement calls nextval/setval/set_config: it must run in a
        #: transaction (its effects are persisted at commit) even if it is a SELECT.
        self.volatile = False
        #: WITH clauses in force while planning, innermost last (name → cte.CteDef).
        self.cte_frames: list[dict[str, Any]] = []
        #: Data-modifying CTEs of the statement (run once each, even if unread).
        self.modifying_ctes: list[Any] = []
        #: Subqueries inside expressions, for EXPLAIN ("SubPlan n" / "InitPlan n").
        self.expr_subplans: list[tuple[str, Any]] = []

    # -- parameters ---------------------------------------------------------------------
    def param_expr(self, n: int) -> CExpr:
        if n < 1:
            raise errors.UndefinedParameter(f"there is no parameter ${n}")
        while len(self.param_types) < n:
            self.param_types.append(None)
        t = self.param_types[n - 1]
        idx = n - 1
        fn = lambda row, ctx: ctx.params[idx]
        if t is None or t.oid == 0:
            return CExpr(fn, T.UNKNOWN, -1, "?column?", param=n)
        return CExpr(fn, t, -1, "?column?")

    def final_param_types(self) -> list[DataType]:
        return [t if t is not None and t.oid != 705 else T.TEXT for t in self.param_types]

    # -- catalog helpers used by expressions ------------------------------------------------
    def regclass_lookup(self, name: str) -> int:
        # text → regclass (plan time, default search_path); see sql/catalog_functions.py
        from omendb_server.catalog.pg_catalog import NamedOid
        from omendb_server.sql.catalog_functions import lookup_relation, relation_label

        oid = lookup_relation(self.catalog, name)
        if oid is None:
            raise errors.UndefinedTable(f'relation "{name.strip()}" does not exist')
        return NamedOid(oid, relation_label(self.catalog, oid))

    def regclass_name(self, oid: int) -> str:
        from omendb_server.sql.catalog_functions import relation_label

        return relation_label(self.catalog, oid)

    def regtype_name(self, oid: int) -> str:
        from omendb_server.sql.catalog_functions import type_text

        return type_text(self.catalog, oid) or str(oid)

    def regtype_lookup(self, name: str) -> int:
        # text → regtype, including the catalog's own types (enums); see catalog_functions.py
        from omendb_server.catalog.pg_catalog import NamedOid
        from omendb_server.sql.catalog_functions import lookup_type, type_text

        oid = lookup_type(self.catalog, name)
        if oid is None:
            raise errors.UndefinedObject(f'type "{name.strip()}" does not exist')
        return NamedOid(oid, type_text(self.catalog, oid) or str(oid))

    def current_schema(self, ctx: ExecContext) -> str:
        return "public"

    def _sequence(self, ctx: ExecContext, oid: int):  # type: ignore[no-untyped-def]
        seq = ctx.catalog.sequences.get(oid)
        if seq is None:
            raise errors.UndefinedTable(f'relation with OID {oid} does not exist')
        return seq

    def nextval(self, ctx: ExecContext, oid: int | None) -> int | None:
        if oid is None:
            return None
        seq = self._sequence(ctx, oid)
        from omendb_server.sql.sequences import next_value  # bounds, CYCLE (H-ddl)

        value = next_value(ctx, seq)
        last = getattr(ctx.session, "last_seq_values", None)
        if last is not None:
            last[oid] = value
        return value

    def currval(self, ctx: ExecContext, oid: int | None) -> int | None:
        if oid is None:
            return None
        seq = self._sequence(ctx, oid)
        last = getattr(ctx.session, "last_seq_values", {})
        if oid not in last:
            raise errors.DBError(
                f'currval of sequence "{seq.name}" is not yet defined in this session', "55000"
            )
        return last[oid]

    def setval(self, ctx: ExecContext, oid: int | None, value: int | None, called: bool) -> int | None:
        if oid is None or value is None:
            return None
        seq = self._sequence(ctx, oid)
        from omendb_server.sql.sequences import set_value  # bounds check (H-ddl)

        return set_value(ctx, seq, value, called)

    # -- statements -------------------------------------------------------------------------
    def plan(self, node: exp.Expression) -> Plan:
        if isinstance(node, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery,
                             exp.Values)):
            q = self.plan_query(node, None)
            if self.modifying_ctes and q.root is not None:
                from omendb_server.sql.cte import RunModifyingCtes

                q.root = RunModifyingCtes(q.root, list(self.modifying_ctes))
                q.fast = None
            if self.expr_subplans and q.root is not None:
                q.root.explain_subplans = list(self.expr_subplans)  # type: ignore[attr-defined]
            q.param_types = self.final_param_types()
            q.writes = self.volatile or bool(node.args.get("locks"))
            return q
        from omendb_server.sql import ddl, dml

        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete)) and with_ is not None:
            # WITH ... INSERT/UPDATE/DELETE: the CTEs are visible to the whole statement
            from omendb_server.sql.cte import plan_with

            plan_with(self, with_, None)
            try:
                bare = node.copy()
                bare.set("with_" if "with_" in node.args else "with", None)
                return self.plan(bare)
            finally:
                self.cte_frames.pop()
        if isinstance(node, exp.Insert):
            p = dml.plan_insert(self, node)
        elif isinstance(node, exp.Update):
            p = dml.plan_update(self, node)
        elif isinstance(node, exp.Delete):
            p = dml.plan_delete(self, node)
        elif isinstance(node, exp.Create):
            p = ddl.plan_create(self, node)
        elif isinstance(node, exp.Drop):
            p = ddl.plan_drop(self, node)
        elif isinstance(node, exp.Alter):
            p = ddl.plan_alter(self, node)
        elif isinstance(node, exp.TruncateTable):
            p = ddl.plan_truncate(self, node)
        elif isinstance(node, (exp.Alias, exp.Column, exp.Identifier, exp.Literal, exp.Paren,
                               exp.Binary, exp.Func)) or not isinstance(node, exp.Expression):
            first = node.sql(dialect="postgres").split()[0] if node.sql() else ""
            raise errors.SyntaxError(f'syntax error at or near "{first}"')
        else:
            raise errors.FeatureNotSupported(
                f"statement not supported yet: {node.sql(dialect='postgres')[:120]}"
            )
        if self.modifying_ctes and isinstance(p, CallablePlan) and p.run is not None:
            ctes, inner_run = list(self.modifying_ctes), p.run

            def run_with_ctes(ctx: ExecContext) -> Any:
                for cte in ctes:
                    for _ in cte.rows(ctx):
                        pass
                return inner_run(ctx)

            p.run = run_with_ctes
        p.param_types = self.final_param_types()
        return p

    def plan_dml(self, node: exp.Expression) -> Plan:
        """INSERT/UPDATE/DELETE (also as a data-modifying CTE)."""
        from omendb_server.sql import dml

        if isinstance(node, exp.Insert):
            return dml.plan_insert(self, node)
        if isinstance(node, exp.Update):
            return dml.plan_update(self, node)
        return dml.plan_delete(self, node)

    def subquery(self, node: exp.Expression, outer: Scope) -> tuple[QueryPlan, bool]:
        """Plan a subquery expression; also say whether it reads the enclosing row
        (correlated: re-run per outer row) or not (computed once per execution)."""
        if isinstance(node, exp.Subquery):
            node = node.this
        wrapped, used = boundary(outer)
        plan = self.plan_query(node, wrapped)
        self.last_subquery = plan
        n = len(self.expr_subplans) + 1
        label = f"SubPlan {n}" if used[0] else f"InitPlan {n} (returns ${n - 1})"
        self.expr_subplans.append((label, plan.root))
        return plan, used[0]

    # -- WITH ---------------------------------------------------------------------------------
    def find_cte(self, name: str) -> Any:
        for frame in reversed(self.cte_frames):
            if name in frame:
                return frame[name]
        return None

    def cte_scan(self, cte: Any, item: exp.Table) -> tuple[ops.Operator, RelScope]:
        from omendb_server.sql.cte import cte_source

        return cte_source(cte, item)

    # -- SELECT -----------------------------------------------------------------------------
    def plan_query(self, node: exp.Expression, outer: Scope | None,
                   correlated: list[bool] | None = None) -> QueryPlan:
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            from omendb_server.sql.cte import plan_with

            plan_with(self, with_, outer)
            try:
                bare = node.copy()
                bare.set("with_" if "with_" in node.args else "with", None)
                return self.plan_query(bare, outer, correlated)
            finally:
                self.cte_frames.pop()
        if isinstance(node, exp.Subquery):
            if node.args.get("order") or node.args.get("limit") or node.args.get("offset"):
                inner = self.plan_query(node.this, outer, correlated)
                return self._order_limit_over(node, inner)
            return self.plan_query(node.this, outer, correlated)
        if isinstance(node, (exp.Union, exp.Intersect, exp.Except)):
            from omendb_server.sql.setops import plan_setop

            return plan_setop(self, node, outer)
        if isinstance(node, exp.Values):
            op, scope = self._values_source(node, None)
            cols = [OutputColumn(c.name, c.type, c.typmod) for c in scope.columns]
            return self._order_limit_over(node, QueryPlan(columns=cols, root=op))
        if not isinstance(node, exp.Select):
            raise errors.FeatureNotSupported(f"query not supported: {node.sql()[:100]}")
        return self._plan_select(node, outer, correlated)

    def _order_limit_over(self, node: exp.Expression, inner: QueryPlan) -> QueryPlan:
        """``(SELECT ...) ORDER BY ... LIMIT n``: sort/limit a finished query's rows."""
        cols = inner.columns or []
        root = inner.root
        assert root is not None
        order = node.args.get("order")
        if order is not None:
            keys = []
            for o in order.expressions:
                idx = self._output_index(o.this, cols)
                if idx is None:
                    raise errors.FeatureNotSupported("ORDER BY must name an output column here")
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                keys.append((idx, desc, desc if nf is None else bool(nf)))
            root = ops.Sort(root, keys).explain(
                "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
        root = self._limit(node, root, Scope())
        return QueryPlan(columns=cols, root=root)

    def _output_index(self, node: exp.Expression, cols: list[OutputColumn]) -> int | None:
        if isinstance(node, exp.Literal) and not node.is_string:
            i = int(node.this) - 1
            if not 0 <= i < len(cols):
                raise errors.InvalidColumnReference(
                    f"ORDER BY position {i + 1} is not in select list"
                )
            return i
        if isinstance(node, exp.Column) and not node.table:
            for i, c in enumerate(cols):
                if c.name == node.name:
                    return i
        return None

    def _plan_select(self, node: exp.Select, outer: Scope | None,
                     correlated: list[bool] | None) -> QueryPlan:
        """SELECT, in PostgreSQL's order of evaluation: FROM/joins → WHERE → GROUP BY
        (grouping sets) → HAVING → window functions → select list (set-returning
        functions expand here) → DISTINCT [ON] → ORDER BY → LIMIT/OFFSET."""
        from omendb_server.sql.grouping import plan_group_by
        from omendb_server.sql.joins import plan_from, plan_from_where
        from omendb_server.sql.qcompiler import QueryCompiler
        from omendb_server.sql.window import WindowAgg, WindowPlanner, contains_window

        from_ = node.args.get("from_") or node.args.get("from")
        joins = node.args.get("joins") or []
        where = node.args.get("where")
        locks = node.args.get("locks")
        lock_info = None
        if locks and from_ is not None:  # SELECT 1 FOR UPDATE locks nothing (as PostgreSQL)
            source, scope = plan_from(self, from_, joins, outer)
            compiler = QueryCompiler(self, scope)
            source, lock_info = self._lock_source(node, source, scope, where, compiler, locks)
        else:
            # WHERE conjuncts of comma joins move to their table / become join keys
            source, scope, cond = plan_from_where(self, from_, joins,
                                                  where.this if where is not None else None,
                                                  outer)
            compiler = QueryCompiler(self, scope)
            if cond is not None:
                from omendb_server.sql.semijoin import rewrite_exists

                source, cond = rewrite_exists(self, source, scope, cond, outer)
            if cond is not None:
                source = self._filter(source, scope, cond, compiler)

        selects = node.expressions
        group = node.args.get("group")
        having = node.args.get("having")
        order = node.args.get("order")
        has_aggs = any(self._contains_aggregate(e) for e in selects) or having is not None or (
            group is not None)
        if order is not None and not has_aggs:
            has_aggs = any(self._contains_aggregate(o.this) for o in order.expressions)
        has_windows = any(contains_window(e) for e in selects) or (
            order is not None and any(contains_window(o.this) for o in order.expressions))
        named: dict[str, exp.Window] = {}
        for w in node.args.get("windows") or []:
            if w.name in named:
                raise errors.DBError(f'window "{w.name}" is already defined', "42P20")
            named[w.name] = w
        windows = WindowPlanner(self, named) if has_windows else None
        srfs = SrfCollector(self)
        vec_rows = None  # the vectorized join producing the rows, if the query got one
        if not has_aggs and not has_windows and not locks and (
                joins or not self._ordered_by_pk_name(source, order)):
            from omendb_server.sql.vector_join_rows import vector_join_rows

            vec_rows = vector_join_rows(self, node, source, scope)
            source = vec_rows or source

        out_compiler = compiler
        grouping = None
        if has_aggs:
            compiler.clause = "GROUP BY"
            group_nodes, group_exprs, grouping = plan_group_by(self, group, selects, compiler)
            compiler.clause = "aggregate arguments"  # it compiles them from here on
            agg = AggContext(group_nodes, group_exprs, input=compiler)
            # subqueries of the select list may read the group keys of plain columns
            group_scope = Scope([
                ScopeColumn(scope.columns[g.col_index].qualifier, scope.columns[g.col_index].name,
                            g.type, g.typmod) if g.col_index is not None else
                ScopeColumn("\x00group", f"\x00g{i}", g.type) for i, g in enumerate(group_exprs)],
                outer=outer)
            out_compiler = QueryCompiler(self, group_scope, agg, windows=windows,
                                         grouping=grouping, srfs=srfs, clause="SELECT")
        else:
            out_compiler = QueryCompiler(self, scope, windows=windows, srfs=srfs,
                                         clause="SELECT")
        # select list
        out_exprs: list[CExpr] = []
        for item in selects:
            if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
                if has_aggs:
                    raise errors.GroupingError("SELECT * is not allowed with GROUP BY here")
                qualifier = item.table if isinstance(item, exp.Column) else None
                found = False
                for i in star_indices(scope, qualifier or None):
                    col = scope.columns[i]
                    found = True
                    out_exprs.append(CExpr(lambda r, c, i=i: r[i], col.type, col.typmod, col.name,
                                           source=(col.table_oid, col.attnum), col_index=i))
                if qualifier and not found:
                    raise errors.UndefinedTable(f'missing FROM-clause entry for table "{qualifier}"')
                if from_ is None and not qualifier:
                    raise errors.SyntaxError("SELECT * with no tables specified is not valid")
                continue
            ce = out_compiler.compile(item)
            name = item.alias if isinstance(item, exp.Alias) else _figure_colname(item, ce.name)
            out_exprs.append(CExpr(ce.fn, ce.type, ce.typmod, name, ce.const, ce.param, ce.source,
                                   ce.col_index if not has_aggs else None))
        # untyped literals in the select list are text, as in PostgreSQL (a set operation
        # still resolves them as unknown: ``unknown_cols``)
        unknown_cols = {i for i, ce in enumerate(out_exprs) if ce.type.oid == 705}
        for i, ce in enumerate(out_exprs):
            if ce.type.oid == 705:
                out_exprs[i] = out_compiler.coerce(ce, T.TEXT)
                out_exprs[i].name = ce.name
        out_cols = [OutputColumn(ce.name, ce.type, ce.typmod, ce.source[0], ce.source[1])
                    for ce in out_exprs]
        width = len(out_exprs)

        # ORDER BY keys: output positions/aliases, else hidden computed columns
        sort_keys: list[tuple[int, bool, bool]] = []
        hidden: list[CExpr] = []
        if order is not None:
            for o in order.expressions:
                item = _bytewise_collation(o.this)
                idx = self._output_index(item, out_cols)
                if idx is None:
                    ce = out_compiler.compile(item)
                    idx = width + len(hidden)
                    hidden.append(ce)
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                nulls_first = desc if nf is None else bool(nf)
                sort_keys.append((idx, desc, nulls_first))
        distinct = node.args.get("distinct")
        if distinct is not None and distinct.args.get("on") is None and hidden:
            raise errors.DBError(
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list", "42P10")
        distinct_on: list[int] = []
        if distinct is not None and distinct.args.get("on") is not None:
            distinct_on = self._distinct_on(distinct.args["on"], order, out_cols, out_compiler,
                                            hidden, width, sort_keys)

        vec = None  # the vectorized aggregate, if the query got one
        if has_aggs:
            agg = out_compiler.agg
            assert agg is not None
            having_fn = None
            if having is not None:
                having_comp = QueryCompiler(self, out_compiler.scope, agg, grouping=grouping,
                                            clause="HAVING")
                having_fn = having_comp.boolean(having.this, "HAVING").fn
            key_text = ", ".join(g.sql(dialect="postgres") for g in agg.group_nodes
                                 if not _is_gid(g))
            if out_compiler.agg_orders:
                # agg(x ORDER BY k): feed the aggregate its input in that order
                from omendb_server.sql.join_ops import AppendComputed

                text, okeys = out_compiler.agg_orders[0]
                base = len(scope.columns)
                source = ops.Sort(AppendComputed(source, [k[0] for k in okeys]),
                                  [(base + i, d, nf) for i, (_, d, nf) in enumerate(okeys)]
                                  ).explain(f"Sort Key: {text}")
            if grouping is not None:
                from omendb_server.sql.grouping import GroupingSetsAggregate

                source = GroupingSetsAggregate(source, [g.fn for g in agg.group_exprs],
                                               agg.aggs, grouping.sets).explain(
                    *grouping.explain_lines())
            else:
                # over a checkpointed table or a join of tables, column-at-a-time when the
                # query allows it
                from omendb_server.sql.vector_join import vector_join_aggregate
                from omendb_server.sql.vectorized import vector_aggregate

                vec = None if out_compiler.agg_orders else (
                    vector_aggregate(self, node, source, scope, agg)
                    or vector_join_aggregate(self, node, source, scope, agg))
                source = (vec or ops.Aggregate(source, [g.fn for g in agg.group_exprs], agg.aggs,
                                               grouped=bool(agg.group_nodes))).explain(
                    "Group Key: " + key_text if agg.group_nodes else "")
            if having_fn is not None:
                source = ops.Filter(source, having_fn).explain(
                    f"Filter: ({having.this.sql(dialect='postgres')})")
        if windows is not None and windows.defs:
            windows.refs.base = (len(out_compiler.agg.group_nodes) + len(out_compiler.agg.aggs)
                                 if has_aggs and out_compiler.agg is not None
                                 else len(scope.columns))
            source = WindowAgg(source, windows.defs, windows.refs.count)
        all_cols = out_exprs + hidden
        if lock_info is not None:
            # carry each row's version past the sort to LockRows, then drop it
            vpos = len(scope.columns)
            fns = [ce.fn for ce in all_cols] + [lambda r, c: r[vpos]]
            root = ops.Project(source, fns)
            if sort_keys:
                root = ops.Sort(root, sort_keys).explain(
                    "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
            project = lambda values, c: tuple(f(values, c) for f in fns)
            table_oid, name, pred, mode, policy = lock_info
            root = ops.LockRows(root, table_oid, name, len(fns) - 1, pred, project, mode, policy)
            root = self._limit(node, root, scope)
            root = ops.Strip(root, width)
            if correlated is not None and compiler.correlated:
                correlated[0] = True
            return QueryPlan(columns=out_cols, root=root)
        if srfs.items:
            root: ops.Operator = srfs.project_set(source, [ce.fn for ce in all_cols])  # type: ignore[no-redef]
        elif all_cols and all(ce.col_index is not None for ce in all_cols):
            root = ops.ProjectColumns(source, [ce.col_index for ce in all_cols])  # type: ignore[misc]
        else:
            root = ops.Project(source, [ce.fn for ce in all_cols])
        if distinct is not None and not distinct_on:
            from omendb_server.sql.grouping import DistinctRows

            root = DistinctRows(root, width).explain("Group Key: " + ", ".join(
                (e.this if isinstance(e, exp.Alias) else e).sql(dialect="postgres")
                for e in selects))
        plain = not has_aggs and distinct is None and windows is None and not srfs.items
        ordered_keys = list(sort_keys)
        if sort_keys and plain:
            ordered = self._order_by_pk(source, scope, order, out_exprs, sort_keys)
            if ordered is not None:
                sort_keys = []  # the ordered index scan yields this order
                if isinstance(source, ops.Filter):
                    source.child = ordered
                else:
                    root.child = ordered  # type: ignore[attr-defined]  # the projection
        ties_keys = list(sort_keys) or ordered_keys
        if sort_keys:
            root = ops.Sort(root, sort_keys).explain(
                "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
        if distinct_on:
            from omendb_server.sql.grouping import DistinctOn

            root = DistinctOn(root, distinct_on)
        root = self._limit(node, root, scope, ties_keys)
        if sort_keys and type(root) is ops.Limit and getattr(vec, "top", False) is None and (
                not hidden and having is None and distinct is None and not srfs.items
                and (windows is None or not windows.defs)):
            # ORDER BY ... LIMIT decided on the vectorized aggregate's arrays (vector_topk.py)
            from omendb_server.sql.vector_topk import top_k

            vec.top = top_k(vec, selects, sort_keys, root, scope)  # type: ignore[union-attr]
        if type(root) is ops.Limit and vec_rows is not None and (
                distinct is None and not srfs.items):
            from omendb_server.sql.vector_join_rows import push_top

            push_top(vec_rows, all_cols, sort_keys, root)
        if hidden:
            root = ops.Strip(root, width)
        if correlated is not None and (compiler.correlated or out_compiler.correlated):
            correlated[0] = True
        plan = QueryPlan(columns=out_cols, root=root, fast=_point_query(root))
        plan.unknown_cols = unknown_cols  # type: ignore[attr-defined]
        return plan

    def _distinct_on(self, on: exp.Expression, order: exp.Expression | None,
                     out_cols: list[OutputColumn], comp: ExprCompiler, hidden: list[CExpr],
                     width: int, sort_keys: list[tuple[int, bool, bool]]) -> list[int]:
        """Row positions of the DISTINCT ON keys (hidden columns when not in the select
        list); they must lead the ORDER BY, as PostgreSQL requires."""
        nodes = list(on.expressions) if isinstance(on, exp.Tuple) else [on]
        positions: list[int] = []
        for n in nodes:
            idx = self._output_index(n, out_cols)
            if idx is None:
                ce = comp.compile(n)
                idx = width + len(hidden)
                hidden.append(ce)
            positions.append(idx)
        m = min(len(sort_keys), len(nodes))
        first: list[tuple[int, bool, bool]] = []
        for k in range(m):
            idx, desc, nf = sort_keys[k]
            if idx not in positions:
                item = order.expressions[k].this if order is not None else None
                match = [positions[j] for j, n in enumerate(nodes) if n == item]
                if not match:
                    raise errors.DBError("SELECT DISTINCT ON expressions must match initial "
                                         "ORDER BY expressions", "42P10")
                idx = match[0]
            first.append((idx, desc, nf))
        used = {k[0] for k in first}
        sort_keys[:] = first + [(p, False, False) for p in positions if p not in used] + \
            sort_keys[m:]
        return positions

    def _limit(self, node: exp.Expression, root: ops.Operator, scope: Scope,
               sort_keys: list[tuple[int, bool, bool]] | None = None) -> ops.Operator:
        limit = node.args.get("limit")
        offset = node.args.get("offset")
        if limit is None and offset is None:
            return root
        comp = ExprCompiler(self, Scope())
        lim_fn = off_fn = None
        if limit is not None:
            lim_node = limit.expression if limit.expression is not None else limit.this
            if isinstance(limit, exp.Fetch):
                lim_node = limit.args.get("count") or exp.Literal.number(1)  # FIRST ROW ONLY
            if lim_node is not None and not isinstance(lim_node, (exp.Null, exp.All)) and not (
                    isinstance(lim_node, exp.Var) and lim_node.name.upper() == "ALL"):
                lim_fn = comp.coerce(comp.compile(lim_node), T.INT8).fn
        if offset is not None:
            off_node = offset.expression if offset.expression is not None else offset.this
            off_fn = comp.coerce(comp.compile(off_node), T.INT8).fn
        options = limit.args.get("limit_options") if isinstance(limit, exp.Fetch) else None
        if options is not None and options.args.get("with_ties"):
            if not sort_keys:
                raise errors.SyntaxError("WITH TIES cannot be specified without ORDER BY clause")
            from omendb_server.sql.ties import LimitWithTies

            return LimitWithTies(root, lim_fn, off_fn, [k[0] for k in sort_keys])
        return ops.Limit(root, lim_fn, off_fn)

    def _resolve_group_ref(self, g: exp.Expression, selects: list[exp.Expression]) -> exp.Expression:
        if isinstance(g, exp.Literal) and not g.is_string:
            i = int(g.this) - 1
            if not 0 <= i < len(selects):
                raise errors.InvalidColumnReference(f"GROUP BY position {i + 1} is not in select list")
            item = selects[i]
            return item.this if isinstance(item, exp.Alias) else item
        if isinstance(g, exp.Column) and not g.table:
            for item in selects:
                if isinstance(item, exp.Alias) and item.alias == g.name:
                    return item.this
        return g

    def _contains_aggregate(self, node: exp.Expression) -> bool:
        """True if ``node`` calls an aggregate of this query level (not one inside a
        subquery, and not the function of a window call, which is a window aggregate)."""
        for sub in node.walk():
            if not isinstance(sub, (exp.Func, exp.Anonymous)) or isinstance(sub, exp.Window):
                continue
            name = ExprCompiler._func_name(sub)
            if name not in AGGREGATES and name not in ("logical_and", "logical_or"):
                continue
            holder = sub.parent
            if isinstance(holder, exp.Filter) and holder.this is sub:
                sub, holder = holder, holder.parent  # agg(...) FILTER (WHERE ...) OVER (...)
            if isinstance(holder, exp.Window) and holder.this is sub:
                continue
            if not self._inside_subquery(sub, node):
                return True
        return False

    @staticmethod
    def _inside_subquery(sub: exp.Expression, top: exp.Expression) -> bool:
        if sub is top:
            return False
        p = sub.parent
        while p is not None and p is not top:
            if isinstance(p, (exp.Subquery, exp.Select, exp.Exists)):
                return True
            p = p.parent
        return False

    def _lock_source(self, node: exp.Select, source: ops.Operator, scope: Scope,
                     where: exp.Expression | None, compiler: ExprCompiler,
                     locks: list[exp.Expression]) -> tuple[ops.Operator, tuple[Any, ...]]:
        lock = locks[0]
        strength = "FOR UPDATE" if lock.args.get("update") else "FOR SHARE"
        if node.args.get("group") or node.args.get("having") or any(
                self._contains_aggregate(e) for e in node.expressions):
            raise errors.FeatureNotSupported(
                f"{strength} is not allowed with aggregate functions")
        if node.args.get("distinct") is not None:
            raise errors.FeatureNotSupported(f"{strength} is not allowed with DISTINCT clause")
        if not isinstance(source, ops.SeqScan):
            raise errors.FeatureNotSupported(
                f"{strength} is supported on a single table only for now")
        wait = lock.args.get("wait")
        policy = "nowait" if wait is True else "skip" if wait is False else "wait"
        mode = "U" if lock.args.get("update") else "S"
        pred = compiler.boolean(where.this).fn if where is not None else None
        keys = None
        index_oid, index_name = 0, ""
        if where is not None:
            lookup = self._pk_lookup(source, scope, where.this, compiler)
            if lookup is not None:
                keys, index_oid, index_name = lookup.keys, lookup.index_oid, lookup.index_name
        candidates = ops.LockCandidates(source.table_oid, source.name, pred, keys, index_oid,
                                        index_name)
        if where is not None:
            candidates.explain(f"Filter: ({where.this.sql(dialect='postgres')})")
        return candidates, (source.table_oid, source.name, pred, mode, policy)

    def _filter(self, source: ops.Operator, scope: Scope, cond: exp.Expression,
                compiler: ExprCompiler) -> ops.Operator:
        pred = compiler.boolean(cond)
        text = f"Filter: ({cond.sql(dialect='postgres')})"
        if isinstance(source, ops.SeqScan):
            lookup = self._pk_lookup(source, scope, cond, compiler)
            if lookup is not None:
                conjuncts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
                if len(conjuncts) == len(lookup.keys[0]):
                    return lookup  # the condition is exactly the index condition
                return ops.Filter(lookup, pred.fn).explain(text)
            ranged = self._pk_range(source, scope, cond, compiler)
            if ranged is not None:
                return ops.Filter(ranged, pred.fn).explain(text)
        return ops.Filter(source, pred.fn).explain(text)

    def _order_by_pk(self, source: ops.Operator, scope: Scope, order: exp.Expression,
                     out_exprs: list[CExpr], sort_keys: list[tuple[int, bool, bool]]
                     ) -> ops.IndexRange | None:
        """If ORDER BY is exactly the ALEX primary key, the ordered scan to use instead of
        the one under ``source`` (so no Sort is needed); None otherwise."""
        if len(order.expressions) != 1:
            return None
        scan = source.child if isinstance(source, ops.Filter) else source
        if not isinstance(scan, (ops.SeqScan, ops.IndexRange)):
            return None
        found = self._alex_pk(scan.table_oid)
        if found is None:
            return None
        table, pos = found
        item = order.expressions[0].this
        idx, desc, _nulls_first = sort_keys[0]
        col = None
        if idx < len(out_exprs):
            # the sort key is an output column (a name in ORDER BY means the select list's
            # column first: "SELECT dept_id AS id ... ORDER BY id" sorts by dept_id)
            if out_exprs[idx].source == (table.oid, pos + 1):
                col = ScopeColumn(None, "", out_exprs[idx].type, -1, table.oid, pos + 1)
        elif isinstance(item, exp.Column):  # a hidden sort column: an input column
            try:
                i = scope.find(item.name, item.table or None)
            except errors.DBError:
                i = None
            if i is not None:
                col = scope.columns[i]
        if col is None or col.table_oid != table.oid or col.attnum != pos + 1:
            return None
        if isinstance(scan, ops.SeqScan):
            return ops.IndexRange(table.oid, table.name, table.pk_name or "", None, None,
                                  True, True, desc)
        scan.reverse = desc
        return scan

    def _ordered_by_pk_name(self, source: ops.Operator, order: exp.Expression | None) -> bool:
        """Whether ORDER BY starts with a name that is the scanned table's ALEX primary key:
        then the ordered index scan (``_order_by_pk``, O(LIMIT)) beats sorting on arrays,
        so a one-table query keeps the row plan."""
        if order is None or not order.expressions:
            return False
        scan = source.child if isinstance(source, ops.Filter) else source
        if not isinstance(scan, (ops.SeqScan, ops.IndexRange)):
            return False
        found = self._alex_pk(scan.table_oid)
        item = order.expressions[0].this
        return found is not None and isinstance(item, exp.Column) and \
            item.name == found[0].columns[found[1]].name

    def _alex_pk(self, table_oid: int) -> tuple[Table, int] | None:
        """(table, pk column position) when the primary key is one ALEX-served column."""
        from omendb_server.index import key_mapper

        table = self.catalog.tables.get(table_oid)
        if table is None or len(table.primary_key) != 1:
            return None
        pos = table.primary_key[0]
        if key_mapper(table.columns[pos].type.oid) is None:
            return None
        return table, pos

    def _pk_range(self, scan: ops.SeqScan, scope: Scope, cond: exp.Expression,
                  compiler: ExprCompiler) -> ops.IndexRange | None:
        """``pk > a AND pk <= b`` / ``pk BETWEEN a AND b`` → an ordered ALEX range scan."""
        found = self._alex_pk(scan.table_oid)
        if found is None:
            return None
        table, pos = found
        lo = hi = None
        lo_inc = hi_inc = True
        texts: list[str] = []
        conjuncts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
        flip = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}
        for c in conjuncts:
            while isinstance(c, exp.Paren):
                c = c.this
            bounds: list[tuple[type, exp.Expression]] = []
            if isinstance(c, exp.Between) and isinstance(c.this, exp.Column):
                col_node = c.this
                bounds = [(exp.GTE, c.args["low"]), (exp.LTE, c.args["high"])]
            elif type(c) in flip:
                if isinstance(c.this, exp.Column):
                    col_node, bounds = c.this, [(type(c), c.expression)]
                elif isinstance(c.expression, exp.Column):
                    col_node, bounds = c.expression, [(flip[type(c)], c.this)]
                else:
                    continue
            else:
                continue
            for op_type, val_node in bounds:
                ce = self._pin_value(table, scope, col_node, val_node, compiler, equality=False)
                if ce is None:
                    break
                if scope.columns[scope.find(col_node.name, col_node.table or None)].attnum - 1 != pos:
                    break
                if op_type in (exp.GT, exp.GTE) and lo is None:
                    lo, lo_inc = ce.fn, op_type is exp.GTE
                    texts.append(f"({table.columns[pos].name} {'>=' if lo_inc else '>'} {ce.name})")
                elif op_type in (exp.LT, exp.LTE) and hi is None:
                    hi, hi_inc = ce.fn, op_type is exp.LTE
                    texts.append(f"({table.columns[pos].name} {'<=' if hi_inc else '<'} {ce.name})")
        if lo is None and hi is None:
            return None
        return ops.IndexRange(table.oid, table.name, table.pk_name or "", lo, hi, lo_inc, hi_inc,
                              False).explain("Index Cond: " + " AND ".join(texts))

    def _pk_lookup(self, scan: ops.SeqScan, scope: Scope, cond: exp.Expression,
                   compiler: ExprCompiler) -> ops.IndexLookup | None:
        """Use an index when WHERE pins all its columns with ``col = const/$n``:
        the primary key first, then unique indexes, then the others."""
        table = self.catalog.tables.get(scan.table_oid)
        if table is None:
            return None
        pinned = self._pinned_columns(table, scope, cond, compiler)
        if not pinned:
            return None
        candidates: list[tuple[int, str, list[int]]] = []
        if table.primary_key:
            candidates.append((0, table.pk_name or "", table.primary_key))
        for index in sorted(self.catalog.indexes_of(table.oid), key=lambda i: not i.unique):
            if index.plain:  # an expression/partial index does not hold every row's columns
                candidates.append((index.oid, index.name, index.columns))
        for index_oid, index_name, cols in candidates:
            if all(c in pinned for c in cols):
                alternatives = [pinned[c] for c in cols]
                n_keys = 1
                for alt in alternatives:
                    n_keys *= len(alt)
                if n_keys > 1000:
                    continue
                keys = [[ce.fn for ce in combo] for combo in itertools.product(*alternatives)]
                cond_text = " AND ".join(
                    f"({table.columns[c].name} = {pinned[c][0].name})" if len(pinned[c]) == 1 else
                    f"({table.columns[c].name} = ANY (ARRAY[{', '.join(ce.name for ce in pinned[c])}]))"
                    for c in cols)
                return ops.IndexLookup(table.oid, table.name, keys, index_oid,
                                       index_name).explain(f"Index Cond: {cond_text}")
        return None

    def _pinned_columns(self, table: Table, scope: Scope, cond: exp.Expression,
                        compiler: ExprCompiler) -> dict[int, list[CExpr]]:
        """Table column position → the values ``col = v`` or ``col IN (v, ...)`` pin it to."""
        conjuncts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
        pinned: dict[int, list[CExpr]] = {}
        for c in conjuncts:
            while isinstance(c, exp.Paren):
                c = c.this
            if isinstance(c, exp.In) and not c.args.get("query") and c.expressions:
                col_node = c.this
                if not isinstance(col_node, exp.Column):
                    continue
                values = []
                for item in c.expressions:
                    ce = self._pin_value(table, scope, col_node, item, compiler)
                    if ce is None:
                        values = []
                        break
                    values.append(ce)
                if values:
                    pos = scope.columns[scope.find(col_node.name, col_node.table or None)].attnum - 1
                    pinned.setdefault(pos, values)
                continue
            if not isinstance(c, exp.EQ):
                continue
            for col_node, val_node in ((c.this, c.expression), (c.expression, c.this)):
                if not isinstance(col_node, exp.Column):
                    continue
                ce = self._pin_value(table, scope, col_node, val_node, compiler)
                if ce is not None:
                    pos = scope.columns[scope.find(col_node.name, col_node.table or None)].attnum - 1
                    pinned.setdefault(pos, [ce])
                    break
        return pinned

    def _pin_value(self, table: Table, scope: Scope, col_node: exp.Column,
                   val_node: exp.Expression, compiler: ExprCompiler, equality: bool = True) -> CExpr | None:
        """The value ``val_node`` as a key for ``col_node``, or None if it cannot be one."""
        if any(isinstance(x, (exp.Subquery, exp.Select, exp.Any, exp.All, exp.Values))
               for x in val_node.walk()):
            return None
        for ref in val_node.find_all(exp.Column):
            # a column of an enclosing query is a constant here (a correlated subquery
            # probes the index once per outer row); one of this scope is not
            try:
                if ref.table and scope.has_qualifier(ref.table) or not ref.table and \
                        scope.find(ref.name, None) is not None:
                    return None
            except errors.DBError:
                return None
        try:
            idx = scope.find(col_node.name, col_node.table or None)
        except errors.DBError:
            return None
        if idx is None:
            return None
        col = scope.columns[idx]
        if col.table_oid != table.oid:
            return None
        val = compiler.compile(val_node)
        if val.type.oid not in (705,) and not (
            T.is_numeric(val.type) and T.is_numeric(col.type)
            or val.type.oid == col.type.oid
            or T.is_string(val.type) and T.is_string(col.type)
        ):
            return None
        if T.is_integer(col.type) and val.type.oid in (700, 701, 1700):
            return None  # 1.5 must not match key 2 after a cast
        if col.type.oid in (700, 701, 1700) and val.type.oid not in (705, col.type.oid) \
                and not T.is_integer(val.type):
            return None
        if T.is_integer(col.type) and T.is_integer(val.type) and val.type.oid != col.type.oid:
            # int4 key = int8 value: compared as int8 (PostgreSQL's cross-type operators),
            # so a value outside the column's range matches nothing instead of raising 22003
            lo, hi, _ = T.INT_RANGES[col.type.oid]
            f = val.fn
            if equality:
                def key(row: Any, ctx: Any, f: Any = f, lo: int = lo, hi: int = hi) -> Any:
                    v = f(row, ctx)
                    return v if v is None or lo <= v <= hi else None  # None: no row
            else:
                def key(row: Any, ctx: Any, f: Any = f, lo: int = lo, hi: int = hi) -> Any:
                    v = f(row, ctx)  # a bound just outside the range keeps > / >= exact
                    return v if v is None else min(max(v, lo - 1), hi + 1)
            return CExpr(key, col.type, -1, val_node.sql(dialect="postgres"))
        ce = compiler.coerce(val, col.type)
        return CExpr(ce.fn, ce.type, ce.typmod, val_node.sql(dialect="postgres"))

    # -- FROM items ------------------------------------------------------------------------
    @staticmethod
    def _alias_columns(alias: exp.Expression | None, names: list[str]) -> list[str]:
        if alias is None:
            return names
        cols = [c.name for c in alias.args.get("columns") or []]
        return cols + names[len(cols):]

    def _values_source(self, node: exp.Values, alias: exp.Expression | None,
                       outer: Scope | None = None) -> tuple[ops.Operator, Scope]:
        comp = ExprCompiler(self, Scope(outer=outer))  # LATERAL (VALUES (t.x)) reads t
        rows = [[comp.compile(e) for e in (t.expressions if isinstance(t, exp.Tuple) else [t])]
                for t in node.expressions]
        if not rows:
            raise errors.SyntaxError("VALUES must have at least one row")
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise errors.SyntaxError("VALUES lists must all be the same length")
        types = []
        for i in range(width):
            types.append(comp._unify([r[i].type for r in rows]))
        fns = [[comp.coerce(r[i], types[i]).fn for i in range(width)] for r in rows]
        alias = alias or node.args.get("alias")
        given = alias.args.get("columns") or [] if alias is not None else []
        if len(given) > width:
            raise errors.DBError(
                f'table "{alias.name}" has {width} columns available but {len(given)} '
                "columns specified", "42P10")
        names = self._alias_columns(alias, [f"column{i + 1}" for i in range(width)])
        qual = alias.name if alias is not None and alias.name else ("*VALUES*" if alias is None else None)
        scope = Scope([ScopeColumn(qual, names[i], types[i]) for i in range(width)])
        return ops.ValuesScan(fns), scope

    def _table_source(self, item: exp.Table) -> tuple[ops.Operator, Scope]:
        name = item.name
        schema = item.db or None
        alias = item.alias or name
        if schema not in ("pg_catalog", "information_schema"):
            table = self.catalog.find_table(name, schema)
            if table is not None:
                return self.table_scan(table, alias)
            view = self.catalog.find_view(name, schema)
            if view is not None:  # hook owned by H-ddl: views expand to their query
                from omendb_server.sql.ddl_objects import expand_view

                return expand_view(self, view, item)
        virtual = virtual_relation(schema, name)
        if virtual is not None:
            columns, producer = virtual
            names = self._alias_columns(item.args.get("alias"), [c for c, _ in columns])
            rel_oid = PG_RELATION_OIDS.get(name, 0) if schema in (None, "pg_catalog") else 0
            scope = Scope([ScopeColumn(alias, n, t, rel_oid=rel_oid)
                           for n, (_, t) in zip(names, columns)])

            def produce(ctx: ExecContext, producer=producer) -> list[tuple]:
                info = {"database": ctx.session.database, "users": [ctx.session.user],
                        "row_cache": ctx.tm.row_cache.stats(), "ctx": ctx}
                return producer(ctx.catalog, info)

            return ops.VirtualScan(name, produce), scope
        shown = f"{schema}.{name}" if schema else name
        raise errors.UndefinedTable(f'relation "{shown}" does not exist')

    def table_scan(self, table: Table, alias: str) -> tuple[ops.SeqScan, Scope]:
        scope = Scope([
            ScopeColumn(alias, c.name, c.type, c.typmod, table.oid, i + 1)
            for i, c in enumerate(table.columns)
        ])
        return ops.SeqScan(table.oid, table.name), scope


def _figure_colname(node: exp.Expression, compiled: str) -> str:
    """PostgreSQL names an unaliased CASE after its ELSE branch when that is a column or
    a function call (FigureColname), else "case"."""
    if not isinstance(node, exp.Case):
        return compiled
    default = node.args.get("default")
    while isinstance(default, exp.Paren):
        default = default.this
    if isinstance(default, exp.Column) and not isinstance(default.this, exp.Star):
        return default.name
    if isinstance(default, exp.Case):
        return _figure_colname(default, "case")
    if isinstance(default, (exp.Func, exp.Anonymous)) and not isinstance(
            default, (exp.Cast, exp.Binary, exp.Window)):
        name = ExprCompiler._func_name(default)
        return {"group_concat": "string_agg"}.get(name, name) or "case"
    return "case"


def _bytewise_collation(node: exp.Expression) -> exp.Expression:
    """``x COLLATE "C"`` orders like ``x`` here: every comparison is bytewise (C)."""
    if isinstance(node, exp.Collate) and node.expression.name in ("C", "POSIX", "default",
                                                                 "ucs_basic"):
        return node.this
    return node


def _is_gid(node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this) == GROUPING_ID


def _point_query(root: ops.Operator) -> Any:
    """A direct function for ``SELECT cols FROM t WHERE key = v`` plans, else None."""
    if not isinstance(root, ops.ProjectColumns) or not isinstance(root.child, ops.IndexLookup):
        return None
    lookup = root.child
    if len(lookup.keys) != 1:
        return None
    columns, pick = tuple(root.indexes), root.pick
    fetch = lookup.fetch
    return lambda ctx: fetch(ctx, columns, pick)


__all__ = ["CallablePlan", "Planner"]
