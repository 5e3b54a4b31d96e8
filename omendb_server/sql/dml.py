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
from omendb_server.sql.constraints import (
    RowWriter,
    StatementState,
    check_not_null,
    finish_statement,
    fmt_row,
    table_scope,
    unique_violation,
)
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr, ExprCompiler, Scope, ScopeColumn
from omendb_server.sql.operators import candidate_versions
from omendb_server.sql.plan import CallablePlan, OutputColumn, Result
from omendb_server.storage.delta import INF

__all__ = ["check_not_null", "default_exprs", "plan_delete", "plan_insert", "plan_update",
           "unique_violation"]

Row = tuple[Any, ...]


def _target_table(planner, node: exp.Expression) -> tuple[Table, str]:  # type: ignore[no-untyped-def]
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise errors.FeatureNotSupported(f"unsupported DML target: {node.sql()[:80]}")
    schema = node.db or None
    if schema == "pg_catalog":
        raise errors.InsufficientPrivilege(f'permission denied for table {node.name}')
    table = planner.catalog.find_table(node.name, schema)
    if table is None:
        view = planner.catalog.find_view(node.name, schema)
        if view is not None:
            raise errors.DBError(f'cannot insert into view "{view.name}"', "55000",
                                 detail="Views that do not select from a single table or view "
                                 "are not automatically updatable.")
        shown = f"{schema}.{node.name}" if schema else node.name
        raise errors.UndefinedTable(f'relation "{shown}" does not exist')
    return table, node.alias or table.name


def _table_scope(table: Table, alias: str) -> Scope:
    return table_scope(table, alias)


_fmt_row = fmt_row


def _returning(planner, node: exp.Expression, table: Table, alias: str,  # type: ignore[no-untyped-def]
               extra: Scope | None = None) -> tuple[list[OutputColumn] | None, list[Any]]:
    """RETURNING items compiled over the written row (plus ``extra``: FROM/USING rows)."""
    ret = node.args.get("returning")
    if ret is None:
        return None, []
    scope = _table_scope(table, alias)
    if extra is not None:
        scope = Scope(scope.columns + extra.columns)
    comp = ExprCompiler(planner, scope)
    fns: list[Any] = []
    cols: list[OutputColumn] = []
    for item in ret.expressions:
        target = item.this if isinstance(item, exp.Alias) else item
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            qualifier = item.table if isinstance(item, exp.Column) else None
            for i, sc in enumerate(scope.columns):
                if qualifier and sc.qualifier != qualifier or sc.qualifier == "\x00using":
                    continue
                fns.append(lambda r, ctx, i=i: r[i])
                cols.append(OutputColumn(sc.name, sc.type, sc.typmod, sc.table_oid, sc.attnum))
            continue
        ce = comp.compile(target)
        if ce.type.oid == 705:
            ce = comp.coerce(ce, T.TEXT)
        name = item.alias if isinstance(item, exp.Alias) else ce.name
        fns.append(ce.fn)
        cols.append(OutputColumn(name, ce.type, ce.typmod, ce.source[0], ce.source[1]))
    return cols, fns


def default_exprs(planner, table: Table) -> list[CExpr | None]:  # type: ignore[no-untyped-def]
    """Compiled DEFAULT of each column (None: no default; generated columns excluded)."""
    comp = ExprCompiler(planner, Scope())
    out: list[CExpr | None] = []
    for col in table.columns:
        if col.default is None or col.generated:
            out.append(None)
            continue
        node = sqlglot.parse_one(col.default_expr, read="postgres")
        out.append(comp.coerce(comp.compile(node), col.type, col.typmod))
    return out


def _is_default(item: exp.Expression) -> bool:
    return (isinstance(item, exp.Var) and item.name.upper() == "DEFAULT") or (
        isinstance(item, exp.Column) and item.name.upper() == "DEFAULT" and not item.table
        and not item.this.args.get("quoted"))


