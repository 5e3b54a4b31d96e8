"""Reliability tests: concurrent load, crashes, vanished clients, restarts.

Sized for the CI machines (2 cores): the whole directory runs in well under two minutes
against OmenDB. Every thread join and every wait is bounded; a worker stuck on a server
that stopped answering has its socket shut down under it so the run ends.

``OMENDB_CRASH_CYCLES`` raises the number of SIGKILL cycles of test_reliability_crash for a
longer soak run (default 20); ``OMENDB_BANK_TRANSFERS`` the bank test's transfer count.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RELIABILITY_TEST_TIMEOUT = 240


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(RELIABILITY_TEST_TIMEOUT))
