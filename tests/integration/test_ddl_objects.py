"""Transactional DDL: ALTER TABLE forms, sequences, views, schemas, enum types, COMMENT ON,
checked against PostgreSQL 15's behaviour and messages."""

from __future__ import annotations

import pytest
from psycopg import errors as pge


def test_add_and_drop_column_rewrites_rows(conn, unique_name):
    t = unique_name("t")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int, b text)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 10, 'x'), (2, 20, 'y')")
    conn.commit()
    conn.execute(f"ALTER TABLE {t} ADD COLUMN c int DEFAULT 5")
    assert conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() == [
        (1, 10, "x", 5), (2, 20, "y", 5)]
    with pytest.raises(pge.NotNullViolation):
        conn.execute(f"ALTER TABLE {t} ADD COLUMN d int NOT NULL")
    conn.rollback()
    conn.execute(f"ALTER TABLE {t} ADD COLUMN c int DEFAULT 5")
    conn.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS c int")
    conn.execute(f"ALTER TABLE {t} DROP COLUMN a")
    conn.commit()
    assert conn.execute(f"SELECT * FROM {t} WHERE id = 2").fetchall() == [(2, "y", 5)]
    conn.execute(f"INSERT INTO {t} VALUES (3, 'z')")
    assert conn.execute(f"SELECT id, b, c FROM {t} ORDER BY id").fetchall() == [
        (1, "x", 5), (2, "y", 5), (3, "z", 5)]
    with pytest.raises(pge.UndefinedColumn):
        conn.execute(f"ALTER TABLE {t} DROP COLUMN nope")
    conn.rollback()
    conn.execute(f"ALTER TABLE {t} DROP COLUMN IF EXISTS nope")
    conn.commit()


def test_ddl_rolls_back(conn, unique_name):
    t = unique_name("t")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int, b text)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 10, 'x')")
    conn.commit()
    conn.execute(f"ALTER TABLE {t} DROP COLUMN a")
    conn.execute(f"ALTER TABLE {t} RENAME TO {t}_new")
    conn.rollback()
    assert conn.execute(f"SELECT * FROM {t} WHERE id = 1").fetchall() == [(1, 10, "x")]
    conn.execute(f"INSERT INTO {t} VALUES (2, 20, 'y')")
    conn.commit()


def test_alter_column_forms(conn, unique_name):
    t = unique_name("t")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int, b text)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 10, '123'), (2, NULL, '7')")
    conn.commit()
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN a TYPE bigint")
    with pytest.raises(pge.DatatypeMismatch):
        conn.execute(f"ALTER TABLE {t} ALTER COLUMN b TYPE int")
    conn.rollback()
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN b TYPE int USING b::int")
    assert conn.execute(f"SELECT b + 1 FROM {t} ORDER BY id").fetchall() == [(124,), (8,)]
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN a SET DEFAULT 99")
    conn.execute(f"INSERT INTO {t} (id, b) VALUES (3, 0)")
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN a DROP DEFAULT")
    conn.execute(f"INSERT INTO {t} (id, b) VALUES (4, 0)")
    assert conn.execute(f"SELECT a FROM {t} WHERE id IN (3, 4) ORDER BY id").fetchall() == [
        (99,), (None,)]
    with pytest.raises(pge.NotNullViolation) as exc:
        conn.execute(f"ALTER TABLE {t} ALTER COLUMN a SET NOT NULL")
    assert exc.value.diag.message_primary == (
        f'column "a" of relation "{t}" contains null values')
    conn.rollback()
    conn.execute(f"DELETE FROM {t} WHERE a IS NULL")
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN a SET NOT NULL")
    with pytest.raises(pge.NotNullViolation):
        conn.execute(f"INSERT INTO {t} (id) VALUES (9)")
    conn.rollback()


