"""The catalog functions clients call while introspecting (format_type, pg_get_*, *_is_visible,
obj_description...), answered from the catalog of the running statement.

They are registered into the function dispatch of ``sql/functions.py`` (``REGISTRY``), so a
handler here takes precedence over the generic fallbacks there. Every handler resolves its
argument types once at plan time and reads ``ctx.catalog`` at run time, so a plan cached
across DDL still sees the catalog the statement runs against.
"""

from __future__ import annotations

from typing import Any

from omendb_server import config, errors
from omendb_server.catalog import pg_catalog as pgc
from omendb_server.catalog.model import FIRST_USER_OID, Catalog
from omendb_server.catalog.pg_catalog_data import (
    PG_PROC_ROWS,
    PG_RELATION_OIDS,
    PG_ROLE_ROWS,
    PG_TYPE_DISPLAY,
)
from omendb_server.datatypes import TYPES_BY_OID, format_type, type_by_name
from omendb_server.errors import DBError
from omendb_server.sql import srf
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.functions import Call, register

_ROLE_NAMES = {oid: name for oid, name in PG_ROLE_ROWS}
_ROLE_NAMES[pgc.PG_DATABASE_OWNER_OID] = "pg_database_owner"
_PROCS = {row[0]: row for row in PG_PROC_ROWS}


def search_path(ctx: ExecContext) -> list[str]:
    """The schemas of ``search_path`` that exist, in order ("$user" expanded)."""
    from omendb_server.sql.ddl import search_path as raw_path

    schemas = ctx.catalog.schemas
    return [s for s in raw_path(ctx) if s in schemas or s == "pg_catalog"]


# -- pure helpers (also used by casts) -----------------------------------------------------------
CatalogLike = Catalog | pgc.CatalogIndex
_CTX_KEY = object()


def _plan_path() -> list[str]:
    """The search_path a statement is planned under (the session sets it before planning and
    plan caches key on it), for casts compiled without an execution context."""
    try:
        from omendb_server.catalog.model import SEARCH_PATH
    except ImportError:  # pragma: no cover - older catalog model
        return ["public"]
    return list(SEARCH_PATH.get())


def _as_index(cat: CatalogLike) -> pgc.CatalogIndex:
    return cat if isinstance(cat, pgc.CatalogIndex) else pgc.catalog_index(cat)


def _ix(c: ExecContext) -> pgc.CatalogIndex:
    """The statement's catalog index, built once per execution (functions run per row)."""
    cache = c.subquery_cache
    ix = cache.get(_CTX_KEY)  # type: ignore[call-overload]
    if ix is None or ix.cat is not c.catalog:
        ix = pgc.CatalogIndex(c.catalog)
        cache[_CTX_KEY] = ix  # type: ignore[index]
    return ix


def type_text(cat: CatalogLike, oid: int, typmod: int = -1) -> str | None:
    """format_type(): the SQL name of a type, qualified when it is not on the search path."""
    if oid == 0:
        return "-"
    dt = TYPES_BY_OID.get(oid)
    if dt is not None:
        return format_type(dt, typmod)
    if typmod < 0 and oid in PG_TYPE_DISPLAY:
        return PG_TYPE_DISPLAY[oid]
    ix = _as_index(cat)
    info = ix.type_info(oid)
    if info is None:
        return None
    if info.category == "A" and info.elem:
        inner = type_text(ix, info.elem, typmod)
        return None if inner is None else inner + "[]"
    if info.nsp == pgc.PG_CATALOG_NAMESPACE_OID:
        return info.name
    schema = pgc.schema_name_of(ix.cat, info.nsp)
    name = pgc.quote_ident(info.name)
    return name if schema == "public" else f"{pgc.quote_ident(schema)}.{name}"


def relation_label(cat: CatalogLike, oid: int, path: list[str] | None = None) -> str:
    """regclass output: the relation's name, schema-qualified when not visible; else the OID."""
    if oid == 0:
        return "-"
    ix = _as_index(cat)
    rel = ix.by_oid.get(oid)
    if rel is None:
        return _SYSTEM_RELATION_NAMES.get(oid, str(oid))
    return pgc.qualified(ix.cat, rel.schema, rel.name, path if path is not None else _plan_path())


