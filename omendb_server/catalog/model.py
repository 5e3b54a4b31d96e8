"""The catalog's objects and their JSON form (stored in RocksDB with each DDL commit)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, DataType

#: The schemas unqualified names resolve in, for the statement being planned on this
#: thread (the session sets it from its search_path before planning; plan caches key
#: on it). Names not found along the path fall back to any schema.
SEARCH_PATH: ContextVar[tuple[str, ...]] = ContextVar("search_path", default=("public",))


@lru_cache(maxsize=64)
def parse_search_path(raw: str, user: str = "") -> tuple[str, ...]:
    """'"$user", public' → ('<user>', 'public')."""
    out = []
    for part in raw.split(","):
        name = part.strip()
        if name.startswith('"') and name.endswith('"'):
            name = name[1:-1]
        else:
            name = name.lower()
        if name == "$user":
            name = user
        if name:
            out.append(name)
    return tuple(out)


def set_search_path(raw: str, user: str = "") -> tuple[str, ...]:
    path = parse_search_path(raw, user)
    if SEARCH_PATH.get() != path:
        SEARCH_PATH.set(path)
    return path


#: PostgreSQL hands out user OIDs from here (FirstNormalObjectId); tools that
#: treat OIDs below it as "system" behave the same with OmenDB.
FIRST_USER_OID = 16384
PUBLIC_NAMESPACE_OID = 2200
PG_CATALOG_NAMESPACE_OID = 11
INFORMATION_SCHEMA_NAMESPACE_OID = 13000


@dataclass
class Column:
    name: str
    type: DataType
    typmod: int = -1
    not_null: bool = False
    #: SQL text of the DEFAULT expression (as PostgreSQL's pg_get_expr would show it).
    default: str | None = None
    #: 'a' (ALWAYS), 'd' (BY DEFAULT) for identity columns, '' otherwise.
    identity: str = ""
    #: 's' for GENERATED ALWAYS AS (expr) STORED (pg_attribute.attgenerated), '' otherwise;
    #: the generation expression's text is then in ``default`` (pg_attrdef holds it, as in PG).
    generated: str = ""
    #: The DEFAULT / generation expression as the engine compiles it (``default`` is the
    #: display text pg_get_expr shows); None means ``default`` itself.
    default_src: str | None = None
    #: pg_collation OID of an explicit COLLATE clause; 0 = the type's default collation.
    collation: int = 0

    @property
    def default_expr(self) -> str | None:
        """Text to compile for the column's DEFAULT or generation expression."""
        return self.default_src or self.default

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.oid,
            "typmod": self.typmod,
            "not_null": self.not_null,
            "default": self.default,
            "identity": self.identity,
            "generated": self.generated,
            "default_src": self.default_src,
            "collation": self.collation,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Column:
        return cls(
            name=d["name"],
            type=TYPES_BY_OID[d["type"]],
            typmod=d["typmod"],
            not_null=d["not_null"],
            default=d["default"],
            identity=d.get("identity", ""),
            generated=d.get("generated", ""),
            default_src=d.get("default_src"),
            collation=d.get("collation", 0),
        )


#: PostgreSQL's pg_constraint.confdeltype / confupdtype codes.
FK_ACTIONS = {"NO ACTION": "a", "RESTRICT": "r", "CASCADE": "c", "SET NULL": "n",
              "SET DEFAULT": "d"}
FK_ACTION_NAMES = {v: k for k, v in FK_ACTIONS.items()}


