"""The data directory's exclusive lock: one server per directory.

RocksDB has its own LOCK file, but its error is cryptic; this lock is taken
first so a second server fails with a message an operator understands.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from omendb_server import errors


class DataDirLock:
    """An flock held for the server's lifetime on ``<data_dir>/omendb.pid``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "omendb.pid"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise errors.ObjectInUse(
                f'data directory "{self.path.parent}" is in use by another '
                f"omendb-server (pid {other})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
