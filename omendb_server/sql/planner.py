"""Bind and plan one statement: names → catalog objects, expressions → closures,
clauses → an operator tree (SELECT) or a DML/DDL routine.

The planner sees a catalog snapshot (the transaction's own, if it ran DDL) and
records the parameter types it inferred, which the session reports in
ParameterDescription and uses to decode Bind values.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Table
from omendb_server.catalog.pg_catalog import RELATIONS
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


class Planner:
    def __init__(self, catalog: Catalog, param_types: list[DataType | None],
                 sequences: Any = None) -> None:
        self.catalog = catalog
        self.param_types: list[DataType | None] = list(param_types)
        #: Set when the statement calls nextval/setval/set_config: it must run in a
        #: transaction (its effects are persisted at commit) even if it is a SELECT.
        self.volatile = False

    # -- parameters ---------------------------------------------------------------------
    def param_expr(self, n: int) -> CExpr:
        if n < 1:
            raise errors.UndefinedParameter(f"there is no parameter ${n}")
        while len(self.param_types) < n:
            self.param_types.append(None)
        t = self.param_types[n - 1]
        idx = n - 1
        fn = lambda row, ctx: ctx.params[idx]  # noqa: E731
        if t is None or t.oid == 0:
            return CExpr(fn, T.UNKNOWN, -1, "?column?", param=n)
        return CExpr(fn, t, -1, "?column?")

    def final_param_types(self) -> list[DataType]:
        return [t if t is not None and t.oid != 705 else T.TEXT for t in self.param_types]

    # -- catalog helpers used by expressions ------------------------------------------------
    def regclass_lookup(self, name: str) -> int:
        raw = name.strip()
        if raw.startswith('"') and raw.endswith('"'):
            raw = raw[1:-1]
        else:
            raw = raw.lower()
        schema = None
        if "." in raw:
            schema, raw = raw.split(".", 1)
        if raw.isdigit():
            return int(raw)
        table = self.catalog.find_table(raw, schema)
        if table is not None:
            return table.oid
        seq = self.catalog.find_sequence(raw, schema)
        if seq is not None:
            return seq.oid
        for t in self.catalog.tables.values():
            if t.pk_name == raw:
                return t.pk_index_oid
        raise errors.UndefinedTable(f'relation "{name}" does not exist')

    def regclass_name(self, oid: int) -> str:
        t = self.catalog.tables.get(oid)
        if t is not None:
            return t.name
        s = self.catalog.sequences.get(oid)
        if s is not None:
            return s.name
        return str(oid)

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
        value = ctx.tm.nextval(ctx.txn, oid, seq.increment, seq.start, seq.max_value, seq.name)
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
        ctx.tm.sequences[oid] = value if called else value - seq.increment
        ctx.txn.seq_touched.add(oid)
        return value

    # -- statements -------------------------------------------------------------------------
    def plan(self, node: exp.Expression) -> Plan:
        if isinstance(node, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery,
                             exp.Values)):
            q = self.plan_query(node, None)
            q.param_types = self.final_param_types()
            q.writes = self.volatile or bool(node.args.get("locks"))
            return q
        from omendb_server.sql import ddl, dml

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
        p.param_types = self.final_param_types()
        return p

    def subquery(self, node: exp.Expression, outer: Scope) -> tuple[QueryPlan, bool]:
        if isinstance(node, exp.Subquery):
            node = node.this
        holder: list[bool] = [False]
        plan = self.plan_query(node, outer, holder)
        return plan, holder[0]

    # -- SELECT -----------------------------------------------------------------------------
    def plan_query(self, node: exp.Expression, outer: Scope | None,
                   correlated: list[bool] | None = None) -> QueryPlan:
        if isinstance(node, exp.Subquery):
            return self.plan_query(node.this, outer, correlated)
        if isinstance(node, exp.Union):
            return self._plan_union(node, outer, correlated)
        if isinstance(node, (exp.Intersect, exp.Except)):
            raise errors.FeatureNotSupported("INTERSECT/EXCEPT are not supported yet")
        if isinstance(node, exp.Values):
            op, scope = self._values_source(node, None)
            cols = [OutputColumn(c.name, c.type, c.typmod) for c in scope.columns]
            return QueryPlan(columns=cols, root=op)
        if not isinstance(node, exp.Select):
            raise errors.FeatureNotSupported(f"query not supported: {node.sql()[:100]}")
        return self._plan_select(node, outer, correlated)

    def _plan_union(self, node: exp.Union, outer: Scope | None,
                    correlated: list[bool] | None) -> QueryPlan:
        left = self.plan_query(node.this, outer, correlated)
        right = self.plan_query(node.expression, outer, correlated)
        if len(left.columns or []) != len(right.columns or []):
            raise errors.SyntaxError("each UNION query must have the same number of columns")
        distinct = bool(node.args.get("distinct", True))
        root: ops.Operator = ops.Append([left.root, right.root], distinct)  # type: ignore[list-item]
        cols = left.columns or []
        order = node.args.get("order")
        if order is not None:
            keys = []
            for o in order.expressions:
                idx = self._output_index(o.this, cols)
                if idx is None:
                    raise errors.FeatureNotSupported("ORDER BY on a UNION must name an output column")
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
        if node.args.get("with_") or node.args.get("with"):
            raise errors.FeatureNotSupported("WITH queries are not supported yet")
        # FROM and joins
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is not None:
            source, scope = self._from_item(from_.this, outer)
            for join in node.args.get("joins") or []:
                source, scope = self._join(source, scope, join, outer)
        else:
            source, scope = ops.OneRow(), Scope()
        scope.outer = outer
        compiler = ExprCompiler(self, scope)

        where = node.args.get("where")
        locks = node.args.get("locks")
        lock_info = None
        if locks:
            source, lock_info = self._lock_source(node, source, scope, where, compiler, locks)
        elif where is not None:
            source = self._filter(source, scope, where.this, compiler)

        selects = node.expressions
        group = node.args.get("group")
        having = node.args.get("having")
        has_aggs = any(self._contains_aggregate(e) for e in selects) or having is not None or (
            group is not None)
        order = node.args.get("order")
        if order is not None and not has_aggs:
            has_aggs = any(self._contains_aggregate(o.this) for o in order.expressions)

        out_compiler = compiler
        if has_aggs:
            group_nodes: list[exp.Expression] = []
            if group is not None:
                for g in group.expressions:
                    group_nodes.append(self._resolve_group_ref(g, selects))
            group_exprs = [compiler.compile(g) for g in group_nodes]
            agg = AggContext(group_nodes, group_exprs, input=compiler)
            out_compiler = ExprCompiler(self, Scope(outer=outer), agg)
        # select list
        out_exprs: list[CExpr] = []
        out_cols: list[OutputColumn] = []
        for item in selects:
            if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
                if has_aggs:
                    raise errors.GroupingError("SELECT * is not allowed with GROUP BY here")
                qualifier = item.table if isinstance(item, exp.Column) else None
                found = False
                for i, col in enumerate(scope.columns):
                    if qualifier and col.qualifier != qualifier:
                        continue
                    found = True
                    out_exprs.append(CExpr(lambda r, c, i=i: r[i], col.type, col.typmod, col.name,
                                           source=(col.table_oid, col.attnum), col_index=i))
                if qualifier and not found:
                    raise errors.UndefinedTable(f'missing FROM-clause entry for table "{qualifier}"')
                if not scope.columns and not qualifier:
                    raise errors.SyntaxError("SELECT * with no tables specified is not valid")
                continue
            ce = out_compiler.compile(item)
            name = item.alias if isinstance(item, exp.Alias) else ce.name
            out_exprs.append(CExpr(ce.fn, ce.type, ce.typmod, name, ce.const, ce.param, ce.source,
                                   ce.col_index if not has_aggs else None))
        # untyped literals in the select list are text, as in PostgreSQL
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
                idx = self._output_index(o.this, out_cols)
                if idx is None:
                    ce = out_compiler.compile(o.this)
                    idx = width + len(hidden)
                    hidden.append(ce)
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                nulls_first = desc if nf is None else bool(nf)
                sort_keys.append((idx, desc, nulls_first))

        if has_aggs:
            agg = out_compiler.agg
            assert agg is not None
            having_fn = out_compiler.boolean(having.this, "HAVING").fn if having is not None else None
            source = ops.Aggregate(source, [g.fn for g in agg.group_exprs], agg.aggs,
                                   grouped=group is not None).explain(
                "Group Key: " + ", ".join(g.sql(dialect="postgres") for g in agg.group_nodes)
                if agg.group_nodes else "")
            if having_fn is not None:
                source = ops.Filter(source, having_fn).explain(
                    f"Filter: ({having.this.sql(dialect='postgres')})")
        all_cols = out_exprs + hidden
        if lock_info is not None:
            # carry each row's version past the sort to LockRows, then drop it
            vpos = len(scope.columns)
            fns = [ce.fn for ce in all_cols] + [lambda r, c: r[vpos]]
            root = ops.Project(source, fns)
            if sort_keys:
                root = ops.Sort(root, sort_keys).explain(
                    "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
            project = lambda values, c: tuple(f(values, c) for f in fns)  # noqa: E731
            table_oid, name, pred, mode, policy = lock_info
            root = ops.LockRows(root, table_oid, name, len(fns) - 1, pred, project, mode, policy)
            root = self._limit(node, root, scope)
            root = ops.Strip(root, width)
            if correlated is not None and compiler.correlated:
                correlated[0] = True
            return QueryPlan(columns=out_cols, root=root)
        if all_cols and all(ce.col_index is not None for ce in all_cols):
            root: ops.Operator = ops.ProjectColumns(source, [ce.col_index for ce in all_cols])  # type: ignore[misc]
        else:
            root = ops.Project(source, [ce.fn for ce in all_cols])
        if node.args.get("distinct") is not None:
            if node.args["distinct"].args.get("on"):
                raise errors.FeatureNotSupported("DISTINCT ON is not supported yet")
            root = ops.Distinct(root, width)
        if sort_keys and not has_aggs and node.args.get("distinct") is None:
            ordered = self._order_by_pk(source, scope, order, out_exprs, sort_keys)
            if ordered is not None:
                sort_keys = []  # the ordered index scan yields this order
                if isinstance(source, ops.Filter):
                    source.child = ordered
                else:
                    root.child = ordered  # type: ignore[attr-defined]  # the projection
        if sort_keys:
            root = ops.Sort(root, sort_keys).explain(
                "Sort Key: " + ", ".join(o.sql(dialect="postgres") for o in order.expressions))
        root = self._limit(node, root, scope)
        if hidden:
            root = ops.Strip(root, width)
        if correlated is not None and (compiler.correlated or out_compiler.correlated):
            correlated[0] = True
        return QueryPlan(columns=out_cols, root=root, fast=_point_query(root))

    def _limit(self, node: exp.Expression, root: ops.Operator, scope: Scope) -> ops.Operator:
        limit = node.args.get("limit")
        offset = node.args.get("offset")
        if limit is None and offset is None:
            return root
        comp = ExprCompiler(self, Scope())
        lim_fn = off_fn = None
        if limit is not None:
            lim_node = limit.expression if limit.expression is not None else limit.this
            if isinstance(limit, exp.Fetch):
                lim_node = limit.args.get("count")
            if lim_node is not None and not isinstance(lim_node, exp.Null):
                lim_fn = comp.coerce(comp.compile(lim_node), T.INT8).fn
        if offset is not None:
            off_node = offset.expression if offset.expression is not None else offset.this
            off_fn = comp.coerce(comp.compile(off_node), T.INT8).fn
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
        for sub in node.walk():
            if isinstance(sub, (exp.Subquery, exp.Select)) and sub is not node:
                continue
            if isinstance(sub, exp.Count | exp.Sum | exp.Avg | exp.Min | exp.Max |
                          exp.GroupConcat | exp.ArrayAgg):
                if not self._inside_subquery(sub, node):
                    return True
            if isinstance(sub, exp.Anonymous) and str(sub.this).lower() in AGGREGATES:
                if not self._inside_subquery(sub, node):
                    return True
            if isinstance(sub, exp.Func) and sub.sql_name().lower() in ("bool_and", "bool_or", "logical_and", "logical_or"):
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
        idx, desc, nulls_first = sort_keys[0]
        col = None
        if isinstance(item, exp.Column):
            try:
                i = scope.find(item.name, item.table or None)
            except errors.DBError:
                i = None
            if i is not None:
                col = scope.columns[i]
        if col is None and idx < len(out_exprs):
            src = out_exprs[idx].source
            if src == (table.oid, pos + 1):
                col = ScopeColumn(None, "", out_exprs[idx].type, -1, table.oid, pos + 1)
        if col is None or col.table_oid != table.oid or col.attnum != pos + 1:
            return None
        if isinstance(scan, ops.SeqScan):
            return ops.IndexRange(table.oid, table.name, table.pk_name or "", None, None,
                                  True, True, desc)
        scan.reverse = desc
        return scan

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
                ce = self._pin_value(table, scope, col_node, val_node, compiler)
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
                   val_node: exp.Expression, compiler: ExprCompiler) -> CExpr | None:
        """The value ``val_node`` as a key for ``col_node``, or None if it cannot be one."""
        if any(isinstance(x, (exp.Column, exp.Subquery, exp.Select)) for x in val_node.walk()):
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
        ce = compiler.coerce(val, col.type)
        return CExpr(ce.fn, ce.type, ce.typmod, val_node.sql(dialect="postgres"))

    # -- FROM items ------------------------------------------------------------------------
    def _from_item(self, item: exp.Expression, outer: Scope | None) -> tuple[ops.Operator, Scope]:
        if isinstance(item, exp.Table):
            return self._table_source(item)
        if isinstance(item, exp.Subquery):
            inner = item.this
            if isinstance(inner, exp.Values):
                return self._values_source(inner, item.args.get("alias"))
            plan = self.plan_query(inner, outer)
            alias = item.alias or None
            names = self._alias_columns(item.args.get("alias"), [c.name for c in plan.columns or []])
            scope = Scope([ScopeColumn(alias, n, c.type, c.typmod) for n, c in
                           zip(names, plan.columns or [])])
            return ops.SubqueryScan(plan.root), scope  # type: ignore[arg-type]
        if isinstance(item, exp.Values):
            return self._values_source(item, item.args.get("alias"))
        raise errors.FeatureNotSupported(f"FROM item not supported yet: {item.sql()[:100]}")

    @staticmethod
    def _alias_columns(alias: exp.Expression | None, names: list[str]) -> list[str]:
        if alias is None:
            return names
        cols = [c.name for c in alias.args.get("columns") or []]
        return cols + names[len(cols):]

    def _values_source(self, node: exp.Values, alias: exp.Expression | None
                       ) -> tuple[ops.Operator, Scope]:
        comp = ExprCompiler(self, Scope())
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
        names = self._alias_columns(alias, [f"column{i + 1}" for i in range(width)])
        qual = alias.name if alias is not None and alias.name else ("*VALUES*" if alias is None else None)
        scope = Scope([ScopeColumn(qual, names[i], types[i]) for i in range(width)])
        return ops.ValuesScan(fns), scope

    def _table_source(self, item: exp.Table) -> tuple[ops.Operator, Scope]:
        if isinstance(item.this, exp.ExplodingGenerateSeries):
            return self._series_source(item)
        if isinstance(item.this, (exp.Func, exp.Anonymous)):
            raise errors.FeatureNotSupported(
                f"function in FROM not supported yet: {item.this.sql(dialect='postgres')[:80]}")
        name = item.name
        schema = item.db or None
        alias = item.alias or name
        if schema in (None, "public"):
            table = self.catalog.find_table(name, schema)
            if table is not None:
                return self.table_scan(table, alias)
        if schema in (None, "pg_catalog") and name in RELATIONS:
            columns, producer = RELATIONS[name]
            names = self._alias_columns(item.args.get("alias"), [c for c, _ in columns])
            scope = Scope([ScopeColumn(alias, n, t) for n, (_, t) in zip(names, columns)])

            def produce(ctx: ExecContext, producer=producer) -> list[tuple]:
                info = {"database": ctx.session.database, "users": [ctx.session.user],
                        "row_cache": ctx.tm.row_cache.stats()}
                return producer(ctx.catalog, info)

            return ops.VirtualScan(name, produce), scope
        shown = f"{schema}.{name}" if schema else name
        raise errors.UndefinedTable(f'relation "{shown}" does not exist')

    def _series_source(self, item: exp.Table) -> tuple[ops.Operator, Scope]:
        fn = item.this
        comp = ExprCompiler(self, Scope())
        parts = [comp.compile(fn.args[k]) if fn.args.get(k) is not None else None
                 for k in ("start", "end", "step")]
        present = [p for p in parts if p is not None]
        t = comp._unify([p.type for p in present])
        if t.oid == 705 or T.is_integer(t):
            t = T.INT8 if any(p.type.oid == 20 for p in present) else T.INT4
        elif t.oid != 1700:
            raise errors.UndefinedFunction(
                f"function generate_series({', '.join(T.type_label(p.type) for p in present)}) "
                "does not exist")
        fns = [comp.coerce(p, t).fn if p is not None else None for p in parts]
        alias = item.args.get("alias")
        alias_name = alias.name if alias is not None and alias.name else "generate_series"
        cols = [c.name for c in alias.args.get("columns") or []] if alias is not None else []
        col_name = cols[0] if cols else alias_name
        scope = Scope([ScopeColumn(alias_name, col_name, t)])
        return ops.SeriesScan(fns[0], fns[1], fns[2]), scope

    def table_scan(self, table: Table, alias: str) -> tuple[ops.SeqScan, Scope]:
        scope = Scope([
            ScopeColumn(alias, c.name, c.type, c.typmod, table.oid, i + 1)
            for i, c in enumerate(table.columns)
        ])
        return ops.SeqScan(table.oid, table.name), scope

    def _join(self, left: ops.Operator, lscope: Scope, join: exp.Join, outer: Scope | None
              ) -> tuple[ops.Operator, Scope]:
        right, rscope = self._from_item(join.this, outer)
        side = (join.args.get("side") or "").lower()
        kind = (join.args.get("kind") or "").lower()
        jkind = side if side in ("left", "right", "full") else ("cross" if kind == "cross" else "inner")
        scope = Scope(lscope.columns + rscope.columns, outer)
        lw, rw = len(lscope.columns), len(rscope.columns)
        comp = ExprCompiler(self, scope)
        on = join.args.get("on")
        using = join.args.get("using")
        if using:
            conds = []
            for ident in using:
                li = lscope.find(ident.name, None)
                ri = rscope.find(ident.name, None)
                if li is None or ri is None:
                    raise errors.UndefinedColumn(
                        f'column "{ident.name}" specified in USING clause does not exist in '
                        f'{"left" if li is None else "right"} table'
                    )
                conds.append((li, lw + ri))
            pairs = [(comp.compare_pair(
                CExpr(lambda r, c, i=a: r[i], scope.columns[a].type),
                CExpr(lambda r, c, i=b: r[i], scope.columns[b].type))) for a, b in conds]
            fns = [(a.fn, b.fn) for a, b in pairs]
            pred = lambda r, c: all((x := lf(r, c)) is not None and x == rf(r, c) for lf, rf in fns)  # noqa: E731
            # hide the right side's USING columns from unqualified lookups
            for _, b in conds:
                scope.columns[b] = ScopeColumn("\x00using", scope.columns[b].name,
                                               scope.columns[b].type, scope.columns[b].typmod)
            return ops.NestedLoopJoin(left, right, pred, jkind, lw, rw), scope
        if on is None:
            if jkind not in ("cross", "inner"):
                raise errors.SyntaxError("syntax error: JOIN requires an ON or USING clause")
            return ops.NestedLoopJoin(left, right, None, "cross", lw, rw), scope
        # equi-join keys → hash join
        conjuncts = list(on.flatten()) if isinstance(on, exp.And) else [on]
        lkeys: list[Any] = []
        rkeys: list[Any] = []
        rest: list[exp.Expression] = []
        lcomp = ExprCompiler(self, Scope(lscope.columns, outer))
        rcomp = ExprCompiler(self, Scope(rscope.columns, outer))
        for c in conjuncts:
            handled = False
            if isinstance(c, exp.EQ) and jkind in ("inner", "left"):
                for a, b in ((c.this, c.expression), (c.expression, c.this)):
                    try:
                        la = lcomp.compile(a)
                        rb = rcomp.compile(b)
                    except errors.DBError:
                        continue
                    if lcomp.correlated or rcomp.correlated:
                        break
                    if _refs_only(a, lscope) and _refs_only(b, rscope):
                        la, rb = lcomp.compare_pair(la, rb)
                        lkeys.append(la.fn)
                        rkeys.append(rb.fn)
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
            return ops.HashJoin(left, right, lkeys, rkeys, residual, jkind, lw, rw).explain(
                f"Hash Cond: ({on.sql(dialect='postgres')})"), scope
        pred_fn = comp.boolean(on, "JOIN/ON").fn
        return ops.NestedLoopJoin(left, right, pred_fn, jkind, lw, rw).explain(
            f"Join Filter: ({on.sql(dialect='postgres')})"), scope


def _point_query(root: ops.Operator) -> Any:
    """A direct function for ``SELECT cols FROM t WHERE key = v`` plans, else None."""
    if not isinstance(root, ops.ProjectColumns) or not isinstance(root.child, ops.IndexLookup):
        return None
    lookup = root.child
    if len(lookup.keys) != 1:
        return None
    pick = root.pick
    fetch = lookup.fetch
    return lambda ctx: [pick(values) for values in fetch(ctx)]


def _refs_only(node: exp.Expression, scope: Scope) -> bool:
    cols = list(node.find_all(exp.Column))
    if not cols:
        return False
    for c in cols:
        try:
            if scope.find(c.name, c.table or None) is None:
                return False
        except errors.DBError:
            return False
    return True


__all__ = ["CallablePlan", "Planner"]