def _refuse_generated(table: Table, pos: int, verb: str, overriding: str | None = None) -> None:
    """428C9 for explicit values in generated / GENERATED ALWAYS identity columns
    (OVERRIDING SYSTEM VALUE lets an INSERT set an identity column)."""
    col = table.columns[pos]
    if col.identity and overriding == "SYSTEM":
        return
    if col.generated:
        detail = f'Column "{col.name}" is a generated column.'
    elif col.identity == "a":
        detail = f'Column "{col.name}" is an identity column defined as GENERATED ALWAYS.'
    else:
        return
    if verb == "insert":
        raise errors.DBError(f'cannot insert a non-DEFAULT value into column "{col.name}"',
                             "428C9", detail=detail,
                             hint=None if col.generated else
                             "Use OVERRIDING SYSTEM VALUE to override.")
    raise errors.DBError(f'column "{col.name}" can only be updated to DEFAULT', "428C9",
                         detail=detail)


class _Conflict(Exception):
    """Raised by the unique check of an INSERT ... ON CONFLICT arbiter."""

    def __init__(self, index_oid: int, key: tuple[Any, ...]) -> None:
        self.index_oid = index_oid
        self.key = key


def _arbiter(planner, table: Table, conflict: exp.OnConflict) -> tuple[int, ...] | None:  # type: ignore[no-untyped-def]
    """Index oids (0 = primary key) the ON CONFLICT clause names; None = any."""
    cat = planner.catalog
    cname = conflict.args.get("constraint")
    if cname is not None:
        name = cname.name
        if table.pk_name == name and table.primary_key:
            return (0,)
        for index in cat.indexes_of(table.oid):
            if index.name == name and index.constraint:
                return (index.oid,)
        raise errors.UndefinedObject(
            f'constraint "{name}" for table "{table.name}" does not exist')
    keys = conflict.args.get("conflict_keys")
    if not keys:
        return None
    cols = set()
    exprs = set()
    for k in keys:
        target = k.this if isinstance(k, exp.Ordered) else k
        while isinstance(target, exp.Paren):
            target = target.this
        if isinstance(target, exp.Column):
            cols.add(table.column_index(target.name))
        else:
            exprs.add(target.sql(dialect="postgres"))
    # a partial unique index is an arbiter only when the clause has an index predicate
    # (PostgreSQL also checks that it implies the index's: not done here)
    has_pred = conflict.args.get("index_predicate") is not None
    found = []
    if table.primary_key and set(table.primary_key) == cols and not exprs:
        found.append(0)
    for index in cat.indexes_of(table.oid):
        if not index.unique or (index.where is not None and not has_pred):
            continue
        if ({c for c in index.columns if c >= 0} == cols
                and set(index.exprs.values()) == exprs):
            found.append(index.oid)
    if not found:
        raise errors.DBError("there is no unique or exclusion constraint matching the ON "
                             "CONFLICT specification", "42P10")
    return tuple(found)


def plan_insert(planner, node: exp.Insert) -> CallablePlan:  # type: ignore[no-untyped-def]
    table, alias = _target_table(planner, node.this)
    explicit_cols = isinstance(node.this, exp.Schema) and bool(node.this.expressions)
    if explicit_cols:
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
    overriding = node.args.get("overriding")
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
            if len(items) < len(targets) and explicit_cols:
                raise errors.SyntaxError("INSERT has more target columns than expressions")
            fns: list[Any] = [None] * len(table.columns)
            for pos, item in zip(targets, items):
                col = table.columns[pos]
                if _is_default(item) or (overriding == "USER" and col.identity):
                    continue
                _refuse_generated(table, pos, "insert", overriding)
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
            _refuse_generated(table, pos, "insert", overriding)
            col = table.columns[pos]
            if oc.type.oid == col.type.oid and col.typmod < 0:
                casts.append(None)
            else:
                src_t = T.TEXT if oc.type.oid == 705 else oc.type
                casts.append(T.cast_function(src_t, col.type, col.typmod,
                                             planner.regclass_lookup, planner.regclass_name))
    default_fns = [d.fn if d is not None else None for d in defaults]
    writer = RowWriter(planner, table)
    ret_cols, ret_fns = _returning(planner, node, table, alias)
    ncols = len(table.columns)
    on_conflict = node.args.get("conflict")
    upsert = _plan_upsert(planner, table, alias, on_conflict) if on_conflict is not None else None

    def run(ctx: ExecContext) -> Result:
        wait_for_reshape(ctx, table)
        if ctx.catalog.tables.get(table.oid) is not table and not same_shape(ctx, table):
            return replan(planner, node, ctx, ret_cols)
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0
        st = StatementState()

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        seen: set[int] = set()

        def write(values: list[Any]) -> None:
            nonlocal count
            for i in range(ncols):
                if values[i] is _MISSING:
                    df = default_fns[i]
                    values[i] = df((), ctx) if df is not None else None
            if upsert is not None:
                row = upsert(ctx, st, writer, data, values, seen)
                if row is None:
                    return
            elif writer.simple:
                row = tuple(values)
                check_not_null(table, row, ctx)
                tm.insert(ctx.txn, data, row, conflict, writer.uniques)
            else:
                row = writer.insert(ctx, st, values, conflict).values
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
        if not writer.simple:
            finish_statement(ctx, st)
        return Result(f"INSERT 0 {count}", out_rows if ret_fns else None, ret_cols)

    source_line = ('Values Scan on "*VALUES*"' if row_fns is not None and len(row_fns) > 1
                   else "Result" if row_fns is not None else "Subquery Scan")
    return CallablePlan(columns=ret_cols, kind="dml", writes=True, run=run,
                        explain_lines=[f"Insert on {table.name}", f"  ->  {source_line}"])


