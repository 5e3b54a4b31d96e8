"""pg_catalog relations, computed from OmenDB's catalog when a query scans them.

Clients introspect through pg_catalog only (see shared/reference/clients), so
these rows must look like PostgreSQL 15's for the same schema. Each relation is
a column list plus a producer; the planner treats them as read-only tables.
"""

from __future__ import annotations

from typing import Any, Callable

from omendb_server.catalog.model import (
    INFORMATION_SCHEMA_NAMESPACE_OID,
    PG_CATALOG_NAMESPACE_OID,
    Catalog,
)
from omendb_server.datatypes import TYPES_BY_OID, DataType

_T = TYPES_BY_OID
OID, NAME, CHAR, BOOL, INT2, INT4, FLOAT4, TEXT = (
    _T[26], _T[19], _T[18], _T[16], _T[21], _T[23], _T[700], _T[25]
)
TEXT_ARRAY = _T[1009]
REGPROC = _T[24]
BOOTSTRAP_SUPERUSER_OID = 10
DATABASE_OID = 16384 - 1  # a fixed OID below user objects, stable across restarts

Row = tuple[Any, ...]
Producer = Callable[[Catalog, dict[str, Any]], list[Row]]


def _pg_namespace(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = [
        (PG_CATALOG_NAMESPACE_OID, "pg_catalog", BOOTSTRAP_SUPERUSER_OID),
        (99, "pg_toast", BOOTSTRAP_SUPERUSER_OID),
        (INFORMATION_SCHEMA_NAMESPACE_OID, "information_schema", BOOTSTRAP_SUPERUSER_OID),
    ]
    rows += [(oid, name, BOOTSTRAP_SUPERUSER_OID) for name, oid in cat.schemas.items()]
    return rows


def _pg_type(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for t in TYPES_BY_OID.values():
        elem = t.element.oid if t.element is not None else 0
        rows.append((
            t.oid, t.name, PG_CATALOG_NAMESPACE_OID, BOOTSTRAP_SUPERUSER_OID, t.typlen,
            t.typlen in (1, 2, 4, 8) and t.oid not in (19,), "p" if t.oid in (2278, 2249) else "b",
            t.category, True, ",", 0, elem, t.array_oid, False, 0, -1, 0,
            100 if t.category == "S" else 0, None,
        ))
    for table in cat.tables.values():
        if table.rowtype_oid:
            rows.append((
                table.rowtype_oid, table.name, cat.schemas.get(table.schema, 2200),
                BOOTSTRAP_SUPERUSER_OID, -1, False, "c", "C", True, ",", table.oid, 0, 0,
                False, 0, -1, 0, 0, None,
            ))
    return rows


def _pg_class(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []

    def row(oid: int, name: str, nsp: int, reltype: int, kind: str, natts: int,
            hasindex: bool, relam: int) -> Row:
        return (oid, name, nsp, reltype, BOOTSTRAP_SUPERUSER_OID, relam, kind, "p",
                hasindex, natts, 0, False, -1.0, False, False, False, False, "d", None,
                None, 0, True, False, None)

    for t in cat.tables.values():
        nsp = cat.schemas.get(t.schema, 2200)
        rows.append(row(t.oid, t.name, nsp, t.rowtype_oid, "r", len(t.columns),
                        bool(t.primary_key), 2))
        if t.primary_key and t.pk_index_oid:
            rows.append(row(t.pk_index_oid, t.pk_name or f"{t.name}_pkey", nsp, 0, "i",
                            len(t.primary_key), False, 403))
    for ix in cat.indexes.values():
        t = cat.tables.get(ix.table_oid)
        if t is not None:
            rows.append(row(ix.oid, ix.name, cat.schemas.get(t.schema, 2200), 0, "i",
                            len(ix.columns), False, 403))
    for s in cat.sequences.values():
        rows.append(row(s.oid, s.name, cat.schemas.get(s.schema, 2200), 0, "S", 3, False, 0))
    return rows


def _pg_attribute(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    rows = []
    for t in cat.tables.values():
        for i, c in enumerate(t.columns):
            rows.append((
                t.oid, c.name, c.type.oid, i + 1, c.type.typlen, c.typmod, c.not_null,
                c.default is not None and not c.identity, False, c.identity, "",
                100 if c.type.category == "S" else 0, 1 if c.type.category == "A" else 0,
                True, True,
            ))
    return rows


def _pg_database(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [
        (DATABASE_OID, info.get("database", "omendb"), BOOTSTRAP_SUPERUSER_OID, 6, "C", "C",
         False, True, -1, None, None, "c"),
        (1, "template1", BOOTSTRAP_SUPERUSER_OID, 6, "C", "C", True, True, -1, None, None, "c"),
    ]


def _pg_roles(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [
        (BOOTSTRAP_SUPERUSER_OID, name, True, True, True, True, True, -1, None, False, False)
        for name in info.get("users", ["omendb"])
    ]


def _omendb_stat_row_cache(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    st = info.get("row_cache") or {}
    return [(st.get("capacity", 0), st.get("entries", 0), st.get("hits", 0), st.get("misses", 0),
             st.get("evictions", 0), float(st.get("hit_ratio", 0.0)))]


def _pg_am(cat: Catalog, info: dict[str, Any]) -> list[Row]:
    return [(2, "heap", "heapam_handler", "t"), (403, "btree", "bthandler", "i"),
            (405, "hash", "hashhandler", "i")]


RELATIONS: dict[str, tuple[list[tuple[str, DataType]], Producer]] = {
    "pg_am": ([("oid", OID), ("amname", NAME), ("amhandler", REGPROC), ("amtype", CHAR)], _pg_am),
    "omendb_stat_row_cache": (
        [("capacity", _T[20]), ("entries", _T[20]), ("hits", _T[20]), ("misses", _T[20]),
         ("evictions", _T[20]), ("hit_ratio", _T[701])],
        _omendb_stat_row_cache,
    ),
    "pg_namespace": ([("oid", OID), ("nspname", NAME), ("nspowner", OID)], _pg_namespace),
    "pg_type": (
        [("oid", OID), ("typname", NAME), ("typnamespace", OID), ("typowner", OID),
         ("typlen", INT2), ("typbyval", BOOL), ("typtype", CHAR), ("typcategory", CHAR),
         ("typisdefined", BOOL), ("typdelim", CHAR), ("typrelid", OID), ("typelem", OID),
         ("typarray", OID), ("typnotnull", BOOL), ("typbasetype", OID), ("typtypmod", INT4),
         ("typndims", INT4), ("typcollation", OID), ("typdefault", TEXT)],
        _pg_type,
    ),
    "pg_class": (
        [("oid", OID), ("relname", NAME), ("relnamespace", OID), ("reltype", OID),
         ("relowner", OID), ("relam", OID), ("relkind", CHAR), ("relpersistence", CHAR),
         ("relhasindex", BOOL), ("relnatts", INT2), ("relchecks", INT2),
         ("relispartition", BOOL), ("reltuples", FLOAT4), ("relhasrules", BOOL),
         ("relhastriggers", BOOL), ("relrowsecurity", BOOL), ("relforcerowsecurity", BOOL),
         ("relreplident", CHAR), ("reloptions", TEXT_ARRAY), ("relpartbound", TEXT),
         ("reltablespace", OID), ("relispopulated", BOOL), ("relhassubclass", BOOL),
         ("relacl", TEXT_ARRAY)],
        _pg_class,
    ),
    "pg_attribute": (
        [("attrelid", OID), ("attname", NAME), ("atttypid", OID), ("attnum", INT2),
         ("attlen", INT2), ("atttypmod", INT4), ("attnotnull", BOOL), ("atthasdef", BOOL),
         ("attisdropped", BOOL), ("attidentity", CHAR), ("attgenerated", CHAR),
         ("attcollation", OID), ("attndims", INT4), ("attislocal", BOOL),
         ("attstattarget", BOOL)],
        _pg_attribute,
    ),
    "pg_database": (
        [("oid", OID), ("datname", NAME), ("datdba", OID), ("encoding", INT4),
         ("datcollate", NAME), ("datctype", NAME), ("datistemplate", BOOL),
         ("datallowconn", BOOL), ("datconnlimit", INT4), ("datacl", TEXT_ARRAY),
         ("daticulocale", TEXT), ("datlocprovider", CHAR)],
        _pg_database,
    ),
    "pg_roles": (
        [("oid", OID), ("rolname", NAME), ("rolsuper", BOOL), ("rolinherit", BOOL),
         ("rolcreaterole", BOOL), ("rolcreatedb", BOOL), ("rolcanlogin", BOOL),
         ("rolconnlimit", INT4), ("rolvaliduntil", TEXT), ("rolreplication", BOOL),
         ("rolbypassrls", BOOL)],
        _pg_roles,
    ),
}
