"""Compact answers for the statements a client repeats most: point queries.

Every request costs CPU in proportion to the Python code it runs, and more than the
in-process figures say, because between two requests the client runs on the same cores
and the interpreter's caches go cold. So the hottest shapes get a short path of their
own, learned from a request the general path has just answered and re-checked on every
use (same statement object, no transaction block, unchanged catalog and search_path):
a prepared Bind..Sync packet whose bytes repeat but for the parameter (``BindTemplate``),
and a simple Query text that repeats but for its integer literals (``SimpleTemplate``).
Whatever does not match, or fails, goes the general way, which reports errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import DataType, FormatContext
from omendb_server.protocol import backend as be
from omendb_server.protocol import frontend as fe
from omendb_server.session import Session
from omendb_server.sql import OutputColumn

Encoder = Callable[[Any, FormatContext], bytes]


def text_encoder(t: DataType) -> Encoder:
    oid = t.oid
    if oid in (20, 21, 23, 26):
        return lambda v, ctx: str(v).encode()
    if oid in (25, 1043, 19, 705, 114):
        return lambda v, ctx: v.encode()
    out = t.text_out
    return lambda v, ctx: out(v, ctx).encode()


def binary_encoder(t: DataType) -> Encoder:
    out = t.binary_out
    return lambda v, ctx: out(v, ctx)


def make_encoders(columns: list[OutputColumn], fmts: list[int]) -> list[Encoder]:
    n = len(fmts)
    out = []
    for i, c in enumerate(columns):
        f = 0 if n == 0 else (fmts[0] if n == 1 else fmts[i])
        out.append(binary_encoder(c.type) if f == 1 else text_encoder(c.type))
    return out



def data_rows(rows: list[tuple[Any, ...]], encoders: list[Encoder],
              ctx: FormatContext) -> list[bytes]:
    """One DataRow message per row (NULL as NULL, each value through its encoder)."""
    data_row = be.data_row
    return [data_row([None if v is None else enc(v, ctx) for v, enc in zip(row, encoders)])
            for row in rows]


def point_reply(prefix: bytes, rows: list[tuple[Any, ...]], encoders: list[Encoder],
                ctx: FormatContext) -> bytes:
    """``prefix`` (BindComplete / RowDescription), the rows, CommandComplete and
    ReadyForQuery (idle) as one bytes object: one write per request."""
    out = data_rows(rows, encoders, ctx)
    out.insert(0, prefix)
    out.append(be.select_complete(len(rows)))
    out.append(be.READY_IDLE)
    return b"".join(out)


class BindTemplate:
    """The fixed bytes of a repeated Bind [+ Describe] + Execute + Sync packet for one
    prepared point query, so the next packet is answered by comparing bytes and decoding
    only the parameter (DESIGN.md, Connections: a driver re-sends the same packet with one
    value changed). Learned from a packet the general fast path has just answered; every
    condition that path checks is either fixed by the bytes compared (statement name,
    formats, parameter count, Execute/Sync) or re-checked per packet (same statement
    object, no transaction, session not failed), so a hit answers exactly as that path
    would. Anything else — a NULL parameter, a notice to deliver, an error — goes back
    to the general path."""

    __slots__ = ("decode", "empty_reply", "encoders", "fast", "fixed_len", "head", "param_at",
                 "prefix", "stmt", "tail")

    def __init__(self, head: bytes, param_at: int, fixed_len: int, tail: bytes, stmt: Any,
                 fast: Any, decode: Callable[[bytes, FormatContext], Any],
                 encoders: list[Encoder], row_description: bytes) -> None:
        self.head = head
        self.param_at = param_at
        self.fixed_len = fixed_len
        self.tail = tail
        self.stmt = stmt
        self.fast = fast
        self.decode = decode
        self.encoders = encoders
        #: BindComplete [+ RowDescription when the packet has a Describe]
        self.prefix = be.BIND_COMPLETE + row_description
        self.empty_reply = self.prefix + be.select_complete(0) + be.READY_IDLE

    @classmethod
    def learn(cls, data: bytes, b_end: int, bind: fe.Bind, stmt: Any, fast: Any,
              row_description: bytes) -> BindTemplate | None:
        if len(bind.params) != 1 or bind.params[0] is None or bind.portal:
            return None
        raw = bind.params[0]
        n = len(raw)
        # the parameter is the last field before the result-format list: find it from the end
        nres = len(bind.result_formats)
        param_end = b_end - 2 - 2 * nres
        param_at = param_end - n - 4  # its Int32 length
        if param_at < 5 or data[param_at + 4:param_end] != raw:
            return None
        t = stmt.param_types[0]
        fmts = bind.param_formats
        if fmts and fmts[0] == 1:
            binary_in = t.binary_in
            decode = lambda raw, ctx: binary_in(raw, -1, ctx)
        else:
            text_in = t.text_in

            def decode(raw: bytes, ctx: FormatContext) -> Any:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise errors.CharacterNotInRepertoire(
                        'invalid byte sequence for encoding "UTF8"') from None
                return text_in(text, -1, ctx)
        encoders = stmt.encoders(bind.result_formats, make_encoders)
        return cls(data[5:param_at], param_at, b_end - 1 - n, data[param_end:], stmt, fast,
                   decode, encoders, row_description)

    def run(self, conn: Any, session: Session, data: bytes) -> bool:
        """Answer ``data`` if it matches this template; False sends it the general way."""
        at = self.param_at
        n = int.from_bytes(data[at:at + 4], "big", signed=True)
        if n < 0 or int.from_bytes(data[1:5], "big") != self.fixed_len + n:
            return False
        end = at + 4 + n
        if data[end:] != self.tail or session.failed:
            return False
        stmt = self.stmt
        if session.prepared.get(stmt.name) is not stmt:
            return False
        ctx = session.format_context()
        try:
            value = self.decode(data[at + 4:end], ctx)
            rows = session.db.point_rows(self.fast, [value], session, ctx)
        except Exception:  # noqa: BLE001 - the general path raises it again and reports it
            return False
        if session.notices or session.reported_changes:
            return False  # (a read-only lookup adds none; be safe)
        conn.pending.append(point_reply(self.prefix, rows, self.encoders, ctx)
                            if rows else self.empty_reply)
        conn.flush_now = True
        return True




class SimpleTemplate:
    """A simple Query whose literals were lifted into parameters (``split_and_lift``) and
    whose plan is a point query: the planned statement, the parameters' input functions
    and the reply's fixed parts, for the next text of the same lifted form. Valid while
    the catalog version and the session's search_path are those it was planned under
    (the plan cache's own key) and only outside a transaction block."""

    __slots__ = ("catalog_version", "decoders", "empty_reply", "encoders", "fast",
                 "oids", "row_description", "search_path")

    def __init__(self, plan: Any, oids: tuple[int, ...], catalog_version: int,
                 search_path: str, row_description: bytes, encoders: list[Encoder]) -> None:
        self.fast = plan.fast
        self.oids = oids
        self.decoders = [t.text_in for t in plan.param_types]
        self.catalog_version = catalog_version
        self.search_path = search_path
        self.row_description = row_description
        self.encoders = encoders
        self.empty_reply = row_description + be.select_complete(0) + be.READY_IDLE

    def run(self, session: Session, literals: list[tuple[str, int]]) -> bytes | None:
        """The whole reply (rows, CommandComplete, ReadyForQuery), or None: use the
        general path."""
        if (session.db.catalog_version() != self.catalog_version
                or session.settings.get("search_path") != self.search_path
                or session.notices or session.reported_changes):
            return None
        oids = self.oids
        if len(literals) != len(oids):
            return None
        ctx = session.format_context()
        try:
            params = []
            for decode, oid, (text, literal_oid) in zip(self.decoders, oids, literals):
                if oid != literal_oid:
                    return None  # e.g. an int8 literal where the plan was made for int4
                params.append(decode(text, -1, ctx))
            rows = session.db.point_rows(self.fast, params, session, ctx)
        except Exception:  # noqa: BLE001 - the general path raises it again and reports it
            return None
        if not rows:
            return self.empty_reply
        return point_reply(self.row_description, rows, self.encoders, ctx)
