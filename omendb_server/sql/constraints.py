"""Everything that happens when one row of a table is written: generated columns,
NOT NULL, CHECK, UNIQUE/PRIMARY KEY, and FOREIGN KEY checks and actions.

``RowWriter`` is compiled once per plan (per table) and holds closures; the
per-statement state (foreign-key checks PostgreSQL runs at the end of the
statement, as its RI triggers do) lives in a ``StatementState`` made by each
execution. Tables without CHECK/FOREIGN KEY/generated columns take the same
short path as before (NOT NULL + the transaction manager's insert), so point DML
pays nothing for the machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot

from omendb_server import errors
from omendb_server.catalog import Constraint, Table
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import ExprCompiler, Scope, ScopeColumn
from omendb_server.storage.delta import INF, RowVersion
from omendb_server.txn.visibility import is_visible

Row = tuple[Any, ...]


def table_scope(table: Table, alias: str) -> Scope:
    return Scope([ScopeColumn(alias, c.name, c.type, c.typmod, table.oid, i + 1)
                  for i, c in enumerate(table.columns)])


def fmt_row(table: Table, values: Row, ctx: ExecContext) -> str:
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
                detail=f"Failing row contains {fmt_row(table, values, ctx)}.",
                table=table.name, column=col.name,
            )


def unique_violation(table: Table, index_oid: int, key: tuple[Any, ...],
                     ctx: ExecContext) -> errors.DBError:
    if index_oid == 0:
        cols, name = table.primary_key, table.pk_name
    else:
        index = ctx.catalog.indexes[index_oid]
        cols, name = index.columns, index.name
        if not index.plain:
            from omendb_server.sql.index_keys import key_detail

            return errors.UniqueViolation(
                f'duplicate key value violates unique constraint "{name}"',
                detail=f"Key {key_detail(ctx.catalog, table, index, key, ctx.fmt)} already exists.",
                constraint=name, table=table.name)
    names = ", ".join(table.columns[i].name for i in cols)
    vals = ", ".join(table.columns[i].type.text_out(v, ctx.fmt) for i, v in zip(cols, key))
    return errors.UniqueViolation(
        f'duplicate key value violates unique constraint "{name}"',
        detail=f"Key ({names})=({vals}) already exists.",
        constraint=name, table=table.name,
    )


def _key_text(table: Table, cols: list[int], key: tuple[Any, ...], ctx: ExecContext) -> str:
    names = ", ".join(table.columns[i].name for i in cols)
    vals = ", ".join("null" if v is None else table.columns[i].type.text_out(v, ctx.fmt)
                     for i, v in zip(cols, key))
    return f"({names})=({vals})"


def _live_now(v: RowVersion, txid: int) -> bool:
    """Live as of *now* (not the statement snapshot), as RI checks see rows: committed
    or ours, and not deleted by a commit or by us. Another transaction's in-flight
    delete still counts as live (the row lock taken afterwards waits for it)."""
    b = v.begin
    if b < 0 and b != -txid:
        return False
    e = v.end
    return e == INF or (e < 0 and e != -txid)


class StatementState:
    """Per-execution work queued to the end of the statement."""

    __slots__ = ("depth", "queue")

    def __init__(self) -> None:
        #: ("check", writer, constraint, key): a child row whose parent must exist;
        #: ("parent", writer, referencing entry, old key, new row | None): an action.
        self.queue: list[tuple[Any, ...]] = []
        self.depth = 0


class RowWriter:
    """Writes rows of one table with all its constraints (compiled once per plan)."""

    def __init__(self, planner: Any, table: Table,
                 registry: dict[int, RowWriter] | None = None) -> None:
        registry = {} if registry is None else registry
        registry[table.oid] = self
        self.table = table
        self.planner = planner
        cat = planner.catalog
        self.uniques = tuple(i.oid for i in cat.indexes_of(table.oid) if i.unique)
        scope = table_scope(table, table.name)
        comp = ExprCompiler(planner, scope)
        self.checks: list[tuple[Constraint, Callable[[Row, ExecContext], Any]]] = []
        self.generated: list[tuple[int, Callable[[Row, ExecContext], Any]]] = []
        for i, col in enumerate(table.columns):
            if col.generated and col.default:
                node = sqlglot.parse_one(col.default_expr, read="postgres")
                self.generated.append(
                    (i, comp.coerce(comp.compile(node), col.type, col.typmod).fn))
        #: (constraint, parent table, index oid to probe or None, key order for it)
        self.fks: list[tuple[Constraint, Table, int | None, list[int]]] = []
        for con in table.constraints:
            if con.type == "c" and con.check:
                node = sqlglot.parse_one(con.check, read="postgres")
                self.checks.append((con, comp.boolean(node, "CHECK").fn))
            elif con.type == "f":
                parent = cat.tables.get(con.ref_table)
                if parent is not None:
                    probe, order = _probe_for(cat, parent, con.ref_columns)
                    self.fks.append((con, parent, probe, order))
        #: (child table, constraint, child writer, probe index on child or None, order)
        self.referenced_by: list[tuple[Table, Constraint, RowWriter, int | None, list[int]]] = []
        for child, con in cat.referencing_fks(table.oid):
            writer = registry.get(child.oid) or RowWriter(planner, child, registry)
            probe, order = _probe_for(cat, child, con.columns)
            self.referenced_by.append((child, con, writer, probe, order))
        self._defaults: list[Any] | None = None
        self.simple = not (self.checks or self.generated or self.fks or self.referenced_by)

    # -- helpers -----------------------------------------------------------------------
    def defaults(self) -> list[Any]:
        if self._defaults is None:
            from omendb_server.sql.dml import default_exprs

            self._defaults = [d.fn if d is not None else None
                              for d in default_exprs(self.planner, self.table)]
        return self._defaults

    def _conflict(self, ctx: ExecContext) -> Callable[[int, tuple[Any, ...]], None]:
        table = self.table

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        return conflict

    def prepare(self, values: list[Any] | Row, ctx: ExecContext) -> Row:
        """Generated columns, then NOT NULL and CHECK (PostgreSQL's order)."""
        if self.generated:
            values = list(values)
            for pos, fn in self.generated:
                values[pos] = None
            row = tuple(values)
            for pos, fn in self.generated:
                values[pos] = fn(row, ctx)
        row = tuple(values)
        check_not_null(self.table, row, ctx)
        for con, fn in self.checks:
            if fn(row, ctx) is False:
                raise errors.CheckViolation(
                    f'new row for relation "{self.table.name}" violates check constraint '
                    f'"{con.name}"',
                    detail=f"Failing row contains {fmt_row(self.table, row, ctx)}.",
                    table=self.table.name, constraint=con.name)
        return row

    # -- writes ---------------------------------------------------------------------
    def insert(self, ctx: ExecContext, st: StatementState, values: list[Any] | Row,
               conflict: Callable[[int, tuple[Any, ...]], None] | None = None) -> RowVersion:
        row = self.prepare(values, ctx)
        data = ctx.tm.table_data(self.table)
        version = ctx.tm.insert(ctx.txn, data, row, conflict or self._conflict(ctx), self.uniques)
        for con, parent, probe, order in self.fks:
            key = tuple(row[i] for i in con.columns)
            if None not in key:
                _queue(ctx, st, con, ("check", self, con, key, version))
        return version

    def update(self, ctx: ExecContext, st: StatementState, target: RowVersion,
               values: list[Any] | Row,
               conflict: Callable[[int, tuple[Any, ...]], None] | None = None) -> RowVersion:
        row = self.prepare(values, ctx)
        tm = ctx.tm
        data = tm.table_data(self.table)
        old = target.values
        tm.delete(ctx.txn, data, target)
        created = tm.insert(ctx.txn, data, row, conflict or self._conflict(ctx), self.uniques)
        target.succ = created.vid
        for con, parent, probe, order in self.fks:
            key = tuple(row[i] for i in con.columns)
            if None not in key and key != tuple(old[i] for i in con.columns):
                _queue(ctx, st, con, ("check", self, con, key, created))
        if self.referenced_by:
            self._parent_changed(ctx, st, old, row)
        return created

    def delete(self, ctx: ExecContext, st: StatementState, target: RowVersion) -> None:
        data = ctx.tm.table_data(self.table)
        ctx.tm.delete(ctx.txn, data, target)
        if self.referenced_by:
            self._parent_changed(ctx, st, target.values, None)

    # -- foreign keys: parent side ----------------------------------------------------
    def _children(self, ctx: ExecContext, child: Table, cols: list[int], probe: int | None,
                  order: list[int], key: tuple[Any, ...]) -> list[RowVersion]:
        data = ctx.tm.table_data(child)
        txid = ctx.txn.txid
        if probe is not None:
            pkey = tuple(key[i] for i in order)
            versions = data.versions_with_key(pkey, probe)
        else:
            versions = list(data.versions.values())
        return [v for v in versions if _live_now(v, txid)
                and all(v.values[c] == k for c, k in zip(cols, key))]

    def _parent_changed(self, ctx: ExecContext, st: StatementState, old: Row,
                        new: Row | None) -> None:
        """Queue the referential actions of a changed/deleted referenced row; they run at
        the end of the statement in constraint order, as PostgreSQL's RI triggers do."""
        for entry in self.referenced_by:
            con = entry[1]
            old_key = tuple(old[i] for i in con.ref_columns)
            if None in old_key:
                continue
            if new is not None and tuple(new[i] for i in con.ref_columns) == old_key:
                continue
            action = con.on_delete if new is None else con.on_update
            item = ("parent", self, entry, old_key, new)
            if action == "a":
                _queue(ctx, st, con, item)
            else:
                st.queue.append(item)

    def _fire_parent(self, ctx: ExecContext, st: StatementState, entry: Any,
                     old_key: tuple[Any, ...], new: Row | None) -> None:
        child, con, writer, probe, order = entry
        action = con.on_delete if new is None else con.on_update
        if action == "a":
            pprobe, porder = _probe_for(ctx.catalog, self.table, con.ref_columns)
            if self.parent_has(ctx, self.table, pprobe, porder, con.ref_columns, old_key, False):
                return  # another row now carries the key
        rows = self._children(ctx, child, con.columns, probe, order, old_key)
        if not rows:
            return
        if action in ("a", "r"):
            raise self._still_referenced(ctx, con, child, old_key)
        st.depth += 1
        if st.depth > 10000:
            raise errors.DBError("stack depth limit exceeded", "54001")
        cdata = ctx.tm.table_data(child)
        for version in rows:
            target = ctx.tm.lock_for_write(ctx.txn, cdata, version, "W", "wait", child.name)
            if target is None:
                continue
            if action == "c" and new is None:
                writer.delete(ctx, st, target)
                continue
            values = list(target.values)
            if action == "c":
                assert new is not None
                for c, pc in zip(con.columns, con.ref_columns):
                    values[c] = new[pc]
            elif action == "n":
                for c in con.columns:
                    values[c] = None
            else:  # 'd' SET DEFAULT
                defaults = writer.defaults()
                for c in con.columns:
                    df = defaults[c]
                    values[c] = df((), ctx) if df is not None else None
            writer.update(ctx, st, target, values)

    def _still_referenced(self, ctx: ExecContext, con: Constraint, child: Table,
                          key: tuple[Any, ...]) -> errors.DBError:
        return errors.ForeignKeyViolation(
            f'update or delete on table "{self.table.name}" violates foreign key constraint '
            f'"{con.name}" on table "{child.name}"',
            detail=f"Key {_key_text(self.table, con.ref_columns, key, ctx)} is still "
                   f'referenced from table "{child.name}".',
            table=child.name, constraint=con.name)

    # -- end of statement ----------------------------------------------------------------
    def parent_has(self, ctx: ExecContext, parent: Table, probe: int | None, order: list[int],
                   ref_cols: list[int], key: tuple[Any, ...], lock: bool) -> bool:
        tm = ctx.tm
        data = tm.table_data(parent)
        txid = ctx.txn.txid
        if probe is not None:
            versions = data.versions_with_key(tuple(key[i] for i in order), probe)
        else:
            versions = list(data.versions.values())
        for v in versions:
            if not _live_now(v, txid) or any(v.values[c] != k for c, k in zip(ref_cols, key)):
                continue
            if not lock:
                return True
            if tm.lock_for_write(ctx.txn, data, v, "S", "wait", parent.name) is not None:
                return True
        return False


def finish_statement(ctx: ExecContext, st: StatementState) -> None:
    """Fire the queued foreign-key checks and actions in order (new ones queued by
    cascades run in the same pass), as PostgreSQL's after-statement RI triggers."""
    queue = st.queue
    i = 0
    while i < len(queue):
        entry = queue[i]
        i += 1
        if entry[0] == "parent":
            _, writer, ref, old_key, new = entry
            writer._fire_parent(ctx, st, ref, old_key, new)
            continue
        _, writer, con, key, version = entry
        if not _live_now(version, ctx.txn.txid):
            continue  # the row was changed again or rolled back since
        for fcon, parent, probe, order in writer.fks:
            if fcon is con:
                break
        else:
            continue
        if not writer.parent_has(ctx, parent, probe, order, con.ref_columns, key, True):
            raise errors.ForeignKeyViolation(
                f'insert or update on table "{writer.table.name}" violates foreign key '
                f'constraint "{con.name}"',
                detail=f"Key {_key_text(writer.table, con.columns, key, ctx)} is not present "
                       f'in table "{parent.name}".',
                table=writer.table.name, constraint=con.name)
    queue.clear()


def _queue(ctx: ExecContext, st: StatementState, con: Constraint, item: tuple[Any, ...]) -> None:
    """Queue RI work: at the end of the statement, or at COMMIT for INITIALLY DEFERRED."""
    txn = ctx.txn
    pending = getattr(txn, "deferred", None) if _is_deferred(txn, con) else None
    if pending is None:
        st.queue.append(item)
        return
    if not pending:
        def at_commit() -> None:
            later = StatementState()
            later.queue = list(pending)
            pending.clear()
            finish_statement(ctx, later)

        txn.before_commit.append(at_commit)
    pending.append(item)


def _is_deferred(txn: Any, con: Constraint) -> bool:
    """INITIALLY DEFERRED, unless SET CONSTRAINTS changed it for this transaction."""
    if not con.deferrable:
        return False
    modes: dict[str | None, bool] | None = getattr(txn, "constraint_modes", None)
    if modes:
        if con.name in modes:
            return modes[con.name]
        if None in modes:
            return modes[None]
    return con.deferred


def plan_set_constraints(names: list[str] | None, deferred: bool) -> Any:
    """SET CONSTRAINTS {ALL | name [, ...]} {DEFERRED | IMMEDIATE} (transaction-local).
    IMMEDIATE also runs the checks already deferred, as PostgreSQL does."""
    from omendb_server.sql.plan import CallablePlan, Result

    def run(ctx: ExecContext) -> Result:
        txn = ctx.txn
        if getattr(ctx.session, "implicit", False) or not hasattr(txn, "deferred"):
            ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                "SET CONSTRAINTS can only be used in transaction blocks", "25P01",
                severity="WARNING"))
            return Result("SET CONSTRAINTS")
        if names is not None:
            found = {c.name: c for t in ctx.catalog.tables.values() for c in t.constraints}
            for name in names:
                con = found.get(name)
                if con is None:
                    raise errors.UndefinedObject(f'constraint "{name}" does not exist')
                if not con.deferrable:
                    raise errors.DBError(f'constraint "{name}" is not deferrable', "42809")
        modes = getattr(txn, "constraint_modes", None)
        if modes is None:
            modes = {}
            txn.constraint_modes = modes  # transaction-local; dropped with the transaction
        if names is None:
            modes.clear()
            modes[None] = deferred
        else:
            for name in names:
                modes[name] = deferred
        if not deferred and txn.deferred:
            now = [e for e in txn.deferred if _entry_constraint(e) is not None
                   and not _is_deferred(txn, _entry_constraint(e))]
            txn.deferred[:] = [e for e in txn.deferred if e not in now]
            st = StatementState()
            st.queue = now
            finish_statement(ctx, st)
        return Result("SET CONSTRAINTS")

    return CallablePlan(columns=None, kind="utility", run=run)


def _entry_constraint(entry: tuple[Any, ...]) -> Constraint | None:
    if entry[0] == "check":
        return entry[2]
    return entry[2][1]  # ("parent", writer, (child, con, ...), key, new)


def _probe_for(cat: Any, table: Table, cols: list[int]) -> tuple[int | None, list[int]]:
    """An index whose key is exactly ``cols`` (in any order): (index oid | 0 for the
    primary key, positions in ``cols`` giving that index's key order), else (None, [])."""
    want = sorted(cols)
    if table.primary_key and sorted(table.primary_key) == want:
        return 0, [cols.index(c) for c in table.primary_key]
    for index in cat.indexes_of(table.oid):
        if index.plain and sorted(index.columns) == want:
            return index.oid, [cols.index(c) for c in index.columns]
    return None, []


def visible_rows(ctx: ExecContext, data: Any) -> list[RowVersion]:
    read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
    return [v for v in data.versions.values() if is_visible(v, read_ts, txid)]