def test_constraints_added_renamed_dropped(conn, unique_name):
    t, c = unique_name("t"), unique_name("c")
    conn.execute(f"CREATE TABLE {t} (id int, a int)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 5)")
    conn.execute(f"ALTER TABLE {t} ADD PRIMARY KEY (id)")
    conn.execute(f"ALTER TABLE {t} ADD CHECK (a > 0)")
    with pytest.raises(pge.CheckViolation) as exc:
        conn.execute(f"ALTER TABLE {t} ADD CONSTRAINT big CHECK (a > 100)")
    assert exc.value.diag.message_primary == (
        f'check constraint "big" of relation "{t}" is violated by some row')
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int CHECK (a > 0))")
    conn.execute(f"ALTER TABLE {t} RENAME CONSTRAINT {t}_a_check TO positive")
    with pytest.raises(pge.CheckViolation) as exc:
        conn.execute(f"INSERT INTO {t} VALUES (1, -1)")
    assert exc.value.diag.constraint_name == "positive"
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int CHECK (a > 0))")
    conn.execute(f"CREATE TABLE {c} (x int)")
    conn.execute(f"ALTER TABLE {c} ADD FOREIGN KEY (x) REFERENCES {t}")
    with pytest.raises(pge.ForeignKeyViolation):
        conn.execute(f"INSERT INTO {c} VALUES (1)")
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int CHECK (a > 0))")
    conn.execute(f"CREATE TABLE {c} (x int REFERENCES {t})")
    with pytest.raises(pge.DependentObjectsStillExist):
        conn.execute(f"ALTER TABLE {t} DROP CONSTRAINT {t}_pkey")
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int CHECK (a > 0))")
    conn.execute(f"ALTER TABLE {t} DROP CONSTRAINT {t}_a_check")
    conn.execute(f"INSERT INTO {t} VALUES (1, -1)")
    with pytest.raises(pge.UndefinedObject):
        conn.execute(f"ALTER TABLE {t} DROP CONSTRAINT nope")
    conn.rollback()


def test_rename_table_and_column(conn, unique_name):
    t = unique_name("t")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int CHECK (a > 0))")
    conn.execute(f"ALTER TABLE {t} RENAME COLUMN a TO b")
    conn.execute(f"ALTER TABLE {t} RENAME TO {t}_2")
    conn.execute(f"INSERT INTO {t}_2 (id, b) VALUES (1, 1)")
    with pytest.raises(pge.CheckViolation):
        conn.execute(f"INSERT INTO {t}_2 (id, b) VALUES (2, -1)")
    conn.rollback()
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"ALTER TABLE {t}_nope RENAME TO x")
    conn.rollback()
    conn.execute(f"ALTER TABLE IF EXISTS {t}_nope RENAME TO x")
    conn.commit()


def test_sequences(conn, unique_name):
    s = unique_name("s")
    conn.execute(f"CREATE SEQUENCE {s} START WITH 10 INCREMENT BY 5")
    assert conn.execute(f"SELECT nextval('{s}'), nextval('{s}')").fetchone() == (10, 15)
    assert conn.execute(f"SELECT currval('{s}')").fetchone() == (15,)
    conn.execute(f"SELECT setval('{s}', 100)")
    assert conn.execute(f"SELECT nextval('{s}')").fetchone() == (105,)
    conn.execute(f"ALTER SEQUENCE {s} RESTART WITH 1")
    assert conn.execute(f"SELECT nextval('{s}')").fetchone() == (1,)
    with pytest.raises(pge.DuplicateTable):
        conn.execute(f"CREATE SEQUENCE {s}")
    conn.rollback()
    conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {s}")
    conn.commit()
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"DROP SEQUENCE {s}, {s}_nope")
    conn.rollback()
    conn.execute(f"DROP SEQUENCE IF EXISTS {s}, {s}_nope")
    conn.commit()
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"SELECT nextval('{s}')")
    conn.rollback()


def test_views(conn, unique_name):
    t, v = unique_name("t"), unique_name("v")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, name text)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'b')")
    conn.commit()
    conn.execute(f"CREATE VIEW {v} AS SELECT id, upper(name) AS uname FROM {t} WHERE id > 1")
    assert conn.execute(f"SELECT * FROM {v}").fetchall() == [(2, "B")]
    assert conn.execute(f"SELECT x.uname FROM {v} AS x").fetchall() == [("B",)]
    conn.execute(f"CREATE OR REPLACE VIEW {v} AS SELECT id, upper(name) AS uname, 1 AS one "
                 f"FROM {t}")
    assert conn.execute(f"SELECT count(*) FROM {v}").fetchone() == (2,)
    with pytest.raises(pge.InvalidTableDefinition):
        conn.execute(f"CREATE OR REPLACE VIEW {v} AS SELECT id FROM {t}")
    conn.rollback()
    conn.execute(f"CREATE VIEW {v} AS SELECT id FROM {t}")
    with pytest.raises(pge.DependentObjectsStillExist):
        conn.execute(f"DROP TABLE {t}")
    conn.rollback()
    conn.execute(f"CREATE VIEW {v} AS SELECT id FROM {t}")
    conn.execute(f"DROP TABLE {t} CASCADE")
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"SELECT * FROM {v}")
    conn.rollback()
    conn.execute(f"CREATE VIEW {v} AS SELECT id FROM {t}")
    conn.execute(f"DROP VIEW {v}")
    conn.execute(f"DROP VIEW IF EXISTS {v}")
    conn.commit()


