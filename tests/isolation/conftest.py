"""Isolation specs: PostgreSQL 15 behaviour is the expected result.

The tests run against the shared ``omendb_server`` (or ``OMENDB_TEST_TARGET_DSN``, e.g. a real
PostgreSQL 15, to check the expectations). Each test gets its own table(s) and its own
sessions (see isolation_support.py); nothing here is skipped or xfailed on purpose: a test
that fails names an engine feature that is missing or wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from isolation_support import SessionPool  # noqa: E402

# Each test waits for at most a few bounded lock waits; a stuck one fails quickly.
ISOLATION_TEST_TIMEOUT = 60


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(ISOLATION_TEST_TIMEOUT))


@pytest.fixture
def sessions(omendb_server):
    """``sessions("a")`` opens an autocommit Session on the shared server; all closed afterwards."""
    pool = SessionPool(omendb_server)
    try:
        yield pool
    finally:
        pool.close_all()


@pytest.fixture
def kv_table(omendb_server, table_name):
    """A table ``(id int PRIMARY KEY, v int NOT NULL)`` with rows (1, 10) .. (5, 50); returns its name."""
    with omendb_server.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int NOT NULL)")
        c.execute(f"INSERT INTO {table_name} (id, v) VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50)")
    return table_name
