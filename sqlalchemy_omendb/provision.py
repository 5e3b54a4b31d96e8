"""Provisioning hooks SQLAlchemy's test plugin loads for the omendb dialect.

``Dialect.load_provisioning`` imports ``<dialect package>.provision``; the functions here
are PostgreSQL's (sqlalchemy/dialects/postgresql/provision.py) registered for the backend
name ``omendb``, with two differences: CREATE DATABASE copies no template (OmenDB creates
empty databases only), and no extensions (citext, hstore) are created.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import provision as _pg  # noqa: F401 - registers PG's hooks
from sqlalchemy.testing.provision import (
    create_db,
    drop_all_schema_objects_post_tables,
    drop_all_schema_objects_pre_tables,
    drop_db,
    prepare_for_drop_tables,
    set_default_schema_on_connection,
    temp_table_keyword_args,
    upsert,
)

#: Schemas SQLAlchemy's and Alembic's suites expect in the test database.
TEST_SCHEMAS = ("test_schema", "test_schema_2")


@create_db.for_db("omendb")
def _create_db(cfg: Any, eng: Any, ident: str) -> None:
    with eng.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident}")
    url = eng.url.set(database=ident)
    from sqlalchemy import create_engine

    new = create_engine(url)
    try:
        create_test_schemas(new)
    finally:
        new.dispose()


def create_test_schemas(eng: Any) -> None:
    with eng.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        for schema in TEST_SCHEMAS:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")


@drop_db.for_db("omendb")
def _drop_db(cfg: Any, eng: Any, ident: str) -> None:
    with eng.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {ident} WITH (FORCE)"))


# PostgreSQL's own hooks (``for_db`` returns the registry, not the function: look them up).
for _hook in (temp_table_keyword_args, set_default_schema_on_connection,
              drop_all_schema_objects_pre_tables, drop_all_schema_objects_post_tables,
              prepare_for_drop_tables, upsert):
    if "postgresql" in _hook.fns:
        _hook.for_db("omendb")(_hook.fns["postgresql"])
