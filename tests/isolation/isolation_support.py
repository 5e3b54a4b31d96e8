"""Helpers for isolation tests: explicit sessions and statements that may block.

Every isolation test drives two or three sessions by hand, the way PostgreSQL's
``src/test/isolation`` specs do: each ``Session`` is an autocommit psycopg connection and
the test sends ``BEGIN [ISOLATION LEVEL ...]`` / ``COMMIT`` / ``ROLLBACK`` itself, so the
transaction boundaries are exactly the ones written in the test (psycopg's implicit BEGIN
would hide them, and a second ``BEGIN ISOLATION LEVEL`` inside it is ignored).

A statement that is expected to wait for a lock runs in a background thread
(``Session.start``) and comes back as a ``Pending``. Nothing waits without a bound:

* ``Pending.assert_blocked()`` passes if the statement is still running after
  ``BLOCK_PROBE`` seconds, and fails (with the result it produced) otherwise;
* ``Pending.wait()`` / ``result()`` / ``error()`` fail the test after ``WAIT`` seconds
  instead of hanging.

If a statement is still stuck at the end of a test, ``SessionPool.close_all`` shuts the
socket down under it (the blocked thread then gets a connection error and ends) before
closing the connection, so one engine bug costs one failed test, not a hung CI job.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable


# How long a statement that should be waiting for a lock must stay blocked to count as blocked.
BLOCK_PROBE = 0.5
# Upper bound for anything that should finish (a statement after the lock holder ended, a
# deadlock being detected, ...). Generous: PostgreSQL needs ~1 s (deadlock_timeout) at most.
WAIT = 10.0

LEVELS = ("READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE")
SNAPSHOT_LEVELS = ("REPEATABLE READ", "SERIALIZABLE")


@dataclass
class Result:
    rows: list[tuple] | None  # None when the statement returns no rows (UPDATE without RETURNING, ...)
    rowcount: int
    status: str | None  # the command tag, e.g. "UPDATE 1"


class Pending:
    """A statement running in a background thread (see module docstring)."""

    def __init__(self, fn: Callable[[], Any], label: str):
        self.label = label
        self._fn = fn
        self._done = threading.Event()
        self.value: Any = None
        self.exc: BaseException | None = None
        self.started_at = time.monotonic()
        self.finished_at: float | None = None
        self.thread = threading.Thread(target=self._run, name=f"pending:{label}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.value = self._fn()
        except BaseException as e:  # noqa: BLE001 - reported to the test thread
            self.exc = e
        finally:
            self.finished_at = time.monotonic()
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return end - self.started_at

    def _outcome(self) -> str:
        if self.exc is not None:
            return f"error {type(self.exc).__name__} [{getattr(self.exc, 'sqlstate', None)}]: {self.exc}"
        return f"result {self.value!r}"

    def assert_blocked(self, probe: float = BLOCK_PROBE, why: str = "") -> None:
        """The statement must still be waiting after ``probe`` seconds."""
        if self._done.wait(probe):
            raise AssertionError(
                f"{self.label!r} should be blocked{' (' + why + ')' if why else ''} but finished "
                f"after {self.elapsed:.3f}s with {self._outcome()}"
            )

    def wait(self, timeout: float = WAIT, why: str = "") -> "Pending":
        if not self._done.wait(timeout):
            raise AssertionError(
                f"{self.label!r} still had no answer after {timeout:.1f}s"
                f"{' (' + why + ')' if why else ''}: blocked forever?"
            )
        return self

    def result(self, timeout: float = WAIT, why: str = "") -> Any:
        """Wait, then return the value or re-raise the statement's error."""
        self.wait(timeout, why)
        if self.exc is not None:
            raise self.exc
        return self.value

    def error(self, timeout: float = WAIT, why: str = "") -> BaseException:
        """Wait, then return the error the statement failed with (failing if it succeeded)."""
        self.wait(timeout, why)
        if self.exc is None:
            raise AssertionError(
                f"{self.label!r} should have failed{' (' + why + ')' if why else ''} but returned "
                f"{self.value!r} after {self.elapsed:.3f}s"
            )
        return self.exc


