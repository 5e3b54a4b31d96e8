"""information_schema views (SQL standard), as PostgreSQL 15 computes them from its catalogs.

Frameworks that aim at several databases (Django, some ORMs, BI tools) introspect through
these instead of pg_catalog. Column lists and types are PG 15's (its domains —
sql_identifier, cardinal_number, character_data, yes_or_no — are sent as their base types,
as PostgreSQL does on the wire). Like PostgreSQL for a superuser, every user object is shown;
unlike PostgreSQL, the system schemas' own relations are not listed (clients filter them out).

Rows are built as dicts (column → value) and shaped into the view's column order, so an
unset column is NULL exactly as in PostgreSQL's view definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omendb_server.catalog import pg_catalog as pgc
from omendb_server.catalog.model import Catalog
from omendb_server.catalog.pg_catalog_data import INFORMATION_SCHEMA_COLUMNS
from omendb_server.datatypes import TYPES_BY_OID, format_type

Row = tuple[Any, ...]
DictProducer = Callable[[Catalog, dict[str, Any]], list[dict[str, Any]]]

_INT_PRECISION = {21: 16, 23: 32, 20: 64, 700: 24, 701: 53}
_DATETIME = {1082, 1083, 1266, 1114, 1184, 1186}
_CHAR_TYPES = {1042, 1043, 25, 18, 19}


def _db(info: dict[str, Any]) -> str:
    return info.get("database", "omendb")


def _yes(flag: Any) -> str:
    return "YES" if flag else "NO"


def data_type(cat: Catalog, type_oid: int) -> tuple[str, str, str]:
    """(data_type, udt_schema, udt_name) as information_schema.columns shows them."""
    t = pgc.type_info(cat, type_oid)
    if t is None:
        return "USER-DEFINED", "public", str(type_oid)
    schema = pgc.schema_name_of(cat, t.nsp)
    if t.category == "A" and t.elem:
        return "ARRAY", schema, t.name
    if t.type in ("e", "c", "d", "r", "m") or t.nsp != pgc.PG_CATALOG_NAMESPACE_OID:
        return "USER-DEFINED", schema, t.name
    dt = TYPES_BY_OID.get(type_oid)
    text = format_type(dt, -1) if dt is not None else t.name
    return text, schema, t.name


def type_facets(type_oid: int, typmod: int) -> dict[str, Any]:
    """The character/numeric/datetime facets of a column type (information_schema._pg_*)."""
    out: dict[str, Any] = {}
    if type_oid in (1042, 1043):
        if typmod >= 4:
            out["character_maximum_length"] = typmod - 4
            out["character_octet_length"] = (typmod - 4) * 4
        else:
            out["character_octet_length"] = 1073741824
    elif type_oid == 25:
        out["character_octet_length"] = 1073741824
    if type_oid in _INT_PRECISION:
        out["numeric_precision"] = _INT_PRECISION[type_oid]
        out["numeric_precision_radix"] = 2
        if type_oid in (21, 23, 20):
            out["numeric_scale"] = 0
    elif type_oid == 1700:
        out["numeric_precision_radix"] = 10
        if typmod >= 4:
            out["numeric_precision"] = ((typmod - 4) >> 16) & 0xFFFF
            out["numeric_scale"] = (typmod - 4) & 0xFFFF
    if type_oid in _DATETIME:
        if type_oid == 1082:
            out["datetime_precision"] = 0
        elif type_oid == 1186:
            prec = typmod & 0xFFFF if typmod >= 0 else 0xFFFF
            out["datetime_precision"] = 6 if prec == 0xFFFF else prec
        else:
            out["datetime_precision"] = typmod if typmod >= 0 else 6
    if type_oid in _CHAR_TYPES and type_oid not in (18, 19):
        out["collation_name"] = None
    return out


def _tables(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = [{"table_catalog": db, "table_schema": t.schema, "table_name": t.name,
                 "table_type": "BASE TABLE", "is_insertable_into": "YES", "is_typed": "NO"}
            for t in cat.tables.values()]
    rows += [{"table_catalog": db, "table_schema": v.schema, "table_name": v.name, "table_type": "VIEW",
                  "is_insertable_into": "YES", "is_typed": "NO"} for v in pgc.views_of(cat)]
    return rows


def _columns(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    rels = [(t, True) for t in cat.tables.values()] + [(v, False) for v in pgc.views_of(cat)]
    for rel, is_table in rels:
        for i, c in enumerate(rel.columns):
            dt, udt_schema, udt_name = data_type(cat, c.type.oid)
            identity = getattr(c, "identity", "") if is_table else ""
            generated = getattr(c, "generated", "") if is_table else ""
            row = {
                "table_catalog": db, "table_schema": rel.schema, "table_name": rel.name,
                "column_name": c.name, "ordinal_position": i + 1,
                "column_default": None if identity or generated else c.default,
                "is_nullable": _yes(not c.not_null) if is_table else "YES", "data_type": dt,
                "udt_catalog": db, "udt_schema": udt_schema, "udt_name": udt_name,
                "dtd_identifier": str(i + 1), "is_self_referencing": "NO",
                "is_identity": _yes(identity),
                "identity_generation": {"a": "ALWAYS", "d": "BY DEFAULT"}.get(identity),
                "identity_cycle": "NO",
                "is_generated": "ALWAYS" if generated else "NEVER",
                "generation_expression": c.default if generated else None,
                "is_updatable": "YES",
            }
            row.update(type_facets(c.type.oid, c.typmod))
            if identity:
                seq = _owned_sequence(cat, rel.oid, c.name)
                if seq is not None:
                    row.update(identity_start=str(seq.start), identity_increment=str(seq.increment),
                               identity_maximum=str(seq.max_value),
                               identity_minimum=str(seq.min_value),
                               identity_cycle=_yes(getattr(seq, "cycle", False)))
            rows.append(row)
    return rows


def _owned_sequence(cat: Catalog, table_oid: int, column: str) -> Any:
    for s in cat.sequences.values():
        if s.owned_by and s.owned_by[0] == table_oid and s.owned_by[1] == column:
            return s
    return None


def _schemata(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    owner = (info.get("users") or ["omendb"])[0]
    names = ["pg_catalog", "pg_toast", "information_schema"] + list(cat.schemas)
    return [{"catalog_name": db, "schema_name": n,
                 "schema_owner": "pg_database_owner" if n == "public" else owner} for n in names]


def view_is_updatable(cat: Catalog, view: Any) -> bool:
    """PostgreSQL's rule for automatically updatable views: one base table in FROM, no
    joins, DISTINCT, GROUP BY, HAVING, LIMIT/OFFSET, WITH, set operations, aggregates or
    window functions."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(getattr(view, "sql", "") or "", read="postgres")
    except Exception:  # noqa: BLE001 - a definition we cannot parse is not updatable
        return False
    if not isinstance(tree, exp.Select):
        return False
    if any(tree.args.get(k) for k in ("joins", "group", "having", "limit", "offset", "with",
                                      "distinct")):
        return False
    source = tree.args.get("from") or tree.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or cat.find_table(table.name, table.db or None) is None:
        return False
    return not any(isinstance(n, (exp.AggFunc, exp.Window)) for n in tree.expressions
                   for n in n.walk())


