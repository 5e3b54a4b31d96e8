"""CREATE/DROP SEQUENCE, VIEW, SCHEMA, TYPE ... AS ENUM, ALTER SEQUENCE and COMMENT ON.

All of them change only the transaction's private catalog copy (so they roll back
with it); sequence *positions* live in the transaction manager like nextval's.
Statements sqlglot cannot parse the PostgreSQL way (``DROP SEQUENCE a, b``,
``COMMENT ON ... IS NULL``, ``ALTER SEQUENCE``) are recognised by ``parse_text``,
which ``sql/utility.py`` calls before sqlglot.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Column, EnumType, Sequence, View
from omendb_server.sql.context import ExecContext
from omendb_server.sql.ddl_table import query_column_names
from omendb_server.sql.plan import CallablePlan, Plan, Result

_SEQ_TYPES = {"smallint": (21, 2**15 - 1), "int2": (21, 2**15 - 1), "integer": (23, 2**31 - 1),
              "int": (23, 2**31 - 1), "int4": (23, 2**31 - 1), "bigint": (20, 2**63 - 1),
              "int8": (20, 2**63 - 1)}


def view_depends_on(view: View, relname: str) -> bool:
    """Does the view's query name ``relname``? (Views keep their SQL text; a word match
    is how their dependencies are found.)"""
    return re.search(rf'(?<![\w"]){re.escape(relname)}(?![\w"])', view.sql) is not None


def expand_view(planner: Any, view: View, item: exp.Table) -> Any:
    """The planner's hook: a view named in FROM becomes its query as a subquery."""
    tree = sqlglot.parse_one(view.sql, read="postgres")
    alias_node = item.args.get("alias")
    alias = item.alias or view.name
    given = [c.name for c in alias_node.args.get("columns") or []] if alias_node else []
    names = given + [c.name for c in view.columns][len(given):]
    sub = exp.Subquery(this=tree, alias=exp.TableAlias(
        this=exp.to_identifier(alias), columns=[exp.to_identifier(n) for n in names]))
    try:
        from omendb_server.sql.joins import from_item
    except ImportError:  # planner before the joins module
        return planner._from_item(sub, None)
    return from_item(planner, sub, None, None)


def _notice(ctx: ExecContext, message: str) -> None:
    from omendb_server.sql.ddl import notice

    notice(ctx, message)


def _schema_for(ctx: ExecContext, cat: Catalog, explicit: str | None) -> str:
    from omendb_server.sql.ddl import creation_schema

    return creation_schema(ctx, cat, explicit)


def _ddl(run: Any) -> CallablePlan:
    return CallablePlan(columns=None, kind="ddl", writes=True, run=run)


# -- CREATE ---------------------------------------------------------------------------
def plan_create_object(planner: Any, node: exp.Create, kind: str) -> CallablePlan:
    if kind == "SEQUENCE":
        return _create_sequence(node)
    if kind == "VIEW":
        return _create_view(node)
    if kind == "SCHEMA":
        return _create_schema(node)
    return _create_type(node)


def _int(node: Any) -> int | None:
    if node is None:
        return None
    return int(node.sql(dialect="postgres").replace("(", "").replace(")", "").replace(" ", ""))


def _create_sequence(node: exp.Create) -> CallablePlan:
    table = node.this
    name, explicit = table.name, table.db or None
    if_not_exists = bool(node.args.get("exists"))
    opts: dict[str, Any] = {}
    props = node.args.get("properties")
    for p in props.expressions if props is not None else []:
        if isinstance(p, exp.SequenceProperties):
            for key in ("start", "increment", "minvalue", "maxvalue", "cache"):
                if p.args.get(key) is not None:
                    opts[key] = _int(p.args[key])
            for o in p.args.get("options") or []:
                word = o.sql(dialect="postgres").upper()
                if word == "CYCLE":
                    opts["cycle"] = True
                elif word in ("NO CYCLE", "NOCYCLE"):
                    opts["cycle"] = False
            owned = p.args.get("owned")
            if owned is not None and isinstance(owned, exp.Column):
                opts["owned"] = (owned.table, owned.name)
    return _sequence_plan(name, explicit, if_not_exists, opts)