@dataclass
class Constraint:
    """A CHECK ('c') or FOREIGN KEY ('f') constraint stored on its table.

    PRIMARY KEY and UNIQUE constraints live on ``Table``/``Index`` (they own an
    index); ``Catalog.constraints_of`` returns all four kinds in this one shape so
    pg_constraint / information_schema are built from a single list."""

    name: str
    #: pg_constraint.contype: 'c' check, 'f' foreign key, 'p' primary key, 'u' unique.
    type: str
    #: 0-based positions of the constrained columns in the table (conkey - 1).
    columns: list[int] = field(default_factory=list)
    #: CHECK: the expression's SQL text, without the surrounding CHECK (...).
    check: str | None = None
    #: FOREIGN KEY: referenced table OID and its column positions (confkey - 1).
    ref_table: int = 0
    ref_columns: list[int] = field(default_factory=list)
    #: FOREIGN KEY actions, pg_constraint codes (see FK_ACTIONS).
    on_delete: str = "a"
    on_update: str = "a"
    #: 's' MATCH SIMPLE, 'f' MATCH FULL.
    match: str = "s"
    oid: int = 0
    #: 'p'/'u': OID of the index enforcing it; 'f': OID of the referenced key's index.
    index_oid: int = 0
    deferrable: bool = False
    deferred: bool = False
    #: CHECK as pg_get_constraintdef prints it inside CHECK (...) (``check`` is the text
    #: the engine compiles).
    check_display: str | None = None
    #: The same for pg_get_constraintdef(oid, true) (psql's \d).
    check_pretty: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Constraint:
        return cls(**d)

    def definition(self, table: Table, catalog: Catalog, pretty: bool = False) -> str:
        """pg_get_constraintdef(oid[, pretty]) text (identifiers quoted as PostgreSQL does)."""
        from omendb_server.catalog.pg_catalog import quote_ident

        def names(t: Table, cols: list[int]) -> str:
            return ", ".join(quote_ident(t.columns[i].name) for i in cols)

        if self.type == "c":
            body = self.check_pretty if pretty else self.check_display
            if body is None:
                from omendb_server.catalog.deparse import check_text, columns_of

                body = check_text(self.check or "true", columns_of(table), pretty)
            return f"CHECK ({body})"
        if self.type == "p":
            return f"PRIMARY KEY ({names(table, self.columns)})"
        if self.type == "u":
            return f"UNIQUE ({names(table, self.columns)})"
        ref = catalog.tables.get(self.ref_table)
        ref_name = quote_ident(ref.name) if ref is not None else str(self.ref_table)
        if ref is not None and ref.schema != "public":
            ref_name = f"{quote_ident(ref.schema)}.{ref_name}"
        text = (f"FOREIGN KEY ({names(table, self.columns)}) REFERENCES {ref_name}"
                f"({names(ref, self.ref_columns) if ref is not None else ''})")
        if self.match == "f":
            text += " MATCH FULL"
        if self.on_update != "a":
            text += f" ON UPDATE {FK_ACTION_NAMES[self.on_update]}"
        if self.on_delete != "a":
            text += f" ON DELETE {FK_ACTION_NAMES[self.on_delete]}"
        if self.deferrable:
            text += " DEFERRABLE"
            if self.deferred:
                text += " INITIALLY DEFERRED"
        return text


@dataclass
class Table:
    oid: int
    name: str
    schema: str
    columns: list[Column]
    #: Positions (0-based) of the primary-key columns, empty if none.
    primary_key: list[int] = field(default_factory=list)
    pk_name: str | None = None
    #: OID of the implicit index backing the primary key (pg_index / pg_class row).
    pk_index_oid: int = 0
    #: OID of the composite row type PostgreSQL creates with every table.
    rowtype_oid: int = 0
    #: CHECK and FOREIGN KEY constraints (PRIMARY KEY/UNIQUE: see Catalog.constraints_of).
    constraints: list[Constraint] = field(default_factory=list)
    #: OID of the PRIMARY KEY's pg_constraint row.
    pk_constraint_oid: int = 0
    #: For a materialized view: its defining query (REFRESH re-runs it); None for tables.
    matview: str | None = None
    #: CREATE TEMPORARY TABLE: pg_class.relpersistence 't', dropped when its session ends.
    temporary: bool = False
    #: The backend pid of the session a temporary relation belongs to (0: not known). Other
    #: sessions do not see it as visible (pg_table_is_visible), as PostgreSQL's pg_temp_N.
    temp_owner: int = 0

    def find_constraint(self, name: str) -> Constraint | None:
        for con in self.constraints:
            if con.name == name:
                return con
        return None

    def column_index(self, name: str) -> int:
        for i, col in enumerate(self.columns):
            if col.name == name:
                return i
        raise errors.UndefinedColumn(
            f'column "{name}" of relation "{self.name}" does not exist'
        )

    def find_column(self, name: str) -> int | None:
        for i, col in enumerate(self.columns):
            if col.name == name:
                return i
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "oid": self.oid,
            "name": self.name,
            "schema": self.schema,
            "columns": [c.to_json() for c in self.columns],
            "primary_key": self.primary_key,
            "pk_name": self.pk_name,
            "pk_index_oid": self.pk_index_oid,
            "rowtype_oid": self.rowtype_oid,
            "constraints": [c.to_json() for c in self.constraints],
            "pk_constraint_oid": self.pk_constraint_oid,
            "matview": self.matview,
            "temporary": self.temporary,
            "temp_owner": self.temp_owner,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Table:
        return cls(
            oid=d["oid"],
            name=d["name"],
            schema=d["schema"],
            columns=[Column.from_json(c) for c in d["columns"]],
            primary_key=list(d["primary_key"]),
            pk_name=d.get("pk_name"),
            pk_index_oid=d.get("pk_index_oid", 0),
            rowtype_oid=d.get("rowtype_oid", 0),
            constraints=[Constraint.from_json(c) for c in d.get("constraints", [])],
            pk_constraint_oid=d.get("pk_constraint_oid", 0),
            matview=d.get("matview"),
            temporary=d.get("temporary", False),
            temp_owner=d.get("temp_owner", 0),
        )


