"""SQL cursors (DECLARE / FETCH / MOVE / CLOSE) as psycopg's server-side cursors, SQLAlchemy's
stream_results and Django's chunked iterator use them."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa


def test_psycopg_server_side_cursor(omendb_server, table_name):
    with omendb_server.connect() as c:
        c.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, name text)")
        c.execute(f"INSERT INTO {table_name} SELECT g, 'n' || g FROM generate_series(1, 250) g")
        c.commit()
        with c.cursor(name="big_cursor") as cur:  # DECLARE ... ; FETCH FORWARD n; CLOSE
            cur.itersize = 40
            cur.execute(f"SELECT id, name FROM {table_name} WHERE id > %s ORDER BY id", (10,))
            rows = list(cur)
        assert [r[0] for r in rows] == list(range(11, 251))
        assert rows[0] == (11, "n11")
        c.commit()


def test_declare_fetch_move_close_and_transaction_rules(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int)")
        c.execute(f"INSERT INTO {table_name} SELECT g FROM generate_series(1, 10) g")
        with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
            c.execute(f"DECLARE c1 CURSOR FOR SELECT id FROM {table_name}")
        # WITH HOLD works outside a block and survives it
        c.execute(f"DECLARE c2 NO SCROLL CURSOR WITH HOLD FOR SELECT id FROM {table_name} ORDER BY id")
        cur = c.execute("FETCH FORWARD 3 FROM c2")
        assert cur.statusmessage == "FETCH 3" and cur.fetchall() == [(1,), (2,), (3,)]
        assert c.execute("MOVE FORWARD 2 IN c2").statusmessage == "MOVE 2"
        assert c.execute("FETCH NEXT FROM c2").fetchall() == [(6,)]
        assert c.execute("FETCH ALL FROM c2").fetchall() == [(7,), (8,), (9,), (10,)]
        assert c.execute("FETCH 5 FROM c2").fetchall() == []
        assert c.execute("CLOSE c2").statusmessage == "CLOSE CURSOR"
        with pytest.raises(psycopg.errors.InvalidCursorName):
            c.execute("FETCH 1 FROM c2")
    with omendb_server.connect() as c:
        c.execute(f"DECLARE c3 CURSOR FOR SELECT id FROM {table_name} ORDER BY id")
        assert c.execute("FETCH 2 FROM c3").fetchall() == [(1,), (2,)]
        c.commit()  # a cursor WITHOUT HOLD ends with its transaction
        with pytest.raises(psycopg.errors.InvalidCursorName):
            c.execute("FETCH 1 FROM c3")
        c.rollback()


def test_sqlalchemy_stream_results(omendb_server, table_name):
    engine = sa.create_engine(omendb_server.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {table_name} (id int PRIMARY KEY)"))
            conn.execute(sa.text(f"INSERT INTO {table_name} SELECT generate_series(1, 1000)"))
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=100).execute(
                sa.text(f"SELECT id FROM {table_name} ORDER BY id"))
            assert [r.id for r in result] == list(range(1, 1001))
    finally:
        engine.dispose()
