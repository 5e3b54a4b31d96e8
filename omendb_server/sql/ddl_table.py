"""Column and constraint definitions shared by CREATE TABLE and ALTER TABLE.

Parsing (sqlglot nodes → specs) happens at plan time; ``add_constraint`` runs at
execution time against the transaction's private catalog copy, validating
existing rows when the table already has some (ALTER TABLE ADD CONSTRAINT).
Constraint names follow PostgreSQL's ChooseConstraintName: ``<table>_<cols>_<suffix>``
truncated to 63 bytes, with a number appended until the name is free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Column, Constraint, Index, Table
from omendb_server.catalog.model import FK_ACTIONS
from omendb_server.datatypes import DataType
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import _datatype_of

SERIAL = {"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8",
          "smallserial": "int2", "serial2": "int2"}
SEQ_MAX = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1}


@dataclass
class ConSpec:
    """One constraint as written: 'p', 'u', 'c' or 'f'."""

    kind: str
    name: str | None = None
    columns: list[str] = field(default_factory=list)
    check: exp.Expression | None = None
    ref_table: tuple[str, str | None] | None = None
    ref_columns: list[str] = field(default_factory=list)
    on_delete: str = "a"
    on_update: str = "a"
    match: str = "s"
    deferrable: bool = False
    deferred: bool = False


@dataclass
class ColSpec:
    column: Column
    #: 'serial' | 'a' | 'd' (identity) | '' and the integer base type name
    sequence: str = ""
    base: str = ""
    identity_options: dict[str, int] = field(default_factory=dict)
    constraints: list[ConSpec] = field(default_factory=list)


def query_column_names(given: list[str], out: list[Any], too_many: str) -> list[str]:
    """Names of a query's output columns under ``(given, ...)`` (CREATE TABLE AS, CREATE
    VIEW): the given ones first, the query's own for the rest; each name once (42701)."""
    if len(given) > len(out):
        raise errors.SyntaxError(too_many)
    names = given + [c.name for c in out][len(given):]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise errors.DuplicateColumn(f'column "{n}" specified more than once')
        seen.add(n)
    return names