@dataclass
class Index:
    """A secondary index (CREATE [UNIQUE] INDEX, or a UNIQUE constraint's index)."""

    oid: int
    name: str
    table_oid: int
    #: Positions (0-based) of the indexed columns in the table.
    columns: list[int]
    unique: bool = False
    #: True when it backs a UNIQUE constraint (pg_constraint row, dropped with it).
    constraint: bool = False
    #: OID of that UNIQUE constraint's pg_constraint row (0 when not a constraint).
    constraint_oid: int = 0
    #: INCLUDE (...) columns: stored in the index, not part of its key (pg_index.indkey
    #: lists them after the key columns; indnkeyatts counts only the key).
    include: list[int] = field(default_factory=list)
    #: Key elements that are expressions: position in the key → the expression's SQL text
    #: (compiled for keys, deparsed for pg_get_indexdef). ``columns`` holds -1 there
    #: (pg_index.indkey 0).
    exprs: dict[int, str] = field(default_factory=dict)
    #: Type OID of each expression key element (pg_attribute.atttypid of the index column).
    expr_types: dict[int, int] = field(default_factory=dict)
    #: Partial index: the WHERE predicate's SQL text, None if none.
    where: str | None = None

    @property
    def plain(self) -> bool:
        """Key made of columns only and no predicate: usable for lookups by column values
        (an expression or partial index is not: its key set differs from the rows')."""
        return not self.exprs and self.where is None

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["exprs"] = [[k, v] for k, v in self.exprs.items()]
        d["expr_types"] = [[k, v] for k, v in self.expr_types.items()]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Index:
        d = dict(d)
        d["exprs"] = {int(k): v for k, v in d.get("exprs", [])}
        d["expr_types"] = {int(k): v for k, v in d.get("expr_types", [])}
        return cls(**d)


#: Compiles the key function of an expression / partial index: (catalog, index) → values →
#: key tuple or None (row not indexed). Set by the SQL layer (sql/index_keys.py), which
#: compiles expressions; the catalog and transaction layers below it cannot.
INDEX_KEY_BUILDER: list[Callable[[Catalog, Index], Callable[[tuple[Any, ...]], Any]]] = []


def index_key_function(catalog: Catalog, index: Index
                       ) -> Callable[[tuple[Any, ...]], Any] | None:
    """None for a plain column index (the storage layer picks its columns itself)."""
    if index.plain:
        return None
    if not INDEX_KEY_BUILDER:
        raise RuntimeError("expression/partial index keys need omendb_server.sql loaded")
    return INDEX_KEY_BUILDER[0](catalog, index)


