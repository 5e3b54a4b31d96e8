"""CREATE TEMPORARY TABLE/VIEW: relpersistence 't' (what SQLAlchemy's reflection filters
on) and dropped when the creating session ends."""

from __future__ import annotations

import time


def test_temporary_relations_end_with_their_session(omendb_server, table_name):
    tmp_v = f"{table_name}_v"
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TEMPORARY TABLE {table_name} (id int PRIMARY KEY, v text)")
        c.execute(f"CREATE TEMP VIEW {tmp_v} AS SELECT id FROM {table_name}")
        c.execute(f"INSERT INTO {table_name} VALUES (1, 'x')")
        assert c.execute(f"SELECT * FROM {tmp_v}").fetchall() == [(1,)]
        assert sorted(c.execute(
            "SELECT relname, relpersistence FROM pg_class WHERE relname IN (%s, %s)",
            (table_name, tmp_v)).fetchall()) == [(table_name, "t"), (tmp_v, "t")]
    # the server drops them once it has noticed the disconnect (PostgreSQL: at backend exit)
    deadline = time.monotonic() + 10
    with omendb_server.connect(autocommit=True) as c:
        while True:
            left = c.execute("SELECT count(*) FROM pg_class WHERE relname IN (%s, %s)",
                             (table_name, tmp_v)).fetchone()[0]
            if left == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert left == 0


def test_temporary_relations_do_not_survive_a_crash(tmp_path):
    """A SIGKILL gives no session the chance to drop its temporary tables; the restarted
    server drops them (with what depends on them), as PostgreSQL never shows them after
    a restart. Ordinary tables and their rows are untouched."""
    from serverproc import ServerProcess, new_password

    server = ServerProcess(data_dir=tmp_path / "data", password=new_password())
    server.start()
    try:
        with server.connect(autocommit=True) as c:
            c.execute("CREATE TABLE keep (id int PRIMARY KEY, v text)")
            c.execute("INSERT INTO keep VALUES (1, 'kept')")
            c.execute("CREATE TEMP TABLE scratch (id int PRIMARY KEY)")
            c.execute("INSERT INTO scratch VALUES (7)")
            c.execute("CREATE TEMP VIEW scratch_v AS SELECT id FROM scratch")
            c.execute("CHECKPOINT")  # the temp table also reaches a segment
            c.execute("CREATE TEMP TABLE scratch2 (x int)")
            server.kill()  # SIGKILL while the session is still open, then start again
        with server.connect(autocommit=True) as c:
            assert c.execute(
                "SELECT relname FROM pg_class WHERE relname IN ('scratch', 'scratch_v', "
                "'scratch2', 'keep') ORDER BY 1").fetchall() == [("keep",)]
            assert c.execute("SELECT v FROM keep WHERE id = 1").fetchone() == ("kept",)
            c.execute("CREATE TABLE scratch (id int)")  # the name is free again
        server.restart()  # and the drop itself was durable
        with server.connect(autocommit=True) as c:
            assert c.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'scratch%'"
                             ).fetchone() == (1,)
    finally:
        server.stop_clean()


def test_temporary_relations_dropped_after_another_sessions_ddl(omendb_server, table_name):
    """A session that ends while another transaction is changing the schema waits for
    it (the schema has one writer at a time here) and then drops its temporary tables."""
    with omendb_server.connect(autocommit=False) as ddl:
        with omendb_server.connect(autocommit=True) as c:
            c.execute(f"CREATE TEMP TABLE {table_name} (id int)")
            ddl.execute(f"CREATE TABLE {table_name}_other (id int)")  # an open DDL transaction
        time.sleep(0.5)  # the closing session is now waiting for the DDL transaction
        ddl.commit()
        deadline = time.monotonic() + 10
        while True:
            left = ddl.execute("SELECT count(*) FROM pg_class WHERE relname = %s",
                               (table_name,)).fetchone()[0]
            ddl.commit()
            if left == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert left == 0
