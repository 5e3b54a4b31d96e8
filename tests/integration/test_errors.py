"""Every error case of the skeleton gets PostgreSQL's SQLSTATE, and the session (and others) go on."""

from __future__ import annotations

import psycopg
import psycopg.errors as pge
import pytest

from . import pgwire_client as pw
from .pgwire_client import PGWire


@pytest.fixture
def bystander(omendb_server, unique_name):
    """Another session with committed data; checked to be unharmed after each error test."""
    name = unique_name("bystander")
    c = omendb_server.connect(autocommit=True)
    c.execute(f"CREATE TABLE {name} (id int4 PRIMARY KEY, v text)")
    c.execute(f"INSERT INTO {name} VALUES (1, 'safe'), (2, 'sound')")
    yield c
    assert c.execute(f"SELECT id, v FROM {name} ORDER BY id").fetchall() == [(1, "safe"), (2, "sound")]
    c.close()


def test_duplicate_primary_key_23505(conn, table_name, bystander):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'a')")
    conn.commit()
    with pytest.raises(pge.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {table_name} VALUES (1, 'b')")
    assert exc.value.sqlstate == "23505"
    assert "duplicate key value violates unique constraint" in str(exc.value)
    conn.rollback()
    # Also within a multi-row insert: the whole statement fails, nothing is inserted.
    with pytest.raises(pge.UniqueViolation):
        conn.execute(f"INSERT INTO {table_name} VALUES (2, 'x'), (3, 'y'), (2, 'z')")
    conn.rollback()
    assert conn.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == [(1, "a")]
    # An UPDATE that collides with another row's key too.
    conn.execute(f"INSERT INTO {table_name} VALUES (5, 'e')")
    with pytest.raises(pge.UniqueViolation):
        conn.execute(f"UPDATE {table_name} SET id = 1 WHERE id = 5")
    conn.rollback()


def test_undefined_table_42p01(conn, bystander):
    with pytest.raises(pge.UndefinedTable) as exc:
        conn.execute("SELECT * FROM no_such_table_anywhere")
    assert exc.value.sqlstate == "42P01"
    assert 'relation "no_such_table_anywhere" does not exist' in str(exc.value)
    conn.rollback()
    for stmt in ("INSERT INTO no_such_table_anywhere VALUES (1)", "DROP TABLE no_such_table_anywhere",
                 "UPDATE no_such_table_anywhere SET a = 1", "DELETE FROM no_such_table_anywhere"):
        with pytest.raises(pge.UndefinedTable):
            conn.execute(stmt)
        conn.rollback()
    conn.execute("DROP TABLE IF EXISTS no_such_table_anywhere")  # no error
    conn.rollback()


def test_undefined_column_42703(conn, table_name, bystander):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY)")
    conn.commit()
    with pytest.raises(pge.UndefinedColumn) as exc:
        conn.execute(f"SELECT nope FROM {table_name}")
    assert exc.value.sqlstate == "42703"
    assert 'column "nope" does not exist' in str(exc.value)
    conn.rollback()
    for stmt in (f"SELECT id FROM {table_name} WHERE nope = 1", f"INSERT INTO {table_name} (nope) VALUES (1)",
                 f"UPDATE {table_name} SET nope = 1", f"SELECT id FROM {table_name} ORDER BY nope"):
        with pytest.raises(pge.UndefinedColumn):
            conn.execute(stmt)
        conn.rollback()


