"""CREATE TABLE and DROP TABLE, applied to the transaction's private catalog copy.

serial/bigserial and IDENTITY columns get an owned sequence and a
``nextval('<table>_<col>_seq'::regclass)`` default, exactly as PostgreSQL shows
them to clients that introspect defaults.
"""

from __future__ import annotations

from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Column, Index, Sequence, Table
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import _datatype_of
from omendb_server.sql.plan import CallablePlan, Result

_SERIAL = {"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8",
           "smallserial": "int2", "serial2": "int2"}
_SEQ_MAX = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1}


def _schema_of(table_node: exp.Table) -> str:
    schema = table_node.db or "public"
    if schema != "public":
        raise errors.InvalidSchemaName(f'schema "{schema}" does not exist')
    return schema


def plan_create(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    kind = (node.args.get("kind") or "").upper()
    if kind == "INDEX":
        return plan_create_index(planner, node)
    if kind != "TABLE":
        raise errors.FeatureNotSupported(f"CREATE {kind} is not supported yet")
    if node.expression is not None:
        raise errors.FeatureNotSupported("CREATE TABLE ... AS is not supported yet")
    schema_node = node.this
    if not isinstance(schema_node, exp.Schema):
        raise errors.SyntaxError("syntax error in CREATE TABLE")
    table_node = schema_node.this
    name = table_node.name
    schema = _schema_of(table_node)
    if_not_exists = bool(node.args.get("exists"))
    columns: list[Column] = []
    serial_cols: list[tuple[int, str, str]] = []  # (position, kind 'serial'|'a'|'d', base type)
    pk_cols: list[str] = []
    pk_name: str | None = None
    uniques: list[tuple[str | None, list[str]]] = []  # (constraint name, columns)
    for item in schema_node.expressions:
        if isinstance(item, exp.ColumnDef):
            col_name = item.name
            if any(c.name == col_name for c in columns):
                raise errors.DuplicateColumn(f'column "{col_name}" specified more than once')
            kind_node = item.args.get("kind")
            if kind_node is None:
                raise errors.SyntaxError(f'column "{col_name}" has no type')
            raw_type = kind_node.sql(dialect="postgres").lower()
            serial = _SERIAL.get(raw_type)
            dtype, typmod = _datatype_of(kind_node)
            col = Column(col_name, dtype, typmod)
            pos = len(columns)
            if serial:
                col.not_null = True
                serial_cols.append((pos, "serial", serial))
            for cons in item.args.get("constraints") or []:
                ck = cons.kind if isinstance(cons, exp.ColumnConstraint) else cons
                if isinstance(ck, exp.NotNullColumnConstraint):
                    col.not_null = not ck.args.get("allow_null")
                elif isinstance(ck, exp.PrimaryKeyColumnConstraint):
                    if pk_cols:
                        raise errors.InvalidTableDefinition(
                            f'multiple primary keys for table "{name}" are not allowed')
                    pk_cols = [col_name]
                    if isinstance(cons, exp.ColumnConstraint) and cons.this is not None:
                        pk_name = cons.this.name
                elif isinstance(ck, exp.DefaultColumnConstraint):
                    col.default = ck.this.sql(dialect="postgres")
                elif isinstance(ck, exp.UniqueColumnConstraint):
                    cname = cons.this.name if isinstance(cons, exp.ColumnConstraint) and cons.this is not None else None
                    uniques.append((cname, [col_name]))
                elif isinstance(ck, exp.GeneratedAsIdentityColumnConstraint):
                    col.identity = "d" if ck.args.get("this") is False else "a"
                    col.not_null = True
                    serial_cols.append((pos, col.identity, dtype.name))
                else:
                    raise errors.FeatureNotSupported(
                        f"column constraint not supported yet: {cons.sql(dialect='postgres')}")
            columns.append(col)
        elif isinstance(item, exp.PrimaryKey) or (
                isinstance(item, exp.Constraint) and any(isinstance(e, exp.PrimaryKey) for e in item.expressions)):
            pk_node = item if isinstance(item, exp.PrimaryKey) else next(
                e for e in item.expressions if isinstance(e, exp.PrimaryKey))
            if pk_cols:
                raise errors.InvalidTableDefinition(
                    f'multiple primary keys for table "{name}" are not allowed')
            pk_cols = [e.name for e in pk_node.expressions]
            if isinstance(item, exp.Constraint):
                pk_name = item.name
        elif isinstance(item, exp.UniqueColumnConstraint) or (
                isinstance(item, exp.Constraint) and item.expressions
                and isinstance(item.expressions[0], exp.UniqueColumnConstraint)):
            uq = item if isinstance(item, exp.UniqueColumnConstraint) else item.expressions[0]
            cols = [e.name for e in uq.this.expressions] if uq.this is not None else []
            uniques.append((item.name if isinstance(item, exp.Constraint) else None, cols))
        else:
            raise errors.FeatureNotSupported(
                f"table constraint not supported yet: {item.sql(dialect='postgres')}")

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        if cat.find_table(name, schema) is not None or cat.relation_name_taken(name, schema):
            if if_not_exists:
                ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                    f'relation "{name}" already exists, skipping', "42P07", severity="NOTICE"))
                return Result("CREATE TABLE")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        oid = cat.allocate_oid()
        cols = [Column(c.name, c.type, c.typmod, c.not_null, c.default, c.identity) for c in columns]
        pk_positions: list[int] = []
        for pc in pk_cols:
            idx = next((i for i, c in enumerate(cols) if c.name == pc), None)
            if idx is None:
                raise errors.UndefinedColumn(f'column "{pc}" named in key does not exist')
            cols[idx].not_null = True
            pk_positions.append(idx)
        table = Table(oid=oid, name=name, schema=schema, columns=cols,
                      primary_key=pk_positions, rowtype_oid=cat.allocate_oid())
        if pk_positions:
            table.pk_name = pk_name or _unique_name(cat, f"{name}_pkey", schema)
            table.pk_index_oid = cat.allocate_oid()
        for pos, how, base in serial_cols:
            col = cols[pos]
            seq_name = _unique_name(cat, f"{name}_{col.name}_seq", schema)
            seq = Sequence(oid=cat.allocate_oid(), name=seq_name, schema=schema,
                           type_oid={"int2": 21, "int4": 23, "int8": 20}.get(base, 20),
                           max_value=_SEQ_MAX.get(base, 2**63 - 1), owned_by=(oid, col.name))
            cat.sequences[seq.oid] = seq
            if how == "serial":
                col.default = f"nextval('{seq_name}'::regclass)"
            else:
                col.default = f"nextval('{seq_name}'::regclass)"
        cat.tables[oid] = table
        ctx.txn.created_tables.append(oid)
        data = ctx.tm.table_data(table)
        for cname, ucols in uniques:
            positions = []
            for uc in ucols:
                idx = next((i for i, c in enumerate(cols) if c.name == uc), None)
                if idx is None:
                    raise errors.UndefinedColumn(f'column "{uc}" named in key does not exist')
                positions.append(idx)
            iname = cname or _unique_name(cat, f"{name}_{'_'.join(ucols)}_key", schema)
            if cat.relation_name_taken(iname, schema):
                raise errors.DuplicateTable(f'relation "{iname}" already exists')
            index = Index(cat.allocate_oid(), iname, oid, positions, unique=True, constraint=True)
            cat.indexes[index.oid] = index
            data.add_index(index.oid, positions, True)
            ctx.txn.created_indexes.append((oid, index.oid))
        return Result("CREATE TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def _unique_name(cat, base: str, schema: str) -> str:  # type: ignore[no-untyped-def]
    name = base[:63]
    n = 1
    while cat.relation_name_taken(name, schema):
        suffix = str(n)
        name = base[: 63 - len(suffix)] + suffix
        n += 1
    return name


def plan_create_index(planner, node: exp.Create) -> CallablePlan:  # type: ignore[no-untyped-def]
    index_node = node.this
    params = index_node.args.get("params")
    table_node = index_node.args.get("table")
    if params is None or table_node is None:
        raise errors.SyntaxError("syntax error in CREATE INDEX")
    if params.args.get("where") is not None:
        raise errors.FeatureNotSupported("partial indexes (CREATE INDEX ... WHERE) are not supported yet")
    using = params.args.get("using")
    if using is not None and using.name.lower() not in ("btree", "hash"):
        raise errors.FeatureNotSupported(f'access method "{using.name}" is not supported')
    col_names = []
    for item in params.args.get("columns") or []:
        target = item.this if isinstance(item, exp.Ordered) else item
        if not isinstance(target, exp.Column) or target.table:
            raise errors.FeatureNotSupported("indexes on expressions are not supported yet")
        col_names.append(target.name)
    unique = bool(node.args.get("unique"))
    if_not_exists = bool(node.args.get("exists"))
    given_name = index_node.name or None
    table_name, schema = table_node.name, table_node.db or None

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        table = cat.get_table(table_name, schema)
        positions = [table.column_index(c) for c in col_names]
        name = given_name or _unique_name(cat, f"{table.name}_{'_'.join(col_names)}_idx", table.schema)
        if cat.relation_name_taken(name, table.schema):
            if if_not_exists:
                ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                    f'relation "{name}" already exists, skipping', "42P07", severity="NOTICE"))
                return Result("CREATE INDEX")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        index = Index(cat.allocate_oid(), name, table.oid, positions, unique=unique)
        data = ctx.tm.table_data(table)
        structure = data.add_index(index.oid, positions, unique)
        ctx.txn.created_indexes.append((table.oid, index.oid))
        if unique:
            _check_existing_unique(ctx, table, index, structure, data)
        cat.indexes[index.oid] = index
        return Result("CREATE INDEX")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def _check_existing_unique(ctx: ExecContext, table: Table, index: Index, structure, data) -> None:  # type: ignore[no-untyped-def]
    from omendb_server.storage.delta import INF

    for key, vids in structure.map._map.items():
        me = -ctx.txn.txid
        live = [v for v in vids
                if data.versions[v].end == INF or (data.versions[v].end < 0 and data.versions[v].end != me)]
        if len(live) > 1:
            names = ", ".join(table.columns[i].name for i in index.columns)
            vals = ", ".join(table.columns[i].type.text_out(v, ctx.fmt)
                             for i, v in zip(index.columns, key))
            raise errors.UniqueViolation(
                f'could not create unique index "{index.name}"',
                detail=f"Key ({names})=({vals}) is duplicated.", table=table.name,
                constraint=index.name)