def _sequence_plan(name: str, explicit: str | None, if_not_exists: bool,
                   opts: dict[str, Any]) -> CallablePlan:
    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        schema = _schema_for(ctx, cat, explicit)
        if cat.relation_name_taken(name, schema):
            if if_not_exists:
                from omendb_server.sql.ddl import notice

                notice(ctx, f'relation "{name}" already exists, skipping', "42P07")
                return Result("CREATE SEQUENCE")
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        type_oid, type_max = _SEQ_TYPES.get(opts.get("type", "bigint"), (20, 2**63 - 1))
        seq = Sequence(oid=cat.allocate_oid(), name=name, schema=schema, type_oid=type_oid)
        _apply_seq_options(seq, opts, type_max, creating=True)
        owned = opts.get("owned")
        if owned:
            t = cat.get_table(owned[0])
            t.column_index(owned[1])
            seq.owned_by = (t.oid, owned[1])
        cat.sequences[seq.oid] = seq
        # positions are not transactional: a rolled-back sequence may have used this OID
        ctx.tm.sequences.pop(seq.oid, None)
        return Result("CREATE SEQUENCE")

    return _ddl(run)


def _apply_seq_options(seq: Sequence, opts: dict[str, Any], type_max: int,
                       creating: bool) -> None:
    if "increment" in opts:
        if opts["increment"] == 0:
            raise errors.InvalidParameterValue("INCREMENT must not be zero")
        seq.increment = opts["increment"]
    if creating or "type" in opts:
        seq.max_value = type_max if seq.increment > 0 else -1
        seq.min_value = 1 if seq.increment > 0 else -type_max - 1
    if opts.get("minvalue") is not None:
        seq.min_value = opts["minvalue"]
    if opts.get("maxvalue") is not None:
        seq.max_value = opts["maxvalue"]
    if "start" in opts:
        seq.start = opts["start"]
    elif creating:
        seq.start = seq.min_value if seq.increment > 0 else seq.max_value
    if "cache" in opts:
        seq.cache = opts["cache"]
    if "cycle" in opts:
        seq.cycle = opts["cycle"]
    if seq.min_value >= seq.max_value:
        raise errors.InvalidParameterValue(
            f"MINVALUE ({seq.min_value}) must be less than MAXVALUE ({seq.max_value})")
    if seq.start < seq.min_value:
        raise errors.InvalidParameterValue(
            f"START value ({seq.start}) cannot be less than MINVALUE ({seq.min_value})")
    if seq.start > seq.max_value:
        raise errors.InvalidParameterValue(
            f"START value ({seq.start}) cannot be greater than MAXVALUE ({seq.max_value})")


def _create_view(node: exp.Create) -> CallablePlan:
    target = node.this
    col_names: list[str] = []
    if isinstance(target, exp.Schema):
        col_names = [e.name for e in target.expressions]
        target = target.this
    name, explicit = target.name, target.db or None
    replace = bool(node.args.get("replace"))
    query = node.expression
    if query is None:
        raise errors.SyntaxError("syntax error in CREATE VIEW")
    sql_text = query.sql(dialect="postgres")

    def run(ctx: ExecContext) -> Result:
        from omendb_server.sql.planner import Planner

        cat = ctx.tm.writable_catalog(ctx.txn)
        schema = _schema_for(ctx, cat, explicit)
        plan = Planner(cat, []).plan_query(sqlglot.parse_one(sql_text, read="postgres"), None)
        out = plan.columns or []
        names = query_column_names(col_names, out,
                                   "CREATE VIEW specifies more column names than columns")
        columns = [Column(n, c.type, c.typmod) for n, c in zip(names, out)]
        existing = cat.find_view(name, schema)
        if existing is not None and replace:
            old = existing.columns
            if len(columns) < len(old):
                raise errors.DBError("cannot drop columns from view", "42P16")
            for o, c in zip(old, columns):
                if o.name != c.name:
                    raise errors.DBError(
                        f'cannot change name of view column "{o.name}" to "{c.name}"', "42P16",
                        hint="Use ALTER VIEW ... RENAME COLUMN ... to change name of view "
                        "column instead.")
                if o.type.oid != c.type.oid:
                    raise errors.DBError(
                        f'cannot change data type of view column "{o.name}" from '
                        f"{o.type.name} to {c.type.name}", "42P16")
            existing.sql = sql_text
            existing.columns = columns
            _print_view(existing, cat)
            return Result("CREATE VIEW")
        if cat.relation_name_taken(name, schema):
            raise errors.DuplicateTable(f'relation "{name}" already exists')
        view = View(cat.allocate_oid(), name, schema, sql_text, columns, cat.allocate_oid())
        _print_view(view, cat)
        cat.views[view.oid] = view
        return Result("CREATE VIEW")

    return _ddl(run)