def test_syntax_error_42601(conn, bystander):
    with pytest.raises(pge.SyntaxError) as exc:
        conn.execute("SELEC 1")
    assert exc.value.sqlstate == "42601"
    assert "syntax error" in str(exc.value)
    conn.rollback()
    with pytest.raises(pge.SyntaxError):
        conn.execute("SELECT FROM WHERE (")
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_in_failed_transaction_25p02_until_rollback(conn, table_name, bystander):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY)")
    conn.commit()
    conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    with pytest.raises(pge.UndefinedTable):
        conn.execute("SELECT * FROM no_such_table_here")
    for stmt in ("SELECT 1", f"INSERT INTO {table_name} VALUES (2)", "SHOW server_version"):
        with pytest.raises(pge.InFailedSqlTransaction) as exc:
            conn.execute(stmt)
        assert exc.value.sqlstate == "25P02"
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    conn.rollback()
    # The session works afterwards and the failed transaction left nothing behind.
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
    conn.execute(f"INSERT INTO {table_name} VALUES (3)")
    conn.commit()
    assert conn.execute(f"SELECT id FROM {table_name}").fetchall() == [(3,)]
    conn.rollback()


def test_commit_of_failed_transaction_rolls_back(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY)")
        c.execute("BEGIN")
        c.execute(f"INSERT INTO {table_name} VALUES (1)")
        with pytest.raises(pge.UniqueViolation):
            c.execute(f"INSERT INTO {table_name} VALUES (1)")
        cur = c.execute("COMMIT")  # in PostgreSQL, COMMIT of a failed transaction reports ROLLBACK
        assert cur.statusmessage == "ROLLBACK"
        assert c.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)


def _auth_error(target, user: str, password: str) -> dict[str, str]:
    with PGWire(target.host, target.port) as c:
        err = c.startup(user, password, target.dbname)
        assert err is not None, f"login as {user!r} with a wrong password succeeded"
        assert err.type == "E"
        fields = err.fields()
        assert fields["S"] == "FATAL", fields
        c.wait_closed(timeout=10)
        return fields


def test_wrong_password_and_unknown_user_28p01(omendb_server, bystander):
    wrong = _auth_error(omendb_server, omendb_server.user, omendb_server.password + "x")
    unknown = _auth_error(omendb_server, "no_such_user_xyz", "whatever")
    assert wrong["C"] == "28P01"
    assert unknown["C"] == "28P01"
    assert wrong["M"] == f'password authentication failed for user "{omendb_server.user}"'
    # Same error for an unknown role, so a client cannot probe which roles exist.
    assert unknown["M"] == 'password authentication failed for user "no_such_user_xyz"'
    # And through libpq/psycopg:
    for user, password in ((omendb_server.user, "wrong-password"), ("no_such_user_xyz", "whatever")):
        with pytest.raises(psycopg.OperationalError) as exc:
            psycopg.connect(omendb_server.conninfo(user=user, password=password))
        assert "password authentication failed" in str(exc.value)
    # The right password still works.
    with omendb_server.connect() as c:
        assert c.execute("SELECT current_user").fetchone() == (omendb_server.user,)


def test_error_does_not_disturb_other_sessions(omendb_server, table_name):
    a = omendb_server.connect(autocommit=False)
    b = omendb_server.connect(autocommit=False)
    try:
        a.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY)")
        a.commit()
        b.execute(f"INSERT INTO {table_name} VALUES (10)")
        with pytest.raises(pge.SyntaxError):
            a.execute("SELEC broken")
        with pytest.raises(pge.InFailedSqlTransaction):
            a.execute("SELECT 1")
        # b's transaction is untouched by a's failure.
        assert b.execute(f"SELECT id FROM {table_name}").fetchall() == [(10,)]
        b.commit()
        a.rollback()
        assert a.execute(f"SELECT id FROM {table_name}").fetchall() == [(10,)]
        a.rollback()
    finally:
        a.close()
        b.close()


def test_raw_error_response_fields(omendb_server):
    with pw.connect(omendb_server) as c:
        msgs = c.simple("SELECT * FROM no_such_table_raw")
        assert [m.type for m in msgs] == ["E", "Z"]
        f = msgs[0].fields()
        assert (f["S"], f["V"], f["C"]) == ("ERROR", "ERROR", "42P01")
        assert f["M"] == 'relation "no_such_table_raw" does not exist'
