"""pg_catalog relations, computed from OmenDB's catalog when a query scans them.

Clients introspect through pg_catalog (see shared/reference/clients/CATALOG_USAGE.md), so
these rows must look like PostgreSQL 15's for the same schema: same column names and types,
same codes (relkind, contype, typtype...), and OIDs that do not change across restarts.

* Column lists come from a real PG 15 cluster (``pg_catalog_data.PG_CATALOG_COLUMNS``); a
  relation with no producer here is empty, which is what PostgreSQL shows when the database
  has no such objects (triggers, policies, publications...).
* Built-in rows (types, access methods, operator classes, collations, the functions clients
  look up, setting metadata) are PostgreSQL's own, captured in ``pg_catalog_data``.
* User objects come from ``Catalog``; every OID is one the catalog persisted, or derived
  from one (``derived_oid``) for rows PostgreSQL gives an OID but OmenDB does not store
  (pg_attrdef, pg_enum labels of older catalogs).

* reltuples/relpages, pg_stat_user_tables counters and the size functions are estimates from
  the stored row count (OmenDB has no 8 kB pages): -1 / 0 while a table is empty, as
  PostgreSQL shows before its first ANALYZE.
* ``CatalogIndex`` gives OID and name lookups in O(1): regclass output, *_is_visible and
  pg_get_* run once per row of catalog queries, and a scan each would be quadratic.

Producers take ``(catalog, info)``; ``info["ctx"]`` is the ExecContext when the planner
passes it (pg_settings, pg_stat_activity and the row estimates read the engine through it).
The regenerating script for the captured rows is scripts/gen_pg_catalog_data.py.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, Self

from omendb_server.catalog import pg_catalog_data as data
from omendb_server.catalog.model import PG_CATALOG_NAMESPACE_OID, Catalog
from omendb_server.datatypes import TYPES_BY_OID, DataType

Row = tuple[Any, ...]
Producer = Callable[[Catalog, dict[str, Any]], list[Row]]
Columns = list[tuple[str, DataType]]

BOOTSTRAP_SUPERUSER_OID = 10
PG_DATABASE_OWNER_OID = 6171
PG_TOAST_NAMESPACE_OID = 99
PUBLIC_NAMESPACE_OID = 2200
#: PostgreSQL 15's information_schema namespace OID (initdb creates it at a fixed point).
INFORMATION_SCHEMA_NSP_OID = 13207
DATABASE_OID = 16384 - 1  # a fixed OID below user objects, stable across restarts
DEFAULT_COLLATION_OID = 100

#: System catalog OIDs (pg_class.oid of the catalogs) used as classid/classoid.
PG_CLASS_RELID = 1259
PG_TYPE_RELID = 1247
PG_NAMESPACE_RELID = 2615
PG_CONSTRAINT_RELID = 2606
PG_ATTRDEF_RELID = 2604
PG_PROC_RELID = 1255
PG_REWRITE_RELID = 2618

_BY_NAME = {t.name: t for t in TYPES_BY_OID.values()}
#: PostgreSQL column types OmenDB has no codec for → the type with the same text form.
_SUBSTITUTES = {
    "pg_node_tree": "text", "_aclitem": "_text", "xid": "oid", "pg_lsn": "text", "inet": "text",
    "anyarray": "_text", "pg_ndistinct": "text", "pg_dependencies": "text",
    "pg_mcv_list": "text", "_pg_statistic": "text", "regoper": "oid", "regprocedure": "oid",
}


def _columns(spec: str) -> Columns:
    out = []
    for item in spec.split():
        name, tname = item.split(":")
        out.append((name, _BY_NAME[_SUBSTITUTES.get(tname, tname)]))
    return out


class NamedOid(int):
    """An OID value that prints as a name (regproc/regclass output), compares as its number."""

    pg_label: str

    def __new__(cls, oid: int, label: str) -> Self:
        self = super().__new__(cls, oid)
        self.pg_label = label
        return self


def derived_oid(kind: int, base: int, sub: int = 0) -> int:
    """A stable OID for a row OmenDB does not persist an OID for (pg_attrdef...).

    Built from the owning object's persisted OID, so it survives restarts; placed in the top
    half of the OID space, far above anything ``Catalog.allocate_oid`` hands out."""
    return 0x80000000 + (((base - 16384) & 0x3FFFF) << 13 | (sub & 0x7FF) << 2 | kind)


# -- type metadata ---------------------------------------------------------------------------
class TypeInfo:
    __slots__ = (
        "align",
        "array",
        "byval",
        "category",
        "collation",
        "elem",
        "len",
        "name",
        "nsp",
        "oid",
        "relid",
        "storage",
        "type",
    )

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


BUILTIN_TYPES: dict[int, TypeInfo] = {
    r[0]: TypeInfo(oid=r[0], name=r[1], len=r[2], byval=r[3], type=r[4], category=r[5],
                   align=r[27], storage=r[28], collation=r[32], elem=r[11], array=r[12],
                   nsp=PG_CATALOG_NAMESPACE_OID, relid=r[8])
    for r in data.PG_TYPE_ROWS
}


def nsp_oid(cat: Catalog, schema: str) -> int:
    return cat.schemas.get(schema, PUBLIC_NAMESPACE_OID)


def views_of(cat: Catalog) -> list[Any]:
    return list(getattr(cat, "views", {}).values())


def enums_of(cat: Catalog) -> list[Any]:
    return list(getattr(cat, "enums", {}).values())


def constraints_of(cat: Catalog, table: Any) -> list[Any]:
    """Every constraint of ``table`` (p, u, c, f), whatever the catalog version stores."""
    fn = getattr(cat, "constraints_of", None)
    if fn is not None:
        return list(fn(table))
    return []


def type_info(cat: Catalog, oid: int) -> TypeInfo | None:
    t = BUILTIN_TYPES.get(oid)
    if t is not None:
        return t
    for e in enums_of(cat):
        if e.oid == oid:
            return TypeInfo(oid=oid, name=e.name, len=4, byval=True, type="e", category="E",
                            align="i", storage="p", collation=0, elem=0,
                            array=getattr(e, "array_oid", 0), nsp=nsp_oid(cat, e.schema), relid=0)
        if getattr(e, "array_oid", 0) == oid:
            return TypeInfo(oid=oid, name="_" + e.name, len=-1, byval=False, type="b",
                            category="A", align="i", storage="x", collation=0, elem=e.oid,
                            array=0, nsp=nsp_oid(cat, e.schema), relid=0)
    for rel in list(cat.tables.values()) + views_of(cat):
        if not getattr(rel, "rowtype_oid", 0):
            continue
        if rel.rowtype_oid == oid:
            return TypeInfo(oid=oid, name=rel.name, len=-1, byval=False, type="c", category="C",
                            align="d", storage="x", collation=0, elem=0,
                            array=rowtype_array_oid(rel), nsp=nsp_oid(cat, rel.schema),
                            relid=rel.oid)
        if rowtype_array_oid(rel) == oid:
            return TypeInfo(oid=oid, name="_" + rel.name, len=-1, byval=False, type="b",
                            category="A", align="d", storage="x", collation=0,
                            elem=rel.rowtype_oid, array=0, nsp=nsp_oid(cat, rel.schema), relid=0)
    return None


def rowtype_array_oid(rel: Any) -> int:
    """The array type of a table's or view's row type (PostgreSQL creates one with each;
    OmenDB derives its OID from the relation's)."""
    return derived_oid(3, rel.oid)


def schema_name_of(cat: Catalog, oid: int) -> str:
    if oid == PG_CATALOG_NAMESPACE_OID:
        return "pg_catalog"
    if oid == INFORMATION_SCHEMA_NSP_OID:
        return "information_schema"
    if oid == PG_TOAST_NAMESPACE_OID:
        return "pg_toast"
    for name, n_oid in cat.schemas.items():
        if n_oid == oid:
            return name
    return str(oid)


def attr_collation(type_oid: int, cat: Catalog | None = None) -> int:
    t = BUILTIN_TYPES.get(type_oid)
    return t.collation if t is not None else 0


def _column_collation(table: Any, pos: int) -> int:
    """pg_attribute.attcollation: the column's COLLATE, else its type's collation."""
    col = table.columns[pos]
    return getattr(col, "collation", 0) or attr_collation(col.type.oid)


# -- relations of user objects ------------------------------------------------------------------
class Rel:
    """One pg_class row's worth of facts about a user relation (table, index, view, sequence)."""

    __slots__ = ("kind", "name", "obj", "oid", "schema", "table")

    def __init__(self, oid: int, name: str, schema: str, kind: str, obj: Any,
                 table: Any = None) -> None:
        self.oid, self.name, self.schema, self.kind, self.obj = oid, name, schema, kind, obj
        self.table = table


class IndexInfo:
    """An index as pg_index shows it: the primary key's implicit index or a secondary one."""

    __slots__ = (
        "columns",
        "constraint_oid",
        "expr_types",
        "exprs",
        "include",
        "method",
        "name",
        "nulls_not_distinct",
        "oid",
        "primary",
        "table",
        "unique",
        "where",
    )

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


def indexes(cat: Catalog) -> list[IndexInfo]:
    out = []
    for t in cat.tables.values():
        if t.primary_key and t.pk_index_oid:
            out.append(IndexInfo(oid=t.pk_index_oid, name=t.pk_name or f"{t.name}_pkey", table=t,
                                 columns=list(t.primary_key), unique=True, primary=True,
                                 constraint_oid=getattr(t, "pk_constraint_oid", 0) or t.pk_index_oid,
                                 method="btree", where=None, include=[],
                                 nulls_not_distinct=False, exprs={}, expr_types={}))
    for ix in cat.indexes.values():
        t = cat.tables.get(ix.table_oid)
        if t is None:
            continue
        con = 0
        if ix.constraint:
            con = getattr(ix, "constraint_oid", 0) or ix.oid
        out.append(IndexInfo(oid=ix.oid, name=ix.name, table=t, columns=list(ix.columns),
                             unique=ix.unique, primary=False, constraint_oid=con,
                             method=getattr(ix, "method", None) or "btree",
                             where=getattr(ix, "where", None),
                             include=list(getattr(ix, "include", None) or []),
                             nulls_not_distinct=bool(getattr(ix, "nulls_not_distinct", False)),
                             exprs=ix.exprs, expr_types=ix.expr_types))
    return out


def _looks_like_function(src: str) -> bool:
    """PostgreSQL prints an index expression bare when it is a function call (or
    COALESCE/GREATEST/LEAST/NULLIF), in parentheses otherwise (ruleutils.c)."""
    import sqlglot
    from sqlglot import exp

    try:
        node = sqlglot.parse_one(src, read="postgres")
    except Exception:  # noqa: BLE001 - display only
        return False
    return isinstance(node, (exp.Func, exp.Anonymous)) and not isinstance(
        node, (exp.Cast, exp.TryCast, exp.Binary, exp.Case, exp.If))


def index_expr_text(table: Any, src: str, pretty: bool) -> str:
    """An index expression or predicate as pg_get_expr prints it."""
    from omendb_server.catalog.deparse import check_text, columns_of

    try:
        return check_text(src, columns_of(table), pretty)
    except Exception:  # noqa: BLE001 - a form the deparser does not know: as written
        return src


def index_element_texts(table: Any, ix: Any, pretty: bool) -> list[str]:
    """The key elements as pg_get_indexdef(oid, n, pretty) prints each: a column's quoted
    name, an expression bare if it is a function call, parenthesized otherwise."""
    out = []
    for pos, col in enumerate(ix.columns):
        if col >= 0:
            out.append(quote_ident(table.columns[col].name))
            continue
        src = ix.exprs[pos]
        text = index_expr_text(table, src, pretty)
        out.append(text if _looks_like_function(src) else f"({text})")
    return out


def index_column_names(ix: Any) -> list[str]:
    """pg_attribute.attname of the index's columns: the table column's name, or for an
    expression the function's name or "expr", made unique with a number (as PostgreSQL's
    ChooseIndexColumnNames)."""
    import sqlglot
    from sqlglot import exp

    names: list[str] = []
    t = ix.table
    for pos, col in enumerate(ix.columns + ix.include):
        if col >= 0:
            base = t.columns[col].name
        else:
            node = sqlglot.parse_one(ix.exprs[pos], read="postgres")
            base = "expr"
            while isinstance(node, exp.Cast) and isinstance(node.this, (exp.Cast, exp.Column)):
                node = node.this  # FigureColname looks through casts
            if isinstance(node, exp.Column):
                base = node.name
            elif isinstance(node, exp.Anonymous):
                base = str(node.this).lower()
            elif isinstance(node, exp.Func) and not isinstance(node, (exp.Cast, exp.Binary)):
                base = (node.sql_name() or "expr").lower()
        name, n = base, 0
        while name in names:
            n += 1
            name = f"{base}{n}"
        names.append(name)
    return names


def index_element_type(ix: Any, pos: int) -> tuple[int, int]:
    """(type oid, typmod) of index column ``pos`` (key or INCLUDE)."""
    cols = ix.columns + ix.include
    col = cols[pos]
    if col >= 0:
        c = ix.table.columns[col]
        return c.type.oid, c.typmod
    return ix.expr_types.get(pos, 25), -1


def relations(cat: Catalog, index_list: list[IndexInfo] | None = None) -> list[Rel]:
    """Every user relation, as pg_class lists them: tables, indexes, sequences, views."""
    rels = [Rel(t.oid, t.name, t.schema, "r", t) for t in cat.tables.values()]
    rels += [Rel(i.oid, i.name, i.table.schema, "i", i, i.table)
             for i in (index_list if index_list is not None else indexes(cat))]
    rels += [Rel(s.oid, s.name, s.schema, "S", s) for s in cat.sequences.values()]
    rels += [Rel(v.oid, v.name, v.schema, "v", v) for v in views_of(cat)]
    return rels


class CatalogIndex:
    """Lookups by OID and name over one catalog, built once (regclass output, *_is_visible and
    pg_get_* run per row; a scan of the catalog for each would be quadratic)."""

    def __init__(self, cat: Catalog) -> None:
        self.cat = cat
        self.index_list = indexes(cat)
        self.indexes = {i.oid: i for i in self.index_list}
        rels = relations(cat, self.index_list)
        self.rels = rels
        self.by_oid = {r.oid: r for r in rels}
        self.by_name: dict[tuple[str, str], int] = {}
        for r in rels:
            self.by_name.setdefault((r.schema, r.name), r.oid)
        self.index_count: dict[int, int] = {}
        for i in self.index_list:
            self.index_count[i.table.oid] = self.index_count.get(i.table.oid, 0) + 1
        self._constraints: dict[int, tuple[Any, Any]] | None = None
        self._types: dict[int, TypeInfo] | None = None

    def constraint(self, oid: int) -> tuple[Any, Any] | None:
        """(table, constraint) of a pg_constraint OID."""
        if self._constraints is None:
            self._constraints = {c.oid: (t, c) for t in self.cat.tables.values()
                                 for c in constraints_of(self.cat, t)}
        return self._constraints.get(oid)

    def type_info(self, oid: int) -> TypeInfo | None:
        t = BUILTIN_TYPES.get(oid)
        if t is not None:
            return t
        if self._types is None:
            self._types = {}
            cat = self.cat
            for e in enums_of(cat):
                for o in (e.oid, getattr(e, "array_oid", 0)):
                    if o:
                        info = type_info(cat, o)
                        if info is not None:
                            self._types[o] = info
            for rel in list(cat.tables.values()) + views_of(cat):
                if getattr(rel, "rowtype_oid", 0):
                    for o in (rel.rowtype_oid, rowtype_array_oid(rel)):
                        info = type_info(cat, o)
                        if info is not None:
                            self._types[o] = info
        return self._types.get(oid)


_INDEX_CACHE: dict[int, tuple[Any, tuple[int, ...], CatalogIndex]] = {}


def catalog_index(cat: Catalog) -> CatalogIndex:
    """A CatalogIndex for ``cat``, reused while the catalog object and its shape are unchanged
    (committed catalogs are immutable; a DDL transaction's private copy changes its counts)."""
    import weakref

    # counts and OIDs catch CREATE/DROP; the names catch an in-place RENAME inside the DDL
    # transaction that owns a private copy of the catalog (its version moves at commit)
    names = hash((tuple((t.name, t.schema, t.pk_name) for t in cat.tables.values()),
                  tuple(i.name for i in cat.indexes.values()),
                  tuple(q.name for q in cat.sequences.values()),
                  tuple(v.name for v in views_of(cat)), tuple(cat.schemas)))
    stamp = (cat.version, cat.next_oid, len(cat.tables), len(cat.indexes), len(cat.sequences),
             len(views_of(cat)), len(enums_of(cat)), names)
    hit = _INDEX_CACHE.get(id(cat))
    if hit is not None and hit[0]() is cat and hit[1] == stamp:
        return hit[2]
    index = CatalogIndex(cat)
    if len(_INDEX_CACHE) > 64:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(cat)] = (weakref.ref(cat), stamp, index)
    return index


