"""The catalog's objects and their JSON form (stored in RocksDB with each DDL commit)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, DataType

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

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.oid,
            "typmod": self.typmod,
            "not_null": self.not_null,
            "default": self.default,
            "identity": self.identity,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Column":
        return cls(
            name=d["name"],
            type=TYPES_BY_OID[d["type"]],
            typmod=d["typmod"],
            not_null=d["not_null"],
            default=d["default"],
            identity=d.get("identity", ""),
        )


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
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Table":
        return cls(
            oid=d["oid"],
            name=d["name"],
            schema=d["schema"],
            columns=[Column.from_json(c) for c in d["columns"]],
            primary_key=list(d["primary_key"]),
            pk_name=d.get("pk_name"),
            pk_index_oid=d.get("pk_index_oid", 0),
            rowtype_oid=d.get("rowtype_oid", 0),
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

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Index":
        return cls(**d)


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

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["owned_by"] = list(self.owned_by) if self.owned_by else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Sequence":
        d = dict(d)
        d["owned_by"] = tuple(d["owned_by"]) if d.get("owned_by") else None
        return cls(**d)


@dataclass
class Catalog:
    """All schema objects of one database. Copy-on-write per DDL transaction."""

    tables: dict[int, Table] = field(default_factory=dict)
    sequences: dict[int, Sequence] = field(default_factory=dict)
    indexes: dict[int, Index] = field(default_factory=dict)
    schemas: dict[str, int] = field(
        default_factory=lambda: {"public": PUBLIC_NAMESPACE_OID}
    )
    next_oid: int = FIRST_USER_OID
    #: Bumped by every DDL commit; plan caches key on it.
    version: int = 0

    def copy(self) -> "Catalog":
        return copy.deepcopy(self)

    def allocate_oid(self) -> int:
        oid = self.next_oid
        self.next_oid += 1
        return oid

    # -- lookups ---------------------------------------------------------------
    def find_table(self, name: str, schema: str | None = None) -> Table | None:
        for table in self.tables.values():
            if table.name == name and (schema is None or table.schema == schema):
                return table
        return None

    def get_table(self, name: str, schema: str | None = None) -> Table:
        table = self.find_table(name, schema)
        if table is None:
            raise errors.UndefinedTable(f'relation "{name}" does not exist')
        return table

    def find_sequence(self, name: str, schema: str | None = None) -> Sequence | None:
        for seq in self.sequences.values():
            if seq.name == name and (schema is None or seq.schema == schema):
                return seq
        return None

    def indexes_of(self, table_oid: int) -> list[Index]:
        return [i for i in self.indexes.values() if i.table_oid == table_oid]

    def find_index(self, name: str) -> Index | None:
        for index in self.indexes.values():
            if index.name == name:
                return index
        return None

    def relation_name_taken(self, name: str, schema: str) -> bool:
        if self.find_table(name, schema) or self.find_sequence(name, schema):
            return True
        if self.find_index(name) is not None:
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
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Catalog":
        cat = cls()
        cat.tables = {t["oid"]: Table.from_json(t) for t in d["tables"]}
        cat.sequences = {s["oid"]: Sequence.from_json(s) for s in d["sequences"]}
        cat.indexes = {i["oid"]: Index.from_json(i) for i in d.get("indexes", [])}
        cat.schemas = dict(d["schemas"])
        cat.next_oid = d["next_oid"]
        cat.version = d["version"]
        return cat