def test_schemas_and_qualified_names(conn, unique_name):
    s = unique_name("sch")
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
    with pytest.raises(pge.DuplicateSchema):
        conn.execute(f"CREATE SCHEMA {s}")
    conn.rollback()
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE TABLE {s}.items (id serial PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {s}.items (v) VALUES ('a')")
    assert conn.execute(f"SELECT id, v FROM {s}.items").fetchall() == [(1, "a")]
    with pytest.raises(pge.InvalidSchemaName):
        conn.execute(f"CREATE TABLE {s}_nope.items (id int)")
    conn.rollback()
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"SET search_path TO {s}, public")
    conn.execute("CREATE TABLE in_path_table (id int)")
    conn.execute(f"INSERT INTO {s}.in_path_table VALUES (1)")
    conn.execute("RESET search_path")
    with pytest.raises(pge.DependentObjectsStillExist):
        conn.execute(f"DROP SCHEMA {s}")
    conn.rollback()
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE TABLE {s}.x (id int)")
    conn.execute(f"DROP SCHEMA {s} CASCADE")
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"SELECT * FROM {s}.x")
    conn.rollback()
    conn.execute(f"DROP SCHEMA IF EXISTS {s}")
    with pytest.raises(pge.InvalidSchemaName):
        conn.execute(f"DROP SCHEMA {s}")
    conn.rollback()


def test_enum_type_ddl_and_comments(conn, unique_name):
    e, t = unique_name("mood"), unique_name("t")
    conn.execute(f"CREATE TYPE {e} AS ENUM ('sad', 'ok', 'happy')")
    with pytest.raises(pge.DuplicateObject):
        conn.execute(f"CREATE TYPE {e} AS ENUM ('x')")
    conn.rollback()
    conn.execute(f"CREATE TYPE {e} AS ENUM ('sad', 'ok', 'happy')")
    conn.execute(f"DROP TYPE {e}")
    with pytest.raises(pge.UndefinedObject):
        conn.execute(f"DROP TYPE {e}")
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int, note text)")
    conn.execute(f"COMMENT ON TABLE {t} IS 'the table'")
    conn.execute(f"COMMENT ON COLUMN {t}.note IS 'a note'")
    conn.execute(f"COMMENT ON COLUMN {t}.note IS NULL")
    with pytest.raises(pge.UndefinedColumn):
        conn.execute(f"COMMENT ON COLUMN {t}.nope IS 'x'")
    conn.rollback()


def test_schema_changes_survive_restart(fresh_server):
    c = fresh_server.connect(autocommit=True)
    c.execute("CREATE SCHEMA app")
    c.execute("CREATE TABLE app.t (id int PRIMARY KEY, a int, b text)")
    c.execute("INSERT INTO app.t VALUES (1, 10, 'x'), (2, 20, 'y')")
    c.execute("ALTER TABLE app.t DROP COLUMN a")
    c.execute("ALTER TABLE app.t ADD COLUMN c int DEFAULT 7")
    c.execute("CREATE SEQUENCE app.s START 50")
    c.execute("SELECT nextval('app.s')")
    c.execute("CREATE VIEW app.v AS SELECT id, c FROM app.t")
    c.execute("COMMENT ON TABLE app.t IS 'kept'")
    c.close()
    fresh_server.restart()
    c = fresh_server.connect(autocommit=True)
    assert c.execute("SELECT * FROM app.t WHERE id = 2").fetchall() == [(2, "y", 7)]
    assert c.execute("SELECT * FROM app.t ORDER BY id").fetchall() == [(1, "x", 7), (2, "y", 7)]
    assert c.execute("SELECT nextval('app.s')").fetchone() == (51,)
    with pytest.raises(pge.UniqueViolation):
        c.execute("INSERT INTO app.t VALUES (1, 'dup', 0)")
    c.execute("CHECKPOINT")
    c.close()
    fresh_server.restart()
    c = fresh_server.connect(autocommit=True)
    assert c.execute("SELECT count(*) FROM app.t").fetchone() == (2,)
    c.close()


