"""Integration tests: real clients over real sockets against a real server (see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# A hung server should fail one test quickly, not eat the global 300 s timeout per test.
INTEGRATION_TIMEOUT = 120


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(INTEGRATION_TIMEOUT))


@pytest.fixture(scope="module")
def text_conn(omendb_server):
    """A connection keeping values in PostgreSQL's text format (``_text_cases.py``)."""
    from ._text_cases import text_connection

    c = text_connection(omendb_server)
    yield c
    c.close()
