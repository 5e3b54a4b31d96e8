"""psql (the real PostgreSQL 15 client) against the server, via subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def _psql_binary() -> str:
    found = shutil.which("psql")
    if not found:
        try:
            bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            candidate = os.path.join(bindir, "psql")
            if os.access(candidate, os.X_OK):
                found = candidate
        except (OSError, subprocess.CalledProcessError):
            pass
    if not found:
        if os.environ.get("CI"):
            pytest.fail("psql not found (CI must provide the PostgreSQL 15 client)")
        pytest.skip("psql not installed")
    return found


def psql(target, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSWORD"] = target.password
    env["PSQLRC"] = os.devnull
    proc = subprocess.run(
        [_psql_binary(), target.conninfo(with_password=False), "-X", "-v", "ON_ERROR_STOP=1", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )
    if check:
        assert proc.returncode == 0, f"psql failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}"
    return proc


def test_psql_select(omendb_server):
    assert psql(omendb_server, "-At", "-c", "select 1+1").stdout == "2\n"


def test_psql_aligned_output(omendb_server):
    out = psql(omendb_server, "-c", "select 6*7 as answer, 'x'::text as letter").stdout
    lines = out.splitlines()
    assert lines[0].split("|")[0].strip() == "answer"
    assert lines[2].split("|")[0].strip() == "42"
    assert "(1 row)" in out


def test_psql_create_insert_select(omendb_server, table_name):
    out = psql(
        omendb_server,
        "-c", f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, name text)",
        "-c", f"INSERT INTO {table_name} VALUES (1, 'alpha'), (2, 'beta')",
        "-c", f"SELECT id, name FROM {table_name} ORDER BY id DESC",
        "-A", "-F", ",",
    ).stdout
    assert out.splitlines() == ["CREATE TABLE", "INSERT 0 2", "id,name", "2,beta", "1,alpha", "(2 rows)"]


def test_psql_several_statements_in_one_command(omendb_server, table_name):
    out = psql(
        omendb_server, "-At", "-c",
        f"CREATE TABLE {table_name} (id int4 PRIMARY KEY); INSERT INTO {table_name} VALUES (7), (8); "
        f"SELECT sum(id) FROM {table_name}",
    ).stdout
    assert out.strip().splitlines()[-1] == "15"


def test_psql_reports_errors(omendb_server):
    proc = psql(omendb_server, "-c", "SELECT * FROM psql_missing_table", check=False)
    assert proc.returncode == 1
    assert 'ERROR:  relation "psql_missing_table" does not exist' in proc.stderr


def test_psql_wrong_password(omendb_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSWORD"] = "definitely-wrong"
    proc = subprocess.run(
        [_psql_binary(), omendb_server.conninfo(with_password=False), "-X", "-c", "select 1"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 2
    assert "password authentication failed" in proc.stderr


def test_psql_dt_lists_tables_like_postgres(fresh_server):
    psql(fresh_server, "-c", "CREATE TABLE accounts (id int PRIMARY KEY, owner text)",
         "-c", "CREATE TABLE zebra (id int)")
    out = psql(fresh_server, "-c", r"\dt").stdout
    lines = out.splitlines()
    assert lines[0].strip() == "List of relations"  # centred by psql itself
    assert lines[1:] == [
        " Schema |   Name   | Type  | Owner  ",
        "--------+----------+-------+--------",
        " public | accounts | table | omendb",
        " public | zebra    | table | omendb",
        "(2 rows)",
        "",
    ]