@dataclass
class View:
    """CREATE VIEW: the planner expands ``sql`` (pg_get_viewdef text) where it is named."""

    oid: int
    name: str
    schema: str
    #: The defining query's SQL text, as pg_views.definition shows it.
    sql: str
    #: Output columns (name, type, typmod) as of creation (pg_attribute rows).
    columns: list[Column] = field(default_factory=list)
    rowtype_oid: int = 0
    #: pg_get_viewdef(oid) / pg_get_viewdef(oid, true) text as PostgreSQL prints it
    #: (None when the query's shape is not printed yet: fall back to ``sql``).
    definition: str | None = None
    definition_pretty: str | None = None
    #: CREATE TEMPORARY VIEW: pg_class.relpersistence 't', dropped when its session ends.
    temporary: bool = False
    #: See Table.temp_owner.
    temp_owner: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"oid": self.oid, "name": self.name, "schema": self.schema, "sql": self.sql,
                "columns": [c.to_json() for c in self.columns], "rowtype_oid": self.rowtype_oid,
                "definition": self.definition, "definition_pretty": self.definition_pretty,
                "temporary": self.temporary, "temp_owner": self.temp_owner}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> View:
        return cls(oid=d["oid"], name=d["name"], schema=d["schema"], sql=d["sql"],
                   columns=[Column.from_json(c) for c in d["columns"]],
                   rowtype_oid=d.get("rowtype_oid", 0), definition=d.get("definition"),
                   definition_pretty=d.get("definition_pretty"),
                   temporary=d.get("temporary", False), temp_owner=d.get("temp_owner", 0))


@dataclass
class EnumType:
    """CREATE TYPE name AS ENUM (...): pg_type (typtype 'e') + pg_enum rows."""

    oid: int
    name: str
    schema: str
    labels: list[str]
    #: pg_enum.oid of each label, parallel to ``labels`` (sort order = list order).
    label_oids: list[int] = field(default_factory=list)
    array_oid: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EnumType:
        return cls(**d)

    def datatype(self) -> DataType:
        """The (registered) DataType columns of this enum carry."""
        from omendb_server.catalog.enums import enum_datatype

        return enum_datatype(self.oid, self.name, self.labels, self.array_oid)


@dataclass
class Sequence:
    oid: int
    name: str
    schema: str
    type_oid: int = 20
    start: int = 1
    increment: int = 1
    min_value: int = 1
    max_value: int = 2**63 - 1
    #: (table oid, column name) for serial/identity sequences, dropped with the table.
    owned_by: tuple[int, str] | None = None
    cycle: bool = False
    cache: int = 1

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["owned_by"] = list(self.owned_by) if self.owned_by else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Sequence:
        d = dict(d)
        d["owned_by"] = tuple(d["owned_by"]) if d.get("owned_by") else None
        return cls(**d)

    @property
    def type_name(self) -> str:
        return {21: "smallint", 23: "integer"}.get(self.type_oid, "bigint")