def _split_name(text: str) -> tuple[str | None, str]:
    """'"My Schema".tbl' → ('My Schema', 'tbl'); unquoted parts fold to lower case."""
    parts: list[str] = []
    buf, quoted, i = "", False, 0
    raw = text.strip()
    while i < len(raw):
        ch = raw[i]
        if ch == '"':
            if quoted and i + 1 < len(raw) and raw[i + 1] == '"':
                buf += '"'
                i += 2
                continue
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += ch if quoted else ch.lower()
        i += 1
    parts.append(buf)
    if len(parts) == 1:
        return None, parts[0]
    return parts[-2], parts[-1]


def lookup_relation(cat: CatalogLike, text: str, path: list[str] | None = None) -> int | None:
    """regclass input: a (possibly qualified) relation name or an OID → OID, None if absent."""
    raw = text.strip()
    if raw.isdigit():
        return int(raw)
    schema, name = _split_name(raw)
    ix = _as_index(cat)
    by_name = ix.by_name
    schemas = [schema] if schema else (path if path is not None else _plan_path())
    for sch in schemas:
        oid = by_name.get((sch, name))
        if oid is not None:
            return oid
    if schema is None and path is None:
        # A cast compiled without the session (plan time) cannot see search_path: accept a
        # name that only one schema has rather than fail a query PostgreSQL would run.
        found = [r.oid for r in ix.rels if r.name == name]
        if len(found) == 1:
            return found[0]
    if schema in (None, "pg_catalog") and name in pgc.RELATIONS:
        return _system_relation_oid(name)
    return None


def _system_relation_oid(name: str) -> int | None:
    return PG_RELATION_OIDS.get(name)


_SYSTEM_RELATION_NAMES = {oid: name for name, oid in PG_RELATION_OIDS.items()}


def lookup_type(cat: CatalogLike, text: str) -> int | None:
    """regtype input (to_regtype): built-in spellings or a user type's (qualified) name."""
    try:
        return type_by_name(text.strip()).oid
    except DBError:
        pass
    raw = text.strip()
    array = raw.endswith("[]")
    schema, name = _split_name(raw[:-2] if array else raw)
    if isinstance(cat, pgc.CatalogIndex):
        cat = cat.cat
    for e in pgc.enums_of(cat):
        if e.name == name and (schema is None or e.schema == schema):
            return getattr(e, "array_oid", 0) if array else e.oid
    for rel in list(cat.tables.values()) + pgc.views_of(cat):
        if rel.name == name and (schema is None or rel.schema == schema) and not array:
            return rel.rowtype_oid or None
    for r in pgc.BUILTIN_TYPES.values():
        if r.name == name and schema in (None, "pg_catalog"):
            return r.array if array else r.oid
    return None


def role_name(oid: int) -> str:
    if oid == pgc.BOOTSTRAP_SUPERUSER_OID:
        return config.DEFAULT_SUPERUSER
    return _ROLE_NAMES.get(oid, f"unknown (OID={oid})")


def constraint_definition(cat: CatalogLike, oid: int, path: list[str] | None = None,
                          pretty: bool = False) -> str | None:
    """pg_get_constraintdef(): the model's text, except that a foreign key names the referenced
    table schema-qualified only when it is not visible on ``path`` (as PostgreSQL does)."""
    ix = _as_index(cat)
    hit = ix.constraint(oid)
    if hit is None:
        return None
    table, con = hit
    definer = getattr(con, "definition", None)
    if definer is None:
        return None
    try:
        text = definer(table, ix.cat, pretty=pretty)
    except TypeError:  # a model without the pretty form
        text = definer(table, ix.cat)
    ref = ix.cat.tables.get(getattr(con, "ref_table", 0)) if con.type == "f" else None
    if text is None or ref is None:
        return text
    shown = (pgc.quote_ident(ref.name) if relation_visible(ix, ref.oid, ref.name, path)
             else f"{pgc.quote_ident(ref.schema)}.{pgc.quote_ident(ref.name)}")
    for written in (f"{ref.schema}.{ref.name}(", f"{ref.name}("):
        marker = f" REFERENCES {written}"
        if marker in text:
            return text.replace(marker, f" REFERENCES {shown}(", 1)
    return text


