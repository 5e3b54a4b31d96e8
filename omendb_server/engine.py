"""Database: opens a data directory and runs statements for a session. No sockets below here.

This is the seam the wire server and the (future) embedded driver share: they
hand it statement text, parameter values and a transaction, and get plans and
results back. All statement execution happens under one lock for now — the
simplest model that is correct — with waits for row conflicts done on the
lock's condition variable (see txn.manager).
"""

from __future__ import annotations

import base64
import datetime as _dt
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from omendb_server import errors
from omendb_server.catalog import Catalog
from omendb_server.catalog.model import SEARCH_PATH  # unqualified-name resolution (H-ddl)
from omendb_server.datatypes import TYPES_BY_OID, DataType, FormatContext
from omendb_server.sql import ExecContext, Plan, Result, compile_statement
from omendb_server.sql.context import SessionInfo
from omendb_server.storage import DataDirLock, Store
from omendb_server.txn import Transaction, TransactionManager
from omendb_server.txn.manager import READ_COMMITTED, Snapshot

log = logging.getLogger("omendb.engine")

_PLAN_CACHE_SIZE = 2048
#: Row changes in the commit log that trigger a background checkpoint.
CHECKPOINT_AFTER_OPS = 200_000
#: Dead row versions that trigger a background vacuum.
VACUUM_AFTER_DEAD = 20_000


