"""DML beyond plain INSERT/UPDATE/DELETE: ON CONFLICT, UPDATE ... FROM, DELETE ... USING,
INSERT ... SELECT, RETURNING, DEFAULT in multi-row VALUES (PostgreSQL 15 behaviour)."""

from __future__ import annotations

import pytest
from psycopg import errors as pge


@pytest.fixture
def kv(conn, unique_name):
    t = unique_name("kv")
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text UNIQUE, n int DEFAULT 0)")
    conn.execute(f"INSERT INTO {t} VALUES (1, 'a', 1), (2, 'b', 2)")
    conn.commit()
    return t


def test_on_conflict_do_update_with_excluded_and_where(conn, kv):
    rows = conn.execute(f"INSERT INTO {kv} VALUES (1, 'z', 5) ON CONFLICT (id) DO UPDATE "
                        "SET v = EXCLUDED.v || '!', n = {kv}.n + EXCLUDED.n RETURNING *"
                        .replace("{kv}", kv)).fetchall()
    assert rows == [(1, "z!", 6)]
    cur = conn.execute(f"INSERT INTO {kv} AS k VALUES (2, 'q', 1) ON CONFLICT (id) DO UPDATE "
                       "SET v = 'never' WHERE k.n > 100 RETURNING *")
    assert cur.fetchall() == [] and cur.statusmessage == "INSERT 0 0"
    cur = conn.execute(f"INSERT INTO {kv} VALUES (3, 'c'), (2, 'x') ON CONFLICT ON CONSTRAINT "
                       f"{kv}_pkey DO UPDATE SET n = 9 RETURNING id, v, n")
    assert cur.fetchall() == [(3, "c", 0), (2, "b", 9)]
    assert cur.statusmessage == "INSERT 0 2"
    conn.commit()


def test_on_conflict_do_nothing(conn, kv):
    cur = conn.execute(f"INSERT INTO {kv} VALUES (1, 'new') ON CONFLICT DO NOTHING RETURNING id")
    assert cur.fetchall() == [] and cur.statusmessage == "INSERT 0 0"
    # a conflict on another unique index than the arbiter is still an error
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {kv} VALUES (7, 'a') ON CONFLICT (id) DO NOTHING")
    assert exc.value.diag.constraint_name == f"{kv}_v_key"
    conn.rollback()
    assert conn.execute(f"INSERT INTO {kv} VALUES (7, 'a') ON CONFLICT (v) DO NOTHING").rowcount == 0
    conn.rollback()


def test_on_conflict_errors(conn, kv):
    with pytest.raises(pge.CardinalityViolation):
        conn.execute(f"INSERT INTO {kv} VALUES (1, 'x'), (1, 'y') ON CONFLICT (id) "
                     "DO UPDATE SET v = EXCLUDED.v")
    conn.rollback()
    with pytest.raises(pge.InvalidColumnReference):
        conn.execute(f"INSERT INTO {kv} VALUES (1, 'x') ON CONFLICT (n) DO NOTHING")
    conn.rollback()
    with pytest.raises(pge.UndefinedObject):
        conn.execute(f"INSERT INTO {kv} VALUES (1, 'x') ON CONFLICT ON CONSTRAINT nope DO NOTHING")
    conn.rollback()


def test_update_from_and_delete_using(conn, kv, unique_name):
    src = unique_name("src")
    conn.execute(f"CREATE TABLE {src} (k int, label text)")
    conn.execute(f"INSERT INTO {src} VALUES (1, 'one'), (2, 'two'), (9, 'nine')")
    rows = conn.execute(f"UPDATE {kv} SET v = s.label FROM {src} s WHERE s.k = {kv}.id "
                        f"RETURNING {kv}.id, v, s.k").fetchall()
    assert sorted(rows) == [(1, "one", 1), (2, "two", 2)]
    cur = conn.execute(f"DELETE FROM {kv} USING {src} WHERE {src}.k = {kv}.id AND "
                       f"{src}.label = 'two' RETURNING {kv}.id, {src}.label")
    assert cur.fetchall() == [(2, "two")]
    assert conn.execute(f"SELECT id, v FROM {kv}").fetchall() == [(1, "one")]
    conn.commit()


def test_insert_select_and_default_rows(conn, kv, unique_name):
    t = unique_name("copy")
    conn.execute(f"CREATE TABLE {t} (id serial PRIMARY KEY, v text, n int DEFAULT 42)")
    cur = conn.execute(f"INSERT INTO {t} (v) SELECT v FROM {kv} ORDER BY id RETURNING id, v, n")
    assert cur.fetchall() == [(1, "a", 42), (2, "b", 42)]
    rows = conn.execute(f"INSERT INTO {t} (v, n) VALUES ('x', DEFAULT), (DEFAULT, 1) "
                        "RETURNING id, v, n").fetchall()
    assert rows == [(3, "x", 42), (4, None, 1)]
    conn.commit()


def test_upsert_is_transactional(conn, kv):
    conn.execute(f"INSERT INTO {kv} VALUES (1, 'zz') ON CONFLICT (id) DO UPDATE SET v = 'zz'")
    conn.rollback()
    assert conn.execute(f"SELECT v FROM {kv} WHERE id = 1").fetchone() == ("a",)


def test_prepared_insert_replans_after_alter_table(omendb_server, unique_name):
    t = unique_name("ps")
    a = omendb_server.connect(autocommit=True)
    b = omendb_server.connect(autocommit=True)
    try:
        a.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
        a.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "x"), prepare=True)
        b.execute(f"ALTER TABLE {t} ADD COLUMN w int DEFAULT 7")
        a.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "y"), prepare=True)
        a.execute(f"UPDATE {t} SET v = %s WHERE id = %s", ("z", 2), prepare=True)
        b.execute(f"ALTER TABLE {t} DROP COLUMN v")
        a.execute(f"DELETE FROM {t} WHERE id = %s", (9,), prepare=True)
        assert a.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() == [(1, 7), (2, 7)]
    finally:
        a.close()
        b.close()


def test_update_from_hash_join_many_rows(conn, unique_name):
    big, upd = unique_name("big"), unique_name("upd")
    conn.execute(f"CREATE TABLE {big} (id int PRIMARY KEY, v int)")
    conn.execute(f"CREATE TABLE {upd} (k bigint, nv int)")
    conn.execute(f"INSERT INTO {big} SELECT g, 0 FROM generate_series(0, 2999) g")
    conn.execute(f"INSERT INTO {upd} SELECT g, g FROM generate_series(0, 2999, 2) g")
    cur = conn.execute(f"UPDATE {big} SET v = u.nv FROM {upd} u WHERE {big}.id = u.k")
    assert cur.statusmessage == "UPDATE 1500"
    cur = conn.execute(f"DELETE FROM {big} USING {upd} WHERE {upd}.k = {big}.id "
                       f"AND {upd}.nv > 1000")
    assert cur.statusmessage == "DELETE 999"
    assert conn.execute(f"SELECT count(*), sum(v) FROM {big}").fetchone() == (2001, 250500)
    conn.rollback()
