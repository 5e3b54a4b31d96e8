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
