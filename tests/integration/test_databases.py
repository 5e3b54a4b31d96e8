"""CREATE DATABASE / DROP DATABASE and connecting to a named database, as PostgreSQL 15 does.

Each database is its own engine instance: a table created in one is invisible from
another, data survives a restart, a connection to a missing database is refused with
FATAL 3D000, and a database with other sessions cannot be dropped (55006) unless
``WITH (FORCE)`` ends them. These run against the shared server (unique database
names) except where the server must restart.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors as pgerr


@pytest.fixture
def dbname(unique_name):
    return unique_name("db")


def admin(target):
    return target.connect(autocommit=True)


def test_create_connect_drop(omendb_server, dbname, table_name):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
    with omendb_server.connect(dbname=dbname, autocommit=True) as d:
        assert d.execute("SELECT current_database()").fetchone() == (dbname,)
        d.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        d.execute(f"INSERT INTO {table_name} VALUES (1, 'in the new database')")
        assert d.execute(f"SELECT v FROM {table_name}").fetchall() == [("in the new database",)]
    with admin(omendb_server) as c:
        # the table lives only in the new database
        with pytest.raises(pgerr.UndefinedTable):
            c.execute(f"SELECT * FROM {table_name}")
        c.execute(f"DROP DATABASE {dbname}")
    with pytest.raises(psycopg.OperationalError, match=f'database "{dbname}" does not exist'):
        omendb_server.connect(dbname=dbname)


def test_missing_database_is_fatal_3d000(omendb_server, dbname):
    with pytest.raises(psycopg.OperationalError) as exc:
        omendb_server.connect(dbname=dbname)
    assert f'database "{dbname}" does not exist' in str(exc.value)
    # psycopg exposes the FATAL's SQLSTATE on the exception's diagnostic when it has one
    assert getattr(exc.value, "sqlstate", None) in (None, "3D000")


def test_create_existing_is_42p04(omendb_server, dbname):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
        try:
            with pytest.raises(pgerr.DuplicateDatabase, match=f'database "{dbname}" already exists'):
                c.execute(f"CREATE DATABASE {dbname}")
        finally:
            c.execute(f"DROP DATABASE {dbname}")


def test_drop_missing_and_if_exists(omendb_server, dbname):
    with admin(omendb_server) as c:
        with pytest.raises(pgerr.InvalidCatalogName, match=f'database "{dbname}" does not exist'):
            c.execute(f"DROP DATABASE {dbname}")
        notices = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary))
        cur = c.execute(f"DROP DATABASE IF EXISTS {dbname}")
        assert cur.statusmessage == "DROP DATABASE"
        assert notices == [f'database "{dbname}" does not exist, skipping']


def test_not_in_a_transaction_block(omendb_server, dbname):
    with omendb_server.connect(autocommit=False) as c:
        with pytest.raises(pgerr.ActiveSqlTransaction,
                           match="CREATE DATABASE cannot run inside a transaction block"):
            c.execute(f"CREATE DATABASE {dbname}")
        c.rollback()
        with pytest.raises(pgerr.ActiveSqlTransaction,
                           match="DROP DATABASE cannot run inside a transaction block"):
            c.execute(f"DROP DATABASE IF EXISTS {dbname}")


def test_cannot_drop_current_database(omendb_server, dbname):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
    try:
        with omendb_server.connect(dbname=dbname, autocommit=True) as d, \
                pytest.raises(pgerr.ObjectInUse, match="cannot drop the currently open database"):
            d.execute(f"DROP DATABASE {dbname}")
    finally:
        with admin(omendb_server) as c:
            c.execute(f"DROP DATABASE {dbname}")


def test_drop_with_other_sessions_is_55006(omendb_server, dbname):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
        other = omendb_server.connect(dbname=dbname, autocommit=True)
        try:
            with pytest.raises(pgerr.ObjectInUse) as exc:
                c.execute(f"DROP DATABASE {dbname}")
            assert str(exc.value).startswith(f'database "{dbname}" is being accessed by other users')
            assert exc.value.diag.message_detail == "There is 1 other session using the database."
        finally:
            other.close()
        c.execute(f"DROP DATABASE {dbname}")  # the session is gone: now it can be dropped


def test_drop_with_force_ends_other_sessions(omendb_server, dbname):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
        other = omendb_server.connect(dbname=dbname, autocommit=True)
        try:
            c.execute(f"DROP DATABASE {dbname} WITH (FORCE)")
            with pytest.raises(psycopg.OperationalError):
                other.execute("SELECT 1")
        finally:
            other.close()
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        omendb_server.connect(dbname=dbname)


def test_quoted_name_and_options(omendb_server, unique_name):
    name = unique_name("Db/X")  # a quoted name with a slash: must not become a path
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE \"{name}\" WITH OWNER = omendb TEMPLATE = template0 "
                  "ENCODING 'UTF8' CONNECTION LIMIT = -1")
        with omendb_server.connect(dbname=name) as d:
            assert d.execute("SELECT current_database()").fetchone() == (name,)
        c.execute(f'DROP DATABASE "{name}"')


def test_databases_are_isolated_and_concurrent(omendb_server, dbname, table_name):
    """Sessions in two databases write the same table name without seeing each other."""
    second = dbname + "_b"
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
        c.execute(f"CREATE DATABASE {second}")
    try:
        errors: list[BaseException] = []

        def work(name: str, n: int) -> None:
            try:
                with omendb_server.connect(dbname=name, autocommit=True) as d:
                    d.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY)")
                    for i in range(n):
                        d.execute(f"INSERT INTO {table_name} VALUES (%s)", (i,))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(dbname, 5)),
                   threading.Thread(target=work, args=(second, 9))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for name, n in ((dbname, 5), (second, 9)):
            with omendb_server.connect(dbname=name) as d:
                assert d.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (n,)
    finally:
        with admin(omendb_server) as c:
            c.execute(f"DROP DATABASE IF EXISTS {dbname}")
            c.execute(f"DROP DATABASE IF EXISTS {second}")


def test_data_survives_restart_and_default_database_is_kept(fresh_server, table_name):
    """A created database and its rows persist; the default database's data dir is unchanged."""
    with fresh_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY)")
        c.execute(f"INSERT INTO {table_name} VALUES (7)")
        c.execute("CREATE DATABASE appdb")
    with fresh_server.connect(dbname="appdb", autocommit=True) as d:
        d.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY)")
        d.execute(f"INSERT INTO {table_name} VALUES (1), (2)")
    assert (fresh_server.data_dir / "base" / "appdb").is_dir()
    fresh_server.restart()
    with fresh_server.connect(dbname="appdb") as d:
        assert d.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (2,)
    with fresh_server.connect() as c:
        assert c.execute(f"SELECT id FROM {table_name}").fetchall() == [(7,)]
    with fresh_server.connect(autocommit=True) as c:
        c.execute("DROP DATABASE appdb")
    assert not (fresh_server.data_dir / "base" / "appdb").exists()
    fresh_server.restart()
    with pytest.raises(psycopg.OperationalError, match='database "appdb" does not exist'):
        fresh_server.connect(dbname="appdb")


