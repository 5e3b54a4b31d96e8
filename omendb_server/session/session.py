"""Per-connection state: settings, the transaction block, prepared statements, portals.

The session implements PostgreSQL's transaction-block rules independent of the
wire: implicit transactions (a simple Query string, or extended messages up to
Sync, run in one), explicit BEGIN blocks, the aborted state where every
statement gets 25P02 until ROLLBACK, and savepoints.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import DataType, FormatContext
from omendb_server.engine import Database
from omendb_server.session import settings as gucs
from omendb_server.sql import Plan, Result, TxnControlPlan, auto_parameterize
from omendb_server.session.cancel import WATCHDOG, CanceledByTimeout, CanceledByUser, StatementGuard
from omendb_server.sql.utility import SqlPreparePlan
from omendb_server.txn import Transaction

log = logging.getLogger("omendb.session")

IDLE, IN_TXN, FAILED = b"I", b"T", b"E"


@dataclass
class PreparedStatement:
    name: str
    sql: str
    plan: Plan
    param_types: list[DataType]
    declared_oids: list[int] = field(default_factory=list)
    _encoders: dict[tuple[int, ...], Any] = field(default_factory=dict)

    def encoders(self, fmts: list[int], make: Any) -> Any:
        """Per-column value encoders for these result formats, built once per statement."""
        key = tuple(fmts)
        enc = self._encoders.get(key)
        if enc is None:
            enc = self._encoders[key] = make(self.plan.columns, fmts)
        return enc


class Portal:
    """A bound statement: parameters and result formats, and its rows once executed."""

    __slots__ = ("name", "stmt", "params", "result_formats", "rows", "pos", "tag")

    def __init__(self, name: str, stmt: PreparedStatement, params: list[Any],
                 result_formats: list[int]) -> None:
        self.name = name
        self.stmt = stmt
        self.params = params
        self.result_formats = result_formats
        self.rows: list[tuple[Any, ...]] | None = None
        self.pos = 0
        self.tag: str | None = None


class Session:
    _pids = itertools.count(1000)

    def __init__(self, db: Database, user: str, database: str,
                 startup_params: dict[str, str] | None = None) -> None:
        self.db = db
        self.user = user
        self.database = database
        self.pid = next(self._pids)
        self.settings: dict[str, str] = dict(gucs.DEFAULTS)
        self.settings["session_authorization"] = user
        self._local: dict[str, str] | None = None
        self.reported_changes: list[tuple[str, str]] = []
        #: Open SQL cursors (DECLARE ... CURSOR), by name: see sql/cursors.py.
        self.cursors: dict[str, Any] = {}
        #: (kind, schema, name) of the temporary tables/views this session created.
        self.temp_relations: list[tuple[str, str, str]] = []
        self.notices: list[errors.DBError] = []
        self.txn: Transaction | None = None
        self.implicit = False
        self.failed = False
        self.prepared: dict[str, PreparedStatement] = {}
        self.portals: dict[str, Portal] = {}
        self.last_seq_values: dict[int, int] = {}
        #: lock_timeout in seconds, parsed once when set (read by every statement).
        self.lock_timeout = 0.0
        #: statement_timeout in seconds (0: none), parsed once when set.
        self.statement_timeout = 0.0
        #: The running statement, for CancelRequest and statement_timeout.
        self.guard = StatementGuard()
        #: Setting values from before the current transaction changed them.
        self._guc_saved: dict[str, str] = {}
        self._guc_local: set[str] = set()
        self._fmt: FormatContext | None = None
        self._search_path_raw: str | None = None
        self._search_path: tuple[str, ...] = ()
        for key, value in (startup_params or {}).items():
            k = key.lower()
            if k in ("user", "database", "options", "replication"):
                continue
            try:
                self.set_setting(k, value.strip("'"))
            except errors.DBError:
                pass
        self.reported_changes.clear()

    # -- SessionInfo (read by SQL functions) --------------------------------------------------
    def get_setting(self, name: str) -> str:
        key = gucs.lookup_name(name)
        if key == "transaction_isolation":
            if self.txn is not None:
                return self.txn.isolation
            return self.settings["default_transaction_isolation"]
        if key == "is_superuser":
            return "on"
        return self.settings.get(key, "")

    def set_setting(self, name: str, value: str, is_local: bool = False) -> None:
        """SET / SET LOCAL / set_config. Changes are transactional, as in PostgreSQL: a
        rollback undoes them, and SET LOCAL lasts only until the transaction ends."""
        key = gucs.lookup_name(name)
        if key in gucs.READ_ONLY:
            raise errors.DBError(f'parameter "{name}" cannot be changed', "55P02")
        if value == "DEFAULT":
            value = gucs.DEFAULTS.get(key, "")
        value = gucs.normalize(key, value)
        if is_local and (self.txn is None or self.implicit) and key != "transaction_isolation":
            self.notice(errors.DBError("SET LOCAL can only be used in transaction blocks",
                                       "25P01", severity="WARNING"))
            return
        if self.txn is not None and key != "transaction_isolation":
            self._guc_saved.setdefault(key, self.settings.get(key, ""))
            if is_local:
                self._guc_local.add(key)
            else:
                self._guc_local.discard(key)
        self._apply_setting(key, value)

    def _apply_setting(self, key: str, value: str) -> None:
        if key in ("lock_timeout", "statement_timeout"):
            from omendb_server.engine import parse_duration

            setattr(self, key, parse_duration(value))
        if key == "transaction_isolation":
            if self.txn is not None and not self.implicit:
                if self.txn.snapshot_taken:
                    raise errors.ActiveSqlTransaction(
                        "SET TRANSACTION ISOLATION LEVEL must be called before any query")
                self.txn.isolation = value
            return
        self.settings[key] = value
        self._fmt = None
        if key in gucs.REPORTED:
            self.reported_changes.append((gucs.CANONICAL.get(key, key), value))

    def reset_all(self) -> None:
        for key, value in gucs.DEFAULTS.items():
            if key not in gucs.READ_ONLY and self.settings.get(key) != value:
                self.set_setting(key, value)

    def all_settings(self) -> list[tuple[str, str]]:
        return sorted((gucs.CANONICAL.get(k, k), self.get_setting(k)) for k in self.settings)

    def format_context(self) -> FormatContext:
        if self._fmt is None:
            self._fmt = FormatContext(
                timezone=self.settings["timezone"],
                datestyle=self.settings["datestyle"],
                intervalstyle=self.settings["intervalstyle"],
                extra_float_digits=int(self.settings["extra_float_digits"]),
                bytea_output=self.settings.get("bytea_output", "hex").lower(),
            )
        return self._fmt

    def notice(self, err: errors.DBError) -> None:
        self.notices.append(err)

    # -- status ---------------------------------------------------------------------------------
    @property
    def status(self) -> bytes:
        if self.txn is None or self.implicit:
            return IDLE
        return FAILED if self.failed else IN_TXN

    # -- statements -----------------------------------------------------------------------------
    def prepare(self, name: str, sql: str, param_oids: list[int]) -> PreparedStatement:
        if name and name in self.prepared:
            raise errors.DBError(f'prepared statement "{name}" already exists', "42P05")
        self._check_not_failed_for(sql)
        txn = self.txn
        self._use_search_path()
        plan = self.db.prepare(sql, param_oids, txn)
        old = self.prepared.get(name) if not name else None
        if old is not None and old.plan is plan and old.sql == sql \
                and old.declared_oids == list(param_oids):
            return old  # a driver re-parsing its unnamed statement: keep its caches
        if isinstance(plan, SqlPreparePlan) and plan.action == "execute":
            target = self.prepared.get(plan.name)  # Describe shows the rows it will return
            if target is not None:
                plan = dataclasses.replace(plan, columns=target.plan.columns)
        stmt = PreparedStatement(name, sql, plan, plan.param_types, list(param_oids))
        self.prepared[name] = stmt
        return stmt

    def prepare_simple(self, sql: str, lifted: Any = None) -> tuple[Plan, list[Any]]:
        """Plan a simple-Query statement. Literals compared with ``=``, ``<``... are
        lifted into parameters first (``lifted``: the caller's ``split_and_lift``
        result, or None to let ``auto_parameterize`` try) so the plan is cached across
        literal values; if the lifted form does not plan, the statement is planned as
        written (so errors read exactly as for the original text)."""
        self._use_search_path()
        if lifted is None:
            lifted = auto_parameterize(sql)
        if lifted is not None:
            text, literals = lifted
            try:
                plan = self.db.prepare(text, [oid for _, oid in literals], self.txn)
                if plan.kind in ("query", "dml"):
                    fmt = self.format_context()
                    params = [t.text_in(lit, -1, fmt) for t, (lit, _) in
                              zip(plan.param_types, literals)]
                    return plan, params
            except errors.DBError:
                pass
        return self.db.prepare(sql, [], self.txn), []

    def _use_search_path(self) -> None:
        """Unqualified names resolve along this session's search_path (H-ddl hook).

        Parsed again only when the setting changed or this thread's path is another
        session's (every simple query and Parse comes through here)."""
        from omendb_server.catalog.model import SEARCH_PATH, set_search_path

        raw = self.settings.get("search_path", "")
        if raw is not self._search_path_raw or SEARCH_PATH.get() is not self._search_path:
            set_search_path(raw, self.user)
            self._search_path = SEARCH_PATH.get()
            self._search_path_raw = raw

    def _check_not_failed_for(self, sql: str) -> None:
        if self.failed:
            head = sql.lstrip()[:20].upper()
            if not head.startswith(("ROLLBACK", "COMMIT", "END", "ABORT")):
                raise self._aborted_error()

    @staticmethod
    def _aborted_error() -> errors.DBError:
        return errors.InFailedSqlTransaction(
            "current transaction is aborted, commands ignored until end of transaction block"
        )

    def statement(self, name: str) -> PreparedStatement:
        stmt = self.prepared.get(name)
        if stmt is None:
            if name:
                raise errors.InvalidSqlStatementName(f'prepared statement "{name}" does not exist')
            raise errors.InvalidSqlStatementName("unnamed prepared statement does not exist")
        return stmt

    def bind(self, portal_name: str, stmt: PreparedStatement, params: list[Any],
             result_formats: list[int]) -> Portal:
        if portal_name and portal_name in self.portals:
            raise errors.DBError(f'portal "{portal_name}" already exists', "42P03")
        portal = Portal(portal_name, stmt, params, result_formats)
        self.portals[portal_name] = portal
        return portal

    def portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise errors.InvalidCursorName(f'portal "{name}" does not exist')
        return portal

    def execute_portal(self, portal: Portal, max_rows: int) -> tuple[list[tuple[Any, ...]], str | None]:
        """Run (or continue) a portal. Returns (rows, tag); tag None → PortalSuspended."""
        if portal.rows is None:
            result = self.run_plan(portal.stmt.plan, portal.params, portal.stmt.sql)
            portal.rows = result.rows or []
            portal.tag = result.tag
            portal.pos = 0
        rows = portal.rows
        if max_rows <= 0 or portal.pos + max_rows >= len(rows):
            chunk = rows[portal.pos:] if portal.pos else rows
            portal.pos = len(rows)
            tag = portal.tag or ""
            if tag.startswith("SELECT"):
                tag = f"SELECT {len(chunk)}"
            return chunk, tag
        chunk = rows[portal.pos: portal.pos + max_rows]
        portal.pos += max_rows
        return chunk, None

    def run_plan(self, plan: Plan, params: list[Any], sql: str = "") -> Result:
        if isinstance(plan, TxnControlPlan):
            return self._txn_control(plan)
        if self.failed:
            raise self._aborted_error()
        read_only = not plan.writes and plan.kind == "query"
        if self.txn is None and not read_only:
            iso = self.settings["default_transaction_isolation"]
            self.txn = self.db.begin(iso)
            self.implicit = True
        token = self.guard.start(read_only, self.txn)
        timer = None
        if self.statement_timeout > 0:
            timer = WATCHDOG.schedule(self.statement_timeout, lambda: self.guard.cancel(
                CanceledByTimeout, self.db.wake_lock_waiters, only=token))
        try:
            if self.txn is None:
                # a read-only statement outside a transaction block needs only a snapshot
                return self.db.execute_read_only(plan, params, self)
            return self.db.execute(plan, params, self.txn, self)
        finally:
            self.guard.end()
            if timer is not None:
                WATCHDOG.unschedule(timer)

    def cancel_running(self) -> bool:
        """CancelRequest: stop the statement running now, if any (see session/cancel.py)."""
        return self.guard.cancel(CanceledByUser, self.db.wake_lock_waiters)

    def copy_out(self, plan: Any) -> list[bytes]:
        if self.failed:
            raise self._aborted_error()
        return self.db.copy_out(plan, self.txn, self)

    # -- transaction blocks -------------------------------------------------------------------
    def _txn_control(self, plan: TxnControlPlan) -> Result:
        action = plan.action
        if self.failed and action not in ("commit", "rollback", "rollback_to"):
            raise self._aborted_error()
        if action == "begin":
            if self.txn is not None and not self.implicit:
                self.notice(errors.DBError("there is already a transaction in progress", "25001",
                                           severity="WARNING"))
                return Result("BEGIN")
            iso = plan.isolation or self.settings["default_transaction_isolation"]
            if self.txn is None:
                self.txn = self.db.begin(iso)
            elif plan.isolation:
                self.txn.isolation = iso
            self.implicit = False
            return Result("BEGIN")
        if action == "commit":
            if self.txn is None or self.implicit:
                self.notice(errors.DBError("there is no transaction in progress", "25P01",
                                           severity="WARNING"))
                return Result("COMMIT")
            if self.failed:
                self._end(commit=False)
                return Result("ROLLBACK")
            self._end(commit=True)
            return Result("COMMIT")
        if action == "rollback":
            if self.txn is None or self.implicit:
                self.notice(errors.DBError("there is no transaction in progress", "25P01",
                                           severity="WARNING"))
            else:
                self._end(commit=False)
            return Result("ROLLBACK")
        if action in ("savepoint", "release", "rollback_to"):
            if self.txn is None or self.implicit:
                word = {"savepoint": "SAVEPOINT", "release": "RELEASE SAVEPOINT",
                        "rollback_to": "ROLLBACK TO SAVEPOINT"}[action]
                raise errors.NoActiveSqlTransaction(f"{word} can only be used in transaction blocks")
            if action == "savepoint":
                self.db.savepoint(self.txn, plan.name)
                return Result("SAVEPOINT")
            if action == "release":
                self.db.release(self.txn, plan.name)
                return Result("RELEASE")
            self.db.rollback_to(self.txn, plan.name)
            self.failed = False
            return Result("ROLLBACK")
        if action == "set_transaction":
            if plan.chain:  # SESSION CHARACTERISTICS
                if plan.isolation:
                    self.set_setting("default_transaction_isolation", plan.isolation)
            elif plan.isolation:
                if self.txn is None or self.implicit:
                    self.notice(errors.DBError(
                        "SET TRANSACTION can only be used in transaction blocks", "25P01",
                        severity="WARNING"))
                else:
                    if self.txn.snapshot_taken:
                        raise errors.ActiveSqlTransaction(
                            "SET TRANSACTION ISOLATION LEVEL must be called before any query")
                    self.txn.isolation = plan.isolation
            return Result("SET")
        if action == "prepare":
            return self._sql_prepare(plan)  # type: ignore[arg-type]
        if action == "execute":
            return self._sql_execute(plan)  # type: ignore[arg-type]
        if action == "deallocate":
            if plan.name:
                if plan.name not in self.prepared:
                    raise errors.InvalidSqlStatementName(
                        f'prepared statement "{plan.name}" does not exist')
                del self.prepared[plan.name]
            else:
                self.prepared = {k: v for k, v in self.prepared.items() if k == ""}
            return Result("DEALLOCATE ALL" if not plan.name else "DEALLOCATE")
        if action in ("vacuum", "checkpoint"):
            if self.txn is not None and not self.implicit:
                raise errors.ActiveSqlTransaction(f"{plan.name} cannot run inside a transaction block")
            if self.txn is not None:  # the implicit transaction of this statement
                self._end(commit=True)
            if action == "vacuum":
                self.db.vacuum()
            else:
                self.db.checkpoint()
            return Result(plan.name)
        if action in ("create_database", "drop_database"):  # sql/databases.py; no transaction
            if self.txn is not None and not self.implicit:
                raise errors.ActiveSqlTransaction(f"{plan.name} cannot run inside a transaction block")
            if self.txn is not None:
                self._end(commit=True)
            return plan.run_in(self)  # type: ignore[attr-defined]
        if action == "analyze":
            return Result("ANALYZE")
        if action == "discard":
            self.prepared = {k: v for k, v in self.prepared.items() if k == ""}
            if plan.name == "ALL":
                self.reset_all()
            return Result(f"DISCARD {plan.name}")
        raise errors.FeatureNotSupported(f"{action} is not supported")

    def _sql_prepare(self, plan: SqlPreparePlan) -> Result:
        """PREPARE name [(types)] AS statement: a named prepared statement, the same kind
        (and namespace) as the protocol's Parse makes."""
        oids = []
        for type_name in plan.type_names:
            probe = self.db.prepare(f"SELECT CAST(NULL AS {type_name})", [], self.txn)
            assert probe.columns is not None
            oids.append(probe.columns[0].type.oid)
        self.prepare(plan.name, plan.statement, oids)
        return Result("PREPARE")

    def _sql_execute(self, plan: SqlPreparePlan) -> Result:
        """EXECUTE name [(arguments)]: each argument is an expression, cast to its
        parameter's type, then the statement runs as if bound by the protocol."""
        stmt = self.statement(plan.name)
        types = stmt.param_types
        if len(plan.arguments) != len(types):
            raise errors.DBError(
                f'wrong number of parameters for prepared statement "{plan.name}"', "42601",
                detail=f"Expected {len(types)} parameters but got {len(plan.arguments)}.")
        params: list[Any] = []
        if types:
            casts = ", ".join(f"CAST(({arg}) AS {t.name})"
                              for arg, t in zip(plan.arguments, types))
            probe = self.db.prepare(f"SELECT {casts}", [], self.txn)
            rows = self.run_plan(probe, [], "").rows or [()]
            params = list(rows[0])
        return self.run_plan(stmt.plan, params, stmt.sql)

    def _end(self, commit: bool) -> None:
        txn = self.txn
        self.txn = None
        self.implicit = False
        self.failed = False
        if self._guc_saved:
            for key, old in self._guc_saved.items():
                if not commit or key in self._guc_local:
                    self._apply_setting(key, old)
            self._guc_saved.clear()
            self._guc_local.clear()
        self.portals = {k: v for k, v in self.portals.items() if v.rows is None or not k}
        if self.cursors:  # WITHOUT HOLD cursors end with the transaction; a rollback also
            gone = getattr(txn, "txid", -1)  # takes the WITH HOLD ones it declared
            self.cursors = {k: c for k, c in self.cursors.items()
                            if c.hold and (commit or c.txid != gone)}
        if txn is None:
            return
        if commit:
            self.db.commit(txn)
        else:
            self.db.rollback(txn)

    def on_error(self) -> None:
        """A statement failed: abort an implicit transaction, or mark the block failed."""
        if self.txn is None:
            return
        if self.implicit:
            self._end(commit=False)
        else:
            self.failed = True

    def end_implicit(self) -> None:
        """End of a simple Query string or a Sync: commit the implicit transaction."""
        if self.txn is not None and self.implicit:
            self._end(commit=True)
        if self.txn is None:
            self.portals = {}

    def close(self) -> None:
        self._guc_saved.clear()
        if self.txn is not None:
            txn = self.txn
            self.txn = None
            self.db.rollback(txn)
        self._drop_temporary()

    def _drop_temporary(self) -> None:
        """Temporary tables and views live as long as the session that created them."""
        while self.temp_relations:
            entry = self.temp_relations[-1]
            kind, schema, name = entry
            sql = f'DROP {kind} IF EXISTS "{schema}"."{name}" CASCADE'
            try:
                self.run_plan(self.db.prepare(sql, [], None), [], sql)
                if self.txn is not None:
                    txn, self.txn = self.txn, None
                    self.db.commit(txn)
            except errors.DBError as e:
                if self.txn is not None:
                    txn, self.txn = self.txn, None
                    self.db.rollback(txn)
                log.warning("could not drop temporary %s %s.%s: %s", kind.lower(), schema, name,
                            e.message)
            while entry in self.temp_relations:  # (a successful DROP already forgot it)
                self.temp_relations.remove(entry)

