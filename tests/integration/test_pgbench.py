"""pgbench against OmenDB: its init (CREATE ... WITH (fillfactor), TRUNCATE, COPY, VACUUM,
ALTER TABLE ADD PRIMARY KEY) and its select-only workload in every protocol mode."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def _pgbench(server, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("pgbench")
    if exe is None:
        pytest.fail("pgbench is not on PATH (scripts/test adds `pg_config --bindir`)")
    env = dict(os.environ, PGPASSWORD=server.password)
    return subprocess.run([exe, "-h", server.host, "-p", str(server.port), "-U", "omendb", *args,
                           "omendb"], capture_output=True, text=True, timeout=240, env=env)


def test_pgbench_init_and_select_only(fresh_server):
    init = _pgbench(fresh_server, "-i", "-s", "1", "-q")
    assert init.returncode == 0, init.stderr
    with fresh_server.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone() == (100_000,)
        assert conn.execute("SELECT count(*), sum(bbalance) FROM pgbench_branches").fetchone() == (1, 0)
        assert conn.execute(
            "SELECT relname FROM pg_class WHERE relname = 'pgbench_accounts_pkey'").fetchone()
    for mode in ("simple", "extended", "prepared"):
        run = _pgbench(fresh_server, "-S", "-M", mode, "-t", "200", "-c", "2")
        assert run.returncode == 0, run.stderr
        assert "number of failed transactions: 0" in run.stdout, run.stdout
        assert "number of transactions actually processed: 400/400" in run.stdout, run.stdout


def test_alter_table_add_primary_key(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (a int, b text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'x'), (1, 'y')")
    import psycopg

    with pytest.raises(psycopg.errors.UniqueViolation) as exc:
        conn.execute(f"ALTER TABLE {table_name} ADD PRIMARY KEY (a)")
    assert exc.value.diag.message_detail == "Key (a)=(1) is duplicated."
    conn.rollback()
    conn.execute(f"CREATE TABLE {table_name} (a int, b text)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'x'), (2, 'y')")
    conn.execute(f"ALTER TABLE {table_name} ADD PRIMARY KEY (a)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(f"INSERT INTO {table_name} VALUES (2, 'z')")
    conn.rollback()
    # the rolled-back ALTER left no key behind
    conn.execute(f"CREATE TABLE {table_name} (a int, b text)")
    conn.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {table_name}_k PRIMARY KEY (a, b)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'x'), (1, 'y')")
    with pytest.raises(psycopg.errors.UniqueViolation) as exc:
        conn.execute(f"INSERT INTO {table_name} VALUES (1, 'x')")
    assert exc.value.diag.constraint_name == f"{table_name}_k"
    conn.rollback()