class Database:
    def __init__(self, data_dir: Path, row_cache_rows: int = 0) -> None:
        self.data_dir = data_dir
        self.dir_lock = DataDirLock(data_dir)
        self.dir_lock.acquire()
        self.lock = threading.RLock()
        try:
            self.store = Store(data_dir / "rocksdb")
        except Exception:
            self.dir_lock.release()
            raise
        self.tm = TransactionManager(self.store, self.lock, data_dir / "segments", row_cache_rows)
        started = time.monotonic()
        replayed = self.tm.recover()
        base_rows = sum(len(d.base) for d in self.tm.tables.values() if d.base is not None)
        log.info("recovered %s: %d checkpointed rows, %d logged row changes replayed, %d tables "
                 "in %.2f s", data_dir, base_rows, replayed, len(self.tm.catalog.tables),
                 time.monotonic() - started)
        self._plans: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()
        self._stop_maintenance = threading.Event()
        #: The cluster.Cluster serving this database (CREATE/DROP DATABASE, pg_database
        #: reach it here); None when the engine runs on its own.
        self.cluster: Any = None
        self._drop_orphaned_temporary()

    def _drop_orphaned_temporary(self) -> None:
        """Temporary tables and views of sessions that ended with a crash (their session
        would have dropped them): PostgreSQL never shows them after a restart either."""
        cat = self.tm.catalog
        names = sorted({("TABLE", t.schema, t.name) for t in cat.tables.values() if t.temporary}
                       | {("VIEW", v.schema, v.name) for v in cat.views.values() if v.temporary})
        if not names:
            return
        session = _ServerSession()
        for kind, schema, name in names:
            sql = f'DROP {kind} IF EXISTS "{schema}"."{name}" CASCADE'
            txn = self.begin()
            try:
                self.execute(self.prepare(sql, [], txn), [], txn, session)
                self.commit(txn)
            except errors.DBError as e:
                self.rollback(txn)
                log.warning("could not drop temporary %s %s.%s left by a crash: %s",
                            kind.lower(), schema, name, e.message)
                continue
            log.info("dropped temporary %s %s.%s left by a crash", kind.lower(), schema, name)

    def close(self) -> None:
        self._stop_maintenance.set()
        with self.lock:
            for txn in list(self.tm.active.values()):
                self.tm.abort(txn)
            try:
                if self.tm.ops_since_checkpoint:
                    self.tm.checkpoint()  # a clean shutdown leaves nothing to replay
            except Exception:
                log.exception("checkpoint at shutdown failed; the commit log still has everything")
            self.store.close()
        self.dir_lock.release()

    # -- maintenance ------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, int]:
        with self.lock:
            started = _dt.datetime.now()
            out = self.tm.checkpoint()
            log.info("checkpoint: %d tables, %d rows written in %.2fs; %d tables now served "
                     "from the new segments", out["tables"], out["rows"],
                     (_dt.datetime.now() - started).total_seconds(), out.get("folded", 0))
            return out

    def vacuum(self) -> int:
        with self.lock:
            return self.tm.vacuum()

    def start_maintenance(self, interval: float = 2.0) -> None:
        """Background checkpoints and vacuum, so the log and dead versions stay bounded."""

        def loop() -> None:
            while not self._stop_maintenance.wait(interval):
                try:
                    if self.tm.ops_since_checkpoint >= CHECKPOINT_AFTER_OPS:
                        self.checkpoint()
                    if self.tm.dead_versions >= VACUUM_AFTER_DEAD:
                        with self.lock:
                            removed = self.tm.vacuum()
                        log.info("autovacuum: removed %d dead row versions", removed)
                except Exception:
                    log.exception("background maintenance failed")

        threading.Thread(target=loop, name="maintenance", daemon=True).start()

    # -- roles ------------------------------------------------------------------------------
    def users(self) -> dict[str, dict[str, Any]]:
        return self.store.get_json("users") or {}

    def create_user(self, name: str, scram_auth_info: tuple[bytes, bytes, bytes, int],
                    superuser: bool = False) -> None:
        salt, stored_key, server_key, iterations = scram_auth_info
        users = self.users()
        users[name] = {
            "salt": base64.b64encode(salt).decode(),
            "stored_key": base64.b64encode(stored_key).decode(),
            "server_key": base64.b64encode(server_key).decode(),
            "iterations": iterations,
            "superuser": superuser,
        }
        self.store.put_json("users", users)

    def databases(self) -> list[str]:
        return self.store.get_json("databases") or []

    def set_databases(self, names: list[str]) -> None:
        self.store.put_json("databases", names)

    # -- statements ------------------------------------------------------------------------------
    def wake_lock_waiters(self) -> None:
        """Wake transactions waiting for a row lock so they re-check why they wait (a
        cancel). Best effort: a statement holding the engine lock makes this give up, and
        waiters also wake on their own every second."""
        if self.lock.acquire(timeout=0.05):
            try:
                self.tm.changed.notify_all()
            finally:
                self.lock.release()

    def catalog_version(self) -> int:
        """The committed catalog's version: it changes with every committed DDL, so a plan
        made under one version is valid while it is still current (the plan cache key)."""
        return self.tm.catalog.version

    def catalog_for(self, txn: Transaction | None) -> Catalog:
        return self.tm.catalog_for(txn)

    def prepare(self, sql: str, param_oids: list[int], txn: Transaction | None) -> Plan:
        """Plan one statement (cached by text, parameter types and catalog version)."""
        with self.lock:
            catalog = self.tm.catalog_for(txn)
            private = txn is not None and txn.catalog is not None
            key = (sql, tuple(param_oids), catalog.version, SEARCH_PATH.get())
            if not private:
                plan = self._plans.get(key)
                if plan is not None:
                    self._plans.move_to_end(key)
                    return plan
            types: list[DataType | None] = [TYPES_BY_OID.get(o) if o else None for o in param_oids]
            for o, t in zip(param_oids, types):
                if o and t is None:
                    raise errors.UndefinedObject(f"type with OID {o} does not exist")
            plan = compile_statement(sql, catalog, types)
            if not private and plan.kind != "ddl":
                self._plans[key] = plan
                if len(self._plans) > _PLAN_CACHE_SIZE:
                    self._plans.popitem(last=False)
            return plan

    def begin(self, isolation: str = READ_COMMITTED) -> Transaction:
        with self.lock:
            return self.tm.begin(isolation)

    def commit(self, txn: Transaction) -> None:
        with self.lock:
            self.tm.commit(txn)

    def rollback(self, txn: Transaction) -> None:
        with self.lock:
            self.tm.abort(txn)

    def savepoint(self, txn: Transaction, name: str) -> None:
        with self.lock:
            if txn.bulk:
                self.tm.flush_bulk(txn)
            self.tm.savepoint(txn, name)

    def rollback_to(self, txn: Transaction, name: str) -> None:
        with self.lock:
            if txn.bulk:
                self.tm.flush_bulk(txn)
            self.tm.rollback_to(txn, name)

    def release(self, txn: Transaction, name: str) -> None:
        with self.lock:
            if txn.bulk:
                self.tm.flush_bulk(txn)
            self.tm.release(txn, name)

    def execute_read_only(self, plan: Plan, params: list[Any], session: SessionInfo) -> Result:
        """Run a read-only statement outside any transaction block on a fresh snapshot.

        No transaction is begun or committed: txid 0 matches no in-flight stamp, so
        the snapshot sees exactly the committed versions as of now."""
        with self.lock:
            return plan.execute(self._snapshot_context(params, session, session.format_context()))

    def point_rows(self, fast: Any, params: list[Any], session: SessionInfo,
                   fmt: Any) -> list[tuple[Any, ...]]:
        """Rows of a point-query plan's direct function (``QueryPlan.fast``) outside any
        transaction block: ``execute_read_only`` without the Result and its command tag,
        since the wire layer builds those from the row count itself (hot path)."""
        with self.lock:
            return fast(self._snapshot_context(params, session, fmt))

    def _snapshot_context(self, params: list[Any], session: SessionInfo, fmt: Any) -> ExecContext:
        """Outside a transaction block: a fresh snapshot of what is committed now (engine lock
        held by the caller)."""
        return ExecContext(params, Snapshot(self.tm.last_ts), self.tm, self.tm.catalog, session,
                           fmt, None, self)

    def copy_out(self, plan: Any, txn: Transaction | None, session: SessionInfo) -> list[bytes]:
        """Run COPY ... TO STDOUT and return its CopyData payloads (one per row)."""
        with self.lock:
            if txn is None:
                snap: Any = Snapshot(self.tm.last_ts)
            else:
                if txn.bulk:
                    self.tm.flush_bulk(txn)
                self.tm.statement_snapshot(txn)
                snap = txn
            ctx = ExecContext(
                params=[], txn=snap, tm=self.tm, catalog=self.tm.catalog_for(txn),
                session=session, fmt=session.format_context(),
                stmt_ts=_dt.datetime.now(_dt.timezone.utc), database=self,
            )
            return list(plan.copy_out(ctx))

    def execute(self, plan: Plan, params: list[Any], txn: Transaction,
                session: SessionInfo) -> Result:
        with self.lock:
            if txn.bulk and not getattr(plan, "bulk_ok", False):
                self.tm.flush_bulk(txn)  # COPY's staged rows become ordinary rows first
            self.tm.statement_snapshot(txn)
            txn.lock_timeout = getattr(session, "lock_timeout", 0.0)
            txn.wait_deadline = None
            ctx = ExecContext(
                params=params,
                txn=txn,
                tm=self.tm,
                catalog=self.tm.catalog_for(txn),
                session=session,
                fmt=session.format_context(),
                database=self,
            )
            return plan.execute(ctx)


def parse_duration(text: str) -> float:
    """A time GUC ('200ms', '1s', '5min', '250' = milliseconds) in seconds; 0 = no limit."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*", text or "0")
    if not m:
        return 0.0
    value = float(m.group(1))
    unit = m.group(2) or "ms"
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}[unit]


class _ServerSession:
    """The session of work the server does on its own (no client): the SessionInfo that
    statements it runs at startup see."""

    user = "omendb"
    database = ""
    pid = 0

    def get_setting(self, name: str) -> str:
        return {"search_path": '"$user", public'}.get(name, "")

    def set_setting(self, name: str, value: str, is_local: bool = False) -> None:
        return None

    def format_context(self) -> FormatContext:
        return FormatContext()

    def notice(self, err: errors.DBError) -> None:
        log.debug("%s", err.message)
