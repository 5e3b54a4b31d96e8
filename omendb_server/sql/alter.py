"""ALTER TABLE: columns, defaults, NOT NULL, types, constraints, renames.

Schema changes go to the transaction's private catalog copy. Changes that alter a
row's shape (ADD COLUMN, DROP COLUMN, ALTER COLUMN TYPE) rewrite every live row as
an MVCC update (delete + insert through the transaction manager), so a rollback
undoes them like any other write and the commit log replays them; key-index
structures whose column positions change are rebuilt in ``_reindex``, which
registers its own undo with the transaction. Row rewrites wait for other
transactions that have written the table (PostgreSQL's ACCESS EXCLUSIVE lock).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Table
from omendb_server.sql.context import ExecContext
from omendb_server.sql.ddl_table import (
    ColSpec,
    ConSpec,
    add_constraint,
    default_text,
    parse_column,
    parse_table_constraint,
)
from omendb_server.sql.plan import CallablePlan, Result

_AUTO = "__omendb_auto_constraint_name__"


def _notice(ctx: ExecContext, msg: str, code: str = "00000") -> None:
    from omendb_server.sql.ddl import notice

    notice(ctx, msg, code)


# -- text forms sqlglot does not parse ---------------------------------------------
_ALTER_HEAD = re.compile(r"^ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?(.+?)\s+(.*)$", re.IGNORECASE | re.DOTALL)


def parse_alter_text(text: str) -> Any:
    """ALTER TABLE ... RENAME CONSTRAINT / ADD CHECK (...) (sqlglot falls back to Command)."""
    m = _ALTER_HEAD.match(text)
    if not m:
        return None
    rest = m.group(4)
    rc = re.match(r'^RENAME\s+CONSTRAINT\s+("(?:[^"]|"")+"|\w+)\s+TO\s+("(?:[^"]|"")+"|\w+)\s*$',
                  rest, re.IGNORECASE)
    if rc:
        from omendb_server.sql.ddl_objects import _ident, _qualified

        name, schema = _qualified(m.group(3))
        old, new = _ident(rc.group(1)), _ident(rc.group(2))
        return _plan([(_rename_constraint, (old, new))], name, schema, bool(m.group(1)))
    from omendb_server.sql.ddl_objects import _ident, _qualified

    ident = r'("(?:[^"]|"")+"|\w+)'
    ss = re.match(rf"^SET\s+SCHEMA\s+{ident}\s*$", rest, re.IGNORECASE)
    if ss:
        name, schema = _qualified(m.group(3))
        return _plan([(_set_schema, (_ident(ss.group(1)),))], name, schema, bool(m.group(1)))
    ident_add = re.match(rf"^ALTER\s+(?:COLUMN\s+)?{ident}\s+ADD\s+GENERATED\s+"
                         r"(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\s*(?:\((.*)\))?\s*$",
                         rest, re.IGNORECASE | re.DOTALL)
    if ident_add:
        name, schema = _qualified(m.group(3))
        how = "a" if ident_add.group(2).upper() == "ALWAYS" else "d"
        return _plan([(_add_identity, (_ident(ident_add.group(1)), how,
                                       ident_add.group(3) or ""))], name, schema,
                     bool(m.group(1)))
    ident_drop = re.match(rf"^ALTER\s+(?:COLUMN\s+)?{ident}\s+DROP\s+IDENTITY"
                          r"(\s+IF\s+EXISTS)?\s*$", rest, re.IGNORECASE)
    if ident_drop:
        name, schema = _qualified(m.group(3))
        return _plan([(_drop_identity, (_ident(ident_drop.group(1)), bool(ident_drop.group(2))))],
                     name, schema, bool(m.group(1)))
    if re.search(r"\bADD\s+CHECK\b", rest, re.IGNORECASE):
        fixed = re.sub(r"\bADD\s+CHECK\b", f"ADD CONSTRAINT {_AUTO} CHECK", text, flags=re.IGNORECASE)
        fixed = re.sub(r"\s+NOT\s+VALID\s*$", "", fixed, flags=re.IGNORECASE)
        try:
            tree = sqlglot.parse_one(fixed, read="postgres")
        except Exception:  # noqa: BLE001 - leave the error to the normal path
            return None
        if isinstance(tree, exp.Alter):
            return plan_alter_table(None, tree)
    return None


# -- plan -----------------------------------------------------------------------------
Step = tuple[Callable[..., None], tuple[Any, ...]]


def _plan(steps: list[Step], name: str, schema: str | None, if_exists: bool) -> CallablePlan:
    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        ctx.catalog = cat  # expressions evaluated while rewriting see this statement's objects
        table = cat.find_table(name, schema)
        if table is None:
            if if_exists:
                _notice(ctx, f'relation "{name}" does not exist, skipping')
                return Result("ALTER TABLE")
            shown = f"{schema}.{name}" if schema else name
            raise errors.UndefinedTable(f'relation "{shown}" does not exist')
        for fn, args in steps:
            fn(ctx, cat, table, *args)
        return Result("ALTER TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def plan_alter_table(planner: Any, node: exp.Alter) -> CallablePlan:
    kind = (node.args.get("kind") or "").upper()
    if kind not in ("TABLE",):
        raise errors.FeatureNotSupported(f"ALTER {kind} is not supported yet")
    table_node = node.this
    steps: list[Step] = []
    options = node.args.get("options") or []
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.AlterRename) and options and \
                isinstance(options[0], exp.ToTableProperty):
            # ALTER TABLE t RENAME col TO new (COLUMN is optional): sqlglot reads the
            # column as the rename's target and "TO new" as a table property
            steps.append((_rename_column, (action.this.name, options[0].this.name)))
            continue
        steps.append(_step(action, table_node.name))
    return _plan(steps, table_node.name, table_node.db or None, bool(node.args.get("exists")))


def _step(action: exp.Expression, table_name: str) -> Step:
    if isinstance(action, exp.ColumnDef):
        return (_add_column, (parse_column(action, table_name), bool(action.args.get("exists"))))
    if isinstance(action, exp.Drop):
        what = (action.args.get("kind") or "").upper()
        target = (action.args.get("tables") or [action.this])[0]
        if what == "COLUMN":
            return (_drop_column, (target.name, bool(action.args.get("exists")),
                                   bool(action.args.get("cascade"))))
        if what == "CONSTRAINT":
            return (_drop_constraint, (target.name, bool(action.args.get("exists")),
                                       bool(action.args.get("cascade"))))
    if isinstance(action, exp.RenameColumn):
        return (_rename_column, (action.this.name, action.args["to"].name))
    if isinstance(action, exp.AlterRename):
        return (_rename_table, (action.this.name,))
    if isinstance(action, exp.AddConstraint):
        specs = []
        for item in action.expressions:
            spec = parse_table_constraint(item)
            if spec is None:
                raise errors.FeatureNotSupported(
                    f"ALTER TABLE ADD {item.sql(dialect='postgres')[:60]} is not supported yet")
            if spec.name == _AUTO:
                spec.name = None
            specs.append(spec)
        return (_add_constraints, (specs,))
    if isinstance(action, exp.AlterColumn):
        col = action.this.name
        if action.args.get("dtype") is not None:
            from omendb_server.sql.expr import _datatype_of

            dtype, typmod = _datatype_of(action.args["dtype"])
            using = action.args.get("using")
            if not isinstance(using, exp.Expression):
                using = None
            return (_alter_type, (col, dtype, typmod,
                                  using.sql(dialect="postgres") if using is not None else None))
        if action.args.get("default") is not None:
            return (_set_default, (col, action.args["default"]))
        if action.args.get("allow_null") is False:
            return (_set_not_null, (col, True))
        if action.args.get("allow_null") is True:
            return (_set_not_null, (col, False))
        if action.args.get("drop"):
            return (_set_default, (col, None))
    raise errors.FeatureNotSupported(
        f"ALTER TABLE {action.sql(dialect='postgres')[:60]} is not supported yet")


# -- row rewrites -----------------------------------------------------------------------
def _wait_for_writers(ctx: ExecContext, table: Table) -> None:
    tm, txn = ctx.tm, ctx.txn
    while True:
        other = next((t for t in list(tm.active.values()) if t is not txn
                      and any(w[0] == table.oid for w in t.writes)), None)
        if other is None:
            return
        tm.wait_for(txn, other.txid)


def _rewrite(ctx: ExecContext, table: Table, fn: Callable[[tuple[Any, ...]], tuple[Any, ...]],
             between: Callable[[], None] | None = None) -> None:
    """Replace every live row of ``table`` by ``fn(values)`` (an MVCC update each).

    All old versions are deleted first (their keys computed with the old layout),
    then ``between`` may rebuild key structures for the new layout, then the new
    versions are inserted."""
    from omendb_server.sql.operators import candidate_versions

    _wait_for_writers(ctx, table)
    tm = ctx.tm
    data = tm.table_data(table)

    def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
        from omendb_server.sql.constraints import unique_violation

        raise unique_violation(table, index_oid, key, ctx)

    pending = []
    for version in candidate_versions(ctx, data, None):
        target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
        if target is None:
            continue
        pending.append((target, fn(target.values)))
    for target, _ in pending:
        tm.delete(ctx.txn, data, target)
    if between is not None:
        between()
    for target, new in pending:
        created = tm.insert(ctx.txn, data, new, conflict, ())
        target.succ = created.vid


def remember_key_structures(ctx: ExecContext, data: Any) -> None:
    """Register an undo (abort / ROLLBACK TO) restoring ``data``'s key structures as they
    are now; call before changing its primary key or secondary index set."""
    old_pk = list(data.pk_cols)
    old_pk_index = data.pk_index
    old_mapper = getattr(old_pk_index, "_to_int", None)
    old_indexes = {oid: (list(ix.cols), ix.unique, ix.key_fn) for oid, ix in data.indexes.items()}

    def undo() -> None:
        # rebuilt over the versions present now: other transactions may have written
        # the table meanwhile, so the old structures cannot simply be put back
        if data.pk_index is not old_pk_index:
            data.set_primary_key(old_pk, old_mapper)
        current = {oid: (list(ix.cols), ix.unique, ix.key_fn) for oid, ix in data.indexes.items()}
        if current != old_indexes:
            data.indexes = {}
            for oid, (cols, unique, key_fn) in old_indexes.items():
                data.add_index(oid, cols, unique, key_fn)

    hooks = getattr(ctx.txn, "on_abort", None)  # txn/manager.py hook (see its docstring)
    if hooks is not None:
        hooks.append(undo)


def _reindex(ctx: ExecContext, cat: Catalog, table: Table) -> None:
    """Rebuild the key indexes of ``table`` for its (new) column positions / types, with
    an undo that restores the previous structures if the transaction aborts."""
    from omendb_server.txn.manager import pk_key_mapper

    data = ctx.tm.table_data(table)
    remember_key_structures(ctx, data)
    data.set_primary_key(list(table.primary_key), pk_key_mapper(table))
    from omendb_server.catalog.model import index_key_function

    data.indexes = {}
    for index in cat.indexes_of(table.oid):
        data.add_index(index.oid, index.columns, index.unique, index_key_function(cat, index))


# -- actions ------------------------------------------------------------------------------
def _add_column(ctx: ExecContext, cat: Catalog, table: Table, spec: ColSpec,
                if_not_exists: bool) -> None:
    from omendb_server.sql.ddl import add_owned_sequence

    col = spec.column
    if table.find_column(col.name) is not None:
        if if_not_exists:
            _notice(ctx, f'column "{col.name}" of relation "{table.name}" already exists, '
                    "skipping", "42701")
            return
        raise errors.DuplicateColumn(
            f'column "{col.name}" of relation "{table.name}" already exists')
    from omendb_server.catalog import Column

    new_col = Column(col.name, col.type, col.typmod, col.not_null, col.default, col.identity,
                     col.generated, col.default_src)
    if new_col.generated:
        from omendb_server.catalog.deparse import columns_of, expr_text

        new_col.default = expr_text(new_col.default_expr or "", columns_of(table))
    table.columns.append(new_col)
    if spec.sequence:
        seq = add_owned_sequence(cat, table, new_col, spec)
        ctx.tm.sequences.pop(seq.oid, None)
    fill = _value_fn(ctx, cat, table, new_col)
    pos = len(table.columns) - 1

    def widen(values: tuple[Any, ...]) -> tuple[Any, ...]:
        row = values + (None,)
        value = fill(row) if fill is not None else None
        if value is None and new_col.not_null:
            raise errors.NotNullViolation(
                f'column "{new_col.name}" of relation "{table.name}" contains null values',
                table=table.name, column=new_col.name)
        return values + (value,)

    _rewrite(ctx, table, widen)
    for con in spec.constraints:
        add_constraint(ctx, cat, table, con, validate=True)
    assert pos >= 0


def _value_fn(ctx: ExecContext, cat: Catalog, table: Table, col: Any) -> Any:
    """The new column's value for an existing row: its DEFAULT or generation expression."""
    if col.default is None:
        return None
    from omendb_server.sql.constraints import table_scope
    from omendb_server.sql.expr import ExprCompiler
    from omendb_server.sql.planner import Planner

    scope = table_scope(table, table.name)
    comp = ExprCompiler(Planner(cat, []), scope)
    fn = comp.coerce(comp.compile(sqlglot.parse_one(col.default_expr, read="postgres")),
                     col.type, col.typmod).fn
    return lambda row: fn(row, ctx)