def relation_visible(ix: pgc.CatalogIndex, oid: int, name: str, path: list[str] | None) -> bool:
    """pg_table_is_visible: the first relation of that name along the search path is this one."""
    for schema in path if path is not None else _plan_path():
        found = ix.by_name.get((schema, name))
        if found is not None:
            return found == oid
    return False


def index_by_oid(cat: CatalogLike, oid: int) -> pgc.IndexInfo | None:
    return _as_index(cat).indexes.get(oid)


def description(cat: Catalog, oid: int, sub: int = 0, catalog: str | None = None
                ) -> str | None:
    """obj_description/col_description: COMMENT ON text, or a built-in object's description
    (``catalog`` names the system catalog the OID belongs to, as PostgreSQL's 2-argument form)."""
    comments = getattr(cat, "comments", None) or {}
    text = comments.get((oid, sub))
    if text is not None or oid >= FIRST_USER_OID:
        return text
    if catalog is not None:
        classoid = pgc.CATALOG_CLASS_OIDS.get(_split_name(catalog)[1])
        return pgc.BUILTIN_DESCRIPTIONS.get((oid, classoid, sub))
    for (o, _c, s), d in pgc.BUILTIN_DESCRIPTIONS.items():
        if o == oid and s == sub:
            return d
    return None


# -- handlers ---------------------------------------------------------------------------------
def _oid_args(call: Call, kinds: str) -> list[Any]:
    """Arguments as PostgreSQL types them: 'o' oid, 'i' int4, 'b' bool, 't' text."""
    types = {"o": T.OID, "i": T.INT4, "b": T.BOOL, "t": T.TEXT}
    ces = call.compiled()
    out = []
    for ce, k in zip(ces, kinds):
        target = types[k]
        if k == "o" and ce.type.oid in T.STRING_OIDS and ce.type.oid != 705:
            raise call.no_such_function(ces)
        out.append(call.comp.coerce(ce, target, explicit=True))
    return out


@register("format_type")
def _format_type(call: Call) -> Any:
    oid, typmod = (a.fn for a in _oid_args(call, "oi"))

    def run(r: tuple, c: ExecContext) -> Any:
        o = oid(r, c)
        if o is None:
            return None
        tm = typmod(r, c)
        if tm is None and o == 1042:
            return "character"  # format_type(bpchar, NULL); with -1 PostgreSQL says bpchar
        tm = -1 if tm is None else tm
        if o in TYPES_BY_OID or (tm < 0 and o in PG_TYPE_DISPLAY):
            text = type_text(c.catalog, o, tm)  # built-in: no catalog index needed
        else:
            text = type_text(_ix(c), o, tm)
        return "???" if text is None else text

    return call.make(run, T.TEXT)


@register("pg_get_expr")
def _pg_get_expr(call: Call) -> Any:
    """adbin/conbin/indpred hold the expression as pg_get_expr prints it; pretty mode
    (psql's \\d) re-deparses it against the relation's columns."""
    ces = call.compiled()
    expr = call.comp.coerce(ces[0], T.TEXT, explicit=True).fn
    rel = call.comp.coerce(ces[1], T.OID, explicit=True).fn if call.n > 1 else None
    pretty = call.comp.coerce(ces[2], T.BOOL).fn if call.n > 2 else None
    if rel is None or pretty is None:
        return call.make(lambda r, c: expr(r, c), T.TEXT)

    def run(r: tuple, c: ExecContext) -> Any:
        text = expr(r, c)
        if text is None or not pretty(r, c):
            return text
        table = c.catalog.tables.get(rel(r, c))
        if table is None:
            return text
        try:
            from omendb_server.catalog.deparse import columns_of, expr_text
        except ImportError:  # pragma: no cover - catalog without a deparser
            return text
        return expr_text(text, columns_of(table), None, pretty=True)

    return call.make(run, T.TEXT)