@dataclass
class Catalog:
    """All schema objects of one database. Copy-on-write per DDL transaction."""

    tables: dict[int, Table] = field(default_factory=dict)
    sequences: dict[int, Sequence] = field(default_factory=dict)
    indexes: dict[int, Index] = field(default_factory=dict)
    schemas: dict[str, int] = field(
        default_factory=lambda: {"public": PUBLIC_NAMESPACE_OID}
    )
    views: dict[int, View] = field(default_factory=dict)
    enums: dict[int, EnumType] = field(default_factory=dict)
    #: COMMENT ON: (object oid, sub id) → text; sub id is the 1-based column number for
    #: COMMENT ON COLUMN, 0 otherwise (pg_description.objoid / objsubid).
    comments: dict[tuple[int, int], str] = field(default_factory=dict)
    next_oid: int = FIRST_USER_OID
    #: Bumped by every DDL commit; plan caches key on it.
    version: int = 0

    def copy(self) -> Catalog:
        return copy.deepcopy(self)

    def allocate_oid(self) -> int:
        oid = self.next_oid
        self.next_oid += 1
        return oid

    # -- lookups ---------------------------------------------------------------
    def find_table(self, name: str, schema: str | None = None) -> Table | None:
        if schema is None:
            return self._along_path(self.tables, name)
        for table in self.tables.values():
            if table.name == name and table.schema == schema:
                return table
        return None

    @staticmethod
    def _along_path(objects: dict[int, Any], name: str) -> Any:
        """Unqualified lookup: the first search_path schema holding ``name``; a name only
        other schemas hold is not found (PostgreSQL: 42P01)."""
        hits = [o for o in objects.values() if o.name == name]
        for schema in SEARCH_PATH.get():
            for o in hits:
                if o.schema == schema:
                    return o
        return None

    def get_table(self, name: str, schema: str | None = None) -> Table:
        table = self.find_table(name, schema)
        if table is None:
            raise errors.UndefinedTable(f'relation "{name}" does not exist')
        return table

    def find_sequence(self, name: str, schema: str | None = None) -> Sequence | None:
        if schema is None:
            return self._along_path(self.sequences, name)
        for seq in self.sequences.values():
            if seq.name == name and seq.schema == schema:
                return seq
        return None

    def find_view(self, name: str, schema: str | None = None) -> View | None:
        if schema is None:
            return self._along_path(self.views, name)
        for view in self.views.values():
            if view.name == name and view.schema == schema:
                return view
        return None

    def find_enum(self, name: str, schema: str | None = None) -> EnumType | None:
        if schema is None:
            return self._along_path(self.enums, name)
        for enum in self.enums.values():
            if enum.name == name and enum.schema == schema:
                return enum
        return None

    def schema_oid(self, name: str) -> int | None:
        return self.schemas.get(name)

    def schema_name(self, oid: int) -> str | None:
        for name, s_oid in self.schemas.items():
            if s_oid == oid:
                return name
        return None

    def constraints_of(self, table: Table) -> list[Constraint]:
        """Every constraint of ``table`` (p, u, c, f) in PostgreSQL's shape, for
        pg_constraint / information_schema; PK/UNIQUE entries are synthesized."""
        out: list[Constraint] = []
        if table.primary_key and table.pk_name:
            out.append(Constraint(table.pk_name, "p", list(table.primary_key),
                                  oid=table.pk_constraint_oid or table.pk_index_oid,
                                  index_oid=table.pk_index_oid))
        for index in self.indexes_of(table.oid):
            if index.constraint:
                out.append(Constraint(index.name, "u", list(index.columns),
                                      oid=index.constraint_oid or index.oid, index_oid=index.oid))
        out.extend(table.constraints)
        return out

    def referencing_fks(self, table_oid: int) -> list[tuple[Table, Constraint]]:
        """Foreign keys (of any table) that reference ``table_oid``."""
        return [(t, c) for t in self.tables.values() for c in t.constraints
                if c.type == "f" and c.ref_table == table_oid]

    def indexes_of(self, table_oid: int) -> list[Index]:
        return [i for i in self.indexes.values() if i.table_oid == table_oid]

    def index_schema(self, index: Index) -> str:
        table = self.tables.get(index.table_oid)
        return table.schema if table is not None else "public"

    def find_index(self, name: str, schema: str | None = None) -> Index | None:
        """An index lives in its table's schema, so two schemas may each have an index of
        the same name (SQLAlchemy's reflection suite relies on it). Unqualified: the first
        search_path schema that has one."""
        hits = [i for i in self.indexes.values() if i.name == name]
        if schema is not None:
            return next((i for i in hits if self.index_schema(i) == schema), None)
        for path_schema in SEARCH_PATH.get():
            for index in hits:
                if self.index_schema(index) == path_schema:
                    return index
        return None

    def relation_name_taken(self, name: str, schema: str) -> bool:
        if self.find_table(name, schema) or self.find_sequence(name, schema):
            return True
        if self.find_view(name, schema) is not None:
            return True
        if self.find_index(name, schema) is not None:
            return True
        return any(
            t.pk_name == name and t.schema == schema for t in self.tables.values()
        )

    # -- persistence -----------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "tables": [t.to_json() for t in self.tables.values()],
            "sequences": [s.to_json() for s in self.sequences.values()],
            "indexes": [i.to_json() for i in self.indexes.values()],
            "schemas": self.schemas,
            "next_oid": self.next_oid,
            "version": self.version,
            "views": [v.to_json() for v in self.views.values()],
            "enums": [e.to_json() for e in self.enums.values()],
            "comments": [[o, s, t] for (o, s), t in self.comments.items()],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Catalog:
        cat = cls()
        cat.enums = {e["oid"]: EnumType.from_json(e) for e in d.get("enums", [])}
        for enum in cat.enums.values():
            enum.datatype()  # registered before columns look their type up
        cat.tables = {t["oid"]: Table.from_json(t) for t in d["tables"]}
        cat.sequences = {s["oid"]: Sequence.from_json(s) for s in d["sequences"]}
        cat.indexes = {i["oid"]: Index.from_json(i) for i in d.get("indexes", [])}
        cat.schemas = dict(d["schemas"])
        cat.next_oid = d["next_oid"]
        cat.version = d["version"]
        cat.views = {v["oid"]: View.from_json(v) for v in d.get("views", [])}
        cat.comments = {(o, s): t for o, s, t in d.get("comments", [])}
        return cat