def _drop_column(ctx: ExecContext, cat: Catalog, table: Table, name: str, if_exists: bool,
                 cascade: bool) -> None:
    pos = table.find_column(name)
    if pos is None:
        if if_exists:
            _notice(ctx, f'column "{name}" of relation "{table.name}" does not exist, skipping')
            return
        raise errors.UndefinedColumn(f'column "{name}" of relation "{table.name}" does not exist')
    deps = [(child, con) for child, con in cat.referencing_fks(table.oid)
            if pos in con.ref_columns and child.oid != table.oid]
    views = [v for v in cat.views.values() if _view_uses_column(v, table, name)]
    if (deps or views) and not cascade:
        lines = [f"constraint {c.name} on table {t.name} depends on column {name} of table "
                 f"{table.name}" for t, c in deps]
        lines += [f"view {v.name} depends on column {name} of table {table.name}" for v in views]
        raise errors.DBError(
            f"cannot drop column {name} of table {table.name} because other objects depend on it",
            "2BP01", detail="\n".join(lines),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for child, con in deps:
        _notice(ctx, f"drop cascades to constraint {con.name} on table {child.name}")
        child.constraints = [c for c in child.constraints if c is not con]
    for view in views:
        _notice(ctx, f"drop cascades to view {view.name}")
        del cat.views[view.oid]

    def remap(cols: list[int]) -> list[int]:
        return [c - 1 if c > pos else c for c in cols]

    # constraints and indexes that use the column go with it
    table.constraints = [c for c in table.constraints if pos not in c.columns and not (
        c.ref_table == table.oid and pos in c.ref_columns)]
    for c in table.constraints:
        c.columns = remap(c.columns)
        if c.ref_table == table.oid:
            c.ref_columns = remap(c.ref_columns)
    for child, con in cat.referencing_fks(table.oid):
        if child.oid != table.oid:
            con.ref_columns = remap(con.ref_columns)
    for index in cat.indexes_of(table.oid):
        if pos in index.columns or pos in index.include or _index_reads(index, name):
            del cat.indexes[index.oid]
        else:
            index.columns = remap(index.columns)
            index.include = remap(index.include)
    if pos in table.primary_key:
        table.primary_key, table.pk_name = [], None
    else:
        table.primary_key = remap(table.primary_key)
    for seq in [s for s in cat.sequences.values() if s.owned_by == (table.oid, name)]:
        del cat.sequences[seq.oid]
    comments = {}
    for (oid, sub), text in cat.comments.items():
        if oid == table.oid and sub == pos + 1:
            continue
        comments[(oid, sub - 1 if oid == table.oid and sub > pos + 1 else sub)] = text
    cat.comments = comments
    del table.columns[pos]
    _rewrite(ctx, table, lambda values: values[:pos] + values[pos + 1:],
             lambda: _reindex(ctx, cat, table))


def _view_uses_column(view: Any, table: Table, column: str) -> bool:
    """Does the view read ``column`` of ``table``? (``*`` reads every column.)"""
    from omendb_server.sql.ddl_objects import view_depends_on

    if not view_depends_on(view, table.name):
        return False
    tree = sqlglot.parse_one(view.sql, read="postgres")
    if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
           for s in tree.find_all(exp.Star, exp.Column)):
        return True
    return any(c.name == column for c in tree.find_all(exp.Column))


