"""The only module that writes data files: write tmp → fsync → rename → fsync dir.

Every derived file (Parquet segments today) goes through ``atomic_write`` so a
crash leaves either the old file or the complete new one, never a torn file.
Tests may set ``FAULT_HOOK`` to raise at a named step to prove that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

FAULT_HOOK: Callable[[str, Path], None] | None = None


def _fault(step: str, path: Path) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(step, path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then publish it at ``path`` durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    _fault("written", tmp)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    _fault("synced", tmp)
    os.replace(tmp, path)
    _fault("renamed", path)
    fsync_dir(path.parent)


def remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
