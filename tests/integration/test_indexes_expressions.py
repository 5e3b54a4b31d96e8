"""Expression and partial indexes: catalog rows, pg_get_indexdef, and enforced uniqueness.

Expected texts are what PostgreSQL 15 prints for the same statements (run against a
PostgreSQL 15.18 cluster; the tables here use text/int columns, where OmenDB's deparser
prints exactly PostgreSQL's text — for varchar columns PostgreSQL adds ``::text`` casts
OmenDB does not print yet, see docs/compatibility.md)."""

from __future__ import annotations

import pytest
from psycopg import errors as pge


@pytest.fixture
def t(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, name text, x int, "
                 "deleted_at timestamp)")
    conn.commit()
    return table_name


def _indexes(conn, table):
    return conn.execute(
        "SELECT c.relname, i.indkey::text, pg_get_expr(i.indexprs, i.indrelid), "
        "pg_get_expr(i.indpred, i.indrelid), pg_get_expr(i.indpred, i.indrelid, true), "
        "pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 0, true), "
        "i.indnatts, i.indnkeyatts FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY c.relname",
        (table,)).fetchall()


def test_expression_index_catalog_rows(conn, t):
    conn.execute(f"CREATE INDEX ON {t} (lower(name))")
    conn.execute(f"CREATE INDEX ON {t} ((x + 1), (name || 'a'))")
    conn.execute(f"CREATE INDEX ON {t} ((x))")
    conn.commit()
    assert _indexes(conn, t) == [
        (f"{t}_expr_expr1_idx", "0 0", "(x + 1), (name || 'a'::text)", None, None,
         (f"CREATE INDEX {t}_expr_expr1_idx ON public.{t} USING btree (((x + 1)), "
         "((name || 'a'::text)))"),
         f"CREATE INDEX {t}_expr_expr1_idx ON {t} USING btree ((x + 1), (name || 'a'::text))",
         2, 2),
        (f"{t}_lower_idx", "0", "lower(name)", None, None,
         f"CREATE INDEX {t}_lower_idx ON public.{t} USING btree (lower(name))",
         f"CREATE INDEX {t}_lower_idx ON {t} USING btree (lower(name))", 1, 1),
        # ((x)) is the column itself
        (f"{t}_x_idx", "3", None, None, None,
         f"CREATE INDEX {t}_x_idx ON public.{t} USING btree (x)",
         f"CREATE INDEX {t}_x_idx ON {t} USING btree (x)", 1, 1),
    ]
    # each key element as SQLAlchemy's reflection asks for it, and the index's columns
    idx = f"{t}_expr_expr1_idx"
    assert conn.execute("SELECT pg_get_indexdef(%s::regclass, 1, true), "
                        "pg_get_indexdef(%s::regclass, 1, false), "
                        "pg_get_indexdef(%s::regclass, 2, true)", (idx, idx, idx)).fetchone() \
        == ("(x + 1)", "((x + 1))", "(name || 'a'::text)")
    assert conn.execute(
        "SELECT attname, atttypid::regtype::text FROM pg_attribute WHERE attrelid = "
        "%s::regclass ORDER BY attnum", (idx,)).fetchall() == [("expr", "integer"),
                                                              ("expr1", "text")]


def test_partial_and_covering_index_catalog_rows(conn, t):
    conn.execute(f"CREATE INDEX ON {t} (x) WHERE name IS NOT NULL AND x > 3")
    conn.execute(f"CREATE INDEX ON {t} (x) INCLUDE (id)")
    conn.commit()
    assert _indexes(conn, t) == [
        (f"{t}_x_id_idx", "3 1", None, None, None,
         f"CREATE INDEX {t}_x_id_idx ON public.{t} USING btree (x) INCLUDE (id)",
         f"CREATE INDEX {t}_x_id_idx ON {t} USING btree (x) INCLUDE (id)", 2, 1),
        (f"{t}_x_idx", "3", None, "((name IS NOT NULL) AND (x > 3))",
         "name IS NOT NULL AND x > 3",
         (f"CREATE INDEX {t}_x_idx ON public.{t} USING btree (x) WHERE ((name IS NOT NULL) "
         "AND (x > 3))"),
         f"CREATE INDEX {t}_x_idx ON {t} USING btree (x) WHERE name IS NOT NULL AND x > 3",
         1, 1),
    ]


def test_unique_expression_index_enforced(conn, t):
    conn.execute(f"CREATE UNIQUE INDEX {t}_lname ON {t} (lower(name))")
    conn.execute(f"INSERT INTO {t} (id, name) VALUES (1, 'Ann'), (2, NULL), (3, NULL)")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {t} (id, name) VALUES (4, 'ANN')")
    assert str(exc.value).startswith(f'duplicate key value violates unique constraint "{t}_lname"')
    assert exc.value.diag.message_detail == "Key (lower(name))=(ann) already exists."
    assert exc.value.diag.constraint_name == f"{t}_lname"
    conn.rollback()
    with pytest.raises(pge.UniqueViolation):  # an UPDATE into a taken key
        conn.execute(f"UPDATE {t} SET name = 'aNN' WHERE id = 2")
    conn.rollback()
    conn.execute(f"UPDATE {t} SET name = 'ann' WHERE id = 1")  # its own key: fine
    conn.commit()