def test_savepoint_rolls_back_alter_table(conn, unique_name):
    t = unique_name("t")
    conn.execute(f"CREATE TABLE {t} (a int, id int, b text)")
    conn.execute(f"INSERT INTO {t} VALUES (10, 1, 'x'), (20, 2, 'y')")
    conn.commit()
    conn.execute("SAVEPOINT s1")
    conn.execute(f"ALTER TABLE {t} ADD PRIMARY KEY (id)")
    conn.execute(f"ALTER TABLE {t} DROP COLUMN a")
    assert conn.execute(f"SELECT * FROM {t} WHERE id = 2").fetchall() == [(2, "y")]
    conn.execute("ROLLBACK TO SAVEPOINT s1")
    assert conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() == [
        (10, 1, "x"), (20, 2, "y")]
    conn.execute(f"INSERT INTO {t} VALUES (30, 1, 'dup ok: no key any more')")
    conn.execute(f"ALTER TABLE {t} ADD UNIQUE (b)")
    conn.rollback()
    conn.execute(f"INSERT INTO {t} VALUES (30, 3, 'x')")
    assert conn.execute(f"SELECT count(*) FROM {t} WHERE b = 'x'").fetchone() == (2,)
    conn.commit()


def test_enum_columns(conn, unique_name):
    e, t = unique_name("mood"), unique_name("t")
    conn.execute(f"CREATE TYPE {e} AS ENUM ('sad', 'ok', 'happy')")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, m {e})")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'happy'), (2, 'sad'), (3, 'ok'), (4, NULL)")
    with pytest.raises(pge.InvalidTextRepresentation) as exc:
        conn.execute(f"INSERT INTO {t} VALUES (5, 'meh')")
    assert exc.value.diag.message_primary == f'invalid input value for enum {e}: "meh"'
    conn.rollback()
    conn.execute(f"CREATE TYPE {e} AS ENUM ('sad', 'ok', 'happy')")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, m {e})")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'happy'), (2, 'sad'), (3, 'ok'), (4, NULL)")
    conn.commit()
    # enums sort by declaration order, not alphabetically
    assert conn.execute(f"SELECT id FROM {t} ORDER BY m").fetchall() == [(2,), (3,), (1,), (4,)]
    assert conn.execute(f"SELECT id FROM {t} WHERE m > 'sad' ORDER BY id").fetchall() == [
        (1,), (3,)]
    assert conn.execute(f"SELECT max(m), min(m) FROM {t}").fetchone() == ("happy", "sad")
    assert conn.execute(f"SELECT m::text FROM {t} WHERE m = 'ok'").fetchone() == ("ok",)
    with pytest.raises(pge.DependentObjectsStillExist):
        conn.execute(f"DROP TYPE {e}")
    conn.rollback()


def test_search_path_resolves_unqualified_names(conn, unique_name):
    s, t = unique_name("sp"), unique_name("t")
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE TABLE {s}.{t} (v text)")
    conn.execute(f"CREATE TABLE {t} (v text)")
    conn.execute(f"INSERT INTO {s}.{t} VALUES ('schema')")
    conn.execute(f"INSERT INTO {t} VALUES ('public')")
    conn.commit()
    assert conn.execute(f"SELECT v FROM {t}").fetchall() == [("public",)]
    conn.execute(f"SET search_path TO {s}, public")
    assert conn.execute(f"SELECT v FROM {t}").fetchall() == [("schema",)]
    conn.execute(f"INSERT INTO {t} VALUES ('schema 2')")
    conn.execute(f"CREATE TABLE {t}_new (x int)")
    conn.execute("RESET search_path")
    assert conn.execute(f"SELECT count(*) FROM {s}.{t}").fetchone() == (2,)
    assert conn.execute(f"SELECT count(*) FROM {s}.{t}_new").fetchone() == (0,)
    assert conn.execute(f"SELECT v FROM {t}").fetchall() == [("public",)]
    conn.commit()


