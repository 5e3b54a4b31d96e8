"""Secondary indexes: CREATE [UNIQUE] INDEX, UNIQUE constraints, lookups through them."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pge


def test_unique_index_enforced_with_postgres_message(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, email text, org int)")
    conn.execute(f"CREATE UNIQUE INDEX {table_name}_email ON {table_name} (email)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'a@x', 1), (2, NULL, 1), (3, NULL, 1)")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {table_name} VALUES (4, 'a@x', 2)")
    assert f'unique constraint "{table_name}_email"' in str(exc.value)
    assert exc.value.diag.message_detail == "Key (email)=(a@x) already exists."
    assert exc.value.diag.constraint_name == f"{table_name}_email"
    conn.rollback()
    # an UPDATE into a taken key fails, an UPDATE keeping its own key does not
    with pytest.raises(pge.UniqueViolation):
        conn.execute(f"UPDATE {table_name} SET email = 'a@x' WHERE id = 2")
    conn.rollback()
    conn.execute(f"UPDATE {table_name} SET org = 9 WHERE email = 'a@x'")
    # a deleted key can be reused in the same transaction
    conn.execute(f"DELETE FROM {table_name} WHERE id = 1")
    conn.execute(f"INSERT INTO {table_name} VALUES (5, 'a@x', 3)")
    conn.commit()
    assert conn.execute(f"SELECT id, org FROM {table_name} WHERE email = 'a@x'").fetchall() == [(5, 3)]


def test_multicolumn_unique_constraint_in_create_table(conn, table_name):
    conn.execute(
        f"CREATE TABLE {table_name} (id serial PRIMARY KEY, a int, b text, "
        f"CONSTRAINT {table_name}_ab UNIQUE (a, b), c int UNIQUE)"
    )
    conn.execute(f"INSERT INTO {table_name} (a, b, c) VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', 3)")
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {table_name} (a, b, c) VALUES (1, 'y', 4)")
    assert exc.value.diag.message_detail == "Key (a, b)=(1, y) already exists."
    conn.rollback()
    conn.execute(
        f"CREATE TABLE {table_name} (id serial PRIMARY KEY, a int, b text, "
        f"CONSTRAINT {table_name}_ab UNIQUE (a, b), c int UNIQUE)"
    )
    conn.execute(f"INSERT INTO {table_name} (a, b, c) VALUES (1, 'x', 1)")
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {table_name} (a, b, c) VALUES (2, 'z', 1)")
    assert exc.value.diag.constraint_name == f"{table_name}_c_key"
    conn.rollback()


def test_create_unique_index_over_duplicates_fails(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 7), (2, 7)")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"CREATE UNIQUE INDEX {table_name}_v ON {table_name} (v)")
    assert str(exc.value).startswith(f'could not create unique index "{table_name}_v"')
    assert exc.value.diag.message_detail == "Key (v)=(7) is duplicated."
    conn.rollback()
    # the failed index left nothing behind: the duplicate insert still works
    conn.execute(f"INSERT INTO {table_name} VALUES (3, 7)")
    conn.commit()


def test_lookups_through_index_follow_updates_deletes_and_rollback(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, tag text, n int)")
    conn.execute(f"CREATE INDEX {table_name}_tag_n ON {table_name} (tag, n)")
    conn.execute(f"INSERT INTO {table_name} SELECT * FROM (VALUES (1, 'a', 1), (2, 'a', 1), (3, 'b', 1)) v")
    conn.commit()
    q = f"SELECT id FROM {table_name} WHERE tag = %s AND n = %s ORDER BY id"
    assert conn.execute(q, ("a", 1)).fetchall() == [(1,), (2,)]
    conn.execute(f"UPDATE {table_name} SET tag = 'b' WHERE id = 2")
    assert conn.execute(q, ("a", 1)).fetchall() == [(1,)]
    assert conn.execute(q, ("b", 1)).fetchall() == [(2,), (3,)]
    conn.rollback()
    assert conn.execute(q, ("a", 1)).fetchall() == [(1,), (2,)]
    conn.execute(f"DELETE FROM {table_name} WHERE id = 1")
    conn.commit()
    assert conn.execute(q, ("a", 1)).fetchall() == [(2,)]
    assert conn.execute(q, ("zzz", 1)).fetchall() == []


def test_drop_index_and_rollback_of_create_index(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
    conn.commit()
    conn.execute(f"CREATE UNIQUE INDEX {table_name}_v ON {table_name} (v)")
    conn.rollback()
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 5), (2, 5)")  # index was rolled back
    conn.execute(f"DELETE FROM {table_name} WHERE id = 2")
    conn.execute(f"CREATE UNIQUE INDEX {table_name}_v ON {table_name} (v)")
    conn.commit()
    with pytest.raises(pge.DuplicateTable):
        conn.execute(f"CREATE INDEX {table_name}_v ON {table_name} (v)")
    conn.rollback()
    conn.execute(f"CREATE INDEX IF NOT EXISTS {table_name}_v ON {table_name} (v)")
    conn.execute(f"DROP INDEX {table_name}_v")
    conn.execute(f"INSERT INTO {table_name} VALUES (3, 5)")
    conn.commit()
    with pytest.raises(pge.UndefinedObject):
        conn.execute(f"DROP INDEX {table_name}_v")
    conn.rollback()
    conn.execute(f"DROP INDEX IF EXISTS {table_name}_v")
    conn.commit()


def test_indexes_survive_restart_and_checkpoint(fresh_server):
    with fresh_server.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, n int)")
        conn.execute("CREATE INDEX u_n ON u (n)")
        conn.execute("INSERT INTO u VALUES (1, 'a', 10), (2, 'b', 20)")
        conn.execute("CHECKPOINT")
        conn.execute("INSERT INTO u VALUES (3, 'c', 10)")
    fresh_server.restart()
    with fresh_server.connect() as conn:
        assert conn.execute("SELECT id FROM u WHERE n = 10 ORDER BY id").fetchall() == [(1,), (3,)]
        with pytest.raises(pge.UniqueViolation):
            conn.execute("INSERT INTO u VALUES (4, 'c', 1)")
        conn.rollback()
        rel = conn.execute(
            "SELECT relname, relkind FROM pg_catalog.pg_class WHERE relname IN ('u', 'u_n', 'u_email_key') "
            "ORDER BY relname").fetchall()
        assert rel == [("u", "r"), ("u_email_key", "i"), ("u_n", "i")]


def test_concurrent_unique_inserts_wait_for_the_first(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, k text UNIQUE)")
    a = omendb_server.connect()
    b = omendb_server.connect()
    try:
        a.execute(f"INSERT INTO {table_name} VALUES (1, 'same')")
        b.execute("SET lock_timeout = '300ms'")
        # b must wait for a's in-flight insert of the same key (then time out here)
        with pytest.raises(psycopg.errors.LockNotAvailable):
            b.execute(f"INSERT INTO {table_name} VALUES (2, 'same')")
        b.rollback()
        a.rollback()
        b.execute(f"INSERT INTO {table_name} VALUES (2, 'same')")  # a rolled back: key is free
        b.commit()
    finally:
        a.close()
        b.close()


def test_row_cache_counts_hits_misses_and_evictions(tmp_path):
    from serverproc import ServerProcess, new_password

    server = ServerProcess(data_dir=tmp_path / "data", password=new_password(),
                           extra_args=["--row-cache-rows", "3"])
    server.start()
    try:
        with server.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE rc (id int PRIMARY KEY, v text)")
            conn.execute("INSERT INTO rc SELECT * FROM (VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e')) v")

            def stats():
                return conn.execute(
                    "SELECT capacity, entries, hits, misses, evictions FROM omendb_stat_row_cache"
                ).fetchone()

            assert stats() == (3, 0, 0, 0, 0)
            for _ in range(3):
                assert conn.execute("SELECT v FROM rc WHERE id = 1").fetchone() == ("a",)
            assert stats() == (3, 1, 2, 1, 0)
            for i in (2, 3, 4, 5):
                conn.execute("SELECT v FROM rc WHERE id = %s", (i,)).fetchone()
            cap, entries, hits, misses, evictions = stats()
            assert (entries, misses, evictions) == (3, 5, 2)
            # a write invalidates: the next read sees the new value, never the cached one
            conn.execute("UPDATE rc SET v = 'E' WHERE id = 5")
            assert conn.execute("SELECT v FROM rc WHERE id = 5").fetchone() == ("E",)
    finally:
        server.stop_clean()


def test_row_cache_admits_checkpointed_rows_on_their_second_miss(tmp_path):
    """A checkpointed row read on a miss enters the cache only when it is missed again
    soon (a doorkeeper), so lookups that never repeat do not churn the cache, while a
    key read over and over gets in at its second read and then hits."""
    from serverproc import ServerProcess, new_password

    server = ServerProcess(data_dir=tmp_path / "data", password=new_password(),
                           extra_args=["--row-cache-rows", "1000"])
    server.start()
    try:
        with server.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE rcb (id int PRIMARY KEY, v text)")
            conn.execute("INSERT INTO rcb SELECT g, 'v' || g FROM generate_series(1, 2000) g")
            conn.execute("CHECKPOINT")  # the rows now live in the checkpointed base

            def stats():
                return conn.execute(
                    "SELECT entries, hits, misses FROM omendb_stat_row_cache").fetchone()

            for i in range(1, 801):  # each key once: misses, few admitted
                assert conn.execute("SELECT v FROM rcb WHERE id = %s", (i,)).fetchone() == (f"v{i}",)
            assert stats() == (0, 0, 800)  # nothing admitted
            for i in range(1, 11):  # read again: admitted at this second miss
                conn.execute("SELECT v FROM rcb WHERE id = %s", (i,)).fetchone()
            assert stats() == (10, 0, 810)
            for _ in range(200):  # a hot key: admitted at its second read, then hits
                assert conn.execute("SELECT v FROM rcb WHERE id = 1500").fetchone() == ("v1500",)
            assert stats() == (11, 198, 812)
            conn.execute("UPDATE rcb SET v = 'new' WHERE id = 1500")
            assert conn.execute("SELECT v FROM rcb WHERE id = 1500").fetchone() == ("new",)
    finally:
        server.stop_clean()


def test_integer_key_compared_with_a_wider_integer(omendb_server, table_name):
    """``int4_key = int8 value`` is compared as int8 (PostgreSQL's cross-type operators):
    a value outside int4 matches nothing instead of raising 22003, through the primary
    key's point and range lookups alike."""
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, s int2 UNIQUE)")
        c.execute(f"INSERT INTO {table_name} VALUES (1, 1), (2147483647, 32767), (-2147483648, -32768)")
        q = f"SELECT id FROM {table_name} WHERE "
        for where, expected in [
            ("id = 3000000000", []), ("id = -3000000000", []), ("id = 2147483647::int8", [2147483647]),
            ("id IN (1, 3000000000)", [1]), ("id >= 3000000000", []), ("id > 2147483646::int8", [2147483647]),
            ("id <= -3000000000", []), ("id < 3000000000", [-2147483648, 1, 2147483647]),
            ("id >= -3000000000 AND id < 2", [-2147483648, 1]), ("s = 40000", []),
            ("s = 32767::int8", [2147483647]),
        ]:
            got = sorted(r[0] for r in c.execute(q + where).fetchall())
            assert got == expected, where
        # as a psycopg parameter (sent as int8 or numeric by the driver)
        for value, expected in [(3000000000, []), (1, [1]), (2**63 - 1, [])]:
            got = [r[0] for r in c.execute(q + "id = %s", (value,)).fetchall()]
            assert got == expected, value