def _views(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for v in pgc.views_of(cat):
        upd = _yes(view_is_updatable(cat, v))
        rows.append({"table_catalog": db, "table_schema": v.schema, "table_name": v.name,
                     "view_definition": pgc.view_definition(v), "check_option": "NONE",
                     "is_updatable": upd, "is_insertable_into": upd,
                     "is_trigger_updatable": "NO", "is_trigger_deletable": "NO",
                     "is_trigger_insertable_into": "NO"})
    return rows


def _is_identity_sequence(cat: Catalog, seq: Any) -> bool:
    if not seq.owned_by:
        return False
    t = cat.tables.get(seq.owned_by[0])
    pos = t.find_column(seq.owned_by[1]) if t is not None else None
    return pos is not None and bool(t.columns[pos].identity)


def _sequences(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    out = []
    for s in cat.sequences.values():
        if _is_identity_sequence(cat, s):
            continue  # PostgreSQL lists identity sequences under columns, not here
        t = TYPES_BY_OID.get(s.type_oid)
        out.append({"sequence_catalog": db, "sequence_schema": s.schema, "sequence_name": s.name,
                        "data_type": format_type(t, -1) if t is not None else "bigint",
                        "numeric_precision": _INT_PRECISION.get(s.type_oid, 64),
                        "numeric_precision_radix": 2, "numeric_scale": 0, "start_value": str(s.start),
                        "minimum_value": str(s.min_value), "maximum_value": str(s.max_value),
                        "increment": str(s.increment),
                        "cycle_option": _yes(getattr(s, "cycle", False))})
    return out


_CONTYPE = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "c": "CHECK"}


def _not_null_name(cat: Catalog, table: Any, attnum: int) -> str:
    return f"{pgc.nsp_oid(cat, table.schema)}_{table.oid}_{attnum}_not_null"


def _table_constraints(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        base = {"constraint_catalog": db, "constraint_schema": t.schema, "table_catalog": db,
                    "table_schema": t.schema, "table_name": t.name, "enforced": "YES"}
        for c in pgc.constraints_of(cat, t):
            rows.append(dict(base, constraint_name=c.name, constraint_type=_CONTYPE[c.type],
                             is_deferrable=_yes(c.deferrable), initially_deferred=_yes(c.deferred),
                             nulls_distinct="YES" if c.type == "u" else None))
        for i, col in enumerate(t.columns):
            if col.not_null:
                rows.append(dict(base, constraint_name=_not_null_name(cat, t, i + 1),
                                 constraint_type="CHECK", is_deferrable="NO",
                                 initially_deferred="NO"))
    return rows


def _check_clause(cat: Catalog, table: Any, con: Any) -> str | None:
    """PostgreSQL: substring(pg_get_constraintdef(oid) from 7), i.e. without 'CHECK '."""
    definer = getattr(con, "definition", None)
    text = definer(table, cat) if definer is not None else f"CHECK ({con.check})"
    return text[6:] if text.startswith("CHECK ") else con.check


def _check_constraints(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for c in pgc.constraints_of(cat, t):
            if c.type == "c":
                rows.append({"constraint_catalog": db, "constraint_schema": t.schema,
                                 "constraint_name": c.name, "check_clause": _check_clause(cat, t, c)})
        for i, col in enumerate(t.columns):
            if col.not_null:
                rows.append({"constraint_catalog": db, "constraint_schema": t.schema,
                                 "constraint_name": _not_null_name(cat, t, i + 1),
                                 "check_clause": f"{col.name} IS NOT NULL"})
    return rows


def _unique_key_of(cat: Catalog, fk: Any) -> Any:
    """The PRIMARY KEY/UNIQUE constraint a foreign key references (same columns)."""
    ref = cat.tables.get(fk.ref_table)
    if ref is None:
        return None, None
    for c in pgc.constraints_of(cat, ref):
        if c.type in ("p", "u") and sorted(c.columns) == sorted(fk.ref_columns):
            return ref, c
    return ref, None


def _key_column_usage(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for c in pgc.constraints_of(cat, t):
            if c.type not in ("p", "u", "f"):
                continue
            unique = _unique_key_of(cat, c)[1] if c.type == "f" else None
            for pos, col in enumerate(c.columns):
                in_unique = None
                if c.type == "f" and unique is not None:
                    in_unique = unique.columns.index(c.ref_columns[pos]) + 1
                rows.append({"constraint_catalog": db, "constraint_schema": t.schema,
                                 "constraint_name": c.name, "table_catalog": db, "table_schema": t.schema,
                                 "table_name": t.name, "column_name": t.columns[col].name,
                                 "ordinal_position": pos + 1,
                                 "position_in_unique_constraint": in_unique})
    return rows


_RULES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _referential_constraints(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for c in pgc.constraints_of(cat, t):
            if c.type != "f":
                continue
            ref, unique = _unique_key_of(cat, c)
            rows.append({"constraint_catalog": db, "constraint_schema": t.schema,
                             "constraint_name": c.name, "unique_constraint_catalog": db,
                             "unique_constraint_schema": ref.schema if ref is not None else None,
                             "unique_constraint_name": unique.name if unique is not None else None,
                             "match_option": "FULL" if c.match == "f" else "NONE",
                             "update_rule": _RULES.get(c.on_update, "NO ACTION"),
                             "delete_rule": _RULES.get(c.on_delete, "NO ACTION")})
    return rows


def _constraint_column_usage(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    """Columns a constraint uses: its own for p/u/c, the referenced ones for a foreign key."""
    import re

    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for c in pgc.constraints_of(cat, t):
            if c.type == "f":
                owner = cat.tables.get(c.ref_table)
                cols = list(c.ref_columns)
            elif c.type == "c":
                owner = t
                words = set(re.findall(r'"([^"]+)"|([A-Za-z_][A-Za-z0-9_$]*)', c.check or ""))
                names = {a or b for a, b in words}
                cols = [i for i, col in enumerate(t.columns) if col.name in names]
            else:
                owner, cols = t, list(c.columns)
            if owner is None:
                continue
            for p in sorted(set(cols)):
                rows.append({"table_catalog": db, "table_schema": owner.schema,
                                 "table_name": owner.name, "column_name": owner.columns[p].name,
                                 "constraint_catalog": db, "constraint_schema": t.schema,
                                 "constraint_name": c.name})
    return rows


def _constraint_table_usage(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for c in pgc.constraints_of(cat, t):
            owner = cat.tables.get(c.ref_table) if c.type == "f" else t
            if owner is not None:
                rows.append({"table_catalog": db, "table_schema": owner.schema,
                                 "table_name": owner.name, "constraint_catalog": db,
                                 "constraint_schema": t.schema, "constraint_name": c.name})
    return rows


def _enabled_roles(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role_name": n} for n in (info.get("users") or ["omendb"])]


def _character_sets(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"character_set_name": "UTF8", "character_repertoire": "UCS", "form_of_use": "UTF8",
                 "default_collate_catalog": _db(info), "default_collate_schema": "pg_catalog",
                 "default_collate_name": "C"}]


def _element_types(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per array-typed column: its element type (psql/ORMs reflect array columns)."""
    db = _db(info)
    rows = []
    for t in cat.tables.values():
        for i, c in enumerate(t.columns):
            ti = pgc.type_info(cat, c.type.oid)
            if ti is None or ti.category != "A" or not ti.elem:
                continue
            dt, udt_schema, udt_name = data_type(cat, ti.elem)
            rows.append({"object_catalog": db, "object_schema": t.schema, "object_name": t.name,
                             "object_type": "TABLE", "collection_type_identifier": str(i + 1),
                             "data_type": dt, "udt_catalog": db, "udt_schema": udt_schema,
                             "udt_name": udt_name, "dtd_identifier": "a"})
    return rows


def _table_privileges(cat: Catalog, info: dict[str, Any]) -> list[dict[str, Any]]:
    db = _db(info)
    owner = (info.get("users") or ["omendb"])[0]
    rows = []
    for t in cat.tables.values():
        for p in ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            rows.append({"grantor": owner, "grantee": owner, "table_catalog": db, "table_schema": t.schema,
                             "table_name": t.name, "privilege_type": p, "is_grantable": "YES",
                             "with_hierarchy": "YES" if p == "SELECT" else "NO"})
    return rows


_DICT_PRODUCERS: dict[str, DictProducer] = {
    "tables": _tables, "columns": _columns, "schemata": _schemata, "views": _views,
    "sequences": _sequences, "table_constraints": _table_constraints,
    "check_constraints": _check_constraints, "key_column_usage": _key_column_usage,
    "referential_constraints": _referential_constraints,
    "constraint_column_usage": _constraint_column_usage,
    "constraint_table_usage": _constraint_table_usage, "enabled_roles": _enabled_roles,
    "applicable_roles": lambda cat, info: [], "character_sets": _character_sets,
    "element_types": _element_types, "table_privileges": _table_privileges,
}


def _shaped(columns: list[str], producer: DictProducer) -> pgc.Producer:
    def produce(cat: Catalog, info: dict[str, Any]) -> list[Row]:
        return [tuple(row.get(c) for c in columns) for row in producer(cat, info)]

    return produce


def _build() -> dict[str, tuple[pgc.Columns, pgc.Producer]]:
    rels: dict[str, tuple[pgc.Columns, pgc.Producer]] = {}
    for name, spec in INFORMATION_SCHEMA_COLUMNS.items():
        cols = pgc._columns(spec)
        producer = _DICT_PRODUCERS.get(name)
        rels[name] = (cols, _shaped([c for c, _ in cols], producer) if producer else pgc._empty)
    return rels


#: information_schema view name → (columns, producer), scanned like pg_catalog relations.
RELATIONS: dict[str, tuple[pgc.Columns, pgc.Producer]] = _build()