def _plan_upsert(planner, table: Table, alias: str, conflict: exp.OnConflict):  # type: ignore[no-untyped-def]
    """ON CONFLICT [target] DO NOTHING | DO UPDATE SET ... [WHERE ...] → a row routine.

    The proposed row is inserted unless an arbiter index already holds its key (the
    check waits for in-flight writers of that key, as PostgreSQL's speculative
    insertion does); then the existing row is skipped or updated with ``EXCLUDED``
    bound to the proposed row."""
    arbiters = _arbiter(planner, table, conflict)
    action = str(conflict.args.get("action") or "").upper()
    do_update = "UPDATE" in action
    if do_update and arbiters is None:
        raise errors.SyntaxError("ON CONFLICT DO UPDATE requires inference specification or "
                                 "constraint name",
                                 hint="For example, ON CONFLICT (column_name).")
    n = len(table.columns)
    for col_ref in conflict.find_all(exp.Column):  # EXCLUDED.x: unquoted names fold to lower
        qual = col_ref.args.get("table")
        if isinstance(qual, exp.Identifier) and not qual.args.get("quoted"):
            qual.set("this", qual.this.lower())
    scope = Scope(_table_scope(table, alias).columns + [
        ScopeColumn("excluded", c.name, c.type, c.typmod) for c in table.columns])
    comp = ExprCompiler(planner, scope)
    assigns: list[tuple[int, Any]] = []
    defaults = default_exprs(planner, table)
    for eq in conflict.expressions or []:
        lhs, rhs = eq.this, eq.expression
        pairs = (list(zip(lhs.expressions, rhs.expressions))
                 if isinstance(lhs, exp.Tuple) and isinstance(rhs, exp.Tuple) else [(lhs, rhs)])
        for target, value in pairs:
            idx = table.find_column(target.name)
            if idx is None:
                raise errors.UndefinedColumn(
                    f'column "{target.name}" of relation "{table.name}" does not exist')
            col = table.columns[idx]
            if _is_default(value):
                d = defaults[idx]
                assigns.append((idx, d.fn if d is not None else (lambda r, c: None)))
                continue
            _refuse_generated(table, idx, "update")
            assigns.append((idx, comp.coerce(comp.compile(value), col.type, col.typmod).fn))
    where = conflict.args.get("where")
    pred = comp.boolean(where.this if isinstance(where, exp.Where) else where).fn \
        if where is not None else None

    def upsert(ctx: ExecContext, st: StatementState, writer: RowWriter, data: Any,
               values: list[Any], seen: set[int]) -> Row | None:
        def on_dup(index_oid: int, key: tuple[Any, ...]) -> None:
            if arbiters is None or index_oid in arbiters:
                raise _Conflict(index_oid, key)
            raise unique_violation(table, index_oid, key, ctx)

        try:
            version = writer.insert(ctx, st, values, on_dup)
            seen.add(version.vid)
            return version.values
        except _Conflict as c:
            if not do_update:
                return None
            proposed = writer.prepare(values, ctx)
            txid = ctx.txn.txid
            existing = [v for v in data.versions_with_key(c.key, c.index_oid)
                        if v.end == INF or (v.end < 0 and v.end != -txid)]
            if not existing:
                return None
            target = ctx.tm.lock_for_write(ctx.txn, data, existing[0], "W", "wait", table.name)
            if target is None:
                return None
            if target.vid in seen or target.begin == -txid and target.vid in seen:
                raise errors.DBError(
                    "ON CONFLICT DO UPDATE command cannot affect row a second time", "21000",
                    hint="Ensure that no rows proposed for insertion within the same command "
                    "have duplicate constrained values.")
            both = target.values + proposed
            if pred is not None and pred(both, ctx) is not True:
                return None
            new = list(target.values)
            for idx, fn in assigns:
                new[idx] = fn(both, ctx)
            created = writer.update(ctx, st, target, new)
            seen.add(created.vid)
            return created.values

    assert n >= 0
    return upsert