def _print_view(view: View, cat: Catalog) -> None:
    from omendb_server.catalog.viewdef import view_definition

    view.definition = view_definition(view.sql, cat)
    view.definition_pretty = view_definition(view.sql, cat, pretty=True)


def _create_schema(node: exp.Create) -> CallablePlan:
    return _schema_plan(node.this.db or node.this.name, bool(node.args.get("exists")))


def _rename_schema(old: str, new: str) -> CallablePlan:
    """ALTER SCHEMA old RENAME TO new: every object in it moves with it (OIDs unchanged)."""
    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        if old not in cat.schemas:
            raise errors.DBError(f'schema "{old}" does not exist', "3F000")
        if new in cat.schemas or new in ("pg_catalog", "information_schema"):
            raise errors.DuplicateSchema(f'schema "{new}" already exists')
        if new.startswith("pg_"):
            raise errors.DBError(f'unacceptable schema name "{new}"', "42939",
                                 detail='The prefix "pg_" is reserved for system schemas.')
        cat.schemas[new] = cat.schemas.pop(old)
        for objects in (cat.tables, cat.views, cat.sequences, cat.enums):
            for obj in objects.values():
                if obj.schema == old:
                    obj.schema = new
        return Result("ALTER SCHEMA")

    return _ddl(run)


def _schema_plan(name: str, if_not_exists: bool) -> CallablePlan:
    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        if name in cat.schemas or name in ("pg_catalog", "information_schema"):
            if if_not_exists:
                from omendb_server.sql.ddl import notice

                notice(ctx, f'schema "{name}" already exists, skipping', "42P06")
                return Result("CREATE SCHEMA")
            raise errors.DuplicateSchema(f'schema "{name}" already exists')
        if name.startswith("pg_"):
            raise errors.DBError(f'unacceptable schema name "{name}"', "42939",
                                 detail='The prefix "pg_" is reserved for system schemas.')
        cat.schemas[name] = cat.allocate_oid()
        return Result("CREATE SCHEMA")

    return _ddl(run)


def _create_type(node: exp.Create) -> CallablePlan:
    name, explicit = node.this.name, node.this.db or None
    body = node.expression
    if not isinstance(body, exp.DataType) or body.this != exp.DataType.Type.ENUM:
        raise errors.FeatureNotSupported("only CREATE TYPE ... AS ENUM is supported")
    labels = [e.this for e in body.expressions]
    for label in labels:
        if len(label.encode()) > 63:
            raise errors.DBError(f'invalid enum label "{label}"', "22023",
                                 detail="Labels must be 63 bytes or less.")

    def run(ctx: ExecContext) -> Result:
        from omendb_server.datatypes import TYPES_BY_NAME

        cat = ctx.tm.writable_catalog(ctx.txn)
        schema = _schema_for(ctx, cat, explicit)
        builtin = TYPES_BY_NAME.get(name)
        if cat.find_enum(name, schema) is not None or (builtin is not None
                                                        and builtin.oid < 16384):
            raise errors.DuplicateObject(f'type "{name}" already exists')
        if len(set(labels)) != len(labels):
            dup = next(lbl for lbl in labels if labels.count(lbl) > 1)
            raise errors.DBError(f'enum label "{dup}" used more than once', "42710")
        enum = EnumType(cat.allocate_oid(), name, schema, list(labels))
        enum.array_oid = cat.allocate_oid()
        enum.label_oids = [cat.allocate_oid() for _ in labels]
        enum.datatype()
        cat.enums[enum.oid] = enum
        return Result("CREATE TYPE")

    return _ddl(run)


# -- DROP -----------------------------------------------------------------------------
def plan_drop_object(planner: Any, node: exp.Drop, kind: str) -> CallablePlan:
    names = []
    for t in node.args.get("tables") or [node.this]:
        if kind == "SCHEMA":
            names.append((t.db or t.name, None))
        else:
            names.append((t.name, t.db or None))
    return drop_plan(kind, names, bool(node.args.get("exists")), bool(node.args.get("cascade")))


