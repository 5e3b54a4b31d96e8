"""CREATE/DROP TABLE and INDEX, TRUNCATE; applied to the transaction's private catalog copy.

serial/bigserial and IDENTITY columns get an owned sequence and a
``nextval('<table>_<col>_seq'::regclass)`` default, exactly as PostgreSQL shows
them to clients that introspect defaults. Constraints are parsed by
``ddl_table``; ALTER TABLE lives in ``alter``; other objects (sequences, views,
schemas, enum types, comments) in ``ddl_objects``.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Column, Index, Sequence, Table
from omendb_server.sql.context import ExecContext
from omendb_server.sql.ddl_table import (
    SEQ_MAX,
    ColSpec,
    ConSpec,
    add_constraint,
    new_unique_index,
    parse_column,
    parse_table_constraint,
    query_column_names,
)
from omendb_server.sql.plan import CallablePlan, Result


def search_path(ctx: ExecContext) -> list[str]:
    """The session's search_path as schema names ("$user" → the user name)."""
    try:
        raw = ctx.session.get_setting("search_path")
    except Exception:  # noqa: BLE001 - sessions without settings (embedded) use the default
        raw = '"$user", public'
    out = []
    for part in raw.split(","):
        name = part.strip()
        if name.startswith('"') and name.endswith('"'):
            name = name[1:-1]
        else:
            name = name.lower()
        if name == "$user":
            name = getattr(ctx.session, "user", "") or ""
        if name:
            out.append(name)
    return out


def creation_schema(ctx: ExecContext, cat: Catalog, explicit: str | None) -> str:
    """Where CREATE puts an object: the named schema (must exist) or the first existing
    schema of search_path (3F000 when there is none, like PostgreSQL)."""
    if explicit:
        if explicit not in cat.schemas:
            raise errors.InvalidSchemaName(f'schema "{explicit}" does not exist')
        return explicit
    for name in search_path(ctx):
        if name in cat.schemas:
            return name
    raise errors.InvalidSchemaName("no schema has been selected to create in")


def notice(ctx: ExecContext, message: str, code: str = "00000") -> None:
    ctx.session.notice(errors.DBError(message, code, severity="NOTICE"))  # type: ignore[attr-defined]


def plan_create(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    props = node.args.get("properties")
    if props is not None and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions):
        return _temporary(_plan_create(planner, node))
    return _plan_create(planner, node)


def _temporary(plan: CallablePlan) -> CallablePlan:
    """CREATE TEMPORARY TABLE/VIEW: the object is marked temporary (pg_class.relpersistence
    't') and the session drops it when it ends. It is not put in a pg_temp schema, so
    other sessions can see its name (a documented difference)."""
    run_create = plan.run

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        before = set(cat.tables) | set(cat.views)
        result = run_create(ctx)  # type: ignore[misc]
        cat = ctx.tm.writable_catalog(ctx.txn)
        for oid in (set(cat.tables) | set(cat.views)) - before:
            obj = cat.tables.get(oid) or cat.views[oid]
            obj.temporary = True
            obj.temp_owner = int(getattr(ctx.session, "pid", 0) or 0)
            kind = "TABLE" if oid in cat.tables else "VIEW"
            temps = getattr(ctx.session, "temp_relations", None)
            if temps is not None:
                entry = (kind, obj.schema, obj.name)
                temps.append(entry)
                # rolled back: nothing for the session to drop (by name: it could be
                # another session's object by then)
                _on_abort(ctx, lambda entry=entry, temps=temps: _discard(temps, entry))
        return result

    plan.run = run
    return plan


def _temporaries(cat: Catalog) -> set[tuple[str, str, str]]:
    return ({("TABLE", t.schema, t.name) for t in cat.tables.values() if t.temporary}
            | {("VIEW", v.schema, v.name) for v in cat.views.values() if v.temporary})


def _discard(temps: list[tuple[str, str, str]], entry: tuple[str, str, str]) -> None:
    while entry in temps:
        temps.remove(entry)


def _on_abort(ctx: ExecContext, undo: Any) -> None:
    hooks = getattr(ctx.txn, "on_abort", None)  # txn/manager.py hook
    if hooks is not None:
        hooks.append(undo)