def plan_drop_index(node: exp.Drop) -> CallablePlan:
    if_exists = bool(node.args.get("exists"))
    names = [t.name for t in (node.args.get("tables") or [node.this])]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        for name in names:
            index = cat.find_index(name)
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
    if kind == "INDEX":
        return plan_drop_index(node)
    if kind != "TABLE":
        raise errors.FeatureNotSupported(f"DROP {kind} is not supported yet")
    if_exists = bool(node.args.get("exists"))
    targets = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        for name, schema in targets:
            table = cat.find_table(name, schema)
            if table is None:
                if if_exists:
                    ctx.session.notice(errors.DBError(  # type: ignore[attr-defined]
                        f'table "{name}" does not exist, skipping', "00000", severity="NOTICE"))
                    continue
                raise errors.UndefinedTable(f'table "{name}" does not exist')
            del cat.tables[table.oid]
            for seq_oid in [s.oid for s in cat.sequences.values() if s.owned_by and s.owned_by[0] == table.oid]:
                del cat.sequences[seq_oid]
            for index in cat.indexes_of(table.oid):
                del cat.indexes[index.oid]
            ctx.txn.dropped_tables.append(table.oid)
        return Result("DROP TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


def plan_truncate(planner, node: exp.TruncateTable) -> CallablePlan:  # type: ignore[no-untyped-def]
    """TRUNCATE [TABLE] t [, ...] [RESTART IDENTITY | CONTINUE IDENTITY].

    Implemented as an MVCC delete of every visible row (so it is transactional and
    snapshots that started earlier keep their rows); RESTART IDENTITY resets the
    tables' owned sequences, as PostgreSQL does.
    """
    from omendb_server.sql.operators import candidate_versions

    targets = [(t.name, t.db or None) for t in node.expressions]
    restart = str(node.args.get("identity") or "").upper() == "RESTART"

    def run(ctx: ExecContext) -> Result:
        tm = ctx.tm
        tables = [ctx.catalog.get_table(name, schema) for name, schema in targets]
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
    """ALTER TABLE ... ADD [CONSTRAINT name] PRIMARY KEY (...) / UNIQUE (...).

    Other ALTER TABLE forms arrive with the SQL-engine work; they are refused
    clearly rather than ignored."""
    if (node.args.get("kind") or "").upper() != "TABLE":
        raise errors.FeatureNotSupported(f"ALTER {node.args.get('kind')} is not supported yet")
    table_node = node.this
    actions = node.args.get("actions") or []
    specs: list[tuple[str, str | None, list[str]]] = []  # (kind, name, columns)
    for action in actions:
        if not isinstance(action, exp.AddConstraint):
            raise errors.FeatureNotSupported(
                f"ALTER TABLE {action.sql(dialect='postgres')[:60]} is not supported yet")
        for item in action.expressions:
            name = None
            if isinstance(item, exp.Constraint):
                name = item.name
                item = item.expressions[0]
            if isinstance(item, exp.PrimaryKey):
                specs.append(("pk", name, [e.name for e in item.expressions]))
            elif isinstance(item, exp.UniqueColumnConstraint) and item.this is not None:
                specs.append(("unique", name, [e.name for e in item.this.expressions]))
            else:
                raise errors.FeatureNotSupported(
                    f"ALTER TABLE ADD {item.sql(dialect='postgres')[:60]} is not supported yet")

    def run(ctx: ExecContext) -> Result:
        from omendb_server.storage.delta import INF

        cat = ctx.tm.writable_catalog(ctx.txn)
        table = cat.get_table(table_node.name, table_node.db or None)
        data = ctx.tm.table_data(table)
        for kind, cname, cols in specs:
            positions = [table.column_index(c) for c in cols]
            if kind == "unique":
                iname = cname or _unique_name(cat, f"{table.name}_{'_'.join(cols)}_key", table.schema)
                index = Index(cat.allocate_oid(), iname, table.oid, positions, unique=True,
                              constraint=True)
                structure = data.add_index(index.oid, positions, True)
                ctx.txn.created_indexes.append((table.oid, index.oid))
                _check_existing_unique(ctx, table, index, structure, data)
                cat.indexes[index.oid] = index
                continue
            if table.primary_key:
                raise errors.InvalidTableDefinition(
                    f'multiple primary keys for table "{table.name}" are not allowed')
            me = -ctx.txn.txid
            live = [v for v in data.versions.values()
                    if v.end == INF or (v.end < 0 and v.end != me)]
            for v in live:
                for p in positions:
                    if v.values[p] is None:
                        raise errors.NotNullViolation(
                            f'column "{table.columns[p].name}" of relation "{table.name}" '
                            "contains null values", table=table.name, column=table.columns[p].name)
            seen: dict[tuple, int] = {}
            for v in live:
                key = tuple(v.values[p] for p in positions)
                if key in seen:
                    pk_name = cname or f"{table.name}_pkey"
                    vals = ", ".join(table.columns[p].type.text_out(k, ctx.fmt)
                                     for p, k in zip(positions, key))
                    raise errors.UniqueViolation(
                        f'could not create unique index "{pk_name}"',
                        detail=f"Key ({', '.join(cols)})=({vals}) is duplicated.",
                        table=table.name, constraint=pk_name)
                seen[key] = 1
            table.primary_key = positions
            for p in positions:
                table.columns[p].not_null = True
            table.pk_name = cname or _unique_name(cat, f"{table.name}_pkey", table.schema)
            table.pk_index_oid = cat.allocate_oid()
            ctx.txn.altered_pks.append((table.oid, list(data.pk_cols)))
            from omendb_server.txn.manager import pk_key_mapper

            data.set_primary_key(positions, pk_key_mapper(table))
        return Result("ALTER TABLE")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)
