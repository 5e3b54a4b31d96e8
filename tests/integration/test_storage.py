"""Checkpoints into Parquet segments, recovery from segments + log, and VACUUM.

The commit log is the source of truth; a checkpoint folds committed versions into
Parquet files and drops the log it covers. These tests restart or kill the server
around checkpoints and check that nothing committed is lost and nothing else appears.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import psycopg
import pyarrow.parquet as pq
import pytest

ROWS = [
    (1, "alpha", Decimal("1.50"), 1.25, True, dt.date(2020, 1, 2),
     dt.datetime(2020, 1, 2, 3, 4, 5), dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
     uuid.UUID("00000000-0000-0000-0000-000000000001")),
    (2, None, None, None, None, None, None, None, None),
    (3, "gamma ünïcode", Decimal("-12345.67"), -0.5, False, dt.date(1999, 12, 31),
     dt.datetime(1999, 12, 31, 23, 59, 59, 999999),
     dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
     uuid.UUID("12345678-1234-5678-1234-567812345678")),
]
DDL = ("CREATE TABLE st (id int8 PRIMARY KEY, name text, amount numeric(10,2), ratio float8, "
       "ok bool, born date, ts timestamp, tstz timestamptz, uid uuid)")


def _load(conn: psycopg.Connection) -> None:
    conn.execute(DDL)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO st VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ROWS)
    conn.commit()


def _all(server) -> list[tuple]:
    with server.connect() as conn:
        return conn.execute("SELECT * FROM st ORDER BY id").fetchall()


def test_checkpoint_then_restart_keeps_every_type(fresh_server):
    with fresh_server.connect() as conn:
        _load(conn)
        conn.autocommit = True
        conn.execute("CHECKPOINT")
    segments = list((fresh_server.data_dir / "segments").glob("*.parquet"))
    assert segments, "CHECKPOINT wrote no Parquet segment"
    # An external reader sees the rows and the MVCC stamps.
    table = pq.read_table(segments[0])
    assert table.num_rows == 3
    assert table.column_names[:3] == ["__vid", "__begin", "__end"]
    fresh_server.restart()
    assert _all(fresh_server) == ROWS


def test_changes_after_checkpoint_survive_sigkill(fresh_server):
    conn = fresh_server.connect()
    _load(conn)
    conn.autocommit = True
    conn.execute("CHECKPOINT")
    conn.execute("UPDATE st SET name = 'changed' WHERE id = 1")
    conn.execute("DELETE FROM st WHERE id = 2")
    conn.execute("INSERT INTO st (id, name) VALUES (4, 'after')")
    conn.autocommit = False
    conn.execute("INSERT INTO st (id, name) VALUES (5, 'never committed')")
    fresh_server.kill()
    conn.close()
    rows = _all(fresh_server)
    assert [r[0] for r in rows] == [1, 3, 4]
    assert rows[0][1] == "changed"
    assert rows[2][1] == "after"


def test_second_checkpoint_replaces_segments_and_drop_table(fresh_server):
    with fresh_server.connect(autocommit=True) as conn:
        _load(conn)
        conn.execute("CHECKPOINT")
        conn.execute("UPDATE st SET ratio = 9.5")
        conn.execute("CHECKPOINT")
        files = sorted(p.name for p in (fresh_server.data_dir / "segments").glob("*.parquet"))
        assert len(files) == 1, files  # the older segment of the same table is gone
        conn.execute("CREATE TABLE other (id int PRIMARY KEY)")
        conn.execute("INSERT INTO other VALUES (1)")
        conn.execute("DROP TABLE st")
        conn.execute("CHECKPOINT")
    fresh_server.restart()
    with fresh_server.connect() as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM st")
        conn.rollback()
        assert conn.execute("SELECT id FROM other").fetchall() == [(1,)]


def test_vacuum_keeps_versions_old_snapshots_need(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as writer, \
            omendb_server.connect(autocommit=True) as reader:
        writer.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
        writer.execute(f"INSERT INTO {table_name} VALUES (1, 10), (2, 20)")
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        assert reader.execute(f"SELECT sum(v) FROM {table_name}").fetchone() == (30,)
        writer.execute(f"UPDATE {table_name} SET v = v + 1")
        writer.execute(f"DELETE FROM {table_name} WHERE id = 2")
        writer.execute("VACUUM")
        # the old snapshot still sees the versions it started with
        assert reader.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == [
            (1, 10), (2, 20)]
        reader.execute("ROLLBACK")
        writer.execute("VACUUM")
        assert reader.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == [(1, 11)]


def test_vacuum_inside_transaction_block_is_refused(conn):
    conn.execute("SELECT 1")
    with pytest.raises(psycopg.errors.ActiveSqlTransaction):
        conn.execute("VACUUM")
    conn.rollback()


def test_copy_text_csv_binary_round_trip(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id serial PRIMARY KEY, name text NOT NULL, "
                 "qty int, price numeric(10,2), uid uuid)")
    conn.commit()
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table_name} (name, qty, price) FROM STDIN") as cp:
            cp.write_row(("tab\there", 1, Decimal("1.5")))
            cp.write_row(("newline\nhere", None, None))
        assert cur.rowcount == 2
        with cur.copy(f"COPY {table_name} (name, qty, uid) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["text", "int4", "uuid"])
            cp.write_row(("bin", 3, uuid.UUID(int=7)))
        with cur.copy(f"COPY {table_name} (name, qty) FROM STDIN WITH (FORMAT csv, HEADER)") as cp:
            cp.write('name,qty\n"quoted, comma",7\n"",\n')
        assert cur.rowcount == 2
        with cur.copy(f"COPY (SELECT id, name, qty, price FROM {table_name} ORDER BY id) TO STDOUT") as cp:
            text = b"".join(bytes(b) for b in cp).decode()
        assert text.splitlines() == [
            "1\ttab\\there\t1\t1.50", "2\tnewline\\nhere\t\\N\t\\N", "3\tbin\t3\t\\N",
            "4\tquoted, comma\t7\t\\N", "5\t\t\\N\t\\N"]
        with cur.copy(f"COPY {table_name} (id, uid) TO STDOUT (FORMAT binary)") as cp:
            cp.set_types(["int4", "uuid"])
            rows = list(cp.rows())
        assert rows[2] == (3, uuid.UUID(int=7)) and len(rows) == 5
    # a bad value aborts the COPY with PostgreSQL's error and inserts nothing
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        with conn.cursor().copy(f"COPY {table_name} (name, qty) FROM STDIN") as cp:
            cp.write("ok\t1\nbad\tnotanint\n")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
    conn.rollback()


def test_copy_checks_primary_keys_within_and_across_batches(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int8 PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (5000, 'existing')")
    conn.commit()
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table_name} FROM STDIN") as cp:
            for i in range(10000):
                if i != 5000:
                    cp.write(f"{i}\tv{i}\n")
    conn.commit()
    assert conn.execute(f"SELECT count(*), min(id), max(id) FROM {table_name}").fetchone() == (
        10000, 0, 9999)
    assert conn.execute(f"SELECT v FROM {table_name} WHERE id = 7777").fetchone() == ("v7777",)
    # a key that exists already
    with pytest.raises(psycopg.errors.UniqueViolation) as exc:
        with conn.cursor().copy(f"COPY {table_name} FROM STDIN") as cp:
            for i in range(20000, 20100):
                cp.write(f"{i}\tnew\n")
            cp.write("5000\tdup\n")
    assert exc.value.diag.message_detail == "Key (id)=(5000) already exists."
    conn.rollback()
    # a key repeated inside one COPY
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.cursor().copy(f"COPY {table_name} FROM STDIN") as cp:
            for i in range(30000, 30100):
                cp.write(f"{i}\tnew\n")
            cp.write("30050\tagain\n")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (10000,)
    conn.rollback()