def test_sequence_bounds_cycle_and_descending(conn, unique_name):
    a, d, c = unique_name("sa"), unique_name("sd"), unique_name("sc")
    conn.execute(f"CREATE SEQUENCE {a} MAXVALUE 2")
    assert conn.execute(f"SELECT nextval('{a}'), nextval('{a}')").fetchone() == (1, 2)
    with pytest.raises(pge.SequenceGeneratorLimitExceeded) as exc:
        conn.execute(f"SELECT nextval('{a}')")
    assert exc.value.diag.message_primary == (
        f'nextval: reached maximum value of sequence "{a}" (2)')
    conn.rollback()
    conn.execute(f"CREATE SEQUENCE {d} INCREMENT -1 MINVALUE -2 MAXVALUE 0")
    assert conn.execute(f"SELECT nextval('{d}'), nextval('{d}'), nextval('{d}')").fetchone() == (
        0, -1, -2)
    with pytest.raises(pge.SequenceGeneratorLimitExceeded):
        conn.execute(f"SELECT nextval('{d}')")
    conn.rollback()
    conn.execute(f"CREATE SEQUENCE {c} MAXVALUE 2 CYCLE")
    assert conn.execute(f"SELECT nextval('{c}'), nextval('{c}'), nextval('{c}')").fetchone() == (
        1, 2, 1)
    with pytest.raises(pge.NumericValueOutOfRange):
        conn.execute(f"SELECT setval('{c}', 5)")
    conn.rollback()
    conn.execute(f"CREATE SEQUENCE {c} MAXVALUE 2 CYCLE")
    assert conn.execute(f"SELECT setval('{c}', 2, false), nextval('{c}')").fetchone() == (2, 2)
    conn.rollback()


def test_alter_type_and_renames(conn, unique_name):
    e, t, v, s = unique_name("st"), unique_name("t"), unique_name("v"), unique_name("seq")
    conn.execute(f"CREATE TYPE {e} AS ENUM ('a', 'b')")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, s {e})")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'b')")
    conn.commit()
    conn.execute(f"ALTER TYPE {e} ADD VALUE 'c'")
    with pytest.raises(pge.DuplicateObject):
        conn.execute(f"ALTER TYPE {e} ADD VALUE 'c'")
    conn.rollback()
    conn.execute(f"ALTER TYPE {e} ADD VALUE IF NOT EXISTS 'c'")
    conn.execute(f"ALTER TYPE {e} ADD VALUE 'a0' BEFORE 'b'")
    with pytest.raises(pge.InvalidParameterValue):
        conn.execute(f"ALTER TYPE {e} ADD VALUE 'z' AFTER 'nope'")
    conn.rollback()
    conn.execute(f"ALTER TYPE {e} ADD VALUE 'c'")
    conn.execute(f"ALTER TYPE {e} ADD VALUE 'a0' BEFORE 'b'")
    conn.commit()
    conn.execute(f"INSERT INTO {t} VALUES (3, 'c'), (4, 'a0')")
    assert conn.execute(f"SELECT id FROM {t} ORDER BY s").fetchall() == [(1,), (4,), (2,), (3,)]
    conn.execute(f"ALTER TYPE {e} RENAME VALUE 'a' TO 'aa'")
    assert conn.execute(f"SELECT s FROM {t} WHERE id = 1").fetchone() == ("aa",)
    assert conn.execute(
        f"SELECT enumlabel FROM pg_enum WHERE enumtypid = '{e}'::regtype "
        "ORDER BY enumsortorder").fetchall() == [("aa",), ("a0",), ("b",), ("c",)]
    conn.execute(f"ALTER TABLE {t} OWNER TO CURRENT_USER".replace("CURRENT_USER", "omendb"))
    conn.execute(f"ALTER INDEX {t}_pkey RENAME TO {t}_pk")
    conn.execute(f"CREATE VIEW {v} AS SELECT id FROM {t}")
    conn.execute(f"ALTER VIEW {v} RENAME TO {v}_2")
    assert conn.execute(f"SELECT count(*) FROM {v}_2").fetchone() == (4,)
    conn.execute(f"CREATE SEQUENCE {s}")
    conn.execute(f"ALTER SEQUENCE {s} RENAME TO {s}_2")
    assert conn.execute(f"SELECT nextval('{s}_2')").fetchone() == (1,)
    conn.commit()