def live_rows(info: dict[str, Any], table_oid: int) -> int:
    """Rows stored for a table (versions not yet vacuumed included: an estimate, like
    PostgreSQL's statistics); 0 when the engine is not at hand."""
    tm = getattr(info.get("ctx"), "tm", None)
    data = getattr(tm, "tables", {}).get(table_oid) if tm is not None else None
    hint = getattr(data, "row_count_hint", None)
    return hint() if hint is not None else 0


def estimated_pages(table: Any, rows: int) -> int:
    """8 kB heap pages ``rows`` rows of ``table`` would take (24-byte tuple headers, varlena
    columns counted as 32 bytes), as pg_class.relpages and the size functions report."""
    if rows <= 0:
        return 0
    width = 24 + sum(c.type.typlen if c.type.typlen > 0 else 32 for c in table.columns)
    per_page = max(1, (8192 - 24) // (width + 4))
    return -(-rows // per_page)


def index_pages(index: IndexInfo, rows: int) -> int:
    """A B-tree's pages: the metapage plus leaf pages for ``rows`` entries (16-byte tuple
    overhead, varlena keys counted as 32 bytes)."""
    if rows <= 0:
        return 1
    cols = index.table.columns
    width = 16 + sum(cols[p].type.typlen if p >= 0 and cols[p].type.typlen > 0 else 32
                     for p in index.columns + index.include)
    return 1 + -(-rows * width // (8192 - 64))


def _fk_tables(cat: Catalog) -> set[int]:
    """Tables with FK triggers (both sides of a foreign key, as PostgreSQL marks them)."""
    out: set[int] = set()
    for t in cat.tables.values():
        for c in getattr(t, "constraints", []) or []:
            if getattr(c, "type", "") == "f":
                out.add(t.oid)
                out.add(c.ref_table)
    return out


# -- producers -----------------------------------------------------------------------------------
def _pg_namespace(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = [
        (PG_CATALOG_NAMESPACE_OID, "pg_catalog", BOOTSTRAP_SUPERUSER_OID, None),
        (PG_TOAST_NAMESPACE_OID, "pg_toast", BOOTSTRAP_SUPERUSER_OID, None),
        (INFORMATION_SCHEMA_NSP_OID, "information_schema", BOOTSTRAP_SUPERUSER_OID, None),
    ]
    for name, oid in cat.schemas.items():
        if oid == PUBLIC_NAMESPACE_OID:
            rows.append((oid, name, PG_DATABASE_OWNER_OID,
                         ["pg_database_owner=UC/pg_database_owner", "=U/pg_database_owner"]))
        else:
            rows.append((oid, name, BOOTSTRAP_SUPERUSER_OID, None))
    return rows


def _regproc(oid: int, name: str) -> NamedOid:
    return NamedOid(oid, name)


def _pg_type(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for r in data.PG_TYPE_ROWS:
        (oid, name, tlen, byval, ttype, cat_, pref, delim, relid, sub, subn, elem, arr,
         i, i_n, o, o_n, rv, rv_n, s, s_n, mi, mi_n, mo, mo_n, an, an_n, align, storage,
         base, tmod, ndims, coll) = r
        rows.append((oid, name, PG_CATALOG_NAMESPACE_OID, BOOTSTRAP_SUPERUSER_OID, tlen, byval,
                     ttype, cat_, pref, True, delim, relid, _regproc(sub, subn), elem, arr,
                     _regproc(i, i_n), _regproc(o, o_n), _regproc(rv, rv_n), _regproc(s, s_n),
                     _regproc(mi, mi_n), _regproc(mo, mo_n), _regproc(an, an_n), align, storage,
                     False, base, tmod, ndims, coll, None, None, None))
    none = _regproc(0, "-")

    def user(oid: int, name: str, nsp: int, tlen: int, byval: bool, ttype: str, tcat: str,
             relid: int, elem: int, arr: int, io: str, align: str, storage: str) -> Row:
        return (oid, name, nsp, BOOTSTRAP_SUPERUSER_OID, tlen, byval, ttype, tcat, False, True,
                ",", relid, _regproc(0, "-") if not elem else _regproc(6179, "array_subscript_handler"),
                elem, arr, _regproc(0, io + "_in"), _regproc(0, io + "_out"),
                _regproc(0, io + "_recv"), _regproc(0, io + "_send"), none, none, none, align,
                storage, False, 0, -1, 0, 0, None, None, None)

    for rel in list(cat.tables.values()) + views_of(cat):
        if getattr(rel, "rowtype_oid", 0):
            arr = rowtype_array_oid(rel)
            nsp = nsp_oid(cat, rel.schema)
            rows.append(user(rel.rowtype_oid, rel.name, nsp, -1, False, "c", "C", rel.oid, 0, arr,
                             "record", "d", "x"))
            rows.append(user(arr, "_" + rel.name, nsp, -1, False, "b", "A", 0, rel.rowtype_oid,
                             0, "array", "d", "x"))
    for e in enums_of(cat):
        arr = getattr(e, "array_oid", 0)
        nsp = nsp_oid(cat, e.schema)
        rows.append(user(e.oid, e.name, nsp, 4, True, "e", "E", 0, 0, arr, "enum", "i", "p"))
        if arr:
            rows.append(user(arr, "_" + e.name, nsp, -1, False, "b", "A", 0, e.oid, 0, "array",
                             "i", "x"))
    return rows


def _pg_class(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    fk_tables = _fk_tables(cat)
    index_owner = {i.table.oid for i in indexes(cat)}
    for r in relations(cat):
        nsp = nsp_oid(cat, r.schema)
        o = r.obj
        if r.kind == "r":
            checks = sum(1 for c in getattr(o, "constraints", []) or [] if c.type == "c")
            # never "analyzed" while empty (-1, as PostgreSQL before its first ANALYZE);
            # afterwards the stored row count stands in for ANALYZE's estimate
            n = live_rows(info, r.oid)
            row = (r.oid, r.name, nsp, o.rowtype_oid, 0, BOOTSTRAP_SUPERUSER_OID, 2, r.oid, 0,
                   estimated_pages(o, n), float(n) if n else -1.0, 0, 0, r.oid in index_owner, False,
                   "t" if getattr(o, "temporary", False) else "p",
                   "m" if getattr(o, "matview", None) else "r", len(o.columns), checks,
                   False, r.oid in fk_tables, False, False, False, True, "d", False, 0, 0, 1,
                   None, None, None)
        elif r.kind == "i":
            n = live_rows(info, o.table.oid)
            row = (r.oid, r.name, nsp, 0, 0, BOOTSTRAP_SUPERUSER_OID,
                   405 if o.method == "hash" else 403, r.oid, 0, index_pages(o, n), float(n),
                   0, 0, False, False,
                   "p", "i", len(o.columns) + len(o.include), 0, False, False, False, False,
                   False, True, "n", False, 0, 0, 0, None, None, None)
        elif r.kind == "S":
            row = (r.oid, r.name, nsp, 0, 0, BOOTSTRAP_SUPERUSER_OID, 0, r.oid, 0, 1, 1.0, 0, 0,
                   False, False, "p", "S", 3, 0, False, False, False, False, False, True, "n",
                   False, 0, 0, 0, None, None, None)
        else:  # view
            row = (r.oid, r.name, nsp, getattr(o, "rowtype_oid", 0), 0, BOOTSTRAP_SUPERUSER_OID,
                   0, 0, 0, 0, -1.0, 0, 0, False, False,
                   "t" if getattr(o, "temporary", False) else "p", "v", len(o.columns), 0, True,
                   False, False, False, False, True, "n", False, 0, 0, 0, None, None, None)
        rows.append(row)
    return rows


_SEQ_COLUMNS = [("last_value", 20), ("log_cnt", 20), ("is_called", 16)]
_SYSTEM_COLUMNS = [("tableoid", 26, -6), ("cmax", 29, -5), ("xmax", 28, -4), ("cmin", 29, -3),
                   ("xmin", 28, -2), ("ctid", 27, -1)]


def _attr_row(cat: Catalog, relid: int, name: str, type_oid: int, num: int, typmod: int = -1,
              notnull: bool = False, hasdef: bool = False, identity: str = "",
              generated: str = "", ndims: int = 0, collation: int = 0) -> Row:
    t = type_info(cat, type_oid)
    tlen, byval, align, storage, coll = ((t.len, t.byval, t.align, t.storage, t.collation)
                                         if t is not None else (-1, False, "i", "x", 0))
    coll = collation or coll
    if t is not None and t.category == "A" and ndims == 0:
        ndims = 1
    return (relid, name, type_oid, -1, tlen, num, ndims, -1, typmod, byval, align, storage, "",
            notnull, hasdef, False, identity, generated, False, True, 0, coll, None, None, None,
            None)


def _pg_attribute(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for t in cat.tables.values():
        for i, c in enumerate(t.columns):
            rows.append(_attr_row(cat, t.oid, c.name, c.type.oid, i + 1, c.typmod, c.not_null,
                                  c.default is not None and not c.identity, c.identity,
                                  getattr(c, "generated", ""), collation=c.collation))
        for name, toid, num in _SYSTEM_COLUMNS:
            rows.append(_attr_row(cat, t.oid, name, toid, num, notnull=True))
    for v in views_of(cat):
        for i, c in enumerate(v.columns):
            rows.append(_attr_row(cat, v.oid, c.name, c.type.oid, i + 1, c.typmod))
    for ix in indexes(cat):
        for i, name in enumerate(index_column_names(ix)):
            type_oid, typmod = index_element_type(ix, i)
            rows.append(_attr_row(cat, ix.oid, name, type_oid, i + 1, typmod))
    for s in cat.sequences.values():
        for i, (name, toid) in enumerate(_SEQ_COLUMNS):
            rows.append(_attr_row(cat, s.oid, name, toid, i + 1, notnull=True))
        for name, toid, num in _SYSTEM_COLUMNS:
            rows.append(_attr_row(cat, s.oid, name, toid, num, notnull=True))
    return rows


def attrdefs(cat: Catalog) -> Iterable[tuple[int, Any, int, str]]:
    """(attrdef oid, table, attnum, expression text) for every column default."""
    for t in cat.tables.values():
        for i, c in enumerate(t.columns):
            if c.default is not None and not c.identity:
                yield derived_oid(1, t.oid, i + 1), t, i + 1, c.default


def _pg_attrdef(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, t.oid, num, text) for oid, t, num, text in attrdefs(cat)]


def _default_opclass(type_oid: int, method: int = 403) -> int:
    t = BUILTIN_TYPES.get(type_oid)
    target = type_oid
    if t is not None and t.category == "S" and type_oid not in (25, 1042, 19):
        target = 25  # varchar etc. use text_ops
    if t is not None and t.category == "A":
        target = 2277
    if t is None:
        target = 3500  # enum_ops (anyenum)
    for oid, m, _name, _fam, intype, default, _key in data.PG_OPCLASS_ROWS:
        if m == method and default and intype == target:
            return oid
    return 0


def _pg_index(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for ix in indexes(cat):
        cols = ix.columns + ix.include
        t = ix.table
        method = 405 if ix.method == "hash" else 403
        types = [index_element_type(ix, i)[0] for i in range(len(cols))]
        exprs = [index_expr_text(t, ix.exprs[i], False) for i in range(len(ix.columns))
                 if ix.columns[i] < 0]
        rows.append((
            ix.oid, t.oid, len(cols), len(ix.columns), ix.unique, ix.nulls_not_distinct,
            ix.primary, False, True, False, True, False, True, True, False,
            [p + 1 for p in cols],
            [_column_collation(t, p) if p >= 0 else attr_collation(types[i])
             for i, p in enumerate(cols)],
            [_default_opclass(types[i], method) for i in range(len(ix.columns))],
            [0] * len(ix.columns), ", ".join(exprs) if exprs else None,
            index_expr_text(t, ix.where, False) if ix.where else None,
        ))
    return rows


def _pg_constraint(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for t in cat.tables.values():
        nsp = nsp_oid(cat, t.schema)
        for c in constraints_of(cat, t):
            fk = c.type == "f"
            conkey = [p + 1 for p in c.columns] if c.columns else None
            if fk:
                eq = [96] * len(c.columns)
                confkey = [p + 1 for p in c.ref_columns]
            else:
                eq = None
                confkey = None
            rows.append((
                c.oid, c.name, nsp, c.type, c.deferrable, c.deferred, True, t.oid, 0,
                c.index_oid if c.type in ("p", "u", "f") else 0, 0,
                c.ref_table if fk else 0, c.on_update if fk else " ",
                c.on_delete if fk else " ", c.match if fk else " ", True, 0, False, conkey,
                confkey, eq, eq, eq, None, None,
                (getattr(c, "check_display", None) or c.check) if c.type == "c" else None,
            ))
    return rows


def _pg_description(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    comments = getattr(cat, "comments", {}) or {}
    rows = []
    if comments:
        schemas = set(cat.schemas.values())
        types = {e.oid for e in enums_of(cat)}
        relations_ = {r.oid for r in relations(cat)}
        constraints = {c.oid for t in cat.tables.values() for c in constraints_of(cat, t)}
        for (oid, sub), text in comments.items():
            if oid in schemas:
                classoid = PG_NAMESPACE_RELID
            elif oid in types:
                classoid = PG_TYPE_RELID
            elif oid in constraints and oid not in relations_:
                classoid = PG_CONSTRAINT_RELID
            else:
                classoid = PG_CLASS_RELID
            rows.append((oid, classoid, sub, text))
    # COMMENT ON a built-in object (the public schema...) replaces its description
    return [r for r in data.PG_DESCRIPTION_ROWS if (r[0], r[2]) not in comments] + rows


#: Built-in descriptions by (objoid, classoid, objsubid): obj_description() of system objects.
BUILTIN_DESCRIPTIONS = {(o, c, s): d for o, c, s, d in data.PG_DESCRIPTION_ROWS}
#: obj_description's catalog-name argument → the catalog's OID (classoid).
CATALOG_CLASS_OIDS = {"pg_class": PG_CLASS_RELID, "pg_type": PG_TYPE_RELID,
                      "pg_proc": PG_PROC_RELID, "pg_namespace": PG_NAMESPACE_RELID,
                      "pg_constraint": PG_CONSTRAINT_RELID, "pg_extension": 3079,
                      "pg_am": 2601, "pg_database": 1262, "pg_authid": 1260}


def _pg_enum(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for e in enums_of(cat):
        oids = list(getattr(e, "label_oids", []) or [])
        for i, label in enumerate(e.labels):
            oid = oids[i] if i < len(oids) else derived_oid(2, e.oid, i)
            rows.append((oid, e.oid, float(i + 1), label))
    return rows


def _pg_sequence(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(s.oid, s.type_oid, s.start, s.increment, s.max_value, s.min_value,
             getattr(s, "cache", 1), getattr(s, "cycle", False)) for s in cat.sequences.values()]


def _pg_depend(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for s in cat.sequences.values():
        if s.owned_by:
            t = cat.tables.get(s.owned_by[0])
            if t is None:
                continue
            num = (t.find_column(s.owned_by[1]) or 0) + 1
            identity = t.columns[num - 1].identity if num else ""
            rows.append((PG_CLASS_RELID, s.oid, 0, PG_CLASS_RELID, t.oid, num,
                         "i" if identity else "a"))
    for ix in indexes(cat):
        if ix.constraint_oid:
            rows.append((PG_CLASS_RELID, ix.oid, 0, PG_CONSTRAINT_RELID, ix.constraint_oid, 0, "i"))
        else:
            for p in ix.columns:
                rows.append((PG_CLASS_RELID, ix.oid, 0, PG_CLASS_RELID, ix.table.oid, p + 1, "a"))
    for t in cat.tables.values():
        for c in constraints_of(cat, t):
            if c.type in ("p", "u"):
                for p in c.columns:
                    rows.append((PG_CONSTRAINT_RELID, c.oid, 0, PG_CLASS_RELID, t.oid, p + 1, "a"))
            elif c.type == "f":
                for p in c.columns:
                    rows.append((PG_CONSTRAINT_RELID, c.oid, 0, PG_CLASS_RELID, t.oid, p + 1, "a"))
                for p in c.ref_columns:
                    rows.append((PG_CONSTRAINT_RELID, c.oid, 0, PG_CLASS_RELID, c.ref_table,
                                 p + 1, "n"))
    for oid, t, num, _ in attrdefs(cat):
        rows.append((PG_ATTRDEF_RELID, oid, 0, PG_CLASS_RELID, t.oid, num, "a"))
    for r in relations(cat):
        if r.kind != "i":  # every relation but an index depends on its schema
            rows.append((PG_CLASS_RELID, r.oid, 0, PG_NAMESPACE_RELID, nsp_oid(cat, r.schema), 0,
                         "n"))
    for e in enums_of(cat):
        rows.append((PG_TYPE_RELID, e.oid, 0, PG_NAMESPACE_RELID, nsp_oid(cat, e.schema), 0, "n"))
    return rows


def _pg_auth_members(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    """pg_monitor's memberships, as initdb creates them."""
    return [(3374, 3373, BOOTSTRAP_SUPERUSER_OID, False),
            (3375, 3373, BOOTSTRAP_SUPERUSER_OID, False),
            (3377, 3373, BOOTSTRAP_SUPERUSER_OID, False)]


def _users(info: dict[str, Any]) -> list[str]:
    return list(info.get("users") or ["omendb"])


def _pg_roles(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = [(name, True, True, True, True, True, True, -1, "********", None, True, None,
             BOOTSTRAP_SUPERUSER_OID) for name in _users(info)[:1]]
    rows += [(name, False, True, False, False, False, False, -1, "********", None, False, None,
              oid) for oid, name in data.PG_ROLE_ROWS]
    return rows


def _pg_authid(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(r[12], r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[10], r[7], None, None)
            for r in _pg_roles(cat, info)]


def _pg_user(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(name, BOOTSTRAP_SUPERUSER_OID, True, True, True, True, "********", None, None)
            for name in _users(info)[:1]]


def _database_oids(info: dict[str, Any]) -> dict[str, int]:
    """Name → OID of every database of the cluster (the current one at least)."""
    ctx = info.get("ctx")
    cluster = getattr(getattr(ctx, "database", None), "cluster", None)
    oids: dict[str, int] = {}
    lister = getattr(cluster, "database_oids", None)
    if callable(lister):
        oids = dict(lister())
    current = info.get("database", "omendb")
    oids.setdefault(current, DATABASE_OID)
    return oids


def _pg_database(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for name, oid in sorted(_database_oids(info).items()):
        rows.append((oid, name, BOOTSTRAP_SUPERUSER_OID, 6, "c", False, True, -1, 0, 1, 1663,
                     "C", "C", None, None, None))
    acl = ["=c/omendb", "omendb=CTc/omendb"]
    rows.append((1, "template1", BOOTSTRAP_SUPERUSER_OID, 6, "c", True, True, -1, 0, 1, 1663,
                 "C", "C", None, None, acl))
    rows.append((4, "template0", BOOTSTRAP_SUPERUSER_OID, 6, "c", True, False, -1, 0, 1, 1663,
                 "C", "C", None, None, acl))
    return rows


def _pg_tablespace(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, name, BOOTSTRAP_SUPERUSER_OID, None, None) for oid, name in
            data.PG_TABLESPACE_ROWS]


def _pg_am(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, name, _regproc(h, hn), t) for oid, name, h, hn, t in data.PG_AM_ROWS]


def _pg_opclass(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, m, name, PG_CATALOG_NAMESPACE_OID, BOOTSTRAP_SUPERUSER_OID, fam, intype,
             default, key) for oid, m, name, fam, intype, default, key in data.PG_OPCLASS_ROWS]


def _pg_collation(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, name, PG_CATALOG_NAMESPACE_OID, BOOTSTRAP_SUPERUSER_OID, prov, det, enc,
             coll, ctype, None, None)
            for oid, name, prov, det, enc, coll, ctype in data.PG_COLLATION_ROWS]


def _pg_language(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(oid, name, BOOTSTRAP_SUPERUSER_OID, ispl, trusted, 0, 0, 0, None)
            for oid, name, ispl, trusted in data.PG_LANGUAGE_ROWS]


def _pg_range(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(t, sub, multi, coll, opc, _regproc(0, "-"), _regproc(0, "-"))
            for t, sub, multi, coll, opc in data.PG_RANGE_ROWS]


def _pg_cast(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return list(data.PG_CAST_ROWS)


def _pg_proc(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for oid, name, kind, retset, volatile, nargs, rettype, argtypes, strict in data.PG_PROC_ROWS:
        rows.append((oid, name, PG_CATALOG_NAMESPACE_OID, BOOTSTRAP_SUPERUSER_OID, 12, 1.0,
                     1000.0 if retset else 0.0, 0, _regproc(0, "-"), kind, False, False, strict,
                     retset, volatile, "s", nargs, 0, rettype, list(argtypes), None, None, None,
                     None, None, name, None, None, None, None))
    return rows


def _pg_settings(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    ctx = info.get("ctx")
    session = getattr(ctx, "session", None)
    meta = {r[0].lower(): r for r in data.PG_SETTING_ROWS}
    values: list[tuple[str, str]] = []
    lister = getattr(session, "all_settings", None)
    if callable(lister):
        values = list(lister())
    rows = []
    for name, value in values:
        m = meta.get(name.lower())
        if m is None:
            rows.append((name, value, None, "Customized Options", None, None, "user", "string",
                         "session", None, None, None, None, value, None, None, False))
            continue
        canon, unit, category, desc, context, vartype, lo, hi, enumvals, boot = m
        if unit and value and value[-1:].isalpha() and vartype == "integer":
            value = _in_units(value, unit)
        rows.append((canon, value, unit, category, desc, None, context, vartype,
                     "default" if value == boot else "session", lo, hi, enumvals, boot, value,
                     None, None, False))
    return rows


_UNIT_KB = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024 * 1024, "TB": 1024 ** 3}
_UNIT_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}


def _in_units(value: str, unit: str) -> str:
    """'4MB' with unit 'kB' → '4096' (pg_settings.setting is in the setting's base unit)."""
    import re

    m = re.fullmatch(r"\s*(-?\d+)\s*([A-Za-z]+)\s*", value)
    if m is None:
        return value
    n, u = int(m.group(1)), m.group(2)
    for table, base in ((_UNIT_KB, "kB"), (_UNIT_MS, "ms")):
        if u in table:
            scale = 8 if unit == "8kB" else 1
            factor = table[u] / (table.get(unit, scale))
            return str(int(n * factor))
    return value


def _pg_stat_activity(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    ctx = info.get("ctx")
    session = getattr(ctx, "session", None)
    if session is None:
        return []
    now = _dt.datetime.now(_dt.UTC)
    try:
        app = session.get_setting("application_name")
    except Exception:  # noqa: BLE001
        app = ""
    dbname = getattr(session, "database", info.get("database"))
    return [(_database_oids(info).get(dbname, DATABASE_OID), dbname,
             getattr(session, "pid", 0), None, BOOTSTRAP_SUPERUSER_OID,
             getattr(session, "user", "omendb"), app, None, None, None, now, now, now, now, None,
             None, "active", None, None, None, "", "client backend")]


def _pg_tables(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    owner = _users(info)[0]
    has_index = {i.table.oid for i in indexes(cat)}
    fk_tables = _fk_tables(cat)
    return [(t.schema, t.name, owner, None, t.oid in has_index, False, t.oid in fk_tables,
             False) for t in cat.tables.values() if not getattr(t, "matview", None)]


def matview_definition(t: Any) -> str:
    """pg_get_viewdef / pg_matviews.definition of a materialized view."""
    return f" {(t.matview or '').strip().rstrip(';')};"


def _pg_matviews(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    owner = _users(info)[0]
    has_index = {i.table.oid for i in indexes(cat)}
    return [(t.schema, t.name, owner, None, t.oid in has_index, True, matview_definition(t))
            for t in cat.tables.values() if getattr(t, "matview", None)]


def _pg_views(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    owner = _users(info)[0]
    return [(v.schema, v.name, owner, view_definition(v)) for v in views_of(cat)]


def view_definition(v: Any, pretty: bool = False) -> str:
    """pg_get_viewdef text: PostgreSQL prints it on its own lines, ending with ';'."""
    printed = getattr(v, "definition_pretty" if pretty else "definition", None)  # H-ddl
    if printed:
        return printed
    sql = (getattr(v, "sql", "") or "").strip().rstrip(";")
    return f" {sql};"


def _pg_indexes(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(i.table.schema, i.table.name, i.name, None, index_definition(cat, i))
            for i in indexes(cat)]


def _pg_sequences(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    owner = _users(info)[0]
    return [(s.schema, s.name, owner, BUILTIN_TYPES[s.type_oid].oid if s.type_oid in BUILTIN_TYPES
             else 20, s.start, s.min_value, s.max_value, s.increment, getattr(s, "cycle", False),
             getattr(s, "cache", 1), None) for s in cat.sequences.values()]


def _pg_stat_user_tables(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    """No statistics collector: counters are 0 and the vacuum/analyze times NULL."""
    rows = []
    for t in cat.tables.values():
        n = live_rows(info, t.oid)
        # seq_scan .. n_tup_hot_upd, then n_live_tup, n_dead_tup, n_mod_since_analyze, ...
        counters = (0, 0, 0, 0, n, 0, 0, 0, n, 0, n, n)
        rows.append((t.oid, t.schema, t.name, *counters, None, None, None, None, 0, 0, 0, 0))
    return rows


def _pg_extension(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(13559, "plpgsql", BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_NAMESPACE_OID, False, "1.0",
             None, None)]


def quote_ident(name: str) -> str:
    """PostgreSQL's quote_ident: quote unless it is a plain lower-case identifier."""
    import re

    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


_RESERVED = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case",
    "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
    "current_date", "current_role", "current_time", "current_timestamp", "current_user",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch",
    "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
    "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on",
    "only", "or", "order", "placing", "primary", "references", "returning", "select",
    "session_user", "some", "symmetric", "table", "then", "to", "trailing", "true", "union",
    "unique", "user", "using", "variadic", "when", "where", "window", "with", "authorization",
    "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full", "ilike",
    "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
    "right", "similar", "tablesample", "verbose",
}


def qualified(cat: Catalog, schema: str, name: str, search_path: list[str] | None = None) -> str:
    """A relation name as regclass output shows it: schema-qualified when not visible."""
    path = search_path if search_path is not None else ["public"]
    if schema in path or schema == "pg_catalog":
        return quote_ident(name)
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def index_definition(cat: Catalog, ix: IndexInfo, column: int = 0,
                     visible: list[str] | None = None) -> str:
    """pg_get_indexdef(index_oid[, column[, pretty]]): the CREATE INDEX statement PostgreSQL
    prints. The table is schema-qualified, except in pretty mode (``visible`` = the search
    path) when its schema is on the path."""
    t = ix.table
    pretty = visible is not None
    if column > 0:
        keys = index_element_texts(t, ix, pretty)
        cols = keys + [quote_ident(t.columns[p].name) for p in ix.include]
        return cols[column - 1] if column <= len(cols) else ""
    table = (quote_ident(t.name) if visible is not None and t.schema in visible
             else f"{quote_ident(t.schema)}.{quote_ident(t.name)}")
    text = (f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX {quote_ident(ix.name)} ON "
            f"{table} USING {ix.method} "
            f"({', '.join(index_element_texts(t, ix, pretty))})")
    if ix.include:
        text += f" INCLUDE ({', '.join(quote_ident(t.columns[p].name) for p in ix.include)})"
    if ix.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if ix.where:
        text += f" WHERE {index_expr_text(t, ix.where, pretty)}"
    return text


def _empty(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return []


_PRODUCERS: dict[str, Producer] = {
    "pg_namespace": _pg_namespace, "pg_type": _pg_type, "pg_class": _pg_class,
    "pg_attribute": _pg_attribute, "pg_attrdef": _pg_attrdef, "pg_index": _pg_index,
    "pg_constraint": _pg_constraint, "pg_description": _pg_description, "pg_enum": _pg_enum,
    "pg_sequence": _pg_sequence, "pg_depend": _pg_depend, "pg_roles": _pg_roles,
    "pg_authid": _pg_authid, "pg_user": _pg_user, "pg_shadow": _empty,
    "pg_database": _pg_database, "pg_tablespace": _pg_tablespace, "pg_am": _pg_am,
    "pg_opclass": _pg_opclass, "pg_collation": _pg_collation, "pg_language": _pg_language,
    "pg_range": _pg_range, "pg_proc": _pg_proc, "pg_settings": _pg_settings,
    "pg_stat_activity": _pg_stat_activity, "pg_tables": _pg_tables, "pg_views": _pg_views,
    "pg_matviews": _pg_matviews,
    "pg_indexes": _pg_indexes, "pg_sequences": _pg_sequences,
    "pg_stat_user_tables": _pg_stat_user_tables, "pg_stat_all_tables": _pg_stat_user_tables,
    "pg_extension": _pg_extension, "pg_auth_members": _pg_auth_members, "pg_cast": _pg_cast,
}


def _omendb_stat_row_cache(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    st = info.get("row_cache") or {}
    return [(st.get("capacity", 0), st.get("entries", 0), st.get("hits", 0), st.get("misses", 0),
             st.get("evictions", 0), float(st.get("hit_ratio", 0.0)))]


def _build() -> dict[str, tuple[Columns, Producer]]:
    rels: dict[str, tuple[Columns, Producer]] = {}
    for name, spec in data.PG_CATALOG_COLUMNS.items():
        rels[name] = (_columns(spec), _PRODUCERS.get(name, _empty))
    rels["omendb_stat_row_cache"] = (
        _columns("capacity:int8 entries:int8 hits:int8 misses:int8 evictions:int8 "
                 "hit_ratio:float8"),
        _omendb_stat_row_cache,
    )
    return rels


#: pg_catalog relation name → (columns, producer); the planner scans these as read-only tables.
RELATIONS: dict[str, tuple[Columns, Producer]] = _build()


def virtual_relation(schema: str | None, name: str) -> tuple[Columns, Producer] | None:
    """The catalog relation ``schema.name`` (pg_catalog is searched when unqualified)."""
    if schema in (None, "pg_catalog"):
        return RELATIONS.get(name)
    if schema == "information_schema":
        from omendb_server.catalog.information_schema import RELATIONS as IS_RELATIONS

        return IS_RELATIONS.get(name)
    return None