def sqlstate_of(exc: BaseException | None) -> str | None:
    return getattr(exc, "sqlstate", None)


def assert_sqlstate(exc: BaseException, sqlstate: str, message_contains: str | None = None) -> None:
    got = sqlstate_of(exc)
    assert got == sqlstate, (
        f"expected SQLSTATE {sqlstate}, got {got} ({type(exc).__name__}: {exc})"
    )
    if message_contains is not None:
        primary = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
        assert message_contains in primary, f"expected {message_contains!r} in error message {primary!r}"


class Session:
    """One client connection in autocommit mode; the test writes BEGIN/COMMIT itself."""

    def __init__(self, target, name: str):
        self.name = name
        self.conn = target.connect(autocommit=True)
        self.pending: Pending | None = None

    def _exec(self, sql: str, params: Any = None) -> Result:
        cur = self.conn.execute(sql, params)
        rows = cur.fetchall() if cur.description is not None else None
        return Result(rows=rows, rowcount=cur.rowcount, status=cur.statusmessage)

    def execute(self, sql: str, params: Any = None) -> Result:
        """Run a statement that must answer promptly (bounded by a background wait)."""
        self._check_idle()
        p = Pending(lambda: self._exec(sql, params), f"{self.name}: {sql}")
        self.pending = p
        return p.result(WAIT, why="this statement should not wait for anything")

    def rows(self, sql: str, params: Any = None) -> list[tuple]:
        res = self.execute(sql, params)
        assert res.rows is not None, f"{sql!r} returned no result set ({res.status})"
        return res.rows

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.rows(sql, params)
        assert len(rows) == 1 and len(rows[0]) == 1, f"{sql!r}: expected one value, got {rows!r}"
        return rows[0][0]

    def expect_error(self, sql: str, sqlstate: str, message_contains: str | None = None,
                     params: Any = None) -> BaseException:
        self._check_idle()
        p = Pending(lambda: self._exec(sql, params), f"{self.name}: {sql}")
        self.pending = p
        exc = p.error(WAIT, why=f"expected SQLSTATE {sqlstate}")
        assert_sqlstate(exc, sqlstate, message_contains)
        return exc

    def start(self, sql: str, params: Any = None) -> Pending:
        """Send a statement that may block; returns at once."""
        self._check_idle()
        self.pending = Pending(lambda: self._exec(sql, params), f"{self.name}: {sql}")
        return self.pending

    def _check_idle(self) -> None:
        if self.pending is not None and not self.pending.done:
            raise AssertionError(
                f"test bug: session {self.name} is still running {self.pending.label!r}"
            )

    def abort_socket(self) -> None:
        """Shut the socket down under the client (unblocks a thread stuck in a statement)."""
        try:
            fd = os.dup(self.conn.fileno())
        except Exception:  # noqa: BLE001 - already closed
            return
        s = socket.socket(fileno=fd)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            s.close()

    def close(self) -> None:
        if self.pending is not None and not self.pending.done:
            self.abort_socket()
            self.pending._done.wait(5.0)
            if not self.pending.done:
                return  # leave the connection to the daemon thread rather than free it under it
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


class SessionPool:
    def __init__(self, target):
        self.target = target
        self.sessions: list[Session] = []

    def __call__(self, name: str | None = None) -> Session:
        s = Session(self.target, name or f"s{len(self.sessions) + 1}")
        self.sessions.append(s)
        return s

    def close_all(self) -> None:
        # Unblock first (stuck statements hold locks other stuck statements wait for).
        for s in self.sessions:
            if s.pending is not None and not s.pending.done:
                s.abort_socket()
        for s in self.sessions:
            s.close()
