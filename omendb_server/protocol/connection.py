"""The connection state machine: startup → SCRAM → query cycle, sans-I/O.

The server feeds decoded frames in and writes out whatever ``pending`` holds
when ``flush_now`` says so — once per Sync/Query/Flush, never per message, which
is what keeps kernel wake-ups (the real cost per query) low. Rules enforced here
are the ones other PostgreSQL-wire servers got wrong: Describe answers
ParameterDescription + RowDescription/NoData, Execute never sends
RowDescription, ReadyForQuery only after Sync, and after an error every
extended-protocol message is discarded until Sync.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from omendb_server import config, errors
from omendb_server.auth import ScramExchange
from omendb_server.datatypes import DataType, FormatContext
from omendb_server.protocol import backend as be
from omendb_server.protocol import frontend as fe
from omendb_server.protocol.fast_paths import (
    BindTemplate,
    Encoder,
    SimpleTemplate,
    data_rows,
    make_encoders,
    point_reply,
    text_encoder,
)
from omendb_server.session import Session
from omendb_server.sql import OutputColumn, split_statements
from omendb_server.sql.copy import CopyPlan
from omendb_server.sql.simple_query import Lifted, split_and_lift

log = logging.getLogger("omendb.protocol")

STARTUP, SASL_INITIAL, SASL_FINAL, READY, CLOSED = range(5)

#: ParameterStatus values sent after authentication (server_version is the one
#: clients cannot do without; see shared/reference/clients/README.md).
def startup_parameters(session: Session) -> list[tuple[str, str]]:
    return [
        ("application_name", session.settings.get("application_name", "")),
        ("client_encoding", "UTF8"),
        ("DateStyle", session.settings["datestyle"]),
        ("default_transaction_read_only", "off"),
        ("in_hot_standby", "off"),
        ("integer_datetimes", "on"),
        ("IntervalStyle", session.settings["intervalstyle"]),
        ("is_superuser", "on"),
        ("server_encoding", "UTF8"),
        ("server_version", config.SERVER_VERSION),
        ("session_authorization", session.user),
        ("standard_conforming_strings", "on"),
        ("TimeZone", session.settings["timezone"]),
    ]


class _CopyIn:
    """A COPY FROM STDIN in progress: data is buffered and inserted in chunks."""

    CHUNK = 1 << 20

    def __init__(self, plan: Any, extended: bool) -> None:
        self.plan = plan
        self.extended = extended
        self.state: dict[str, Any] = {}
        self.buffer: list[bytes] = []
        self.size = 0


class Connection:
    """One client connection's protocol state. Not thread-safe: one thread drives it."""

    def __init__(self, db: Any, settings: config.Settings, peer: str = "") -> None:
        self.db = db
        self.settings = settings
        self.peer = peer
        self.state = STARTUP
        self.pending: list[bytes] = []
        self.flush_now = False
        self.session: Session | None = None
        self.user = ""
        self.database = ""
        self._startup_params: dict[str, str] = {}
        self._scram: ScramExchange | None = None
        self._skip_until_sync = False
        self.secret = secrets.randbits(31)
        #: Set for a CancelRequest connection: (pid, secret) to cancel, then close.
        self.cancel_request: tuple[int, int] | None = None
        self._handlers = {b"P": self._parse, b"B": self._bind, b"D": self._describe,
                          b"E": self._execute, b"C": self._close}
        #: Set while the client streams COPY FROM STDIN data.
        self._copy_in: _CopyIn | None = None
        #: Statements of a simple Query still to run after a COPY FROM STDIN finishes,
        #: each with its literals lifted into parameters (or None).
        self._pending_sql: list[tuple[str, Lifted | None]] = []
        #: (columns, RowDescription, encoders) of the last simple-Query result with rows.
        self._text_description: tuple[Any, bytes, list[Encoder]] = (None, b"", [])
        #: Lifted simple-Query point queries by their lifted text (SimpleTemplate).
        self._simple_templates: dict[str, SimpleTemplate] = {}
        #: (Parse payload, statement, catalog version, search_path) of the last unnamed
        #: Parse answered in the fast path: the same bytes again re-plan nothing.
        self._last_parse: tuple[bytes, Any, int, str | None] | None = None
        #: The byte layout of the last prepared point query's Bind..Sync packet.
        #: by statement name: a driver may keep several (psycopg prepares one per
        #: parameter type it sends: int2 for small ids, int4 for the others)
        self._bind_templates: dict[bytes, BindTemplate] = {}

    # -- output helpers -------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        self.pending.append(data)

    def take_output(self) -> bytes:
        out = b"".join(self.pending)
        self.pending.clear()
        self.flush_now = False
        return out

    def fatal(self, err: errors.DBError) -> None:
        if err.severity not in ("FATAL", "PANIC"):
            err.severity = "FATAL"
        self._send(be.error_response(err))
        self.flush_now = True
        self.state = CLOSED

    # -- startup phase ----------------------------------------------------------------------
    def on_startup_packet(self, payload: bytes) -> bool:
        """Handle a startup-phase packet. Returns True while more startup packets may follow."""
        msg = fe.decode_startup(payload)
        if isinstance(msg, (fe.SSLRequest, fe.GSSENCRequest)):
            self._send(be.SSL_REFUSED)
            self.flush_now = True
            return True
        if isinstance(msg, fe.CancelRequest):
            self.cancel_request = (msg.pid, msg.secret)
            self.state = CLOSED
            return False
        params = dict(msg.params)
        self.user = params.get("user", "")
        if not self.user:
            self.fatal(errors.InvalidAuthorizationSpecification(
                "no PostgreSQL user name specified in startup packet"))
            return False
        self.database = params.get("database") or self.user
        self._startup_params = params
        self._scram = ScramExchange(self.user, self.db.users().get(self.user))
        self._send(be.authentication_sasl(["SCRAM-SHA-256"]))
        self.flush_now = True
        self.state = SASL_INITIAL
        return False

    def _on_password(self, raw: bytes) -> None:
        assert self._scram is not None
        if self.state == SASL_INITIAL:
            mech, data = fe.parse_sasl_initial_response(raw)
            if mech != "SCRAM-SHA-256":
                raise errors.ProtocolViolation(
                    "client selected an invalid SASL authentication mechanism")
            self._send(be.authentication_sasl_continue(self._scram.first(data)))
            self.flush_now = True
            self.state = SASL_FINAL
            return
        data = fe.parse_sasl_response(raw)
        final = self._scram.final(data)
        self._send(be.authentication_sasl_final(final))
        self._authenticated()

    def _authenticated(self) -> None:
        # ``self.db`` is the cluster (cluster.py): it opens the named database and counts
        # this session on it (3D000 for an unknown name), until close() detaches it.
        db = self.db.attach(self.database)
        self.session = Session(db, self.user, self.database, self._startup_params)
        self._send(be.AUTH_OK)
        for name, value in startup_parameters(self.session):
            self._send(be.parameter_status(name, value))
        self._send(be.backend_key_data(self.session.pid, self.secret))
        self._send(be.READY_IDLE)
        self.flush_now = True
        self.state = READY
        log.info("connection authorized: user=%s database=%s application_name=%s peer=%s",
                 self.user, self.database, self.session.settings.get("application_name", ""),
                 self.peer)

    # -- main dispatch ------------------------------------------------------------------------
    def on_message(self, type_byte: bytes, payload: bytes) -> None:
        if self.state in (SASL_INITIAL, SASL_FINAL):
            if type_byte != b"p":
                raise errors.ProtocolViolation(
                    f"expected SASL response, got message type {type_byte!r}")
            try:
                self._on_password(payload)
            except errors.DBError as e:
                if e.sqlstate == "28P01":
                    log.warning("password authentication failed for user \"%s\" (peer %s)",
                                self.user, self.peer)
                self.fatal(e)
            return
        if self.state != READY:
            raise errors.ProtocolViolation("unexpected message before startup completed")
        if self._copy_in is not None:
            self._on_copy_message(type_byte, payload)
            return
        handler = self._handlers.get(type_byte)
        if handler is not None:  # the extended-query messages: the hot path
            if self._skip_until_sync:
                return
            msg = fe.decode_message(type_byte, payload)
            try:
                handler(msg)
            except errors.ProtocolViolation:
                raise
            except errors.DBError as e:
                self._error(e)
                self._skip_until_sync = True
            except Exception as e:  # an engine bug: an ERROR for this statement, not a disconnect
                log.exception("internal error in a %r message", type_byte)
                self._error(errors.InternalError(f"internal error: {type(e).__name__}: {e}"))
                self._skip_until_sync = True
            return
        msg = fe.decode_message(type_byte, payload)
        if isinstance(msg, fe.Sync):
            self._skip_until_sync = False
            self._sync()
        elif isinstance(msg, fe.Query):
            self._skip_until_sync = False
            self._simple_query(msg.sql)
        elif isinstance(msg, fe.Flush):
            self.flush_now = True
        elif isinstance(msg, fe.Terminate):
            self.state = CLOSED
        elif isinstance(msg, (fe.CopyData, fe.CopyDone, fe.CopyFail)):
            return  # stray COPY messages outside COPY mode are ignored, as PostgreSQL does
        else:
            raise errors.ProtocolViolation(f"unexpected message type {type_byte!r}")

    # -- the Bind/Execute/Sync fast path -----------------------------------------------------
    _EXEC_SYNC = b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00S\x00\x00\x00\x04"
    _DESCRIBE_PORTAL = b"D\x00\x00\x00\x06P\x00"

    def try_fast_path(self, data: bytes) -> bytes | None:
        """Handle a packet that is exactly Bind + [Describe portal] + Execute(unnamed, all
        rows) + Sync of a prepared read-only statement outside a transaction block, in
        one step (libpq sends the Describe with every PQsendQueryPrepared).

        This is what a driver sends for every execution of a prepared query (psycopg,
        pgbench -M prepared). Doing it in one step skips framing, three message
        objects, the portal and the implicit transaction. Anything unusual returns
        the bytes still to decode, which then go through the general path unchanged;
        None means the packet was answered completely."""
        session = self.session
        if (self.state != READY or session is None or self._copy_in is not None
                or self._skip_until_sync or session.txn is not None or not data):
            return data
        if data[0] == 81:  # b"Q": a packet that is exactly one simple Query
            if len(data) != 1 + int.from_bytes(data[1:5], "big") or data[-1] != 0:
                return data
            try:
                sql = data[5:-1].decode("utf-8")
            except UnicodeDecodeError:
                return data  # the general path reports it
            if "\0" in sql:
                return data
            self._simple_query(sql)
            return None
        if data[0] == 80 and len(data) > 5:  # b"P": an unnamed Parse first (unprepared queries)
            plen = int.from_bytes(data[1:5], "big")
            rest = data[1 + plen:]
            if not rest or rest[0] != 66 or data[5] != 0 or plen < 4:  # unnamed statement only
                return data
            payload = data[5:1 + plen]
            last = self._last_parse
            version = session.db.catalog_version()
            search_path = session.settings.get("search_path")
            if (last is not None and last[0] == payload and last[2] == version
                    and last[3] == search_path and session.prepared.get("") is last[1]):
                self.pending.append(be.PARSE_COMPLETE)  # the same text: the same statement
            else:
                self.on_message(b"P", payload)  # the general Parse handling, errors included
                if self._skip_until_sync:
                    return rest  # the Parse failed: the decoder skips the rest until Sync
                self._last_parse = (payload, session.prepared.get(""), version, search_path)
            data = rest
        if data[0] != 66:  # b"B"
            return data
        name_end = data.find(b"\0", 6) if data[5:6] == b"\0" else -1  # unnamed portal only
        tmpl = self._bind_templates.get(data[6:name_end]) if name_end > 0 else None
        if tmpl is not None and data.startswith(tmpl.head, 5):
            done = tmpl.run(self, session, data)
            if done:
                return None
        return None if self._fast_bind_execute(data) else data

    def _fast_bind_execute(self, data: bytes) -> bool:
        session = self.session
        assert session is not None
        blen = int.from_bytes(data[1:5], "big")
        b_end = 1 + blen
        describe = False
        tail = data[b_end:]
        if tail != self._EXEC_SYNC:
            if tail[:7] != self._DESCRIBE_PORTAL or tail[7:] != self._EXEC_SYNC:
                return False
            describe = True
        if blen < 4:
            return False
        bind = fe.decode_message(b"B", data[5:b_end])
        if bind.portal:
            return False
        stmt = session.prepared.get(bind.statement)
        if stmt is None:
            return False
        plan = stmt.plan
        if plan.writes or plan.kind != "query" or session.failed:
            return False
        types = stmt.param_types
        if len(bind.params) != len(types):
            return False
        nres = len(bind.result_formats)
        if nres > 1 and nres != len(plan.columns or ()):
            return False  # the general path reports it
        ctx = session.format_context()
        fast = getattr(plan, "fast", None)
        try:
            values = self._decode_params(bind, types, ctx)
            if fast is not None:
                rows = session.db.point_rows(fast, values, session, ctx)
            else:
                rows = session.db.execute_read_only(plan, values, session).rows or []
        except Exception as e:
            if isinstance(e, errors.ProtocolViolation):
                raise
            if not isinstance(e, errors.DBError):  # an engine bug: report it, keep the session
                log.exception("internal error in a prepared statement's fast path")
                e = errors.InternalError(f"internal error: {type(e).__name__}: {e}")
            self._error(e)
            self._send(be.READY_IDLE)
            self.flush_now = True
            return True
        desc = self._row_description(stmt, bind.result_formats) if describe else b""
        if fast is not None and not session.notices:
            tmpl = BindTemplate.learn(data, b_end, bind, stmt, fast, desc)
            if tmpl is not None:
                if len(self._bind_templates) >= 16:
                    self._bind_templates.clear()
                self._bind_templates[stmt.name.encode()] = tmpl
        # (a read-only query plan always has columns: checked above through plan.kind)
        encoders = stmt.encoders(bind.result_formats, make_encoders) if rows else []
        if session.notices or session.reported_changes:  # notices go before CommandComplete
            self.pending.append(be.BIND_COMPLETE + desc)
            self.pending.extend(data_rows(rows, encoders, ctx))
            self._drain_notices()
            self.pending.append(be.select_complete(len(rows)) + be.READY_IDLE)
        else:  # one bytes object per response
            self.pending.append(point_reply(be.BIND_COMPLETE + desc, rows, encoders, ctx))
        self.flush_now = True
        return True

    @staticmethod
    def _decode_params(bind: fe.Bind, types: list[DataType], ctx: FormatContext) -> list[Any]:
        fmts = bind.param_formats
        nf = len(fmts)
        values: list[Any] = []
        for i, raw in enumerate(bind.params):
            if raw is None:
                values.append(None)
                continue
            f = 0 if nf == 0 else (fmts[0] if nf == 1 else fmts[i])
            t = types[i]
            if f == 1:
                values.append(t.binary_in(raw, -1, ctx))
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise errors.CharacterNotInRepertoire(
                        'invalid byte sequence for encoding "UTF8"') from None
                values.append(t.text_in(text, -1, ctx))
        return values

    # -- errors and notices --------------------------------------------------------------------
    def _error(self, e: errors.DBError) -> None:
        assert self.session is not None
        self._drain_notices()
        self._send(be.error_response(e))
        self.session.on_error()
        if e.sqlstate.startswith(("XX",)):
            log.error("internal error: %s", e.message)

    def _drain_notices(self) -> None:
        session = self.session
        if session is None:
            return
        if session.notices:
            for n in session.notices:
                self._send(be.notice_response(n))
            session.notices.clear()
        if session.reported_changes:
            for name, value in session.reported_changes:
                self._send(be.parameter_status(name, value))
            session.reported_changes.clear()

    def _sync(self) -> None:
        assert self.session is not None
        try:
            self.session.end_implicit()
        except errors.DBError as e:
            self._error(e)
        self._drain_notices()
        self._send(be.ready_for_query(self.session.status))
        self.flush_now = True

    # -- simple query ----------------------------------------------------------------------------
    def _simple_query(self, sql: str) -> None:
        session = self.session
        assert session is not None
        self.flush_now = True
        try:
            statements = split_and_lift(sql)
        except errors.DBError as e:
            self._error(e)
            self._send(be.ready_for_query(session.status))
            return
        if not statements:
            self._send(be.EMPTY_QUERY_RESPONSE)
            self._send(be.ready_for_query(session.status))
            return
        lifted = statements[0][1]
        if (lifted is not None and len(statements) == 1 and session.txn is None
                and not session.failed):
            template = self._simple_templates.get(lifted[0])
            if template is not None:
                reply = template.run(session, lifted[1])
                if reply is not None:
                    self._send(reply)
                    return
        self._pending_sql = statements
        self._run_pending()

    def _learn_simple(self, session: Session, lifted: Lifted, plan: Any,
                      catalog_version: int, search_path: str) -> None:
        """Remember a lifted point query that just ran outside a transaction block."""
        if len(self._simple_templates) >= 64:
            self._simple_templates.clear()
        described = self._text_description
        self._simple_templates[lifted[0]] = SimpleTemplate(
            plan, tuple(oid for _, oid in lifted[1]), catalog_version, search_path,
            described[1], described[2])

    def _run_pending(self) -> None:
        """Run the remaining statements of a simple Query (a COPY FROM STDIN pauses it)."""
        session = self.session
        assert session is not None
        while self._pending_sql:
            stmt_sql, lifted = self._pending_sql.pop(0)
            try:
                if session.failed:
                    session._check_not_failed_for(stmt_sql)
                catalog_version = session.db.catalog_version()
                search_path = session.settings.get("search_path", "")
                plan, params = session.prepare_simple(stmt_sql, lifted)
                if isinstance(plan, CopyPlan):
                    if self._start_copy(plan, extended=False):
                        return  # resumes in _finish_copy_in
                    continue
                result = session.run_plan(plan, params, stmt_sql)
                self._drain_notices()
                columns = result.columns
                if columns is not None and result.rows is not None:
                    described = self._text_description
                    if described[0] is not columns:  # a plan's columns list is one object
                        described = self._text_description = (
                            columns, be.row_description(self._fields(columns, [0])),
                            [text_encoder(c.type) for c in columns])
                    self._send(described[1])
                    self._send_rows(result.rows, described[2], session.format_context())
                    if (lifted is not None and getattr(plan, "fast", None) is not None
                            and session.txn is None and params and not self._pending_sql):
                        self._learn_simple(session, lifted, plan, catalog_version, search_path)
                self._send(be.command_complete(result.tag))
            except errors.DBError as e:
                if isinstance(e, errors.ProtocolViolation):
                    raise
                self._error(e)
                self._pending_sql = []
                break
            except Exception as e:  # an engine bug must not kill the connection silently
                log.exception("internal error while executing %r", stmt_sql[:200])
                self._error(errors.InternalError(f"internal error: {type(e).__name__}: {e}"))
                self._pending_sql = []
                break
        try:
            session.end_implicit()
        except errors.DBError as e:
            self._error(e)
        self._drain_notices()
        self._send(be.ready_for_query(session.status))
        self.flush_now = True

    # -- COPY ------------------------------------------------------------------------------
    def _start_copy(self, plan: CopyPlan, extended: bool) -> bool:
        """Begin a COPY. Returns True when it waits for client data (FROM STDIN)."""
        session = self.session
        assert session is not None
        fmt = 1 if plan.opts.format == "binary" else 0
        if plan.direction == "out":
            chunks = session.copy_out(plan)
            self._send(be.copy_out_response(fmt, plan.column_formats()))
            send = self.pending.append
            for chunk in chunks:
                send(be.copy_data(chunk))
            self._send(be.COPY_DONE)
            rows = len(chunks) - (1 if fmt == 1 else 0) - (1 if plan.opts.header and fmt == 0 else 0)
            self._send(be.command_complete(f"COPY {max(rows, 0)}"))
            return False
        self._copy_in = _CopyIn(plan, extended)
        self._send(be.copy_in_response(fmt, plan.column_formats()))
        self.flush_now = True
        return True

    def _on_copy_message(self, type_byte: bytes, payload: bytes) -> None:
        copy = self._copy_in
        assert copy is not None and self.session is not None
        try:
            if type_byte == b"d":
                copy.buffer.append(payload)
                copy.size += len(payload)
                if copy.size >= copy.CHUNK:
                    self._copy_chunk(final=False)
                return
            if type_byte == b"c":
                result = self._copy_chunk(final=True)
                self._copy_in = None
                self._send(be.command_complete(result.tag))
                if not copy.extended:
                    self._run_pending()
                return
            if type_byte == b"f":
                message = payload.rstrip(b"\0").decode("utf-8", "replace")
                raise errors.QueryCanceled(f"COPY from stdin failed: {message}")
            if type_byte in (b"S", b"H"):
                return  # Sync/Flush during COPY-in are ignored, as PostgreSQL does
            raise errors.ProtocolViolation(
                f"unexpected message type 0x{type_byte[0]:02X} during COPY from stdin")
        except errors.DBError as e:
            self._copy_in = None
            self._pending_sql = []
            self._error(e)
            if copy.extended:
                self._skip_until_sync = True
            else:
                try:
                    self.session.end_implicit()
                except errors.DBError as e2:
                    self._error(e2)
                self._send(be.ready_for_query(self.session.status))
            self.flush_now = True

    def _copy_chunk(self, final: bool) -> Any:
        copy = self._copy_in
        assert copy is not None and self.session is not None
        data = b"".join(copy.buffer)
        copy.buffer.clear()
        copy.size = 0
        return self.session.run_plan(copy.plan, [data, final, copy.state])

    def _send_rows(self, rows: list[tuple[Any, ...]], encoders: list[Encoder],
                   fmt: FormatContext) -> None:
        self.pending.extend(data_rows(rows, encoders, fmt))

    def _row_description(self, stmt: Any, formats: Any) -> bytes:
        """RowDescription (or NoData) of a statement for these result formats, built once."""
        key = ("rd", tuple(formats))
        cached = stmt._encoders.get(key)
        if cached is None:
            cols = stmt.plan.columns
            cached = (be.row_description(self._fields(cols, list(formats)))
                      if cols is not None else be.NO_DATA)
            stmt._encoders[key] = cached
        return cached

    @staticmethod
    def _fields(columns: list[OutputColumn], formats: list[int]) -> list[be.FieldDescription]:
        out = []
        n = len(formats)
        for i, c in enumerate(columns):
            f = 0 if n == 0 else (formats[0] if n == 1 else formats[i])
            out.append(be.FieldDescription(c.name, c.table_oid, c.attnum, c.type.oid,
                                           c.type.typlen, c.typmod, f))
        return out

    # -- extended query ----------------------------------------------------------------------------
    def _parse(self, msg: fe.Parse) -> None:
        session = self.session
        assert session is not None
        statements = split_statements(msg.query)
        if len(statements) > 1:
            raise errors.SyntaxError("cannot insert multiple commands into a prepared statement")
        sql = statements[0] if statements else ""
        if not sql:
            from omendb_server.session import PreparedStatement
            from omendb_server.sql.plan import CallablePlan, Result

            empty = CallablePlan(columns=None, kind="empty", run=lambda ctx: Result(""))
            session.prepared[msg.name] = PreparedStatement(msg.name, "", empty, [], [])
        else:
            try:  # the unnamed statement is replaced (or kept, if the same: session.prepare)
                session.prepare(msg.name, sql, list(msg.param_oids))
            except BaseException:
                if msg.name == "":
                    session.prepared.pop("", None)  # a failed Parse still drops the old one
                raise
        self._send(be.PARSE_COMPLETE)

    def _bind(self, msg: fe.Bind) -> None:
        session = self.session
        assert session is not None
        stmt = session.statement(msg.statement)
        types = stmt.param_types
        if len(msg.params) != len(types):
            # an ERROR in PostgreSQL (exec_bind_message), not FATAL: the session goes on
            raise errors.DBError(
                f"bind message supplies {len(msg.params)} parameters, but prepared statement "
                f'"{msg.statement}" requires {len(types)}', "08P01")
        values = self._decode_params(msg, types, session.format_context())
        if msg.portal == "":
            session.portals.pop("", None)
        rf = list(msg.result_formats)
        ncols = len(stmt.plan.columns or [])
        if len(rf) > 1 and len(rf) != ncols:
            raise errors.DBError(
                f"bind message has {len(rf)} result formats but query has {ncols} columns",
                "08P01")
        session.bind(msg.portal, stmt, values, rf)
        self._send(be.BIND_COMPLETE)

    def _describe(self, msg: fe.Describe) -> None:
        session = self.session
        assert session is not None
        if msg.kind == "S":
            stmt = session.statement(msg.name)
            self._send(be.parameter_description([t.oid for t in stmt.param_types]))
            cols = stmt.plan.columns
            self._send(be.row_description(self._fields(cols, [0])) if cols is not None else be.NO_DATA)
        else:
            cursor = session.cursors.get(msg.name) if msg.name not in session.portals else None
            if cursor is not None:  # a DECLAREd cursor is a portal too (psycopg describes it)
                self._send(be.row_description(self._fields(cursor.columns, [0])))
                return
            portal = session.portal(msg.name)
            self._send(self._row_description(portal.stmt, portal.result_formats))

    def _execute(self, msg: fe.Execute) -> None:
        session = self.session
        assert session is not None
        portal = session.portal(msg.portal)
        if portal.stmt.sql == "":
            self._send(be.EMPTY_QUERY_RESPONSE)
            return
        if isinstance(portal.stmt.plan, CopyPlan):
            if session.failed:
                session._check_not_failed_for(portal.stmt.sql)
            self._start_copy(portal.stmt.plan, extended=True)
            return
        if session.failed:
            session._check_not_failed_for(portal.stmt.sql)
        try:
            rows, tag = session.execute_portal(portal, msg.max_rows)
        except errors.DBError:
            raise
        except Exception as e:
            log.exception("internal error while executing %r", portal.stmt.sql[:200])
            raise errors.InternalError(f"internal error: {type(e).__name__}: {e}") from None
        self._drain_notices()
        cols = portal.stmt.plan.columns
        if cols is not None and rows:
            self._send_rows(rows, portal.stmt.encoders(portal.result_formats, make_encoders),
                            session.format_context())
        if tag is None:
            self._send(be.PORTAL_SUSPENDED)
        else:
            self._send(be.command_complete(tag))

    def _close(self, msg: fe.Close) -> None:
        session = self.session
        assert session is not None
        if msg.kind == "S":
            session.prepared.pop(msg.name, None)
        else:
            session.portals.pop(msg.name, None)
        self._send(be.CLOSE_COMPLETE)

    def close(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # pragma: no cover - best effort on disconnect
                log.exception("error while closing session")
            self.session = None
            self.db.detach(self.database)
