"""Schemas, qualified names and search_path inside one database, as PostgreSQL 15 has them.

The other half of "databases and schemas" (test_databases.py has CREATE/DROP DATABASE).
Each test uses its own schema names on the shared server; expectations were checked
against a PostgreSQL 15 cluster (OMENDB_TEST_TARGET_DSN).
"""

from __future__ import annotations

import pytest
from psycopg import errors as pgerr


@pytest.fixture
def schema(omendb_server, unique_name):
    name = unique_name("s")
    yield name
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def c(omendb_server):
    with omendb_server.connect(autocommit=True) as conn:
        yield conn


def test_create_schema_errors_and_if_not_exists(c, schema):
    c.execute(f"CREATE SCHEMA {schema}")
    with pytest.raises(pgerr.DuplicateSchema, match=f'schema "{schema}" already exists'):
        c.execute(f"CREATE SCHEMA {schema}")
    assert c.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}").statusmessage == "CREATE SCHEMA"
    with pytest.raises(pgerr.InvalidSchemaName, match=f'schema "{schema}_x" does not exist'):
        c.execute(f"CREATE TABLE {schema}_x.t (id int)")


def test_qualified_names_and_search_path(c, schema):
    c.execute(f"CREATE SCHEMA {schema}")
    c.execute(f"CREATE TABLE {schema}.t (id int PRIMARY KEY)")
    c.execute(f"INSERT INTO {schema}.t VALUES (1)")
    c.execute(f"SET search_path = {schema}, public")
    assert c.execute("SHOW search_path").fetchone() == (f"{schema}, public",)
    assert c.execute("SELECT current_schema()").fetchone() == (schema,)
    assert c.execute("SELECT current_schemas(false)").fetchone() == ([schema, "public"],)
    assert c.execute("SELECT id FROM t").fetchall() == [(1,)]
    c.execute("CREATE TABLE t2 (id int)")  # created in the first schema of the path
    assert c.execute("SELECT table_schema FROM information_schema.tables "
                     "WHERE table_name = 't2' AND table_schema = %s", (schema,)).fetchall() \
        == [(schema,)]


def test_no_schema_selected(c, schema):
    c.execute(f"SET search_path = {schema}")  # does not exist: allowed, like PostgreSQL
    assert c.execute("SELECT current_schema()").fetchone() == (None,)
    with pytest.raises(pgerr.InvalidSchemaName, match="no schema has been selected to create in"):
        c.execute("CREATE TABLE t3 (id int)")


def test_drop_schema_restrict_and_cascade(c, schema):
    c.execute(f"CREATE SCHEMA {schema}")
    c.execute(f"CREATE TABLE {schema}.t (id int)")
    with pytest.raises(pgerr.DependentObjectsStillExist,
                       match=f"cannot drop schema {schema} because other objects depend on it"):
        c.execute(f"DROP SCHEMA {schema}")
    c.execute(f"DROP SCHEMA {schema} CASCADE")
    with pytest.raises(pgerr.InvalidSchemaName, match=f'schema "{schema}" does not exist'):
        c.execute(f"DROP SCHEMA {schema}")
    assert c.execute(f"DROP SCHEMA IF EXISTS {schema}").statusmessage == "DROP SCHEMA"


def test_quoted_schema_names(c, unique_name):
    name = unique_name("Mixed Case")
    c.execute(f'CREATE SCHEMA "{name}"')
    c.execute(f'CREATE TABLE "{name}".x (id int)')
    c.execute(f'INSERT INTO "{name}".x VALUES (5)')
    assert c.execute(f'SELECT id FROM "{name}".x').fetchall() == [(5,)]
    c.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_unqualified_name_outside_search_path_is_not_found(c, schema):
    c.execute(f"CREATE SCHEMA {schema}")
    c.execute(f"CREATE TABLE {schema}.only_here_t (id int)")
    with pytest.raises(pgerr.UndefinedTable, match='relation "only_here_t" does not exist'):
        c.execute("SELECT * FROM only_here_t")


@pytest.mark.xfail(strict=True, reason="CREATE SCHEMA with schema elements (CREATE SCHEMA s "
                   "CREATE TABLE ...) is not parsed yet (42601)")
def test_create_schema_with_elements(c, schema):
    c.execute(f"CREATE SCHEMA {schema} CREATE TABLE inner_t (id int)")
    assert c.execute(f"SELECT count(*) FROM {schema}.inner_t").fetchone() == (0,)


def test_alter_schema_rename(c, schema):
    c.execute(f"CREATE SCHEMA {schema}")
    c.execute(f"CREATE TABLE {schema}.t (id int)")
    c.execute(f"ALTER SCHEMA {schema} RENAME TO {schema}_r")
    try:
        assert c.execute(f"SELECT count(*) FROM {schema}_r.t").fetchone() == (0,)
    finally:
        c.execute(f"DROP SCHEMA IF EXISTS {schema}_r CASCADE")
