"""Small helpers shared by the reliability tests (threads with bounded joins, socket cut-off)."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Callable

import psycopg

# SQLSTATEs after which a transaction may simply be retried.
RETRYABLE = {"40001", "40P01"}


def sqlstate_of(exc: BaseException | None) -> str | None:
    return getattr(exc, "sqlstate", None)


def shutdown_socket(conn: psycopg.Connection) -> None:
    """Shut a client socket down under psycopg (a thread blocked on it then gets an error)."""
    try:
        fd = os.dup(conn.fileno())
    except Exception:  # noqa: BLE001 - already closed
        return
    s = socket.socket(fileno=fd)
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        s.close()


class Worker(threading.Thread):
    """A daemon thread that records the exception it died with."""

    def __init__(self, target: Callable[[], None], name: str):
        super().__init__(name=name, daemon=True)
        self._fn = target
        self.exc: BaseException | None = None

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as e:  # noqa: BLE001 - reported by join_all
            self.exc = e


def join_all(workers: list[Worker], timeout: float, conns: list[psycopg.Connection] = ()) -> list[str]:
    """Join every worker within ``timeout`` seconds overall; returns the names still running.

    If some are still running, the given connections' sockets are shut down to unblock them
    (they are daemon threads, so even a thread that stays stuck cannot hang the run).
    """
    deadline = time.monotonic() + timeout
    for w in workers:
        w.join(max(0.0, deadline - time.monotonic()))
    stuck = [w.name for w in workers if w.is_alive()]
    if stuck:
        for c in conns:
            shutdown_socket(c)
        for w in workers:
            w.join(5.0)
    return stuck


def close_quietly(conn: psycopg.Connection | None) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except Exception:  # noqa: BLE001
        pass
