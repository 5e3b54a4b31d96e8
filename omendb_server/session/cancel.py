"""Stopping a running statement: CancelRequest (psql's Ctrl-C) and statement_timeout.

The engine runs a statement as plain Python on the connection's thread, with no
checkpoints of its own to poll a flag. A read-only statement is stopped by raising
``QueryCanceled`` in that thread (CPython's ``PyThreadState_SetAsyncExc``, delivered at
the next bytecode boundary, so a long numba kernel finishes its call first): it changes no
shared state, so an exception anywhere inside it only unwinds it, and the engine lock is
released by its ``with`` block. A writing statement is never interrupted at an arbitrary
point (it could leave an index half-updated); it is stopped only where it waits for a row
lock, which checks ``Transaction.cancel_error``. While it runs, a cancel of a writing
statement otherwise has no effect, which PostgreSQL's own CancelRequest also allows
("the cancel request may or may not have any effect").

A request that arrives after the statement ended must not hit whatever the thread does
next: ``StatementGuard`` only injects while its statement runs, under a lock, and clears
any exception not yet delivered when the statement ends.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from omendb_server import errors

log = logging.getLogger("omendb.session")


class CanceledByUser(errors.QueryCanceled):
    def __init__(self, message: str = "canceling statement due to user request") -> None:
        super().__init__(message)


class CanceledByTimeout(errors.QueryCanceled):
    def __init__(self, message: str = "canceling statement due to statement timeout") -> None:
        super().__init__(message)


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc else None)


class StatementGuard:
    """The running statement of one session, for cancels coming from other threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (thread id, interruptible, transaction or None) of the running statement
        self._running: tuple[int, bool, Any] | None = None

    def start(self, interruptible: bool, txn: Any) -> object:
        """Mark a statement as running; returns its token (for ``cancel(only=...)``)."""
        running = (threading.get_ident(), interruptible, txn)
        with self._lock:
            self._running = running
        return running

    def end(self) -> None:
        with self._lock:
            running, self._running = self._running, None
            if running is None:
                return
            if running[2] is not None:
                running[2].cancel_error = None
            if running[1]:
                _set_async_exc(running[0], None)  # a cancel that was not delivered yet

    def cancel(self, exc: type[errors.QueryCanceled], wake: Callable[[], None],
               only: object | None = None) -> bool:
        """Stop the running statement (only if it is ``only``, when given); True if one
        was running."""
        with self._lock:
            running = self._running
            if running is None or (only is not None and running is not only):
                return False
            thread_id, interruptible, txn = running
            if txn is not None:
                txn.cancel_error = exc  # a writer waiting for a row lock stops there
            if interruptible:
                _set_async_exc(thread_id, exc)
        if not interruptible:
            wake()
        return True


class Watchdog:
    """One thread that fires statement timeouts: scheduling costs a heap push, not a
    thread per statement (statement_timeout is often set for every statement)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        #: handles scheduled and neither fired nor unscheduled (a dead heap entry is
        #: dropped when its time comes)
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, delay: float, fire: Callable[[], None]) -> int:
        handle = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, handle, fire))
            self._live.add(handle)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="statement-timeouts",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return handle

    def unschedule(self, handle: int) -> None:
        with self._cond:
            self._live.discard(handle)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, handle, fire = heapq.heappop(self._heap)
                if handle not in self._live:
                    continue
                self._live.discard(handle)
            try:
                fire()
            except Exception:  # a failed cancel must not stop the watchdog
                log.exception("statement timeout could not cancel its statement")


WATCHDOG = Watchdog()
