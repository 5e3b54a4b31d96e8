"""The commit log: append-only files of CRC-framed commit records, synced with os.fsync.

Why not RocksDB for this: rocksdict holds the GIL for the whole of a synced write, so
no other connection thread can run during the fsync and group commit never forms a
batch. ``os.write`` and ``os.fsync`` release the GIL, so while the group-commit leader
waits on the disk, the other threads execute their statements and queue their
commits for the next batch.

Layout: ``<data_dir>/wal/<first ts, 20 digits>.log``; each record is
``[length u32][crc32 u32][payload]``. A crash can leave a torn record at the end of
the newest file; replay stops reading that file there (the record was never
acknowledged, because acknowledgement waits for the fsync).
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Iterator

from omendb_server.storage.fs import fsync_dir

_HEADER = struct.Struct("<II")


class CommitLog:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._current: Path | None = None
        #: file → highest commit timestamp written to it (for truncation after checkpoints)
        self._max_ts: dict[Path, int] = {}

    def files(self) -> list[Path]:
        """Log files in write order: by first timestamp, then by rotation number."""
        def order(path: Path) -> tuple[int, int]:
            first, _, n = path.stem.partition("-")
            return int(first), int(n or 0)

        return sorted(self.dir.glob("*.log"), key=order)

    def open_for_append(self, next_ts: int) -> None:
        """Start a new file (after recovery, and at every checkpoint)."""
        with self._lock:
            self._rotate(next_ts)

    def _rotate(self, next_ts: int) -> None:
        if self._fd is not None:
            os.close(self._fd)
        path = self.dir / f"{next_ts:020d}.log"
        n = 0
        while path.exists():  # never append after a possibly torn tail
            n += 1
            path = self.dir / f"{next_ts:020d}-{n}.log"
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fsync_dir(self.dir)
        self._current = path
        self._max_ts.setdefault(path, 0)

    def rotate(self, next_ts: int) -> None:
        with self._lock:
            self._rotate(next_ts)

    def append(self, payloads: list[tuple[int, bytes]]) -> None:
        """Write (ts, payload) records and fsync; returns once they are durable."""
        data = b"".join(_HEADER.pack(len(p), zlib.crc32(p)) + p for _, p in payloads)
        with self._lock:
            assert self._fd is not None and self._current is not None
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
            top = max(ts for ts, _ in payloads)
            if top > self._max_ts.get(self._current, 0):
                self._max_ts[self._current] = top

    def drop_through(self, ts: int) -> int:
        """Delete files that hold only records at or below ``ts`` (covered by a checkpoint)."""
        removed = 0
        with self._lock:
            for path in self.files():
                if path == self._current:
                    continue
                top = self._max_ts.get(path)
                if top is None:
                    top = max((t for t, _ in _read_records(path)), default=0)
                if top <= ts:
                    path.unlink(missing_ok=True)
                    self._max_ts.pop(path, None)
                    removed += 1
            if removed:
                fsync_dir(self.dir)
        return removed

    def replay(self) -> Iterator[tuple[int, bytes]]:
        """Every intact record of every file, in file order."""
        for path in self.files():
            top = 0
            for ts, payload in _read_records(path):
                top = max(top, ts)
                yield ts, payload
            self._max_ts[path] = top

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _read_records(path: Path) -> Iterator[tuple[int, bytes]]:
    data = path.read_bytes()
    pos, n = 0, len(data)
    while pos + _HEADER.size <= n:
        length, crc = _HEADER.unpack_from(data, pos)
        start = pos + _HEADER.size
        end = start + length
        if end > n:
            return  # torn tail
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            return  # torn or damaged tail: nothing after it was acknowledged
        ts = int.from_bytes(payload[:8], "big")
        yield ts, payload
        pos = end