def forgetting_dropped_temporaries(plan: CallablePlan) -> CallablePlan:
    """DROP of a temporary table/view: the session no longer drops it at its end. The
    session drops by name, and once dropped the name may be another session's object
    (temporary relations share the schema's namespace here)."""
    run_drop = plan.run

    def run(ctx: ExecContext) -> Result:
        temps = getattr(ctx.session, "temp_relations", None)
        if not temps:
            return run_drop(ctx)  # type: ignore[misc]
        before = _temporaries(ctx.tm.writable_catalog(ctx.txn))
        result = run_drop(ctx)  # type: ignore[misc]
        gone = before - _temporaries(ctx.tm.writable_catalog(ctx.txn))
        for entry in gone:
            if entry in temps:
                _discard(temps, entry)
                _on_abort(ctx, lambda entry=entry, temps=temps: temps.append(entry))
        return result

    plan.run = run
    return plan


def _plan_create(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    kind = (node.args.get("kind") or "").upper()
    if kind == "INDEX":
        return plan_create_index(planner, node)
    if kind in ("SEQUENCE", "VIEW", "SCHEMA", "TYPE"):
        from omendb_server.sql import ddl_objects

        return ddl_objects.plan_create_object(planner, node, kind)
    if kind != "TABLE":
        raise errors.FeatureNotSupported(f"CREATE {kind} is not supported yet")
    if node.expression is not None:
        return plan_create_table_as(planner, node)
    schema_node = node.this
    if not isinstance(schema_node, exp.Schema):
        raise errors.SyntaxError("syntax error in CREATE TABLE")
    table_node = schema_node.this
    name = table_node.name
    explicit_schema = table_node.db or None
    if_not_exists = bool(node.args.get("exists"))
    colspecs: list[ColSpec] = []
    written: list[ConSpec] = []
    #: ColSpecs and (LIKE source table, schema, INCLUDING options) in written order
    layout: list[Any] = []
    for item in schema_node.expressions:
        if isinstance(item, exp.LikeProperty):
            opts = {str(p.args.get("value")).upper() for p in item.expressions or []
                    if str(p.this).upper() == "INCLUDING"}
            layout.append((item.this.name, item.this.db or None, opts))
            continue
        if isinstance(item, exp.ColumnDef):
            spec = parse_column(item, name)
            if any(c.column.name == spec.column.name for c in colspecs):
                raise errors.DuplicateColumn(
                    f'column "{spec.column.name}" specified more than once')
            colspecs.append(spec)
            layout.append(spec)
            written.extend(spec.constraints)
            continue
        con = parse_table_constraint(item)
        if con is None:
            raise errors.FeatureNotSupported(
                f"table constraint not supported yet: {item.sql(dialect='postgres')}")
        written.append(con)
    # PostgreSQL creates them by kind (key indexes, CHECKs, FKs), each in written order
    rank = {"p": 0, "u": 1, "c": 2, "f": 3}
    written.sort(key=lambda c: rank[c.kind])
    ordered = written
    pks = [c for c in written if c.kind == "p"]
    if len(pks) > 1:
        raise errors.InvalidTableDefinition(
            f'multiple primary keys for table "{name}" are not allowed')

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        schema = creation_schema(ctx, cat, explicit_schema)
        if cat.relation_name_taken(name, schema):
            if if_not_exists:
                notice(ctx, f'relation "{name}" already exists, skipping', "42P07")
                return Result("CREATE TABLE")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        specs, cons = _expand_like(cat, layout, ordered) if len(layout) != len(colspecs) \
            else (colspecs, ordered)
        for cs in specs:
            t = cs.column.type
            if t.category == "E" and t.oid not in cat.enums:
                raise errors.UndefinedObject(f'type "{t.name}" does not exist')
        oid = cat.allocate_oid()
        cols = [Column(c.column.name, c.column.type, c.column.typmod, c.column.not_null,
                       c.column.default, c.column.identity, c.column.generated,
                       c.column.default_src, c.column.collation) for c in specs]
        table = Table(oid=oid, name=name, schema=schema, columns=cols,
                      rowtype_oid=cat.allocate_oid())
        for cs, col in zip(specs, cols):
            if cs.sequence:
                seq = add_owned_sequence(cat, table, col, cs)
                ctx.tm.sequences.pop(seq.oid, None)  # an OID a rolled-back sequence used
        for col in cols:
            if col.generated and col.default:
                from omendb_server.catalog.deparse import columns_of, expr_text

                _check_generated_expr(table, col)
                col.default = expr_text(col.default_expr or "", columns_of(table))
        cat.tables[oid] = table
        ctx.txn.created_tables.append(oid)
        ctx.tm.table_data(table)
        # PRIMARY KEY first (its name is taken before UNIQUE ones), then the rest in order
        for con in cons:
            add_constraint(ctx, cat, table, con, validate=False)
        return Result("CREATE TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def _expand_like(cat: Catalog, layout: list[Any], written: list[ConSpec]
                 ) -> tuple[list[ColSpec], list[ConSpec]]:
    """CREATE TABLE t (LIKE src [INCLUDING ...]): the source's columns (NOT NULL always;
    DEFAULTS, GENERATED, IDENTITY, CONSTRAINTS, INDEXES, ALL as PostgreSQL copies them)."""
    import sqlglot

    specs: list[ColSpec] = []
    cons = list(written)
    for entry in layout:
        if isinstance(entry, ColSpec):
            specs.append(entry)
            continue
        src_name, src_schema, opts = entry
        src = cat.get_table(src_name, src_schema)

        def want(word: str, opts: set[str] = opts) -> bool:
            return "ALL" in opts or word in opts

        for col in src.columns:
            new = Column(col.name, col.type, col.typmod, col.not_null, collation=col.collation)
            spec = ColSpec(new)
            if col.generated and want("GENERATED"):
                new.generated, new.default, new.default_src = "s", col.default, col.default_src
            elif col.identity and want("IDENTITY"):
                new.identity = col.identity
                spec.sequence, spec.base = col.identity, col.type.name
            elif col.default is not None and not col.identity and not col.generated \
                    and want("DEFAULTS"):
                new.default, new.default_src = col.default, col.default_src
            specs.append(spec)
        if want("CONSTRAINTS"):
            for con in src.constraints:
                if con.type == "c":
                    cons.append(ConSpec("c", con.name, [],
                                        check=sqlglot.parse_one(con.check or "true",
                                                                read="postgres")))
        if want("INDEXES"):
            if src.primary_key:
                cons.append(ConSpec("p", None, [src.columns[i].name for i in src.primary_key]))
            for index in cat.indexes_of(src.oid):
                if index.unique and index.plain:
                    cons.append(ConSpec("u", None, [src.columns[i].name for i in index.columns]))
    seen: set[str] = set()
    for spec in specs:
        if spec.column.name in seen:
            raise errors.DuplicateColumn(f'column "{spec.column.name}" specified more than once')
        seen.add(spec.column.name)
    rank = {"p": 0, "u": 1, "c": 2, "f": 3}
    cons.sort(key=lambda c: rank[c.kind])
    return specs, cons


def plan_create_table_as(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    """CREATE TABLE name [(cols)] AS query [WITH [NO] DATA]: columns from the query's
    output (unknown-typed literals become text), then its rows inserted."""
    from omendb_server.sql import types as T

    target = node.this
    names: list[str] = []
    if isinstance(target, exp.Schema):
        names = [e.name for e in target.expressions]
        target = target.this
    name, explicit_schema = target.name, target.db or None
    if_not_exists = bool(node.args.get("exists"))
    props = node.args.get("properties")
    with_data = not any(isinstance(p, exp.WithDataProperty) and p.args.get("no")
                        for p in (props.expressions if props is not None else []))
    query = planner.plan_query(node.expression, None)
    out = query.columns or []
    col_names = query_column_names(names, out, "too many column names were specified")
    columns = [Column(n, T.TEXT if c.type.oid == 705 else c.type, c.typmod)
               for n, c in zip(col_names, out)]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        schema = creation_schema(ctx, cat, explicit_schema)
        if cat.relation_name_taken(name, schema):
            if if_not_exists:
                notice(ctx, f'relation "{name}" already exists, skipping', "42P07")
                return Result("CREATE TABLE AS")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        table = Table(oid=cat.allocate_oid(), name=name, schema=schema,
                      columns=[Column(c.name, c.type, c.typmod) for c in columns],
                      rowtype_oid=cat.allocate_oid())
        cat.tables[table.oid] = table
        ctx.txn.created_tables.append(table.oid)
        data = ctx.tm.table_data(table)
        if not with_data:
            return Result("CREATE TABLE AS")

        def conflict(index_oid: int, key: tuple) -> None:  # no keys: never called
            raise errors.InternalError("unexpected key conflict")

        rows = [tuple(r) for r in query.rows(ctx)]
        for row in rows:
            ctx.tm.insert(ctx.txn, data, row, conflict, ())
        return Result(f"SELECT {len(rows)}")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def _check_generated_expr(table: Table, col: Column) -> None:
    import sqlglot

    node = sqlglot.parse_one(col.default_expr or "", read="postgres")
    for c in node.find_all(exp.Column):
        idx = table.find_column(c.name)
        if idx is None:
            raise errors.UndefinedColumn(f'column "{c.name}" does not exist')
        if table.columns[idx].generated:
            raise errors.InvalidTableDefinition(
                "cannot use generated column in column generation expression",
                detail='A generated column cannot reference another generated column.')


def add_owned_sequence(cat: Catalog, table: Table, col: Column, cs: ColSpec) -> Sequence:
    """The sequence behind a serial / identity column, and the column's DEFAULT."""
    seq_name = _unique_name(cat, f"{table.name}_{col.name}_seq", table.schema)
    opts = cs.identity_options
    increment = opts.get("increment", 1)
    type_max = SEQ_MAX.get(cs.base, 2**63 - 1)
    # a descending sequence counts down from -1 to the type's minimum (PostgreSQL)
    seq = Sequence(oid=cat.allocate_oid(), name=seq_name, schema=table.schema,
                   type_oid={"int2": 21, "int4": 23, "int8": 20}.get(cs.base, 20),
                   max_value=opts.get("maxvalue", type_max if increment > 0 else -1),
                   min_value=opts.get("minvalue", 1 if increment > 0 else -type_max - 1),
                   increment=increment, owned_by=(table.oid, col.name),
                   cycle=bool(opts.get("cycle")), cache=opts.get("cache", 1))
    seq.start = opts.get("start", seq.min_value if increment > 0 else seq.max_value)
    cat.sequences[seq.oid] = seq
    from omendb_server.catalog.pg_catalog import quote_ident

    # quoted where needed, as PostgreSQL prints it: 'Abc_id_seq' would fold to abc_id_seq
    qualified = quote_ident(seq_name) if table.schema == "public" else \
        f"{quote_ident(table.schema)}.{quote_ident(seq_name)}"
    col.default = f"nextval('{qualified.replace(chr(39), chr(39) * 2)}'::regclass)"
    col.default_src = None
    return seq


def _unique_name(cat, base: str, schema: str) -> str:  # type: ignore[no-untyped-def]
    name = base[:63]
    n = 1
    while cat.relation_name_taken(name, schema):
        suffix = str(n)
        name = base[: 63 - len(suffix)] + suffix
        n += 1
    return name


def add_primary_key(ctx: ExecContext, cat: Catalog, table: Table, cname: str | None,
                    cols: list[str]) -> None:
    """PRIMARY KEY on ``cols``: NOT NULL, uniqueness of existing rows, the key index."""
    from omendb_server.sql.operators import candidate_versions
    from omendb_server.txn.manager import pk_key_mapper

    if table.primary_key:
        raise errors.InvalidTableDefinition(
            f'multiple primary keys for table "{table.name}" are not allowed')
    positions = []
    for c in cols:
        idx = table.find_column(c)
        if idx is None:
            raise errors.UndefinedColumn(f'column "{c}" of relation "{table.name}" does not exist')
        positions.append(idx)
    data = ctx.tm.table_data(table)
    live = candidate_versions(ctx, data, None)
    for v in live:
        for p in positions:
            if v.values[p] is None:
                raise errors.NotNullViolation(
                    f'column "{table.columns[p].name}" of relation "{table.name}" '
                    "contains null values", table=table.name, column=table.columns[p].name)
    pk_name = cname or _unique_name(cat, f"{table.name}_pkey", table.schema)
    if cat.relation_name_taken(pk_name, table.schema):
        raise errors.DuplicateTable(f'relation "{pk_name}" already exists')
    seen: set[tuple] = set()
    for v in live:
        key = tuple(v.values[p] for p in positions)
        if key in seen:
            vals = ", ".join(table.columns[p].type.text_out(k, ctx.fmt)
                             for p, k in zip(positions, key))
            raise errors.UniqueViolation(
                f'could not create unique index "{pk_name}"',
                detail=f"Key ({', '.join(cols)})=({vals}) is duplicated.",
                table=table.name, constraint=pk_name)
        seen.add(key)
    table.primary_key = positions
    for p in positions:
        table.columns[p].not_null = True
    table.pk_name = pk_name
    table.pk_index_oid = cat.allocate_oid()
    table.pk_constraint_oid = cat.allocate_oid()
    if list(data.pk_cols) != positions:
        from omendb_server.sql.alter import remember_key_structures

        if hasattr(ctx.txn, "on_abort"):
            remember_key_structures(ctx, data)
        else:  # transaction manager without undo hooks
            ctx.txn.altered_pks.append((table.oid, list(data.pk_cols)))
        data.set_primary_key(positions, pk_key_mapper(table))


def add_unique(ctx: ExecContext, cat: Catalog, table: Table, cname: str | None,
               cols: list[str]) -> Index:
    positions = []
    for c in cols:
        idx = table.find_column(c)
        if idx is None:
            raise errors.UndefinedColumn(f'column "{c}" named in key does not exist')
        positions.append(idx)
    iname = cname or _unique_name(cat, f"{table.name}_{'_'.join(cols)}_key", table.schema)
    if cat.relation_name_taken(iname, table.schema):
        raise errors.DuplicateTable(f'relation "{iname}" already exists')
    index = new_unique_index(cat, table, iname, positions)
    data = ctx.tm.table_data(table)
    from omendb_server.sql.alter import remember_key_structures

    remember_key_structures(ctx, data)
    structure = data.add_index(index.oid, positions, True)
    ctx.txn.created_indexes.append((table.oid, index.oid))
    _check_existing_unique(ctx, cat, table, index, structure, data)
    cat.indexes[index.oid] = index
    return index


def _index_element(item: exp.Expression) -> tuple[str | None, exp.Expression | None]:
    """An index key element → (column name, None) or (None, expression). ``((col))`` is
    the column itself, as in PostgreSQL."""
    target = item.this if isinstance(item, exp.Ordered) else item
    inner = target
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Column) and not inner.table:
        return inner.name, None
    if isinstance(target, exp.Column):
        raise errors.FeatureNotSupported("qualified column names in an index are not supported")
    return None, inner


def plan_create_index(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    from omendb_server.sql.index_keys import check_immutable

    index_node = node.this
    params = index_node.args.get("params")
    table_node = index_node.args.get("table")
    if params is None or table_node is None:
        raise errors.SyntaxError("syntax error in CREATE INDEX")
    using = params.args.get("using")
    if using is not None and using.name.lower() not in ("btree", "hash"):
        raise errors.FeatureNotSupported(f'access method "{using.name}" is not supported')
    elements = [_index_element(item) for item in params.args.get("columns") or []]
    for _, expr_node in elements:
        if expr_node is not None:
            check_immutable(expr_node, "index expression")
    include = [i.name for i in params.args.get("include") or []]
    where_node = params.args.get("where")
    where_src = None
    if where_node is not None:
        check_immutable(where_node.this, "index predicate")
        where_src = where_node.this.sql(dialect="postgres")
    unique = bool(node.args.get("unique"))
    if_not_exists = bool(node.args.get("exists"))
    given_name = index_node.name or None
    table_name, schema = table_node.name, table_node.db or None

    def run(ctx: ExecContext) -> Result:
        from omendb_server.catalog.model import index_key_function
        from omendb_server.sql.index_keys import compile_parts

        cat = ctx.tm.writable_catalog(ctx.txn)
        table = cat.get_table(table_name, schema)
        positions: list[int] = []
        exprs: dict[int, str] = {}
        for pos, (col_name, expr_node) in enumerate(elements):
            if col_name is not None:
                positions.append(table.column_index(col_name))
            else:
                positions.append(-1)
                exprs[pos] = expr_node.sql(dialect="postgres")  # type: ignore[union-attr]
        include_pos = [table.column_index(c) for c in include]
        index = Index(0, "", table.oid, positions, unique=unique, include=include_pos,
                      exprs=exprs, where=where_src)
        # compiled now: an unknown column or function fails the statement (42703/42883)
        parts, _ = compile_parts(cat, table, index)
        index.expr_types = {pos: parts[pos][1].oid for pos in exprs}
        from omendb_server.catalog.pg_catalog import IndexInfo, index_column_names

        col_names = index_column_names(IndexInfo(columns=positions, include=include_pos,
                                                 exprs=exprs, table=table))
        name = given_name or _unique_name(cat, f"{table.name}_{'_'.join(col_names)}_idx", table.schema)
        if cat.relation_name_taken(name, table.schema):
            if if_not_exists:
                ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                    f'relation "{name}" already exists, skipping', "42P07", severity="NOTICE"))
                return Result("CREATE INDEX")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        index.oid, index.name = cat.allocate_oid(), name
        data = ctx.tm.table_data(table)
        structure = data.add_index(index.oid, positions, unique, index_key_function(cat, index))
        ctx.txn.created_indexes.append((table.oid, index.oid))
        if unique:
            _check_existing_unique(ctx, cat, table, index, structure, data)
        cat.indexes[index.oid] = index
        return Result("CREATE INDEX")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def _check_existing_unique(ctx: ExecContext, cat: Catalog, table: Table, index: Index,
                           structure, data) -> None:  # type: ignore[no-untyped-def]
    from omendb_server.storage.delta import INF

    for key, vids in structure.map._map.items():
        me = -ctx.txn.txid
        live = [v for v in vids
                if data.versions[v].end == INF or (data.versions[v].end < 0 and data.versions[v].end != me)]
        if len(live) > 1:
            if index.plain:
                names = ", ".join(table.columns[i].name for i in index.columns)
                vals = ", ".join(table.columns[i].type.text_out(v, ctx.fmt)
                                 for i, v in zip(index.columns, key))
                detail = f"({names})=({vals})"
            else:
                from omendb_server.sql.index_keys import key_detail

                detail = key_detail(cat, table, index, key, ctx.fmt)
            raise errors.UniqueViolation(
                f'could not create unique index "{index.name}"',
                detail=f"Key {detail} is duplicated.", table=table.name,
                constraint=index.name)


