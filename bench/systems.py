"""Start the OmenDB server under test (through tests/serverproc.py, as the test suite does)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.core import REPO

sys.path.insert(0, str(REPO / "tests"))

from serverproc import ServerProcess, free_port, new_password  # noqa: E402

__all__ = ["start_omendb", "free_port", "ServerProcess"]


def start_omendb(scratch: Path, extra_args: list[str] | None = None) -> ServerProcess:
    """A fresh OmenDB server on a free loopback port with a random password."""
    server = ServerProcess(
        data_dir=scratch / "omendb-data",
        password=new_password(),
        log_path=scratch / "omendb-server.log",
        extra_args=list(extra_args or []),
    )
    return server.start(timeout=120)
