"""INSERT, UPDATE and DELETE: bind targets, then run through the transaction manager.

Every written row goes through ``RowShaper`` so column types, typmods (varchar
length → 22001), NOT NULL (23502) and primary-key uniqueness (23505) are checked
in one place with PostgreSQL's messages.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Table
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr, ExprCompiler, Scope, ScopeColumn
from omendb_server.sql.operators import candidate_versions
from omendb_server.sql.plan import CallablePlan, OutputColumn, Result

Row = tuple[Any, ...]


def _target_table(planner, node: exp.Expression) -> tuple[Table, str]:  # type: ignore[no-untyped-def]
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise errors.FeatureNotSupported(f"unsupported DML target: {node.sql()[:80]}")
    schema = node.db or None
    if schema == "pg_catalog":
        raise errors.InsufficientPrivilege(f'permission denied for table {node.name}')
    table = planner.catalog.get_table(node.name, schema)
    return table, node.alias or table.name


def _table_scope(table: Table, alias: str) -> Scope:
    return Scope([ScopeColumn(alias, c.name, c.type, c.typmod, table.oid, i + 1)
                  for i, c in enumerate(table.columns)])


def _fmt_row(table: Table, values: Row, ctx: ExecContext) -> str:
    parts = []
    for col, v in zip(table.columns, values):
        parts.append("null" if v is None else col.type.text_out(v, ctx.fmt))
    return "(" + ", ".join(parts) + ")"


def check_not_null(table: Table, values: Row, ctx: ExecContext) -> None:
    for col, v in zip(table.columns, values):
        if v is None and col.not_null:
            raise errors.NotNullViolation(
                f'null value in column "{col.name}" of relation "{table.name}" violates '
                "not-null constraint",
                detail=f"Failing row contains {_fmt_row(table, values, ctx)}.",
                table=table.name, column=col.name,
            )


def unique_violation(table: Table, index_oid: int, key: tuple[Any, ...],
                     ctx: ExecContext) -> errors.DBError:
    if index_oid == 0:
        cols, name = table.primary_key, table.pk_name
    else:
        index = ctx.catalog.indexes[index_oid]
        cols, name = index.columns, index.name
    names = ", ".join(table.columns[i].name for i in cols)
    vals = ", ".join(table.columns[i].type.text_out(v, ctx.fmt) for i, v in zip(cols, key))
    return errors.UniqueViolation(
        f'duplicate key value violates unique constraint "{name}"',
        detail=f"Key ({names})=({vals}) already exists.",
        constraint=name, table=table.name,
    )


def unique_index_oids(planner, table: Table) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(i.oid for i in planner.catalog.indexes_of(table.oid) if i.unique)


def _returning(planner, node: exp.Expression, table: Table, alias: str  # type: ignore[no-untyped-def]
               ) -> tuple[list[OutputColumn] | None, list[Any]]:
    ret = node.args.get("returning")
    if ret is None:
        return None, []
    comp = ExprCompiler(planner, _table_scope(table, alias))
    fns: list[Any] = []
    cols: list[OutputColumn] = []
    for item in ret.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            for i, c in enumerate(table.columns):
                fns.append(lambda r, ctx, i=i: r[i])
                cols.append(OutputColumn(c.name, c.type, c.typmod, table.oid, i + 1))
            continue
        ce = comp.compile(item)
        if ce.type.oid == 705:
            ce = comp.coerce(ce, T.TEXT)
        name = item.alias if isinstance(item, exp.Alias) else ce.name
        fns.append(ce.fn)
        cols.append(OutputColumn(name, ce.type, ce.typmod, ce.source[0], ce.source[1]))
    return cols, fns


def default_exprs(planner, table: Table) -> list[CExpr | None]:  # type: ignore[no-untyped-def]
    comp = ExprCompiler(planner, Scope())
    out: list[CExpr | None] = []
    for col in table.columns:
        if col.default is None:
            out.append(None)
            continue
        node = sqlglot.parse_one(col.default, read="postgres")
        out.append(comp.coerce(comp.compile(node), col.type, col.typmod))
    return out


def plan_insert(planner, node: exp.Insert) -> CallablePlan:  # type: ignore[no-untyped-def]
    if node.args.get("conflict") is not None:
        raise errors.FeatureNotSupported("INSERT ... ON CONFLICT is not supported yet")
    table, alias = _target_table(planner, node.this)
    if isinstance(node.this, exp.Schema) and node.this.expressions:
        names = [i.name for i in node.this.expressions]
        targets = []
        for n in names:
            idx = table.find_column(n)
            if idx is None:
                raise errors.UndefinedColumn(
                    f'column "{n}" of relation "{table.name}" does not exist')
            if idx in targets:
                raise errors.DBError(f'column "{n}" specified more than once', "42701")
            targets.append(idx)
    else:
        targets = list(range(len(table.columns)))
    defaults = default_exprs(planner, table)
    source = node.expression
    comp = ExprCompiler(planner, Scope())
    row_fns: list[list[Any]] | None = None
    query_plan = None
    if isinstance(source, exp.Values):
        row_fns = []
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            if len(items) > len(targets):
                raise errors.SyntaxError("INSERT has more expressions than target columns")
            if len(items) < len(targets) and len(source.expressions) >= 1:
                raise errors.SyntaxError("INSERT has more target columns than expressions")
            fns: list[Any] = [None] * len(table.columns)
            for pos, item in zip(targets, items):
                col = table.columns[pos]
                if isinstance(item, exp.Var) and item.name.upper() == "DEFAULT" or \
                        isinstance(item, exp.Column) and item.name.upper() == "DEFAULT" and not item.table:
                    continue
                fns[pos] = comp.coerce(comp.compile(item), col.type, col.typmod).fn
            row_fns.append(fns)
    elif source is None and node.args.get("default"):
        row_fns = [[None] * len(table.columns)]
    else:
        query_plan = planner.plan_query(source, None)
        if len(query_plan.columns or []) > len(targets):
            raise errors.SyntaxError("INSERT has more expressions than target columns")
        casts = []
        for pos, oc in zip(targets, query_plan.columns or []):
            col = table.columns[pos]
            if oc.type.oid == col.type.oid and col.typmod < 0:
                casts.append(None)
            else:
                src_t = T.TEXT if oc.type.oid == 705 else oc.type
                casts.append(T.cast_function(src_t, col.type, col.typmod,
                                             planner.regclass_lookup, planner.regclass_name))
    default_fns = [d.fn if d is not None else None for d in defaults]
    uniques = unique_index_oids(planner, table)
    ret_cols, ret_fns = _returning(planner, node, table, alias)
    ncols = len(table.columns)

    def run(ctx: ExecContext) -> Result:
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        def write(values: list[Any]) -> None:
            nonlocal count
            for i in range(ncols):
                if values[i] is _MISSING:
                    df = default_fns[i]
                    values[i] = df((), ctx) if df is not None else None
            row = tuple(values)
            check_not_null(table, row, ctx)
            tm.insert(ctx.txn, data, row, conflict, uniques)
            count += 1
            if ret_fns:
                out_rows.append(tuple(f(row, ctx) for f in ret_fns))

        if row_fns is not None:
            for fns in row_fns:
                values = [_MISSING] * ncols
                for i, f in enumerate(fns):
                    if f is not None:
                        values[i] = f((), ctx)
                write(values)
        else:
            assert query_plan is not None
            for src in list(query_plan.rows(ctx)):
                values = [_MISSING] * ncols
                for pos, cast, v in zip(targets, casts, src):
                    values[pos] = v if v is None or cast is None else cast(v, ctx.fmt)
                write(values)
        return Result(f"INSERT 0 {count}", out_rows if ret_fns else None, ret_cols)

    source_line = ('Values Scan on "*VALUES*"' if row_fns is not None and len(row_fns) > 1
                   else "Result" if row_fns is not None else "Subquery Scan")
    return CallablePlan(columns=ret_cols, kind="dml", writes=True, run=run,
                        explain_lines=[f"Insert on {table.name}", f"  ->  {source_line}"])


class _Missing:
    def __repr__(self) -> str:
        return "<default>"


_MISSING: Any = _Missing()


def _scan_matches(planner, table: Table, alias: str, where: exp.Expression | None):  # type: ignore[no-untyped-def]
    scope = _table_scope(table, alias)
    comp = ExprCompiler(planner, scope)
    pred = comp.boolean(where.this).fn if where is not None else None
    key_fns = None
    index_oid = 0
    if where is not None:
        scan, _ = planner.table_scan(table, alias)
        lookup = planner._pk_lookup(scan, scope, where.this, comp)
        if lookup is not None:
            key_fns, index_oid = lookup.keys, lookup.index_oid
    return scope, comp, pred, (key_fns, index_oid)


def plan_update(planner, node: exp.Update) -> CallablePlan:  # type: ignore[no-untyped-def]
    if node.args.get("from_") or node.args.get("from"):
        raise errors.FeatureNotSupported("UPDATE ... FROM is not supported yet")
    table, alias = _target_table(planner, node.this)
    scope, comp, pred, key_fns = _scan_matches(planner, table, alias, node.args.get("where"))
    assigns: list[tuple[int, Any]] = []
    for eq in node.expressions:
        target = eq.this
        idx = table.find_column(target.name)
        if idx is None:
            raise errors.UndefinedColumn(
                f'column "{target.name}" of relation "{table.name}" does not exist')
        col = table.columns[idx]
        value = eq.expression
        if isinstance(value, exp.Var) and value.name.upper() == "DEFAULT" or (
                isinstance(value, exp.Column) and value.name.upper() == "DEFAULT" and not value.table):
            d = default_exprs(planner, table)[idx]
            assigns.append((idx, d.fn if d is not None else (lambda r, c: None)))
            continue
        assigns.append((idx, comp.coerce(comp.compile(value), col.type, col.typmod).fn))
    ret_cols, ret_fns = _returning(planner, node, table, alias)
    uniques = unique_index_oids(planner, table)

    def run(ctx: ExecContext) -> Result:
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        for version in candidate_versions(ctx, data, *key_fns):
            if pred is not None and pred(version.values, ctx) is not True:
                continue
            target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
            if target is None:
                continue
            if target is not version and pred is not None and pred(target.values, ctx) is not True:
                continue
            old = target.values
            new = list(old)
            for idx, fn in assigns:
                new[idx] = fn(old, ctx)
            row = tuple(new)
            check_not_null(table, row, ctx)
            tm.delete(ctx.txn, data, target)
            created = tm.insert(ctx.txn, data, row, conflict, uniques)
            target.succ = created.vid
            count += 1
            if ret_fns:
                out_rows.append(tuple(f(row, ctx) for f in ret_fns))
        return Result(f"UPDATE {count}", out_rows if ret_fns else None, ret_cols)

    return CallablePlan(columns=ret_cols, kind="dml", writes=True, run=run,
                        explain_lines=_scan_lines("Update", planner, table, node, key_fns))


def plan_delete(planner, node: exp.Delete) -> CallablePlan:  # type: ignore[no-untyped-def]
    if node.args.get("using"):
        raise errors.FeatureNotSupported("DELETE ... USING is not supported yet")
    table, alias = _target_table(planner, node.this)
    scope, comp, pred, key_fns = _scan_matches(planner, table, alias, node.args.get("where"))
    ret_cols, ret_fns = _returning(planner, node, table, alias)

    def run(ctx: ExecContext) -> Result:
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0
        for version in candidate_versions(ctx, data, *key_fns):
            if pred is not None and pred(version.values, ctx) is not True:
                continue
            target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
            if target is None:
                continue
            if target is not version and pred is not None and pred(target.values, ctx) is not True:
                continue
            tm.delete(ctx.txn, data, target)
            count += 1
            if ret_fns:
                out_rows.append(tuple(f(target.values, ctx) for f in ret_fns))
        return Result(f"DELETE {count}", out_rows if ret_fns else None, ret_cols)

    return CallablePlan(columns=ret_cols, kind="dml", writes=True, run=run,
                        explain_lines=_scan_lines("Delete", planner, table, node, key_fns))


def _scan_lines(verb: str, planner, table: Table, node: exp.Expression, key: Any) -> list[str]:  # type: ignore[no-untyped-def]
    key_fns, index_oid = key
    if key_fns is None:
        scan = f"Seq Scan on {table.name}"
    elif index_oid == 0:
        scan = f"Index Scan using {table.pk_name} on {table.name}"
    else:
        scan = f"Index Scan using {planner.catalog.indexes[index_oid].name} on {table.name}"
    lines = [f"{verb} on {table.name}", f"  ->  {scan}"]
    where = node.args.get("where")
    if where is not None:
        lines.append(f"        Filter: ({where.this.sql(dialect='postgres')})")
    return lines