def wait_for_reshape(ctx: ExecContext, table: Table) -> None:
    """Wait while another transaction's uncommitted ALTER TABLE reshapes ``table`` (its
    rows are being rewritten; PostgreSQL's ACCESS EXCLUSIVE lock), so no row of the
    old shape is written after the rewrite. Re-reads the catalog once it is over."""
    tm = ctx.tm
    waited = False
    while True:
        blocker = None
        for other in tm.active.values():
            if other is ctx.txn or other.catalog is None:
                continue
            theirs = other.catalog.tables.get(table.oid)
            if theirs is None or [(c.type.oid, c.typmod) for c in theirs.columns] != \
                    [(c.type.oid, c.typmod) for c in table.columns]:
                blocker = other
                break
        if blocker is None:
            break
        tm.wait_for(ctx.txn, blocker.txid)
        waited = True
    if waited:
        if getattr(ctx.txn, "repeatable", False):
            raise errors.SerializationFailure("could not serialize access due to concurrent update")
        tm.statement_snapshot(ctx.txn)  # READ COMMITTED: see the rewritten rows
        ctx.catalog = tm.catalog_for(ctx.txn)


def same_shape(ctx: ExecContext, table: Table) -> bool:
    current = ctx.catalog.tables.get(table.oid)
    return current is not None and [(c.type.oid, c.typmod) for c in current.columns] == \
        [(c.type.oid, c.typmod) for c in table.columns]


def replan(planner, node: exp.Expression, ctx: ExecContext,  # type: ignore[no-untyped-def]
           columns: list[OutputColumn] | None) -> Result:
    """The table changed shape since this statement was planned (a DDL commit by another
    session): plan it again against the current catalog, as PostgreSQL re-plans cached
    statements, rather than write rows of the old shape."""
    from omendb_server.sql.planner import Planner

    fresh = Planner(ctx.catalog, list(planner.param_types)).plan(node)
    old = [(c.name, c.type.oid) for c in columns or []]
    if old != [(c.name, c.type.oid) for c in fresh.columns or []]:
        raise errors.FeatureNotSupported("cached plan must not change result type")
    return fresh.execute(ctx)


class _Missing:
    def __repr__(self) -> str:
        return "<default>"


_MISSING: Any = _Missing()


def _scan_matches(planner, table: Table, alias: str, where: exp.Expression | None,  # type: ignore[no-untyped-def]
                  extra: Scope | None = None):
    scope = _table_scope(table, alias)
    if extra is not None:
        scope = Scope(scope.columns + extra.columns)
    comp = ExprCompiler(planner, scope)
    pred = comp.boolean(where.this).fn if where is not None else None
    key_fns = None
    index_oid = 0
    if where is not None and extra is None:
        scan, _ = planner.table_scan(table, alias)
        lookup = planner._pk_lookup(scan, scope, where.this, comp)
        if lookup is not None:
            key_fns, index_oid = lookup.keys, lookup.index_oid
    return scope, comp, pred, (key_fns, index_oid)


