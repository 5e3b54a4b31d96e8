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