def test_pg_database_lists_created_databases(omendb_server, dbname):
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
        try:
            names = {r[0] for r in c.execute("SELECT datname FROM pg_database")}
            assert {"omendb", dbname} <= names
            oid = c.execute("SELECT oid FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            assert oid is not None and oid[0] >= 16384
        finally:
            c.execute(f"DROP DATABASE {dbname}")
        names = {r[0] for r in c.execute("SELECT datname FROM pg_database")}
        assert dbname not in names


@pytest.mark.parametrize("sql, sqlstate, message", [
    ("DROP DATABASE {n} WITH (BOGUS)", "42601", 'syntax error at or near "BOGUS"'),
    ("CREATE DATABASE {n} BOGUS 1", "42601", 'option "bogus" not recognized'),
    ("CREATE DATABASE {n} TEMPLATE {n}_t", "3D000", 'template database "{n}_t" does not exist'),
    ("CREATE DATABASE template1", "42P04", 'database "template1" already exists'),
])
def test_errors_as_postgresql(omendb_server, dbname, sql, sqlstate, message):
    with admin(omendb_server) as c:
        with pytest.raises(psycopg.Error) as exc:
            c.execute(sql.format(n=dbname))
        assert exc.value.sqlstate == sqlstate
        assert str(exc.value).splitlines()[0] == message.format(n=dbname)


def test_drop_if_exists_force_without_with(omendb_server, dbname):
    with admin(omendb_server) as c:
        cur = c.execute(f"DROP DATABASE IF EXISTS {dbname} (FORCE)")
        assert cur.statusmessage == "DROP DATABASE"


def test_create_from_template_copies_it(omendb_server, dbname, table_name):
    """Django's parallel test runner clones its test database this way."""
    copy = dbname + "_copy"
    with admin(omendb_server) as c:
        c.execute(f"CREATE DATABASE {dbname}")
    try:
        with omendb_server.connect(dbname=dbname, autocommit=True) as src:
            src.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
            src.execute(f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b')")
            with admin(omendb_server) as c, pytest.raises(pgerr.ObjectInUse) as exc:
                c.execute(f"CREATE DATABASE {copy} TEMPLATE {dbname}")
            assert str(exc.value).startswith(
                f'source database "{dbname}" is being accessed by other users')
            assert exc.value.diag.message_detail == "There is 1 other session using the database."
        with admin(omendb_server) as c:
            c.execute(f"CREATE DATABASE {copy} WITH TEMPLATE = {dbname}")
        with omendb_server.connect(dbname=copy, autocommit=True) as d:
            assert d.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == \
                [(1, "a"), (2, "b")]
            d.execute(f"INSERT INTO {table_name} VALUES (3, 'only in the copy')")
        with omendb_server.connect(dbname=dbname) as src:  # the template is unchanged
            assert src.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (2,)
    finally:
        with admin(omendb_server) as c:
            c.execute(f"DROP DATABASE IF EXISTS {copy}")
            c.execute(f"DROP DATABASE IF EXISTS {dbname}")


def test_verify_lists_every_database(fresh_server, table_name):
    """``omendb verify`` on a stopped server's data directory covers created databases too."""
    import subprocess
    import sys

    with fresh_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int)")
        c.execute("CREATE DATABASE verifydb")
    with fresh_server.connect(dbname="verifydb", autocommit=True) as d:
        d.execute(f"CREATE TABLE {table_name} (id int)")
        d.execute(f"INSERT INTO {table_name} VALUES (1), (2), (3)")
    fresh_server.stop_clean()
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from omendb_server.cli import admin_main; "
         "sys.exit(admin_main(sys.argv[1:]))", "verify", "--data-dir", str(fresh_server.data_dir)],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert f"public.{table_name}: 0 rows" in out.splitlines()
    assert f"database verifydb: public.{table_name}: 3 rows" in out.splitlines()
