"""Shared pytest fixtures: a real OmenDB server and clients connected to it.

* ``omendb_server`` (session): one server for the whole run, on a free loopback port and
  a temporary data directory, with a random ``OMENDB_PASSWORD``. Stopped with SIGTERM at
  the end; a non-zero exit status fails the run. Tests share it, so they must use
  unique table names (``unique_name`` / ``table_name``).
* ``fresh_server`` (function): a private server for tests that restart or kill it.
* ``conn``: a psycopg connection to ``omendb_server`` (autocommit off).

``OMENDB_TEST_TARGET_DSN=<libpq conninfo>`` runs the suite against an existing server
instead (e.g. PostgreSQL 15, to check the tests' expectations); tests that need to
start, stop or kill the server are then skipped.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serverproc import ServerProcess, Target, new_password, target_from_dsn  # noqa: E402

TARGET_DSN_ENV = "OMENDB_TEST_TARGET_DSN"


def external_target() -> Target | None:
    dsn = os.environ.get(TARGET_DSN_ENV)
    return target_from_dsn(dsn) if dsn else None


@pytest.fixture(scope="session")
def omendb_server(tmp_path_factory):
    """The shared server (a Target; a ServerProcess unless OMENDB_TEST_TARGET_DSN is set)."""
    target = external_target()
    if target is not None:
        yield target
        return
    base = tmp_path_factory.mktemp("omendb-session")
    server = ServerProcess(data_dir=base / "data", password=new_password())
    server.start()
    try:
        yield server
    finally:
        if server.is_running():
            server.stop_clean()
        else:
            # A test may have stopped it on purpose; it must then have exited cleanly too.
            assert server.proc is not None and server.proc.returncode == 0, (
                f"shared omendb-server died (status {server.proc.returncode if server.proc else None})"
                f"\n--- server output ---\n{server.output()}"
            )


@pytest.fixture
def fresh_server(tmp_path):
    """A private, already started server that the test may restart, kill or stop."""
    if external_target() is not None:
        pytest.skip(f"needs a server the tests start themselves ({TARGET_DSN_ENV} is set)")
    server = ServerProcess(data_dir=tmp_path / "data", password=new_password())
    server.start()
    try:
        yield server
    finally:
        if server.is_running():
            server.stop_clean()


@pytest.fixture
def managed_only():
    """Skip when the suite runs against an external server."""
    if external_target() is not None:
        pytest.skip(f"needs a server the tests start themselves ({TARGET_DSN_ENV} is set)")


@pytest.fixture
def conn(omendb_server):
    """A psycopg connection to the shared server; autocommit off, closed afterwards."""
    c = omendb_server.connect(autocommit=False)
    try:
        yield c
    finally:
        c.close()


_counter = itertools.count(1)


@pytest.fixture
def unique_name(request):
    """``unique_name("t")`` → a table/identifier name no other test uses in this run."""
    base = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:30]
    pid = os.getpid()

    def make(prefix: str = "t") -> str:
        return f"{prefix}_{base}_{pid}_{next(_counter)}"

    return make


@pytest.fixture
def table_name(unique_name):
    """One unique table name for the test."""
    return unique_name("t")