def drop_plan(kind: str, names: list[tuple[str, str | None]], if_exists: bool,
              cascade: bool) -> CallablePlan:
    word = {"SEQUENCE": "sequence", "VIEW": "view", "SCHEMA": "schema", "TYPE": "type"}[kind]

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        for name, schema in names:
            if kind == "SEQUENCE":
                obj: Any = cat.find_sequence(name, schema)
            elif kind == "VIEW":
                obj = cat.find_view(name, schema)
            elif kind == "TYPE":
                obj = cat.find_enum(name, schema)
            else:
                obj = name if name in cat.schemas else None
            if obj is None:
                if if_exists:
                    _notice(ctx, f'{word} "{name}" does not exist, skipping')
                    continue
                if kind == "SCHEMA":
                    raise errors.InvalidSchemaName(f'schema "{name}" does not exist')
                if kind == "TYPE":
                    raise errors.UndefinedObject(f'type "{name}" does not exist')
                shown = f"{schema}.{name}" if schema else name
                raise errors.UndefinedTable(f'{word} "{shown}" does not exist')
            if kind == "SEQUENCE":
                deps = [f"default value for column {c.name} of table {t.name}"
                        for t in cat.tables.values() for c in t.columns
                        if c.default and re.search(rf"nextval\('(?:\w+\.)?{re.escape(name)}'",
                                                   c.default)
                        and not (obj.owned_by and obj.owned_by[0] == t.oid)]
                _refuse_or_cascade(ctx, deps, f"sequence {name}", cascade)
                if cascade:
                    for t in cat.tables.values():
                        for c in t.columns:
                            if c.default and f"'{name}'" in c.default or \
                                    c.default and f".{name}'" in c.default:
                                c.default = c.default_src = None
                del cat.sequences[obj.oid]
                ctx.tm.sequences.pop(obj.oid, None)
            elif kind == "VIEW":
                deps = [f"view {v.name}" for v in cat.views.values()
                        if v.oid != obj.oid and view_depends_on(v, name)]
                _refuse_or_cascade(ctx, deps, f"view {name}", cascade)
                for v in [v for v in cat.views.values()
                          if v.oid != obj.oid and view_depends_on(v, name)]:
                    del cat.views[v.oid]
                del cat.views[obj.oid]
            elif kind == "TYPE":
                users = [(t, c) for t in cat.tables.values() for c in t.columns
                         if c.type.oid == obj.oid]
                deps = [f"column {c.name} of table {t.name}" for t, c in users]
                _refuse_or_cascade(ctx, deps, f"type {name}", cascade)
                if users:
                    raise errors.FeatureNotSupported(
                        "DROP TYPE ... CASCADE of a type in use is not supported yet")
                del cat.enums[obj.oid]
            else:
                _drop_schema(ctx, cat, name, cascade)
            for key in [k for k in cat.comments if k[0] == getattr(obj, "oid", -1)]:
                del cat.comments[key]
        return Result(f"DROP {kind}")

    return _ddl(run)