def test_unique_partial_index_soft_delete(conn, t):
    """The application pattern: one live row per name, any number of deleted ones."""
    conn.execute(f"CREATE UNIQUE INDEX {t}_live ON {t} (name) WHERE deleted_at IS NULL")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'a', 1, '2024-01-01'), (2, 'a', 1, '2024-01-02'),"
                 " (3, 'a', 1, NULL)")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {t} VALUES (4, 'a', 1, NULL)")
    assert exc.value.diag.message_detail == "Key (name)=(a) already exists."
    conn.rollback()
    # soft-deleting the live row frees the name
    conn.execute(f"UPDATE {t} SET deleted_at = '2024-02-01' WHERE id = 3")
    conn.execute(f"INSERT INTO {t} VALUES (4, 'a', 1, NULL)")
    conn.commit()
    # a lookup by the indexed column still sees rows outside the predicate
    assert conn.execute(f"SELECT count(*) FROM {t} WHERE name = 'a'").fetchone() == (4,)
    # ON CONFLICT names the partial index through its predicate
    conn.execute(f"INSERT INTO {t} VALUES (5, 'a', 2, NULL) "
                 "ON CONFLICT (name) WHERE deleted_at IS NULL DO NOTHING")
    assert conn.execute(f"SELECT count(*) FROM {t}").fetchone() == (4,)
    conn.commit()


def test_create_unique_index_over_duplicates(conn, t):
    conn.execute(f"INSERT INTO {t} (id, name, x) VALUES (1, 'x', 1), (2, 'X', 9)")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"CREATE UNIQUE INDEX {t}_u ON {t} (lower(name))")
    assert str(exc.value).startswith(f'could not create unique index "{t}_u"')
    assert exc.value.diag.message_detail == "Key (lower(name))=(x) is duplicated."
    conn.rollback()
    # the duplicates lie outside the predicate: fine
    conn.execute(f"CREATE UNIQUE INDEX {t}_u ON {t} (lower(name)) WHERE x > 5")
    conn.commit()


def test_volatile_function_in_index_refused(conn, t):
    with pytest.raises(pge.InvalidObjectDefinition) as exc:
        conn.execute(f"CREATE UNIQUE INDEX ON {t} (id) WHERE now() IS NOT NULL")
    assert str(exc.value).startswith("functions in index predicate must be marked IMMUTABLE")
    conn.rollback()


def test_expression_index_follows_column_rename(conn, t):
    conn.execute(f"CREATE UNIQUE INDEX {t}_lname ON {t} (lower(name)) WHERE x > 0")
    conn.execute(f"INSERT INTO {t} (id, name, x) VALUES (1, 'Ann', 1)")
    conn.execute(f"ALTER TABLE {t} RENAME COLUMN name TO nm")
    conn.commit()
    assert conn.execute("SELECT pg_get_indexdef(%s::regclass)", (f"{t}_lname",)).fetchone()[0] \
        == f"CREATE UNIQUE INDEX {t}_lname ON public.{t} USING btree (lower(nm)) WHERE (x > 0)"
    with pytest.raises(pge.UniqueViolation):
        conn.execute(f"INSERT INTO {t} (id, nm, x) VALUES (2, 'ANN', 5)")
    conn.rollback()
    conn.execute(f"INSERT INTO {t} (id, nm, x) VALUES (2, 'ANN', 0)")  # outside the predicate
    conn.commit()


def test_unique_expression_index_enforced_after_restart(fresh_server):
    """Recovery rebuilds the index from the catalog: the key function comes back with it."""
    with fresh_server.connect(autocommit=True) as c:
        c.execute("CREATE TABLE u (id int PRIMARY KEY, email text, deleted_at timestamp)")
        c.execute("CREATE UNIQUE INDEX u_email ON u (lower(email)) WHERE deleted_at IS NULL")
        c.execute("INSERT INTO u VALUES (1, 'A@x', NULL), (2, 'a@X', '2024-01-01')")
    fresh_server.restart()
    with fresh_server.connect(autocommit=True) as c:
        with pytest.raises(pge.UniqueViolation) as exc:
            c.execute("INSERT INTO u VALUES (3, 'a@x', NULL)")
        assert exc.value.diag.message_detail == "Key (lower(email))=(a@x) already exists."
        c.execute("INSERT INTO u VALUES (3, 'a@x', '2024-01-02')")
        c.execute("CHECKPOINT")
    fresh_server.restart()
    with fresh_server.connect(autocommit=True) as c:
        with pytest.raises(pge.UniqueViolation):
            c.execute("INSERT INTO u VALUES (4, 'A@X', NULL)")
        assert c.execute("SELECT count(*) FROM u").fetchone() == (3,)


def test_coalesce_index_prints_every_operand(conn, table_name):
    """PostgreSQL 15: COALESCE(x, 'abc'::character varying), constants typed as the first
    operand (SQLAlchemy's expression-index reflection test looks for the constant)."""
    conn.execute(f"CREATE TABLE {table_name} (x varchar(30), n int)")
    conn.execute(f"CREATE INDEX {table_name}_c ON {table_name} (coalesce(x, 'abc'))")
    conn.execute(f"CREATE INDEX {table_name}_n ON {table_name} (coalesce(n, 1, 2))")
    conn.commit()
    assert conn.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass "
        "ORDER BY indexrelid", (table_name,)).fetchall() == [
        ((f"CREATE INDEX {table_name}_c ON public.{table_name} USING btree "
         "(COALESCE(x, 'abc'::character varying))"),),
        (f"CREATE INDEX {table_name}_n ON public.{table_name} USING btree (COALESCE(n, 1, 2))",)]