def _drop_constraint(ctx: ExecContext, cat: Catalog, table: Table, name: str, if_exists: bool,
                     cascade: bool) -> None:
    con = table.find_constraint(name)
    if con is not None:
        table.constraints.remove(con)
        return
    if table.pk_name == name and table.primary_key:
        deps = [(c, k) for c, k in cat.referencing_fks(table.oid)
                if sorted(k.ref_columns) == sorted(table.primary_key)]
        _drop_key_deps(ctx, table, name, deps, cascade)
        table.primary_key, table.pk_name = [], None
        _reindex(ctx, cat, table)
        return
    for index in cat.indexes_of(table.oid):
        if index.name == name and index.constraint:
            deps = [(c, k) for c, k in cat.referencing_fks(table.oid)
                    if k.index_oid == index.oid]
            _drop_key_deps(ctx, table, name, deps, cascade)
            del cat.indexes[index.oid]
            ctx.txn.dropped_indexes.append((table.oid, index.oid))
            return
    if if_exists:
        _notice(ctx, f'constraint "{name}" of relation "{table.name}" does not exist, skipping')
        return
    raise errors.UndefinedObject(f'constraint "{name}" of relation "{table.name}" does not exist')


def _drop_key_deps(ctx: ExecContext, table: Table, name: str, deps: list[Any],
                   cascade: bool) -> None:
    if not deps:
        return
    if not cascade:
        raise errors.DBError(
            f"cannot drop constraint {name} on table {table.name} because other objects depend "
            "on it", "2BP01",
            detail="\n".join(f"constraint {k.name} on table {c.name} depends on index {name}"
                             for c, k in deps),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for child, con in deps:
        _notice(ctx, f"drop cascades to constraint {con.name} on table {child.name}")
        child.constraints = [c for c in child.constraints if c is not con]


def _rename_column(ctx: ExecContext, cat: Catalog, table: Table, old: str, new: str) -> None:
    pos = table.column_index(old)
    if table.find_column(new) is not None:
        raise errors.DuplicateColumn(f'column "{new}" of relation "{table.name}" already exists')
    table.columns[pos].name = new
    rename = _identifier_renamer(old, new)
    for con in table.constraints:
        if con.check:
            from omendb_server.catalog.deparse import check_text, columns_of

            con.check = rename(con.check)
            con.check_display = check_text(con.check, columns_of(table))
            con.check_pretty = check_text(con.check, columns_of(table), pretty=True)
    for col in table.columns:
        if col.generated and col.default:
            from omendb_server.catalog.deparse import columns_of, expr_text

            col.default_src = rename(col.default_expr or "")
            col.default = expr_text(col.default_src, columns_of(table))
    for index in cat.indexes_of(table.oid):
        index.exprs = {k: rename(v) for k, v in index.exprs.items()}
        if index.where is not None:
            index.where = rename(index.where)
    for seq in cat.sequences.values():
        if seq.owned_by == (table.oid, old):
            seq.owned_by = (table.oid, new)


def _index_reads(index: Any, column: str) -> bool:
    """Does an index expression or predicate read ``column``? (PostgreSQL drops such an
    index with the column.)"""
    texts = list(index.exprs.values()) + ([index.where] if index.where else [])
    return any(c.name == column for text in texts
               for c in sqlglot.parse_one(text, read="postgres").find_all(exp.Column))


def _identifier_renamer(old: str, new: str) -> Callable[[str], str]:
    def apply(sql: str) -> str:
        tree = sqlglot.parse_one(sql, read="postgres")
        for c in tree.find_all(exp.Column):
            if c.name == old:
                c.set("this", exp.to_identifier(new))
        return tree.sql(dialect="postgres")

    return apply


def _rename_table(ctx: ExecContext, cat: Catalog, table: Table, new: str) -> None:
    if cat.relation_name_taken(new, table.schema):
        raise errors.DuplicateTable(f'relation "{new}" already exists')
    old = table.name
    table.name = new
    # views keep their query as text: point them at the new name (PostgreSQL's views
    # reference the relation itself, so they follow renames)
    from omendb_server.sql.ddl_objects import _print_view, view_depends_on

    for view in cat.views.values():
        if not view_depends_on(view, old):
            continue
        tree = sqlglot.parse_one(view.sql, read="postgres")
        unaliased = False
        for ref in tree.find_all(exp.Table):
            if ref.name == old and (not ref.db or ref.db == table.schema):
                ref.set("this", exp.to_identifier(new))
                unaliased = unaliased or not ref.alias
        if unaliased:  # qualifiers naming the table itself follow it
            for col in tree.find_all(exp.Column):
                if col.table == old:
                    col.set("table", exp.to_identifier(new))
        view.sql = tree.sql(dialect="postgres")
        _print_view(view, cat)


def _rename_constraint(ctx: ExecContext, cat: Catalog, table: Table, old: str, new: str) -> None:
    names = {c.name for c in cat.constraints_of(table)}
    if new in names:
        raise errors.DuplicateObject(
            f'constraint "{new}" for relation "{table.name}" already exists')
    con = table.find_constraint(old)
    if con is not None:
        con.name = new
        return
    if table.pk_name == old:
        table.pk_name = new
        return
    for index in cat.indexes_of(table.oid):
        if index.name == old and index.constraint:
            index.name = new
            return
    raise errors.UndefinedObject(f'constraint "{old}" for table "{table.name}" does not exist')


def _add_constraints(ctx: ExecContext, cat: Catalog, table: Table, specs: list[ConSpec]) -> None:
    for spec in specs:
        add_constraint(ctx, cat, table, spec, validate=True)


def _set_default(ctx: ExecContext, cat: Catalog, table: Table, name: str,
                 node: exp.Expression | None) -> None:
    col = table.columns[table.column_index(name)]
    default = default_src = None
    if node is not None:
        from omendb_server.catalog.deparse import node_text

        default_src = default_text(node)
        default = node_text(node, {}, col.type)
    if col.generated:
        raise errors.SyntaxError(f'column "{name}" of relation "{table.name}" is a generated '
                                 "column", hint="Use ALTER TABLE ... ALTER COLUMN ... "
                                 "SET EXPRESSION instead." if default else None)
    if col.identity and default is not None:
        raise errors.SyntaxError(f'column "{name}" of relation "{table.name}" is an identity '
                                 "column", hint="Use ALTER TABLE ... ALTER COLUMN ... "
                                 "DROP IDENTITY instead.")
    if default is not None:
        _value_fn(ctx, cat, table, type(col)(col.name, col.type, col.typmod,
                                             default=default_src))
    col.default, col.default_src = default, default_src


def _set_not_null(ctx: ExecContext, cat: Catalog, table: Table, name: str, on: bool) -> None:
    from omendb_server.sql.operators import candidate_versions

    pos = table.column_index(name)
    col = table.columns[pos]
    if not on:
        if pos in table.primary_key:
            raise errors.InvalidTableDefinition(f'column "{name}" is in a primary key')
        if col.identity:
            raise errors.DBError(f'column "{name}" of relation "{table.name}" is an identity '
                                 "column", "55000")
        col.not_null = False
        return
    for v in candidate_versions(ctx, ctx.tm.table_data(table), None):
        if v.values[pos] is None:
            raise errors.NotNullViolation(
                f'column "{name}" of relation "{table.name}" contains null values',
                table=table.name, column=name)
    col.not_null = True


def _alter_type(ctx: ExecContext, cat: Catalog, table: Table, name: str, dtype: Any,
                typmod: int, using: str | None) -> None:
    from omendb_server.sql.constraints import table_scope
    from omendb_server.sql.expr import ExprCompiler
    from omendb_server.sql.planner import Planner

    pos = table.column_index(name)
    col = table.columns[pos]
    comp = ExprCompiler(Planner(cat, []), table_scope(table, table.name))
    source = sqlglot.parse_one(using, read="postgres") if using else exp.column(name)
    ce = comp.compile(source)
    if using is None and ce.type.category == "S" and dtype.category != "S":
        # only assignment casts apply without USING (text → integer is not one)
        raise errors.DatatypeMismatch(
            f'column "{name}" cannot be cast automatically to type {dtype.name}',
            hint=f'You might need to specify "USING {name}::{dtype.name}".')
    try:
        fn = comp.coerce(ce, dtype, typmod).fn
    except errors.DBError as e:
        if using is None:
            raise errors.DatatypeMismatch(
                f'column "{name}" cannot be cast automatically to type {dtype.name}',
                hint=f'You might need to specify "USING {name}::{dtype.name}".') from e
        raise
    col.type, col.typmod = dtype, typmod
    if col.default is not None and not col.generated:
        try:
            _value_fn(ctx, cat, table, col)
        except errors.DBError:
            col.default = None
    _rewrite(ctx, table, lambda values: values[:pos] + (fn(values, ctx),) + values[pos + 1:],
             lambda: _reindex(ctx, cat, table))


def _set_schema(ctx: ExecContext, cat: Catalog, table: Table, schema: str) -> None:
    if schema not in cat.schemas:
        raise errors.InvalidSchemaName(f'schema "{schema}" does not exist')
    if schema == table.schema:
        return
    if cat.relation_name_taken(table.name, schema):
        raise errors.DuplicateTable(
            f'relation "{table.name}" already exists in schema "{schema}"')
    table.schema = schema
    for seq in cat.sequences.values():
        if seq.owned_by and seq.owned_by[0] == table.oid:
            seq.schema = schema


def _add_identity(ctx: ExecContext, cat: Catalog, table: Table, name: str, how: str,
                  options: str) -> None:
    from omendb_server.sql.ddl import add_owned_sequence
    from omendb_server.sql.ddl_objects import parse_seq_options

    col = table.columns[table.column_index(name)]
    if not col.not_null:
        raise errors.DBError(f'column "{name}" of relation "{table.name}" must be declared NOT '
                             "NULL before identity can be added", "55000")
    if col.identity:
        raise errors.DBError(f'column "{name}" of relation "{table.name}" is already an '
                             "identity column", "55000")
    if col.default is not None:
        raise errors.DBError(f'column "{name}" of relation "{table.name}" already has a '
                             "default value", "55000")
    opts = {k: v for k, v in parse_seq_options(options).items()
            if k in ("start", "increment", "minvalue", "maxvalue") and v is not None}
    col.identity = how
    seq = add_owned_sequence(cat, table, col, ColSpec(col, how, col.type.name, opts))
    ctx.tm.sequences.pop(seq.oid, None)


def _drop_identity(ctx: ExecContext, cat: Catalog, table: Table, name: str,
                   if_exists: bool) -> None:
    col = table.columns[table.column_index(name)]
    if not col.identity:
        if if_exists:
            _notice(ctx, f'column "{name}" of relation "{table.name}" is not an identity '
                    "column, skipping")
            return
        raise errors.DBError(f'column "{name}" of relation "{table.name}" is not an identity '
                             "column", "55000")
    col.identity = ""
    col.default = col.default_src = None
    for seq in [s for s in cat.sequences.values() if s.owned_by == (table.oid, name)]:
        del cat.sequences[seq.oid]