def _refuse_or_cascade(ctx: ExecContext, deps: list[str], what: str, cascade: bool) -> None:
    if not deps:
        return
    if not cascade:
        raise errors.DBError(
            f"cannot drop {what} because other objects depend on it", "2BP01",
            detail="\n".join(f"{d} depends on {what}" for d in deps),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    _notice(ctx, f"drop cascades to {deps[0]}" if len(deps) == 1 else
            f"drop cascades to {len(deps)} other objects")


def _drop_schema(ctx: ExecContext, cat: Catalog, name: str, cascade: bool) -> None:
    from omendb_server.sql.ddl import drop_table

    tables = [t for t in cat.tables.values() if t.schema == name]
    others = ([f"table {t.name}" for t in tables]
              + [f"view {v.name}" for v in cat.views.values() if v.schema == name]
              + [f"sequence {s.name}" for s in cat.sequences.values()
                 if s.schema == name and not s.owned_by]
              + [f"type {e.name}" for e in cat.enums.values() if e.schema == name])
    _refuse_or_cascade(ctx, [f"{o}" for o in others], f"schema {name}", cascade)
    dropping = {t.oid for t in tables}
    for v in [v for v in cat.views.values() if v.schema == name]:
        del cat.views[v.oid]
    for t in tables:
        drop_table(ctx, cat, t, True, dropping)
    for s in [s for s in cat.sequences.values() if s.schema == name]:
        del cat.sequences[s.oid]
    for e in [e for e in cat.enums.values() if e.schema == name]:
        del cat.enums[e.oid]
    oid = cat.schemas.pop(name)
    cat.comments.pop((oid, 0), None)


# -- text-level statements ------------------------------------------------------------
_ID = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QNAME = rf"({_ID}(?:\s*\.\s*{_ID})*)"
_DROP = re.compile(rf"^DROP\s+(SEQUENCE|VIEW|TYPE|SCHEMA)\s+(IF\s+EXISTS\s+)?"
                   rf"({_QNAME}(?:\s*,\s*{_QNAME})*)\s*(?P<behavior>CASCADE|RESTRICT)?\s*$", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"^COMMENT\s+ON\s+(TABLE|COLUMN|VIEW|SEQUENCE|SCHEMA|TYPE|INDEX|"
                      r"CONSTRAINT)\s+(.+?)\s+IS\s+(NULL|'(?:[^']|'')*')\s*$", re.IGNORECASE | re.DOTALL)
_ALTER_SEQ = re.compile(rf"^ALTER\s+SEQUENCE\s+(IF\s+EXISTS\s+)?{_QNAME}\s+(.*)$", re.IGNORECASE | re.DOTALL)
_CREATE_SCHEMA_AUTH = re.compile(
    rf"^CREATE\s+SCHEMA\s+(IF\s+NOT\s+EXISTS\s+)?(?:({_ID})\s+)?AUTHORIZATION\s+({_ID})\s*$",
    re.IGNORECASE | re.DOTALL)


def _ident(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.lower()


def split_qualified(text: str) -> list[str]:
    return [_ident(p) for p in re.findall(_ID, text)]


def _qualified(text: str) -> tuple[str, str | None]:
    parts = split_qualified(text)
    return (parts[-1], parts[-2] if len(parts) > 1 else None)


_RENAME_SCHEMA = re.compile(rf"^ALTER\s+SCHEMA\s+({_ID})\s+RENAME\s+TO\s+({_ID})\s*$",
                            re.IGNORECASE)


def parse_text(text: str) -> Plan | None:
    """DROP SEQUENCE/VIEW/TYPE/SCHEMA lists, COMMENT ON, ALTER SEQUENCE, or None."""
    head = text[:8].upper()
    if head.startswith("CREATE"):
        if re.match(r"^CREATE\s+(?:TEMP(?:ORARY)?\s+)?SEQUENCE\b", text, re.IGNORECASE):
            return create_sequence_text(text)
        m = _CREATE_SCHEMA_AUTH.match(text)
        if m:  # CREATE SCHEMA [IF NOT EXISTS] [name] AUTHORIZATION role (one owner here)
            name = _ident(m.group(2) or m.group(3))
            return _schema_plan(name, bool(m.group(1)))
        return None
    if head.startswith("DROP"):
        m = _DROP.match(text)
        if not m:
            return None
        kind = m.group(1).upper()
        names = []
        for part in re.split(r"\s*,\s*", m.group(3)):
            if kind == "SCHEMA":
                names.append((_ident(part), None))
            else:
                names.append(_qualified(part))
        plan = drop_plan(kind, names, bool(m.group(2)),
                         (m.group("behavior") or "").upper() == "CASCADE")
        if kind in ("VIEW", "SCHEMA"):
            from omendb_server.sql.ddl import forgetting_dropped_temporaries

            plan = forgetting_dropped_temporaries(plan)
        return plan
    if head.startswith("COMMENT"):
        m = _COMMENT.match(text)
        if not m:
            return None
        raw = m.group(3)
        value = None if raw.upper() == "NULL" else raw[1:-1].replace("''", "'")
        return _comment_plan(m.group(1).upper(), m.group(2), value)
    if head.startswith("ALTER"):
        m = _RENAME_SCHEMA.match(text)
        if m:
            return _rename_schema(_ident(m.group(1)), _ident(m.group(2)))
        plan = parse_alter_object(text)
        if plan is not None:
            return plan
        m = _ALTER_SEQ.match(text)
        if m:
            return _alter_sequence(m.group(2), bool(m.group(1)), m.group(3))
        from omendb_server.sql.alter import parse_alter_text

        return parse_alter_text(text)
    return None


def _comment_plan(kind: str, target: str, value: str | None) -> CallablePlan:
    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        sub = 0
        if kind == "COLUMN":
            parts = split_qualified(target)
            if len(parts) < 2:
                raise errors.SyntaxError("column name must be qualified")
            table = cat.get_table(parts[-2], parts[-3] if len(parts) > 2 else None)
            oid, sub = table.oid, table.column_index(parts[-1]) + 1
        elif kind == "CONSTRAINT":
            m = re.match(rf"({_ID})\s+ON\s+{_QNAME}$", target.strip(), re.IGNORECASE | re.DOTALL)
            if not m:
                raise errors.SyntaxError("syntax error in COMMENT ON CONSTRAINT")
            tname, tschema = _qualified(m.group(2))
            table = cat.get_table(tname, tschema)
            cname = _ident(m.group(1))
            con = next((c for c in cat.constraints_of(table) if c.name == cname), None)
            if con is None:
                raise errors.UndefinedObject(
                    f'constraint "{cname}" for table "{table.name}" does not exist')
            oid = con.oid
        elif kind == "SCHEMA":
            name = _ident(target)
            if name not in cat.schemas:
                raise errors.InvalidSchemaName(f'schema "{name}" does not exist')
            oid = cat.schemas[name]
        else:
            name, schema = _qualified(target)
            found: Any = {
                "TABLE": lambda: cat.find_table(name, schema) or cat.find_view(name, schema),
                "VIEW": lambda: cat.find_view(name, schema),
                "SEQUENCE": lambda: cat.find_sequence(name, schema),
                "TYPE": lambda: cat.find_enum(name, schema),
                "INDEX": lambda: cat.find_index(name),
            }[kind]()
            if found is None:
                if kind == "TYPE":
                    raise errors.UndefinedObject(f'type "{name}" does not exist')
                raise errors.UndefinedTable(f'relation "{name}" does not exist')
            oid = found.oid
        if value is None or value == "":
            cat.comments.pop((oid, sub), None)
        else:
            cat.comments[(oid, sub)] = value
        return Result("COMMENT")

    return _ddl(run)


_SEQ_OPT = re.compile(
    r"\s*(?:(AS)\s+(\w+)|(INCREMENT)(?:\s+BY)?\s+([-+]?\d+)|(MINVALUE)\s+([-+]?\d+)|"
    r"(NO\s+MINVALUE)|(MAXVALUE)\s+([-+]?\d+)|(NO\s+MAXVALUE)|(START)(?:\s+WITH)?\s+([-+]?\d+)|"
    r"(RESTART)(?:\s+(?:WITH\s+)?([-+]?\d+))?|(CACHE)\s+(\d+)|(NO\s+CYCLE)|(CYCLE)|"
    r"(OWNED\s+BY)\s+(NONE|[\w.\"]+))", re.IGNORECASE)


def parse_seq_options(text: str) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _SEQ_OPT.match(text, pos)
        if not m or m.end() == pos:
            word = text[pos:].split()[0]
            raise errors.SyntaxError(f'syntax error at or near "{word}"')
        g = m.groups()
        if g[0]:
            opts["type"] = g[1].lower()
        elif g[2]:
            opts["increment"] = int(g[3])
        elif g[4]:
            opts["minvalue"] = int(g[5])
        elif g[6]:
            opts["minvalue"] = None
        elif g[7]:
            opts["maxvalue"] = int(g[8])
        elif g[9]:
            opts["maxvalue"] = None
        elif g[10]:
            opts["start"] = int(g[11])
        elif g[12]:
            opts["restart"] = int(g[13]) if g[13] is not None else True
        elif g[14]:
            opts["cache"] = int(g[15])
        elif g[16]:
            opts["cycle"] = False
        elif g[17]:
            opts["cycle"] = True
        elif g[18]:
            opts["owned"] = None if g[19].upper() == "NONE" else tuple(split_qualified(g[19])[-2:])
        pos = m.end()
    return opts


def _alter_sequence(name_text: str, if_exists: bool, rest: str) -> CallablePlan:
    name, schema = _qualified(name_text)
    rename = re.match(rf"^RENAME\s+TO\s+({_ID})\s*$", rest.strip(), re.IGNORECASE)
    opts = {} if rename else parse_seq_options(rest)

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        seq = cat.find_sequence(name, schema)
        if seq is None:
            if if_exists:
                _notice(ctx, f'relation "{name}" does not exist, skipping')
                return Result("ALTER SEQUENCE")
            raise errors.UndefinedTable(f'relation "{name}" does not exist')
        if rename:
            new = _ident(rename.group(1))
            if cat.relation_name_taken(new, seq.schema):
                raise errors.DuplicateTable(f'relation "{new}" already exists')
            seq.name = new
            return Result("ALTER SEQUENCE")
        type_max = _SEQ_TYPES.get(opts.get("type", seq.type_name), (20, 2**63 - 1))[1]
        if "type" in opts:
            seq.type_oid = _SEQ_TYPES[opts["type"]][0]
        _apply_seq_options(seq, {k: v for k, v in opts.items() if k not in ("restart",)},
                           type_max, creating=False)
        if "owned" in opts:
            owned = opts["owned"]
            if owned is None:
                seq.owned_by = None
            else:
                t = cat.get_table(owned[0])
                t.column_index(owned[1])
                seq.owned_by = (t.oid, owned[1])
        if "restart" in opts:
            value = seq.start if opts["restart"] is True else opts["restart"]
            ctx.tm.sequences[seq.oid] = value - seq.increment
            ctx.txn.seq_touched.add(seq.oid)
        return Result("ALTER SEQUENCE")

    return _ddl(run)


def create_sequence_text(text: str) -> Plan | None:
    """CREATE SEQUENCE with options sqlglot mis-parses (AS type, NO MINVALUE ...)."""
    m = re.match(rf"^CREATE\s+(?:TEMP(?:ORARY)?\s+)?SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?{_QNAME}"
                 r"\s*(.*)$", text, re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    name, schema = _qualified(m.group(2))
    opts = parse_seq_options(m.group(3))
    if opts.get("minvalue", 0) is None:
        opts.pop("minvalue")
    if opts.get("maxvalue", 0) is None:
        opts.pop("maxvalue")
    return _sequence_plan(name, schema, bool(m.group(1)), opts)


# -- ALTER TYPE / INDEX / VIEW, OWNER TO ----------------------------------------------
_ALTER_TYPE = re.compile(rf"^ALTER\s+TYPE\s+{_QNAME}\s+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_ALTER_RENAME = re.compile(
    rf"^ALTER\s+(INDEX|VIEW|SEQUENCE)\s+(IF\s+EXISTS\s+)?{_QNAME}\s+RENAME\s+TO\s+(?P<new>{_ID})\s*$",
    re.IGNORECASE | re.DOTALL)
_OWNER = re.compile(rf"^ALTER\s+(TABLE|INDEX|VIEW|SEQUENCE|TYPE|SCHEMA)\s+(IF\s+EXISTS\s+)?"
                    rf"(?:ONLY\s+)?{_QNAME}\s+OWNER\s+TO\s+({_ID})\s*$", re.IGNORECASE | re.DOTALL)
_STR = r"'((?:[^']|'')*)'"


def _unquote_str(raw: str) -> str:
    return raw.replace("''", "'")


def parse_alter_object(text: str) -> Plan | None:
    """ALTER TYPE (enum labels, rename), ALTER INDEX/VIEW/SEQUENCE ... RENAME TO,
    ALTER ... OWNER TO (accepted: OmenDB has one owner)."""
    m = _OWNER.match(text)
    if m:
        tag = f"ALTER {m.group(1).upper()}"
        return CallablePlan(columns=None, kind="ddl", writes=False,
                            run=lambda ctx: Result(tag))
    m = _ALTER_RENAME.match(text)
    if m:
        kind, name_text, new = m.group(1).upper(), m.group(3), _ident(m.group("new"))
        return _rename_relation(kind, name_text, bool(m.group(2)), new)
    m = _ALTER_TYPE.match(text)
    if m:
        return _alter_type(m.group(1), m.group("rest").strip())
    return None


def _rename_relation(kind: str, name_text: str, if_exists: bool, new: str) -> CallablePlan:
    name, schema = _qualified(name_text)

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        obj: Any = None
        if kind == "INDEX":
            obj = cat.find_index(name)
            if obj is None:
                table = next((t for t in cat.tables.values() if t.pk_name == name), None)
                if table is not None:
                    if cat.relation_name_taken(new, table.schema):
                        raise errors.DuplicateTable(f'relation "{new}" already exists')
                    table.pk_name = new
                    return Result("ALTER INDEX")
        elif kind == "VIEW":
            obj = cat.find_view(name, schema)
        else:
            obj = cat.find_sequence(name, schema)
        if obj is None:
            if if_exists:
                _notice(ctx, f'relation "{name}" does not exist, skipping')
                return Result(f"ALTER {kind}")
            raise errors.UndefinedTable(f'relation "{name}" does not exist')
        if cat.relation_name_taken(new, getattr(obj, "schema", "public")):
            raise errors.DuplicateTable(f'relation "{new}" already exists')
        obj.name = new
        return Result(f"ALTER {kind}")

    return _ddl(run)


def _alter_type(name_text: str, rest: str) -> CallablePlan:
    name, schema = _qualified(name_text)
    add = re.match(rf"^ADD\s+VALUE\s+(IF\s+NOT\s+EXISTS\s+)?{_STR}"
                   rf"(?:\s+(BEFORE|AFTER)\s+{_STR})?\s*$", rest, re.IGNORECASE | re.DOTALL)
    ren_value = re.match(rf"^RENAME\s+VALUE\s+{_STR}\s+TO\s+{_STR}\s*$", rest, re.IGNORECASE | re.DOTALL)
    ren = re.match(rf"^RENAME\s+TO\s+({_ID})\s*$", rest, re.IGNORECASE | re.DOTALL)
    if not (add or ren_value or ren):
        word = rest.split()[0] if rest.split() else "ALTER"
        raise errors.SyntaxError(f'syntax error at or near "{word}"')

    def run(ctx: ExecContext) -> Result:
        cat = ctx.tm.writable_catalog(ctx.txn)
        enum = cat.find_enum(name, schema)
        if enum is None:
            raise errors.UndefinedObject(f'type "{name}" does not exist')
        before = (enum.oid, enum.name, list(enum.labels), enum.array_oid)
        hooks = getattr(ctx.txn, "on_abort", None)
        if hooks is not None:  # the shared codec is updated in place: undo on rollback
            from omendb_server.catalog.enums import enum_datatype

            hooks.append(lambda: enum_datatype(*before))
        if ren:
            new = _ident(ren.group(1))
            if cat.find_enum(new, enum.schema) is not None:
                raise errors.DuplicateObject(f'type "{new}" already exists')
            enum.name = new
        elif add:
            label = _unquote_str(add.group(2))
            if label in enum.labels:
                if add.group(1):
                    _notice(ctx, f'enum label "{label}" already exists, skipping')
                    return Result("ALTER TYPE")
                raise errors.DuplicateObject(f'enum label "{label}" already exists')
            pos = len(enum.labels)
            if add.group(3):
                other = _unquote_str(add.group(4))
                if other not in enum.labels:
                    raise errors.InvalidParameterValue(f'"{other}" is not an existing enum label')
                pos = enum.labels.index(other) + (1 if add.group(3).upper() == "AFTER" else 0)
            enum.labels.insert(pos, label)
            enum.label_oids.insert(pos, cat.allocate_oid())
        else:
            assert ren_value is not None
            old, new = _unquote_str(ren_value.group(1)), _unquote_str(ren_value.group(2))
            if old not in enum.labels:
                raise errors.InvalidParameterValue(f'"{old}" is not an existing enum label')
            if new in enum.labels:
                raise errors.DuplicateObject(f'enum label "{new}" already exists')
            enum.labels[enum.labels.index(old)] = new
            _rewrite_enum_values(ctx, cat, enum.oid, old, new)
        dtype = enum.datatype()
        for table in cat.tables.values():
            for col in table.columns:
                if col.type.oid == enum.oid:
                    col.type = dtype
        return Result("ALTER TYPE")

    return _ddl(run)


def _rewrite_enum_values(ctx: ExecContext, cat: Catalog, oid: int, old: str, new: str) -> None:
    """RENAME VALUE: stored rows keep the label text, so rows holding it are rewritten."""
    from omendb_server.sql.alter import _rewrite

    for table in cat.tables.values():
        positions = [i for i, c in enumerate(table.columns) if c.type.oid == oid]
        if not positions:
            continue

        def swap(values: tuple[Any, ...], positions: list[int] = positions) -> tuple[Any, ...]:
            out = list(values)
            for i in positions:
                if out[i] == old:
                    out[i] = new
            return tuple(out)

        _rewrite(ctx, table, swap)