def test_writers_wait_for_uncommitted_alter_table(omendb_server, unique_name):
    """A concurrent INSERT/UPDATE waits while ALTER TABLE rewrites the rows (PostgreSQL's
    ACCESS EXCLUSIVE lock) and then writes rows of the new shape."""
    import threading
    import time

    t = unique_name("cc")
    a = omendb_server.connect(autocommit=True)
    ddl = omendb_server.connect()
    out: list = []

    def writer() -> None:
        c = omendb_server.connect(autocommit=True)
        try:
            c.execute(f"INSERT INTO {t} (id, v) VALUES (2, 'y')")
            c.execute(f"UPDATE {t} SET v = 'z' WHERE id = 1")
            out.append(c.execute(f"SELECT * FROM {t} ORDER BY id").fetchall())
        finally:
            c.close()

    try:
        a.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
        a.execute(f"INSERT INTO {t} VALUES (1, 'x')")
        ddl.execute(f"ALTER TABLE {t} ADD COLUMN w int DEFAULT 5")
        th = threading.Thread(target=writer)
        th.start()
        time.sleep(0.5)
        assert not out  # still waiting for the ALTER TABLE
        ddl.commit()
        th.join(10)
        assert out == [[(1, "z", 5), (2, "y", 5)]]
    finally:
        a.close()
        ddl.close()


def test_identity_alter_and_set_schema(conn, unique_name):
    s, t = unique_name("s"), unique_name("t")
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE TABLE {t} (id int, x int NOT NULL, y int)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 1, 1)")
    conn.commit()
    with pytest.raises(pge.ObjectNotInPrerequisiteState):
        conn.execute(f"ALTER TABLE {t} ALTER COLUMN y ADD GENERATED ALWAYS AS IDENTITY")
    conn.rollback()
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN x ADD GENERATED BY DEFAULT AS IDENTITY "
                 "(START WITH 10)")
    assert conn.execute(f"INSERT INTO {t} (id) VALUES (2) RETURNING x").fetchone() == (10,)
    conn.execute(f"ALTER TABLE {t} ALTER COLUMN x DROP IDENTITY")
    with pytest.raises(pge.ObjectNotInPrerequisiteState):
        conn.execute(f"ALTER TABLE {t} ALTER COLUMN x DROP IDENTITY")
    conn.rollback()
    conn.execute(f"ALTER TABLE {t} SET SCHEMA {s}")
    assert conn.execute(f"SELECT id FROM {s}.{t} ORDER BY id").fetchall() == [(1,)]
    conn.commit()


def test_view_definition_printed_like_postgres(conn, unique_name):
    b, a, v = unique_name("vb"), unique_name("va"), unique_name("v")
    conn.execute(f"CREATE TABLE {b} (id int PRIMARY KEY, title text, price numeric, "
                 "author_id int)")
    conn.execute(f"CREATE TABLE {a} (id int PRIMARY KEY, name text)")
    conn.execute(f"CREATE VIEW {v} AS SELECT x.id, y.name AS author, upper(x.title) t "
                 f"FROM {b} x JOIN {a} y ON y.id = x.author_id WHERE x.price > 10")
    plain, pretty = conn.execute(
        f"SELECT pg_get_viewdef('{v}'::regclass), pg_get_viewdef('{v}'::regclass, true)"
    ).fetchone()
    assert plain == (" SELECT x.id,\n    y.name AS author,\n    upper(x.title) AS t\n"
                     f"   FROM ({b} x\n     JOIN {a} y ON ((y.id = x.author_id)))\n"
                     "  WHERE (x.price > (10)::numeric);")
    assert pretty == (" SELECT x.id,\n    y.name AS author,\n    upper(x.title) AS t\n"
                      f"   FROM {b} x\n     JOIN {a} y ON y.id = x.author_id\n"
                      "  WHERE x.price > 10::numeric;")
    conn.rollback()


def test_create_table_as(conn, unique_name):
    src, t, t2 = unique_name("src"), unique_name("ctas"), unique_name("ctas")
    conn.execute(f"CREATE TABLE {src} (id int, v text)")
    conn.execute(f"INSERT INTO {src} VALUES (1, 'a'), (2, 'b')")
    cur = conn.execute(f"CREATE TABLE {t} AS SELECT id, v, 'lit' AS l, id * 2 AS d FROM {src}")
    assert cur.statusmessage == "SELECT 2"
    assert conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() == [
        (1, "a", "lit", 2), (2, "b", "lit", 4)]
    assert conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = '{t}'::regclass AND attnum > 0 ORDER BY attnum").fetchall() == [
        ("integer",), ("text",), ("text",), ("integer",)]
    conn.execute(f"CREATE TABLE {t2} (x, y) AS SELECT id, v FROM {src} WITH NO DATA")
    assert conn.execute(f"SELECT count(*) FROM {t2}").fetchone() == (0,)
    with pytest.raises(pge.DuplicateTable):
        conn.execute(f"CREATE TABLE {t} AS SELECT 1")
    conn.rollback()