def _extra_source(planner, items: list[exp.Expression]):  # type: ignore[no-untyped-def]
    """UPDATE ... FROM / DELETE ... USING items → (operator, scope) of their join."""
    first = None
    joins: list[exp.Expression] = []
    for item in items:
        base = item.copy()
        base.set("joins", None)
        if first is None:
            first = base
        else:
            joins.append(exp.Join(this=base))
        joins.extend(j.copy() for j in item.args.get("joins") or [])
    try:
        from omendb_server.sql.joins import plan_from
    except ImportError:  # planner before the joins module
        source, scope = planner._from_item(first, None)
        for join in joins:
            source, scope = planner._join(source, scope, join, None)
        return source, scope
    return plan_from(planner, exp.From(this=first), joins, None)


def _matches(ctx: ExecContext, pred: Any, values: Row, extra_rows: Any) -> Row | None:
    """The row the predicate sees for a target version: itself, or itself joined with the
    first FROM/USING row that satisfies it (None: no match)."""
    if extra_rows is None:
        return values if pred is None or pred(values, ctx) is True else None
    for er in extra_rows.candidates(values):
        both = values + er
        if pred is None or pred(both, ctx) is True:
            return both
    return None


class _ExtraRows:
    """FROM/USING rows of one execution, hashed on the equality conjuncts that join them
    to the target (``t.a = s.b``), so UPDATE ... FROM is not a nested loop."""

    __slots__ = ("by_key", "rows", "target_idx")

    def __init__(self, rows: list[Row], keys: tuple[list[int], list[int]] | None) -> None:
        self.rows = rows
        self.target_idx = None
        self.by_key: dict[tuple[Any, ...], list[Row]] | None = None
        if keys is not None:
            target_idx, extra_idx = keys
            self.target_idx = target_idx
            by_key: dict[tuple[Any, ...], list[Row]] = {}
            for r in rows:
                key = tuple(r[j] for j in extra_idx)
                if None not in key:
                    by_key.setdefault(key, []).append(r)
            self.by_key = by_key

    def candidates(self, values: Row) -> list[Row]:
        if self.by_key is None:
            return self.rows
        key = tuple(values[i] for i in self.target_idx)  # type: ignore[union-attr]
        return self.by_key.get(key, [])


def _join_keys(where: exp.Expression | None, scope: Scope, n: int
               ) -> tuple[list[int], list[int]] | None:
    """Positions of ``target.col = extra.col`` conjuncts of WHERE (same type family)."""
    if where is None:
        return None
    cond = where.this
    conjuncts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
    t_idx: list[int] = []
    e_idx: list[int] = []
    for c in conjuncts:
        while isinstance(c, exp.Paren):
            c = c.this
        if not isinstance(c, exp.EQ) or not isinstance(c.this, exp.Column) or \
                not isinstance(c.expression, exp.Column):
            continue
        try:
            a = scope.find(c.this.name, c.this.table or None)
            b = scope.find(c.expression.name, c.expression.table or None)
        except errors.DBError:
            continue
        if a is None or b is None:
            continue
        if a >= n > b:
            a, b = b, a
        if not (a < n <= b):
            continue
        ta, tb = scope.columns[a].type, scope.columns[b].type
        if ta.category != tb.category or ta.category not in ("N", "S", "D", "B") and \
                ta.oid != tb.oid:
            continue
        t_idx.append(a)
        e_idx.append(b - n)
    return (t_idx, e_idx) if t_idx else None


