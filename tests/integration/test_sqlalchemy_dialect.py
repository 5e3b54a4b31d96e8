"""The omendb dialects themselves: names, ``omendb_*`` options, reflection keys, async, Alembic.

SQLAlchemy keys dialect options by dialect name, so ``omendb_where`` must change the DDL
the omendb dialect emits (and reach the server), and reflection through this dialect must
report options as ``omendb_*``. These run against the live server.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from sqlalchemy_omendb import OmenDBDialect_psycopg, OmenDBDialectAsync_psycopg


@pytest.fixture
def engine(omendb_server):
    eng = sa.create_engine(omendb_server.url)
    yield eng
    eng.dispose()


def test_three_urls_pick_the_omendb_dialects():
    for url, cls in (("omendb://u:p@h/db", OmenDBDialect_psycopg),
                     ("omendb+psycopg://u:p@h/db", OmenDBDialect_psycopg),
                     ("omendb+psycopg_async://u:p@h/db", OmenDBDialectAsync_psycopg)):
        dialect_cls = sa.engine.make_url(url).get_dialect()
        assert dialect_cls is cls
        assert dialect_cls.name == "omendb"


def test_omendb_options_shape_the_ddl():
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Integer), sa.Column("b", sa.Integer))
    ix = sa.Index("ix_t_a", t.c.a, omendb_where=t.c.b > 0, omendb_include=["b"],
                  omendb_using="btree")
    ddl = str(sa.schema.CreateIndex(ix).compile(dialect=OmenDBDialect_psycopg()))
    assert ddl == "CREATE INDEX ix_t_a ON t USING btree (a) INCLUDE (b) WHERE b > 0"
    # the same Index compiled for PostgreSQL ignores omendb_* options, and vice versa
    from sqlalchemy.dialects import postgresql

    assert str(sa.schema.CreateIndex(ix).compile(dialect=postgresql.dialect())) == \
        "CREATE INDEX ix_t_a ON t (a)"
    # postgresql_* still works on omendb (models shared with PostgreSQL)
    ix2 = sa.Index("ix_t_b", t.c.b, postgresql_where=t.c.a > 1)
    assert str(sa.schema.CreateIndex(ix2).compile(dialect=OmenDBDialect_psycopg())) == \
        "CREATE INDEX ix_t_b ON t (b) WHERE a > 1"
    # and the options are not left behind on the construct
    assert ix.dialect_options["postgresql"]["where"] is None
    # table- and constraint-level options too
    ck = sa.CheckConstraint("a > 0", name="ck_a", omendb_not_valid=True)
    t2 = sa.Table("t2", sa.MetaData(), sa.Column("a", sa.Integer), ck,
                  omendb_with={"fillfactor": 50})
    ddl = str(sa.schema.CreateTable(t2).compile(dialect=OmenDBDialect_psycopg()))
    assert "CONSTRAINT ck_a CHECK (a > 0) NOT VALID" in ddl
    assert ddl.rstrip().endswith("WITH (fillfactor = 50)")


def test_reflection_reports_options_under_omendb(engine, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(100)))
    sa.Index(f"ix_{table_name}_email", t.c.email)
    md.create_all(engine)
    try:
        indexes = sa.inspect(engine).get_indexes(table_name)
        assert [i["name"] for i in indexes] == [f"ix_{table_name}_email"]
        options = indexes[0].get("dialect_options", {})
        assert options == {"omendb_include": []}  # PostgreSQL reports {"postgresql_include": []}
        reflected = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
        (ix,) = reflected.indexes
        assert ix.dialect_options["omendb"]["include"] == []
    finally:
        md.drop_all(engine)


def test_partial_index_reaches_the_server_and_reflects_as_omendb(engine, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(100)), sa.Column("active", sa.Boolean))
    sa.Index(f"ix_{table_name}_email", t.c.email, unique=True, omendb_where=t.c.active)
    md.create_all(engine)
    try:
        with engine.begin() as c:
            c.execute(t.insert(), [{"id": 1, "email": "a@x", "active": False},
                                   {"id": 2, "email": "a@x", "active": True}])
            # a duplicate among active rows violates the partial unique index
            with pytest.raises(sa.exc.IntegrityError), c.begin_nested():
                c.execute(t.insert(), {"id": 3, "email": "a@x", "active": True})
        indexes = sa.inspect(engine).get_indexes(table_name)
        assert [i["name"] for i in indexes] == [f"ix_{table_name}_email"]
        options = indexes[0].get("dialect_options", {})
        assert not any(k.startswith("postgresql_") for k in options), options
        assert "active" in str(options.get("omendb_where", ""))
    finally:
        md.drop_all(engine)


def test_server_version_detection(engine):
    with engine.connect():
        pass
    assert engine.dialect.server_version_info[:1] == (15,)
    assert engine.dialect.omendb_version_info is not None
    assert len(engine.dialect.omendb_version_info) == 3


def test_async_engine(omendb_server, table_name):
    url = omendb_server.url.replace("omendb://", "omendb+psycopg_async://", 1)
    assert url.startswith("omendb+psycopg_async://")

    async def main() -> list[tuple[int, str]]:
        eng = create_async_engine(url)
        try:
            async with eng.begin() as c:
                await c.execute(sa.text(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)"))
                await c.execute(sa.text(f"INSERT INTO {table_name} VALUES (1, 'async')"))
            async with eng.connect() as c:
                rows = (await c.execute(sa.text(f"SELECT id, v FROM {table_name}"))).all()
            async with eng.begin() as c:
                await c.execute(sa.text(f"DROP TABLE {table_name}"))
            return [tuple(r) for r in rows]
        finally:
            await eng.dispose()

    assert asyncio.run(main()) == [(1, "async")]


def test_alembic_impl_and_provision_are_registered():
    from alembic.ddl.impl import DefaultImpl

    from sqlalchemy_omendb import alembic_impl, provision

    assert DefaultImpl.get_by_dialect(OmenDBDialect_psycopg()) is alembic_impl.OmenDBImpl
    from sqlalchemy.testing.provision import create_db, temp_table_keyword_args

    assert "omendb" in create_db.fns
    assert temp_table_keyword_args.fns["omendb"] is temp_table_keyword_args.fns["postgresql"]
    assert provision.TEST_SCHEMAS == ("test_schema", "test_schema_2")


def test_provision_creates_and_drops_a_test_database(engine, unique_name):
    """What SQLAlchemy's test plugin does for each xdist worker (create_db / drop_db)."""
    from sqlalchemy.testing.provision import create_db, drop_db

    ident = unique_name("prov")
    create_db.fns["omendb"](None, engine, ident)
    try:
        other = sa.create_engine(engine.url.set(database=ident))
        try:
            schemas = set(sa.inspect(other).get_schema_names())
            assert {"public", "test_schema", "test_schema_2"} <= schemas
        finally:
            other.dispose()
    finally:
        drop_db.fns["omendb"](None, engine, ident)
    with engine.connect() as c:
        names = c.exec_driver_sql("SELECT datname FROM pg_database").scalars().all()
    assert ident not in names