def default_text(node: exp.Expression) -> str:
    """A DEFAULT expression's text the way pg_get_expr shows it (nextval gets ::regclass)."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "nextval" and \
            len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Literal) and \
            node.expressions[0].is_string:
        return f"nextval('{node.expressions[0].this}'::regclass)"
    return node.sql(dialect="postgres")


def _reference(ref: exp.Reference, spec: ConSpec) -> None:
    target = ref.this
    if isinstance(target, exp.Schema):
        spec.ref_columns = [e.name for e in target.expressions]
        target = target.this
    spec.ref_table = (target.name, target.db or None)
    not_deferrable = False
    for opt in ref.args.get("options") or []:
        text = " ".join(str(opt).upper().split())
        for prefix, attr in (("ON DELETE ", "on_delete"), ("ON UPDATE ", "on_update")):
            if text.startswith(prefix):
                action = text[len(prefix):]
                if action not in FK_ACTIONS:
                    raise errors.SyntaxError(f'syntax error at or near "{action.split()[0]}"')
                setattr(spec, attr, FK_ACTIONS[action])
        if text == "MATCH FULL":
            spec.match = "f"
        elif text == "DEFERRABLE":
            spec.deferrable = True
        elif text == "NOT DEFERRABLE":
            not_deferrable = True
        elif text == "INITIALLY DEFERRED":
            spec.deferred = True
    if spec.deferred:
        # INITIALLY DEFERRED implies DEFERRABLE (PostgreSQL's gram.y)
        if not_deferrable:
            raise errors.SyntaxError("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
        spec.deferrable = True


def collation_oid(name: str, dtype: DataType) -> int:
    """pg_collation OID of ``COLLATE name`` on a column of type ``dtype`` (42704 for an
    unknown collation, 42804 for a type without collations, as PostgreSQL)."""
    from omendb_server.catalog.pg_catalog import attr_collation
    from omendb_server.catalog.pg_catalog_data import PG_COLLATION_ROWS

    base = dtype.element if getattr(dtype, "element", None) is not None else dtype
    if not attr_collation(base.oid):
        from omendb_server.sql.catalog_functions import type_text

        raise errors.DBError(
            f"collations are not supported by type {type_text(None, dtype.oid, -1) or dtype.name}",
            "42804")
    for row in PG_COLLATION_ROWS:
        if row[1] == name:
            return int(row[0])
    raise errors.DBError(f'collation "{name}" for encoding "UTF8" does not exist', "42704")


def parse_column(item: exp.ColumnDef, table_name: str) -> ColSpec:
    col_name = item.name
    kind_node = item.args.get("kind")
    if kind_node is None:
        raise errors.SyntaxError(f'column "{col_name}" has no type')
    raw_type = kind_node.sql(dialect="postgres").lower()
    serial = SERIAL.get(raw_type)
    dtype, typmod = _datatype_of(kind_node)
    spec = ColSpec(Column(col_name, dtype, typmod))
    col = spec.column
    if serial:
        col.not_null = True
        spec.sequence, spec.base = "serial", serial
    for cons in item.args.get("constraints") or []:
        ck = cons.kind if isinstance(cons, exp.ColumnConstraint) else cons
        cname = cons.this.name if isinstance(cons, exp.ColumnConstraint) and \
            cons.this is not None else None
        if isinstance(ck, exp.NotNullColumnConstraint):
            col.not_null = not ck.args.get("allow_null")
        elif isinstance(ck, exp.PrimaryKeyColumnConstraint):
            spec.constraints.append(ConSpec("p", cname, [col_name]))
        elif isinstance(ck, exp.DefaultColumnConstraint):
            from omendb_server.catalog.deparse import node_text

            col.default_src = default_text(ck.this)
            col.default = node_text(ck.this, {}, dtype)
        elif isinstance(ck, exp.UniqueColumnConstraint):
            spec.constraints.append(ConSpec("u", cname, [col_name]))
        elif isinstance(ck, exp.GeneratedAsIdentityColumnConstraint):
            if ck.args.get("expression") is not None:
                col.generated = "s"
                col.default = col.default_src = ck.args["expression"].sql(dialect="postgres")
                continue
            col.identity = "d" if ck.args.get("this") is False else "a"
            col.not_null = True
            spec.sequence, spec.base = col.identity, dtype.name
            for opt in ("start", "increment", "minvalue", "maxvalue", "cache"):
                if ck.args.get(opt) is not None:
                    spec.identity_options[opt] = int(ck.args[opt].sql())
            if ck.args.get("cycle"):
                spec.identity_options["cycle"] = 1
        elif isinstance(ck, exp.ComputedColumnConstraint):
            col.generated = "s"
            col.default = col.default_src = ck.this.sql(dialect="postgres")
        elif isinstance(ck, exp.CheckColumnConstraint):
            spec.constraints.append(ConSpec("c", cname, [col_name], check=ck.this))
        elif isinstance(ck, exp.Reference):
            con = ConSpec("f", cname, [col_name])
            _reference(ck, con)
            spec.constraints.append(con)
        elif isinstance(ck, exp.CollateColumnConstraint):
            col.collation = collation_oid(ck.this.name, dtype)
        else:
            raise errors.FeatureNotSupported(
                f"column constraint not supported yet: {cons.sql(dialect='postgres')}")
    if col.generated and col.identity:
        raise errors.SyntaxError(
            f'both identity and generation expression specified for column "{col_name}" of '
            f'table "{table_name}"')
    return spec


def parse_table_constraint(item: exp.Expression) -> ConSpec | None:
    """A table-level constraint node → spec, or None if ``item`` is not one."""
    name = None
    node = item
    if isinstance(item, exp.Constraint):
        name = item.name
        if not item.expressions:
            return None
        node = item.expressions[0]
    if isinstance(node, exp.PrimaryKey):
        return ConSpec("p", name, [e.name for e in node.expressions])
    if isinstance(node, exp.UniqueColumnConstraint):
        cols = [e.name for e in node.this.expressions] if node.this is not None else []
        return ConSpec("u", name, cols)
    if isinstance(node, exp.CheckColumnConstraint):
        return ConSpec("c", name, [], check=node.this)
    if isinstance(node, exp.ForeignKey):
        spec = ConSpec("f", name, [e.name for e in node.expressions])
        ref = node.args.get("reference")
        if ref is None:
            raise errors.SyntaxError("syntax error at or near \"FOREIGN\"")
        _reference(ref, spec)
        return spec
    return None


# -- names --------------------------------------------------------------------------
def _constraint_names(cat: Catalog, schema: str) -> set[str]:
    names: set[str] = set()
    for t in cat.tables.values():
        if t.schema != schema:
            continue
        names.update(c.name for c in t.constraints)
        if t.pk_name:
            names.add(t.pk_name)
    for i in cat.indexes.values():
        names.add(i.name)
    return names


def make_name(base_parts: list[str], suffix: str, taken: Any) -> str:
    """PostgreSQL's makeObjectName + ChooseConstraintName: truncate to fit 63 bytes,
    then append 1, 2, ... until ``taken(name)`` is False."""
    n = 0
    while True:
        extra = "" if n == 0 else str(n)
        label = suffix + extra
        parts = list(base_parts)
        total = sum(len(p) for p in parts) + len(parts) + len(label)
        while total > 63:
            longest = max(range(len(parts)), key=lambda i: len(parts[i]))
            over = total - 63
            cut = min(over, len(parts[longest]) - 1)
            parts[longest] = parts[longest][: len(parts[longest]) - cut]
            total -= cut
            if cut <= 0:
                break
        name = "_".join(parts + [label]) if label else "_".join(parts)
        if not taken(name):
            return name
        n += 1


def check_columns(node: exp.Expression, table: Table) -> list[str]:
    seen: list[str] = []
    for c in node.find_all(exp.Column):
        if c.name not in seen and table.find_column(c.name) is not None:
            seen.append(c.name)
    return seen


# -- applying -----------------------------------------------------------------------
def add_constraint(ctx: ExecContext, cat: Catalog, table: Table, spec: ConSpec,
                   validate: bool) -> None:
    """Add one constraint to ``table`` in the private catalog ``cat``; with
    ``validate`` the table's existing rows are checked (ALTER TABLE)."""
    from omendb_server.sql.ddl import add_primary_key, add_unique

    schema = table.schema
    taken_con = _constraint_names(cat, schema)
    if spec.name and spec.kind in ("c", "f") and (
            table.find_constraint(spec.name) is not None or spec.name == table.pk_name or any(
                i.name == spec.name for i in cat.indexes_of(table.oid))):
        raise errors.DuplicateObject(
            f'constraint "{spec.name}" for relation "{table.name}" already exists')
    if spec.kind == "p":
        add_primary_key(ctx, cat, table, spec.name, spec.columns)
        return
    if spec.kind == "u":
        add_unique(ctx, cat, table, spec.name, spec.columns)
        return
    if spec.kind == "c":
        assert spec.check is not None
        for c in spec.check.find_all(exp.Column):
            if table.find_column(c.name) is None and not c.table:
                raise errors.UndefinedColumn(f'column "{c.name}" does not exist')
        cols = check_columns(spec.check, table)
        name = spec.name or make_name([table.name] + cols[:1] if len(cols) == 1
                                      else [table.name], "check",
                                      lambda n: n in taken_con or table.find_constraint(n)
                                      is not None)
        from omendb_server.catalog.deparse import check_text, columns_of

        con = Constraint(name, "c", [table.column_index(c) for c in cols],
                         check=spec.check.sql(dialect="postgres"), oid=cat.allocate_oid(),
                         check_display=check_text(spec.check, columns_of(table)),
                         check_pretty=check_text(spec.check, columns_of(table), pretty=True))
        _compile_check(ctx, cat, table, con)
        table.constraints.append(con)
        if validate:
            _validate_check(ctx, cat, table, con)
        return
    # foreign key
    assert spec.ref_table is not None
    ref_name, ref_schema = spec.ref_table
    parent = table if ref_name == table.name and ref_schema in (None, table.schema) \
        else cat.get_table(ref_name, ref_schema)
    positions = [table.column_index(c) for c in spec.columns]
    if spec.ref_columns:
        ref_positions = []
        for c in spec.ref_columns:
            idx = parent.find_column(c)
            if idx is None:
                raise errors.UndefinedColumn(
                    f'column "{c}" referenced in foreign key constraint does not exist')
            ref_positions.append(idx)
    else:
        if not parent.primary_key:
            raise errors.DBError(
                f'there is no primary key for referenced table "{parent.name}"', "42830")
        ref_positions = list(parent.primary_key)
    if len(ref_positions) != len(positions):
        raise errors.DBError("number of referencing and referenced columns for foreign key "
                             "disagree", "42830")
    index_oid = None
    if parent.primary_key and sorted(parent.primary_key) == sorted(ref_positions):
        index_oid = parent.pk_index_oid
    else:
        for index in cat.indexes_of(parent.oid):
            if index.unique and index.plain and sorted(index.columns) == sorted(ref_positions):
                index_oid = index.oid
                break
    if index_oid is None:
        raise errors.DBError(
            f'there is no unique constraint matching given keys for referenced table '
            f'"{parent.name}"', "42830")
    for action, attr in ((spec.on_delete, "on_delete"), (spec.on_update, "on_update")):
        if action in ("n", "d"):
            for p in positions:
                if table.columns[p].generated:
                    raise errors.SyntaxError(
                        f"invalid {attr.replace('on_', 'ON ').upper()} action for foreign key "
                        "constraint containing generated column")
    name = spec.name or make_name([table.name] + spec.columns, "fkey",
                                  lambda n: n in taken_con or table.find_constraint(n)
                                  is not None)
    con = Constraint(name, "f", positions, ref_table=parent.oid, ref_columns=ref_positions,
                     on_delete=spec.on_delete, on_update=spec.on_update, match=spec.match,
                     oid=cat.allocate_oid(), index_oid=index_oid, deferrable=spec.deferrable,
                     deferred=spec.deferred)
    table.constraints.append(con)
    if validate:
        _validate_fk(ctx, cat, table, con)