def plan_update(planner, node: exp.Update) -> CallablePlan:  # type: ignore[no-untyped-def]
    table, alias = _target_table(planner, node.this)
    from_ = node.args.get("from_") or node.args.get("from")
    extra_op = extra_scope = None
    if from_ is not None:
        extra_op, extra_scope = _extra_source(planner, [from_.this])
    scope, comp, pred, key_fns = _scan_matches(planner, table, alias, node.args.get("where"),
                                               extra_scope)
    join_keys = _join_keys(node.args.get("where"), scope, len(table.columns)) \
        if extra_scope is not None else None
    assigns: list[tuple[int, Any]] = []
    defaults = default_exprs(planner, table)
    for eq in node.expressions:
        lhs, rhs = eq.this, eq.expression
        pairs = (list(zip(lhs.expressions, rhs.expressions))
                 if isinstance(lhs, exp.Tuple) and isinstance(rhs, exp.Tuple) else [(lhs, rhs)])
        for target, value in pairs:
            idx = table.find_column(target.name)
            if idx is None:
                raise errors.UndefinedColumn(
                    f'column "{target.name}" of relation "{table.name}" does not exist')
            col = table.columns[idx]
            if _is_default(value):
                d = defaults[idx]
                assigns.append((idx, d.fn if d is not None else (lambda r, c: None)))
                continue
            _refuse_generated(table, idx, "update")
            assigns.append((idx, comp.coerce(comp.compile(value), col.type, col.typmod).fn))
    ret_cols, ret_fns = _returning(planner, node, table, alias, extra_scope)
    writer = RowWriter(planner, table)
    n = len(table.columns)

    def run(ctx: ExecContext) -> Result:
        wait_for_reshape(ctx, table)
        if ctx.catalog.tables.get(table.oid) is not table and not same_shape(ctx, table):
            return replan(planner, node, ctx, ret_cols)
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0
        st = StatementState()
        extra_rows = _ExtraRows(list(extra_op.rows(ctx)), join_keys) \
            if extra_op is not None else None
        done: set[int] = set()

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        for version in candidate_versions(ctx, data, *key_fns):
            if version.vid in done:
                continue
            if _matches(ctx, pred, version.values, extra_rows) is None:
                continue
            target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
            if target is None:
                continue
            both = _matches(ctx, pred, target.values, extra_rows)
            if both is None:
                continue
            old = target.values
            new = list(old)
            for idx, fn in assigns:
                new[idx] = fn(both, ctx)
            if writer.simple:
                row = tuple(new)
                check_not_null(table, row, ctx)
                tm.delete(ctx.txn, data, target)
                created = tm.insert(ctx.txn, data, row, conflict, writer.uniques)
                target.succ = created.vid
            else:
                created = writer.update(ctx, st, target, new, conflict)
                row = created.values
            done.add(created.vid)
            count += 1
            if ret_fns:
                full = row + both[n:]
                out_rows.append(tuple(f(full, ctx) for f in ret_fns))
        if not writer.simple:
            finish_statement(ctx, st)
        return Result(f"UPDATE {count}", out_rows if ret_fns else None, ret_cols)

    return CallablePlan(columns=ret_cols, kind="dml", writes=True, run=run,
                        explain_lines=_scan_lines("Update", planner, table, node, key_fns))


def plan_delete(planner, node: exp.Delete) -> CallablePlan:  # type: ignore[no-untyped-def]
    table, alias = _target_table(planner, node.this)
    extra_op = extra_scope = None
    if node.args.get("using"):
        extra_op, extra_scope = _extra_source(planner, list(node.args["using"]))
    scope, _comp, pred, key_fns = _scan_matches(planner, table, alias, node.args.get("where"),
                                               extra_scope)
    join_keys = _join_keys(node.args.get("where"), scope, len(table.columns)) \
        if extra_scope is not None else None
    ret_cols, ret_fns = _returning(planner, node, table, alias, extra_scope)
    writer = RowWriter(planner, table)

    def run(ctx: ExecContext) -> Result:
        wait_for_reshape(ctx, table)
        if ctx.catalog.tables.get(table.oid) is not table and not same_shape(ctx, table):
            return replan(planner, node, ctx, ret_cols)
        tm = ctx.tm
        data = tm.table_data(table)
        out_rows: list[Row] = []
        count = 0
        st = StatementState()
        extra_rows = _ExtraRows(list(extra_op.rows(ctx)), join_keys) \
            if extra_op is not None else None
        for version in candidate_versions(ctx, data, *key_fns):
            if _matches(ctx, pred, version.values, extra_rows) is None:
                continue
            target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
            if target is None:
                continue
            both = _matches(ctx, pred, target.values, extra_rows)
            if both is None:
                continue
            if writer.simple:
                tm.delete(ctx.txn, data, target)
            else:
                writer.delete(ctx, st, target)
            count += 1
            if ret_fns:
                out_rows.append(tuple(f(both, ctx) for f in ret_fns))
        if not writer.simple:
            finish_statement(ctx, st)
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
