"""SQLAlchemy Core on ``omendb://`` (the sqlalchemy_omendb dialect over psycopg)."""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sqlalchemy_omendb import OmenDBDialect_psycopg


def test_dialect_is_registered_under_omendb_names():
    for url in ("omendb://u:p@127.0.0.1:1/db", "omendb+psycopg://u:p@127.0.0.1:1/db"):
        engine = sa.create_engine(url)
        assert isinstance(engine.dialect, OmenDBDialect_psycopg)
        assert (engine.dialect.name, engine.dialect.driver) == ("omendb", "psycopg")
        engine.dispose()


def test_dialect_options_with_omendb_prefix_are_accepted():
    md = sa.MetaData()
    t = sa.Table("opts", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.String(10)))
    ix = sa.Index("ix_opts_s", t.c.s, omendb_using="btree", postgresql_using="btree")
    assert ix.dialect_options["omendb"]["using"] == "btree"
    with pytest.raises(sa.exc.ArgumentError):  # validated against PostgreSQL's option list
        sa.Index("ix_bad", t.c.s, omendb_not_an_option=1)
    ddl = str(sa.schema.CreateIndex(ix).compile(dialect=OmenDBDialect_psycopg()))
    assert ddl == "CREATE INDEX ix_opts_s ON opts USING btree (s)"


@pytest.fixture
def engine(omendb_server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "dialect does not support caching"
        eng = sa.create_engine(omendb_server.url)
    yield eng
    eng.dispose()


def test_connect_and_server_version(engine):
    with engine.connect() as c:
        assert c.execute(sa.text("select 1 + :x"), {"x": 41}).scalar() == 42
        assert engine.dialect.server_version_info[0] == 15


def test_core_create_insert_select(engine, table_name):
    md = sa.MetaData()
    items = sa.Table(
        table_name, md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("in_stock", sa.Boolean, server_default=sa.true()),
        sa.Column("added", sa.DateTime),
    )
    md.create_all(engine)
    try:
        with engine.begin() as c:
            result = c.execute(items.insert().values(name="widget", price=Decimal("9.99"), added=dt.datetime(2024, 1, 2, 3, 4, 5)))
            assert result.inserted_primary_key == (1,)
            c.execute(
                items.insert(),
                [{"name": f"gadget{i}", "price": Decimal(i), "in_stock": i % 2 == 0} for i in range(1, 6)],
            )
        with engine.connect() as c:
            rows = c.execute(
                sa.select(items.c.id, items.c.name, items.c.price)
                .where(items.c.price > 2, items.c.in_stock.is_(True))
                .order_by(items.c.price.desc())
            ).all()
            assert [tuple(r) for r in rows] == [(1, "widget", Decimal("9.99")), (5, "gadget4", Decimal("4.00"))]
            widget = c.execute(sa.select(items).where(items.c.name == "widget")).one()
            assert widget.price == Decimal("9.99") and widget.in_stock is True
            assert widget.added == dt.datetime(2024, 1, 2, 3, 4, 5)
            total = c.execute(sa.select(sa.func.count(), sa.func.sum(items.c.price)).select_from(items)).one()
            assert tuple(total) == (6, Decimal("24.99"))
        with engine.begin() as c:
            assert c.execute(items.update().where(items.c.id > 3).values(price=items.c.price + 1)).rowcount == 3
            assert c.execute(items.delete().where(items.c.name == "gadget1")).rowcount == 1
        with engine.connect() as c:
            assert c.execute(sa.select(items.c.id).order_by(items.c.id)).scalars().all() == [1, 3, 4, 5, 6]
        assert sa.inspect(engine).has_table(table_name)
    finally:
        md.drop_all(engine)
    assert not sa.inspect(engine).has_table(table_name)