def plan_drop_index(node: exp.Drop) -> CallablePlan:
    if_exists = bool(node.args.get("exists"))
    names = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        for name, schema in names:
            index = cat.find_index(name, schema)
            if index is None:
                if if_exists:
                    ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                        f'index "{name}" does not exist, skipping', "00000", severity="NOTICE"))
                    continue
                raise errors.UndefinedObject(f'index "{name}" does not exist')
            if index.constraint:
                table = cat.tables[index.table_oid]
                raise errors.DBError(
                    f'cannot drop index {name} because constraint {name} on table {table.name} '
                    "requires it", "2BP01",
                    hint=f"You can drop constraint {name} on table {table.name} instead.")
            del cat.indexes[index.oid]
            ctx.txn.dropped_indexes.append((index.table_oid, index.oid))
        return Result("DROP INDEX")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def plan_drop(planner, node: exp.Drop) -> CallablePlan:  # type: ignore[no-untyped-def]
    kind = (node.args.get("kind") or "").upper()
    if kind in ("TABLE", "VIEW", "SCHEMA"):
        return forgetting_dropped_temporaries(_plan_drop(planner, node, kind))
    return _plan_drop(planner, node, kind)


def _plan_drop(planner, node: exp.Drop, kind: str) -> CallablePlan:  # type: ignore[no-untyped-def]
    if kind == "INDEX":
        return plan_drop_index(node)
    if kind == "VIEW" and node.args.get("materialized"):
        # a materialized view is a table with a stored query
        node = node.copy()
        node.set("kind", "TABLE")
        node.set("materialized", False)
        inner = plan_drop(planner, node)
        run_table = inner.run

        def run_matview(ctx: ExecContext) -> Result:
            run_table(ctx)  # type: ignore[misc]
            return Result("DROP MATERIALIZED VIEW")

        inner.run = run_matview
        return inner
    if kind in ("SEQUENCE", "VIEW", "SCHEMA", "TYPE"):
        from omendb_server.sql import ddl_objects

        return ddl_objects.plan_drop_object(planner, node, kind)
    if kind != "TABLE":
        raise errors.FeatureNotSupported(f"DROP {kind} is not supported yet")
    if_exists = bool(node.args.get("exists"))
    cascade = bool(node.args.get("cascade"))
    targets = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        tables = []
        for name, schema in targets:
            table = cat.find_table(name, schema)
            if table is None:
                if if_exists:
                    notice(ctx, f'table "{name}" does not exist, skipping')
                    continue
                if cat.find_view(name, schema) is not None:
                    raise errors.WrongObjectType(f'"{name}" is not a table',
                                                 hint="Use DROP VIEW to remove a view.")
                shown = f"{schema}.{name}" if schema else name
                raise errors.UndefinedTable(f'table "{shown}" does not exist')
            tables.append(table)
        dropping = {t.oid for t in tables}
        for table in tables:
            drop_table(ctx, cat, table, cascade, dropping)
        return Result("DROP TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def dependents_of_table(cat: Catalog, table: Table, dropping: set[int]) -> list[tuple[str, object]]:
    """Objects that depend on ``table`` (FKs of other tables, views naming it)."""
    from omendb_server.sql.ddl_objects import view_depends_on

    out: list[tuple[str, object]] = []
    for child, con in cat.referencing_fks(table.oid):
        if child.oid not in dropping:
            out.append((f"constraint {con.name} on table {child.name}", (child, con)))
    for view in cat.views.values():
        if view_depends_on(view, table.name):
            out.append((f"view {view.name}", view))
    return out


def drop_table(ctx: ExecContext, cat: Catalog, table: Table, cascade: bool,
               dropping: set[int]) -> None:
    deps = dependents_of_table(cat, table, dropping)
    if deps and not cascade:
        raise errors.DBError(
            f"cannot drop table {table.name} because other objects depend on it", "2BP01",
            detail="\n".join(f"{d} depends on table {table.name}" for d, _ in deps),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    if deps:
        lines = [f"drop cascades to {d}" for d, _ in deps]
        notice(ctx, lines[0] if len(lines) == 1 else
               f"drop cascades to {len(lines)} other objects")
        for _, obj in deps:
            if isinstance(obj, tuple):
                child, con = obj
                child.constraints = [c for c in child.constraints if c is not con]
            else:
                cat.views.pop(obj.oid, None)  # type: ignore[attr-defined]
    del cat.tables[table.oid]
    for seq_oid in [s.oid for s in cat.sequences.values() if s.owned_by and s.owned_by[0] == table.oid]:
        del cat.sequences[seq_oid]
    for index in cat.indexes_of(table.oid):
        del cat.indexes[index.oid]
    for key in [k for k in cat.comments if k[0] == table.oid]:
        del cat.comments[key]
    ctx.txn.dropped_tables.append(table.oid)


def plan_truncate(planner, node: exp.TruncateTable) -> CallablePlan:  # type: ignore[no-untyped-def]
    """TRUNCATE [TABLE] t [, ...] [RESTART IDENTITY | CONTINUE IDENTITY].

    Implemented as an MVCC delete of every visible row (so it is transactional and
    snapshots that started earlier keep their rows); RESTART IDENTITY resets the
    tables' owned sequences, as PostgreSQL does.
    """
    from omendb_server.sql.operators import candidate_versions

    targets = [(t.name, t.db or None) for t in node.expressions]
    restart = str(node.args.get("identity") or "").upper() == "RESTART"

    cascade = str(node.args.get("option") or "").upper() == "CASCADE"

    def run(ctx: ExecContext) -> Result:
        tm = ctx.tm
        tables = [ctx.catalog.get_table(name, schema) for name, schema in targets]
        # referencing tables must be truncated with them (or by CASCADE), as in PostgreSQL
        i = 0
        while i < len(tables):
            for child, _ in ctx.catalog.referencing_fks(tables[i].oid):
                if any(t.oid == child.oid for t in tables):
                    continue
                if not cascade:
                    raise errors.FeatureNotSupported(
                        "cannot truncate a table referenced in a foreign key constraint",
                        detail=f'Table "{child.name}" references "{tables[i].name}".',
                        hint=f'Truncate table "{child.name}" at the same time, or use '
                        "TRUNCATE ... CASCADE.")
                notice(ctx, f'truncate cascades to table "{child.name}"')
                tables.append(child)
            i += 1
        for table in tables:
            data = tm.table_data(table)
            for version in candidate_versions(ctx, data, None):
                target = tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
                if target is not None:
                    tm.delete(ctx.txn, data, target)
            if restart:
                for seq in ctx.catalog.sequences.values():
                    if seq.owned_by and seq.owned_by[0] == table.oid:
                        tm.sequences[seq.oid] = seq.start - seq.increment
                        ctx.txn.seq_touched.add(seq.oid)
        return Result("TRUNCATE TABLE")

    return CallablePlan(columns=None, kind="dml", writes=True, run=run,
                        explain_lines=["Utility Statement"])


def plan_alter(planner, node: exp.Alter) -> CallablePlan:  # type: ignore[no-untyped-def]
    from omendb_server.sql.alter import plan_alter_table

    return plan_alter_table(planner, node)