def test_unquoted_identifiers_fold_to_lower_case(conn, unique_name):
    t = unique_name("Mixed").upper()
    conn.execute(f'CREATE TABLE {t} (Col int, "Quoted" int, CONSTRAINT Pos CHECK (Col > 0))')
    conn.execute(f'INSERT INTO {t.lower()} (col, "Quoted") VALUES (1, 2)')
    assert conn.execute(f'SELECT COL, "Quoted" FROM {t}').fetchall() == [(1, 2)]
    with pytest.raises(pge.CheckViolation) as exc:
        conn.execute(f"INSERT INTO {t} VALUES (-1, 0)")
    assert exc.value.diag.constraint_name == "pos"
    conn.rollback()


def test_views_follow_table_renames(conn, unique_name):
    t, v = unique_name("rt"), unique_name("rv")
    conn.execute(f"CREATE TABLE {t} (id int, v text)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'a')")
    conn.execute(f"CREATE VIEW {v} AS SELECT id, {t}.v FROM {t} WHERE {t}.id > 0")
    conn.execute(f"ALTER TABLE {t} RENAME TO {t}_2")
    assert conn.execute(f"SELECT * FROM {v}").fetchall() == [(1, "a")]
    assert conn.execute(f"SELECT pg_get_viewdef('{v}'::regclass)").fetchone() == (
        f" SELECT {t}_2.id,\n    {t}_2.v\n   FROM {t}_2\n  WHERE ({t}_2.id > 0);",)
    conn.rollback()


def test_create_table_like(conn, unique_name):
    src, l1, l2 = unique_name("src"), unique_name("l1"), unique_name("l2")
    conn.execute(f"CREATE TABLE {src} (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x' "
                 "CHECK (v <> ''), g int GENERATED ALWAYS AS (id * 2) STORED, u int UNIQUE)")
    conn.execute(f"CREATE TABLE {l1} (LIKE {src})")
    conn.execute(f"INSERT INTO {l1} (id, v) VALUES (1, 'a')")
    with pytest.raises(pge.NotNullViolation):  # NOT NULL is always copied, defaults are not
        conn.execute(f"INSERT INTO {l1} (id) VALUES (2)")
    conn.rollback()
    conn.execute(f"CREATE TABLE {src} (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x' "
                 "CHECK (v <> ''), g int GENERATED ALWAYS AS (id * 2) STORED, u int UNIQUE)")
    conn.execute(f"CREATE TABLE {l2} (LIKE {src} INCLUDING ALL, extra int)")
    assert conn.execute(f"INSERT INTO {l2} (id) VALUES (3) RETURNING id, v, g, extra").fetchone() \
        == (3, "x", 6, None)
    with pytest.raises(pge.CheckViolation):
        conn.execute(f"INSERT INTO {l2} (id, v) VALUES (4, '')")
    conn.rollback()


def test_create_schema_authorization(conn, unique_name):
    s = unique_name("auth")
    conn.execute(f"CREATE SCHEMA {s} AUTHORIZATION {conn.info.user}")
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s} AUTHORIZATION {conn.info.user}")
    conn.execute(f"CREATE TABLE {s}.t (id int)")
    assert conn.execute(f"SELECT count(*) FROM {s}.t").fetchone() == (0,)
    conn.rollback()


def test_drop_column_used_by_view(conn, unique_name):
    t, v = unique_name("dv"), unique_name("dvv")
    conn.execute(f"CREATE TABLE {t} (id int, a int, b int)")
    conn.execute(f"CREATE VIEW {v} AS SELECT id, a FROM {t}")
    conn.execute(f"ALTER TABLE {t} DROP COLUMN b")
    with pytest.raises(pge.DependentObjectsStillExist) as exc:
        conn.execute(f"ALTER TABLE {t} DROP COLUMN a")
    assert exc.value.diag.message_detail == f"view {v} depends on column a of table {t}"
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int, a int, b int)")
    conn.execute(f"CREATE VIEW {v} AS SELECT id, a FROM {t}")
    conn.execute(f"ALTER TABLE {t} DROP COLUMN a CASCADE")
    with pytest.raises(pge.UndefinedTable):
        conn.execute(f"SELECT * FROM {v}")
    conn.rollback()