@register("pg_get_constraintdef")
def _pg_get_constraintdef(call: Call) -> Any:
    args = _oid_args(call, "ob"[:call.n])
    f = args[0].fn
    pretty = args[1].fn if call.n > 1 else (lambda r, c: False)
    return call.make(lambda r, c: None if (o := f(r, c)) is None
                     else constraint_definition(_ix(c), o, search_path(c), bool(pretty(r, c))),
                     T.TEXT)


@register("pg_get_indexdef")
def _pg_get_indexdef(call: Call) -> Any:
    args = _oid_args(call, "oib"[:call.n])
    f = args[0].fn
    col = args[1].fn if call.n > 1 else (lambda r, c: 0)
    pretty = args[2].fn if call.n > 2 else (lambda r, c: False)

    def run(r: tuple, c: ExecContext) -> Any:
        o = f(r, c)
        ix = None if o is None else index_by_oid(_ix(c), o)
        if ix is None:
            return None
        path = search_path(c) if pretty(r, c) else None
        return pgc.index_definition(c.catalog, ix, col(r, c) or 0, path)

    return call.make(run, T.TEXT)


@register("pg_get_viewdef")
def _pg_get_viewdef(call: Call) -> Any:
    ces = call.compiled()
    first = ces[0]
    by_name = first.type.oid in T.STRING_OIDS  # an unknown literal resolves to the text form
    f = (call.comp.coerce(first, T.TEXT) if by_name
         else call.comp.coerce(first, T.OID, explicit=True)).fn
    # (oid, pretty bool) or (oid, wrap column int): the latter always pretty-prints
    second = ces[1] if call.n > 1 else None
    if second is None:
        pretty: Any = lambda r, c: False
    elif T.is_integer(second.type):
        pretty = lambda r, c: True
    else:
        pretty = call.comp.coerce(second, T.BOOL).fn

    def run(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        if v is None:
            return None
        oid = lookup_relation(_ix(c), v, search_path(c)) if by_name else v
        view = next((w for w in pgc.views_of(c.catalog) if w.oid == oid), None)
        if view is None:
            mat = c.catalog.tables.get(oid)
            return pgc.matview_definition(mat) if getattr(mat, "matview", None) else None
        return pgc.view_definition(view, bool(pretty(r, c)))

    return call.make(run, T.TEXT)


@register("pg_get_serial_sequence")
def _pg_get_serial_sequence(call: Call) -> Any:
    table, column = (a.fn for a in _oid_args(call, "tt"))

    def run(r: tuple, c: ExecContext) -> Any:
        tname, cname = table(r, c), column(r, c)
        if tname is None or cname is None:
            return None
        cat = c.catalog
        oid = lookup_relation(_ix(c), tname, search_path(c))
        t = cat.tables.get(oid) if oid is not None else None
        if t is None:
            raise errors.UndefinedTable(f'relation "{tname}" does not exist')
        if t.find_column(cname) is None:
            raise errors.UndefinedColumn(
                f'column "{cname}" of relation "{t.name}" does not exist')
        for s in cat.sequences.values():
            if s.owned_by and s.owned_by[0] == t.oid and s.owned_by[1] == cname:
                return f"{pgc.quote_ident(s.schema)}.{pgc.quote_ident(s.name)}"
        return None

    return call.make(run, T.TEXT)


@register("pg_get_userbyid")
def _pg_get_userbyid(call: Call) -> Any:
    (oid,) = _oid_args(call, "o")
    return call.strict([oid], role_name, T.NAME)


def _visible(kind: str) -> Any:
    def handler(call: Call) -> Any:
        (oid,) = _oid_args(call, "o")
        f = oid.fn

        def run(r: tuple, c: ExecContext) -> Any:
            o = f(r, c)
            if o is None:
                return None
            if o < FIRST_USER_OID:
                return True
            ix = _ix(c)
            path = search_path(c)
            if kind == "table":
                rel = ix.by_oid.get(o)
                if rel is None:
                    return None
                owner = getattr(rel.obj, "temp_owner", 0)
                if owner and owner != getattr(c.session, "pid", owner):
                    return False  # another session's temporary relation (its pg_temp_N)
                return relation_visible(ix, o, rel.name, path)
            if kind == "type":
                info = ix.type_info(o)
                if info is None:
                    return None
                return pgc.schema_name_of(ix.cat, info.nsp) in path
            return True

        return call.make(run, T.BOOL)

    return handler


register("pg_table_is_visible")(_visible("table"))
register("pg_type_is_visible")(_visible("type"))
register("pg_function_is_visible", "pg_collation_is_visible", "pg_opclass_is_visible",
         "pg_operator_is_visible", "pg_opfamily_is_visible", "pg_conversion_is_visible",
         "pg_statistics_obj_is_visible", "pg_ts_config_is_visible", "pg_ts_dict_is_visible",
         "pg_ts_parser_is_visible", "pg_ts_template_is_visible")(_visible("other"))


@register("obj_description")
def _obj_description(call: Call) -> Any:
    args = _oid_args(call, "ot"[:call.n])
    f = args[0].fn
    name = args[1].fn if call.n > 1 else (lambda r, c: None)

    def run(r: tuple, c: ExecContext) -> Any:
        o = f(r, c)
        return None if o is None else description(c.catalog, o, 0, name(r, c))

    return call.make(run, T.TEXT)


@register("shobj_description")
def _shobj_description(call: Call) -> Any:
    call.compiled()
    return call.make(lambda r, c: None, T.TEXT)


@register("col_description")
def _col_description(call: Call) -> Any:
    oid, num = (a.fn for a in _oid_args(call, "oi"))

    def run(r: tuple, c: ExecContext) -> Any:
        o, n = oid(r, c), num(r, c)
        return None if o is None or n is None else description(c.catalog, o, n)

    return call.make(run, T.TEXT)


@register("current_schema", "currentschema")
def _current_schema(call: Call) -> Any:
    def run(r: tuple, c: ExecContext) -> Any:
        path = [s for s in search_path(c) if s != "pg_catalog"]
        return path[0] if path else None

    return call.make(run, T.NAME, "current_schema")


@register("current_schemas")
def _current_schemas(call: Call) -> Any:
    (implicit,) = _oid_args(call, "b")
    f = implicit.fn

    def run(r: tuple, c: ExecContext) -> Any:
        flag = f(r, c)
        if flag is None:
            return None
        path = search_path(c)
        if flag and "pg_catalog" not in path:
            path = ["pg_catalog", *path]
        elif not flag:
            path = [s for s in path if s != "pg_catalog"]
        return path

    return call.make(run, TYPES_BY_OID[1003], "current_schemas")


@register("to_regclass")
def _to_regclass(call: Call) -> Any:
    (name,) = _oid_args(call, "t")
    f = name.fn

    def run(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        if v is None:
            return None
        oid = lookup_relation(_ix(c), v, search_path(c))
        return None if oid is None else pgc.NamedOid(oid, relation_label(_ix(c), oid,
                                                                         search_path(c)))

    return call.make(run, T.REGCLASS)


@register("to_regtype")
def _to_regtype(call: Call) -> Any:
    (name,) = _oid_args(call, "t")
    f = name.fn
    def run(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        oid = None if v is None else lookup_type(_ix(c), v)
        return None if oid is None else pgc.NamedOid(oid, type_text(_ix(c), oid) or str(oid))

    return call.make(run, T.REGTYPE)


@register("to_regnamespace")
def _to_regnamespace(call: Call) -> Any:
    (name,) = _oid_args(call, "t")
    f = name.fn

    def run(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        if v is None:
            return None
        _, n = _split_name(v)
        fixed = {"pg_catalog": pgc.PG_CATALOG_NAMESPACE_OID,
                 "information_schema": pgc.INFORMATION_SCHEMA_NSP_OID,
                 "pg_toast": pgc.PG_TOAST_NAMESPACE_OID}
        return c.catalog.schemas.get(n, fixed.get(n))

    return call.make(run, TYPES_BY_OID[4089])


@register("pg_encoding_to_char")
def _pg_encoding_to_char(call: Call) -> Any:
    (enc,) = _oid_args(call, "i")
    return call.strict([enc], lambda v: {6: "UTF8", 0: "SQL_ASCII"}.get(v, ""), T.NAME)


@register("pg_char_to_encoding")
def _pg_char_to_encoding(call: Call) -> Any:
    (name,) = _oid_args(call, "t")
    return call.strict([name], lambda v: {"UTF8": 6, "SQL_ASCII": 0}.get(v.upper(), -1),
                       T.INT4)


def _privilege(call: Call) -> Any:
    """has_*_privilege: OmenDB has one privilege level (every role may do everything)."""
    fns = [ce.fn for ce in call.compiled()]
    return call.make(lambda r, c: None if any(f(r, c) is None for f in fns) else True, T.BOOL)


register("has_table_privilege", "has_schema_privilege", "has_database_privilege",
         "has_column_privilege", "has_any_column_privilege", "has_sequence_privilege",
         "has_function_privilege", "has_type_privilege", "has_tablespace_privilege",
         "has_language_privilege", "has_foreign_data_wrapper_privilege",
         "has_server_privilege", "pg_has_role")(_privilege)


PAGE = 8192


def _relation_bytes(ix: pgc.CatalogIndex, info: dict[str, Any], oid: int, kind: str
                    ) -> int | None:
    """pg_relation_size and friends, estimated from the stored row count: OmenDB keeps no
    8 kB pages to measure, so sizes are what PostgreSQL would need for the same rows."""
    rel = ix.by_oid.get(oid)
    if rel is None:
        return None
    if rel.kind == "v":
        return 0
    if rel.kind == "S":
        return PAGE
    if rel.kind == "i":
        if kind == "indexes":
            return 0  # an index has no indexes of its own
        return PAGE * pgc.index_pages(rel.obj, pgc.live_rows(info, rel.table.oid))
    rows = pgc.live_rows(info, oid)
    heap = PAGE * pgc.estimated_pages(rel.obj, rows)
    toast = PAGE if any(c.type.typlen < 0 for c in rel.obj.columns) else 0  # its empty index
    indexes = sum(PAGE * pgc.index_pages(i, rows) for i in ix.index_list if i.table.oid == oid)
    return {"relation": heap, "table": heap + toast, "indexes": indexes,
            "total": heap + toast + indexes}[kind]


def _size(kind: str) -> Any:
    def handler(call: Call) -> Any:
        first = call.compiled()[0]
        if first.type.oid in T.STRING_OIDS and first.type.oid != 705:
            raise call.no_such_function([first])  # regclass only: no implicit text cast
        # an unknown literal is read as a regclass (a relation name) at run time
        by_name = first.type.oid == 705
        f = (call.comp.coerce(first, T.TEXT) if by_name
             else call.comp.coerce(first, T.OID, explicit=True)).fn

        def run(r: tuple, c: ExecContext) -> Any:
            v = f(r, c)
            if v is None:
                return None
            oid = lookup_relation(_ix(c), v, search_path(c)) if by_name else v
            if oid is None:
                raise errors.UndefinedTable(f'relation "{v}" does not exist')
            return _relation_bytes(_ix(c), {"ctx": c}, oid, kind)

        return call.make(run, T.INT8)

    return handler


register("pg_relation_size")(_size("relation"))
register("pg_table_size")(_size("table"))
register("pg_total_relation_size")(_size("total"))
register("pg_indexes_size")(_size("indexes"))


@register("pg_relation_is_publishable")
def _publishable(call: Call) -> Any:
    (oid,) = _oid_args(call, "o")
    f = oid.fn

    def run(r: tuple, c: ExecContext) -> Any:
        o = f(r, c)
        rel = None if o is None else _ix(c).by_oid.get(o)
        return None if rel is None else rel.kind == "r"

    return call.make(run, T.BOOL)


@register("pg_get_function_arguments", "pg_get_function_identity_arguments")
def _function_arguments(call: Call) -> Any:
    (oid,) = _oid_args(call, "o")
    f = oid.fn

    def run(r: tuple, c: ExecContext) -> Any:
        row = _PROCS.get(f(r, c))
        if row is None:
            return None
        return ", ".join(type_text(_ix(c), t) or str(t) for t in row[7])

    return call.make(run, T.TEXT)


@register("pg_get_function_result")
def _function_result(call: Call) -> Any:
    (oid,) = _oid_args(call, "o")
    f = oid.fn

    def run(r: tuple, c: ExecContext) -> Any:
        row = _PROCS.get(f(r, c))
        if row is None:
            return None
        text = type_text(_ix(c), row[6]) or str(row[6])
        return f"SETOF {text}" if row[3] else text

    return call.make(run, T.TEXT)


@register("pg_get_triggerdef", "pg_get_statisticsobjdef_columns", "pg_get_ruledef",
          "pg_get_partkeydef", "pg_get_partition_constraintdef")
def _no_such_object(call: Call) -> Any:
    """OmenDB has no triggers, rules, statistics objects or partitions: always NULL."""
    call.compiled()
    return call.make(lambda r, c: None, T.TEXT)


@register("pg_tablespace_location")
def _tablespace_location(call: Call) -> Any:
    call.compiled()
    return call.make(lambda r, c: "", T.TEXT)


_BYTEWISE_COLLATIONS = {"c", "posix", "default", "ucs_basic"}


@register("collate")
def _collate(call: Call) -> Any:
    """``expr COLLATE "C"`` / ``COLLATE pg_catalog.default`` (psql's pattern matches): every
    comparison here is bytewise, so these collations leave the value as it is."""
    node = call.node
    target = node.expression
    name = target.name if hasattr(target, "name") else str(target)
    qualifier = target.args.get("table") if hasattr(target, "args") else None
    schema = qualifier.name if qualifier is not None and hasattr(qualifier, "name") else None
    if name.lower() not in _BYTEWISE_COLLATIONS or schema not in (None, "pg_catalog"):
        shown = f"{schema}.{name}" if schema else name
        raise errors.UndefinedObject(f'collation "{shown}" for encoding "UTF8" does not exist')
    return call.comp.compile(node.this)


def _partition_ancestors(comp: Any, args: list[Any], name: str) -> srf.Srf:
    """pg_partition_ancestors(regclass): OmenDB has no partitions, so a relation's only
    "ancestor" is itself (what PostgreSQL returns for an unpartitioned table)."""
    if len(args) != 1:
        raise srf._no_function(name, args)
    (rel,) = [comp.coerce(a, T.REGCLASS, explicit=True) for a in args]

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        oid = values[0]
        if oid is not None and _ix(ctx).by_oid.get(oid) is not None:
            yield (pgc.NamedOid(oid, relation_label(_ix(ctx), oid, search_path(ctx))),)

    return srf.Srf([("relid", T.REGCLASS)], [rel], produce)


srf.register("pg_partition_ancestors", _partition_ancestors)


def size_pretty(size: int) -> str:
    """pg_size_pretty(bigint): PostgreSQL 15's units and half-up rounding (dbsize.c)."""
    limit, limit2 = 10 * 1024, 10 * 1024 * 2 - 1

    def half_rounded(x: int) -> int:
        return int((x + (-1 if x < 0 else 1)) / 2)

    if abs(size) < limit:
        return f"{size} bytes"
    size >>= 9  # one extra bit for rounding
    for unit in ("kB", "MB", "GB", "TB"):
        if abs(size) < limit2 or unit == "TB":
            return f"{half_rounded(size)} {unit}"
        size >>= 10
    return f"{half_rounded(size)} PB"


@register("pg_size_pretty")
def _pg_size_pretty(call: Call) -> Any:
    (a,) = call.compiled()
    a = call.comp.coerce(a, T.INT8 if a.type.oid in (705, 20, 21, 23) else a.type)
    if a.type.oid not in (20, 1700):
        raise call.no_such_function([a])
    return call.strict([a], lambda v: size_pretty(int(v)), T.TEXT)