def _compile_check(ctx: ExecContext, cat: Catalog, table: Table, con: Constraint) -> Any:
    import sqlglot

    from omendb_server.sql.constraints import table_scope
    from omendb_server.sql.expr import ExprCompiler
    from omendb_server.sql.planner import Planner

    node = sqlglot.parse_one(con.check or "true", read="postgres")
    comp = ExprCompiler(Planner(cat, []), table_scope(table, table.name))
    return comp.boolean(node, "CHECK").fn


def _live_rows(ctx: ExecContext, table: Table) -> list[Any]:
    from omendb_server.sql.operators import candidate_versions

    return candidate_versions(ctx, ctx.tm.table_data(table), None)


def _validate_check(ctx: ExecContext, cat: Catalog, table: Table, con: Constraint) -> None:
    fn = _compile_check(ctx, cat, table, con)
    for v in _live_rows(ctx, table):
        if fn(v.values, ctx) is False:
            raise errors.CheckViolation(
                f'check constraint "{con.name}" of relation "{table.name}" is violated by some '
                "row", table=table.name, constraint=con.name)


def _validate_fk(ctx: ExecContext, cat: Catalog, table: Table, con: Constraint) -> None:
    from omendb_server.sql.constraints import _key_text, _live_now

    parent = cat.tables[con.ref_table]
    pdata = ctx.tm.table_data(parent)
    keys = {tuple(v.values[i] for i in con.ref_columns)
            for v in pdata.versions.values() if _live_now(v, ctx.txn.txid)}
    for v in _live_rows(ctx, table):
        key = tuple(v.values[i] for i in con.columns)
        if None in key or key in keys:
            continue
        raise errors.ForeignKeyViolation(
            f'insert or update on table "{table.name}" violates foreign key constraint '
            f'"{con.name}"',
            detail=f"Key {_key_text(table, con.columns, key, ctx)} is not present in table "
                   f'"{parent.name}".', table=table.name, constraint=con.name)


def new_unique_index(cat: Catalog, table: Table, name: str, positions: list[int]) -> Index:
    return Index(cat.allocate_oid(), name, table.oid, positions, unique=True, constraint=True,
                 constraint_oid=cat.allocate_oid())
